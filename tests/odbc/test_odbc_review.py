"""Review of the ODBC protocol as its users meet it: a consultant's mistakes and an operator's incidents,
each a failing test first (see the commits that fixed them)."""
from __future__ import annotations

import socket
import sqlite3
from decimal import Decimal

import pytest
from odbc_support import sqlite_driver
from pg_support import pg_driver
from support import run_cli

from engine.connectors.compile import open_connector
from engine.connectors.errors import EndpointError
from engine.plan.related import norm_key
from engine.util.jsonout import dumps, number_text

# -- a numeric column with more digits than Python's Decimal context (28) -------------------------

WIDE = "123456789012345678.12345678901234567891"  # numeric(38,20): 38 significant digits


def test_a_decimal_wider_than_the_context_keeps_every_digit_in_json():
    assert number_text(Decimal(WIDE)) == WIDE
    assert dumps({"price": Decimal(WIDE)}) == '{"price":' + WIDE + "}"
    assert dumps({"price": Decimal("12.500000")}) == '{"price":12.5}'  # trailing zeros still go
    assert number_text(Decimal("-0.50")) == "-0.5" and number_text(Decimal("1E-30")) == "0." + "0" * 29 + "1"


def test_two_wide_join_keys_differing_past_the_28th_digit_stay_distinct():
    assert norm_key(Decimal(WIDE)) != norm_key(Decimal(WIDE[:-1] + "2"))
    assert norm_key(Decimal("12.50")) == norm_key("12.5")


def test_a_wide_numeric_read_from_postgresql_is_exact_in_the_payload(sage_database):
    db = sage_database("postgresql", schema=False)
    with db.connect() as conn:
        conn.execute("CREATE TABLE wide (ref varchar(19) PRIMARY KEY, price numeric(38,20))")
        conn.execute(f"INSERT INTO wide VALUES ('A', {WIDE})")
        conn.commit()
    definition = {"name": "pg", "protocol": "odbc", "settings": {"connection": {"required": True}},
                  "resources": {"wide": {"sql": "SELECT ref, price FROM wide", "key": "ref"}}}
    with open_connector("pg", definition, {"connection": db.connection_string}) as pg:
        [[row]] = list(pg.read("wide"))
    assert row["price"] == Decimal(WIDE) and dumps(row) == '{"ref":"A","price":' + WIDE + "}"


# -- a NULL key -------------------------------------------------------------------------------------

KEYLESS_CONNECTOR = """\
connector:
  name: keyless
  protocol: odbc
  settings: { database: { required: true }, driver: { default: SQLite3 } }
  odbc: { connection: "DRIVER={{{settings.driver}}};Database={settings.database}" }
  resources:
    rows: { sql: "SELECT ref, qty FROM T_SOURCE", key: ref }
  operations:
    copy: { sql: "INSERT INTO T_COPY (ref, qty) VALUES ({payload.ref}, {payload.qty})" }
"""

KEYLESS_PROJECT = """\
project: { name: Keyless }
endpoints:
  db: { use: keyless, settings: { database: "${env:REVIEW_DB}", driver: "${env:REVIEW_DRIVER}" } }
flows:
  copy:
    source: { endpoint: db, read: rows }
    target: { endpoint: db, write: copy }
    map: { ref: { from: ref }, qty: { from: qty } }
"""


def test_rows_with_a_null_key_are_set_aside_not_taken_for_one_record(tmp_path, monkeypatch):
    root = tmp_path / "keyless"
    (root / "connectors").mkdir(parents=True)
    (root / "connectors" / "keyless.yaml").write_text(KEYLESS_CONNECTOR)
    (root / "project.yaml").write_text(KEYLESS_PROJECT)
    db = tmp_path / "k.db"
    with sqlite3.connect(db) as con:
        con.executescript("CREATE TABLE T_SOURCE (ref VARCHAR(19), qty INTEGER); CREATE TABLE T_COPY (ref, qty);"
                          "INSERT INTO T_SOURCE VALUES (NULL, 1), (NULL, 2), ('A', 3), ('', 4);")
    monkeypatch.setenv("REVIEW_DB", str(db))
    monkeypatch.setenv("REVIEW_DRIVER", sqlite_driver())
    monkeypatch.delenv("PASSERELLE_CONNECTORS", raising=False)
    code, out, err = run_cli(["run", str(root), "--state", str(tmp_path / "state")], tmp_path)
    assert code == 3, out + err  # records set aside
    assert "copy: 4 read, 1 created, 0 updated, 0 skipped, 3 failed" in err, err
    assert "its key is null or empty" in err and "keyless/project.yaml:" in err
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT ref, qty FROM T_COPY").fetchall() == [("A", 3)]


# -- the database server stops, or drops the connection, mid-run ------------------------------------

def _copy_definition() -> dict:
    return {"name": "pg", "protocol": "odbc", "settings": {"connection": {"required": True}},
            "resources": {}, "operations": {"copy": {"sql": "INSERT INTO copied (ref) VALUES ({payload.ref})"}}}


def test_a_connection_the_server_dropped_is_transient_and_the_next_write_reconnects(sage_database):
    db = sage_database("postgresql", schema=False)
    with db.connect() as conn:
        conn.execute("CREATE TABLE copied (ref varchar(19) PRIMARY KEY)")
        conn.commit()
    with open_connector("pg", _copy_definition(), {"connection": db.connection_string}) as pg:
        pg.write("copy", {"ref": "A"})
        database = db.connection_string.split("Database=")[1].split(";")[0]
        with db.connect(autocommit=True) as admin:  # the server ends the session (a restart, an admin)
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = ? AND pid <> pg_backend_pid()", database)
        with pytest.raises(EndpointError) as info:
            pg.write("copy", {"ref": "B"})
        assert info.value.transient, info.value.message  # not a rejection: tried again, never set aside
        assert not info.value.outcome_unknown  # lost before the commit: the server rolled it back
        pg.write("copy", {"ref": "B"})  # reconnected
    assert db.rows("SELECT ref FROM copied ORDER BY ref") == [("A",), ("B",)]


def test_a_server_that_refuses_connections_is_unreachable(tmp_path):
    driver = pg_driver()
    if driver is None:
        pytest.skip("psqlODBC is not installed")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connection = f"DRIVER={{{driver}}};Servername=127.0.0.1;Port={port};Database=x;Uid=u;Pwd=Hunter2Secret"
    with open_connector("pg", _copy_definition(), {"connection": connection}) as pg:
        with pytest.raises(EndpointError) as info:
            pg.write("copy", {"ref": "A"})
    # every other record would wait the same: the run stops the flow instead of trying each one ten times
    assert info.value.unreachable and info.value.transient, info.value.message
    assert "Hunter2Secret" not in info.value.message and "Pwd=***" in info.value.message


def test_a_run_whose_target_database_is_down_stops_at_the_first_record(tmp_path, monkeypatch):
    driver = pg_driver()
    if driver is None:
        pytest.skip("psqlODBC is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = tmp_path / "down"
    (root / "connectors").mkdir(parents=True)
    (root / "connectors" / "keyless.yaml").write_text(KEYLESS_CONNECTOR)
    (root / "connectors" / "pg.yaml").write_text(
        "connector:\n  name: pg\n  protocol: odbc\n  settings: { connection: { required: true } }\n"
        "  odbc: { connection: \"{settings.connection}\" }\n  resources: {}\n"
        "  operations:\n    copy: { sql: \"INSERT INTO copied (ref) VALUES ({payload.ref})\" }\n")
    (root / "project.yaml").write_text(KEYLESS_PROJECT.replace("target: { endpoint: db, write: copy }",
                                                               "target: { endpoint: pg, write: copy }")
                                       .replace("flows:", "  pg: { use: pg, settings: { connection: \"${env:REVIEW_PG}\" } }\nflows:"))
    db = tmp_path / "k.db"
    with sqlite3.connect(db) as con:
        con.executescript("CREATE TABLE T_SOURCE (ref VARCHAR(19), qty INTEGER);"
                          "INSERT INTO T_SOURCE VALUES ('A', 1), ('B', 2), ('C', 3);")
    monkeypatch.setenv("REVIEW_DB", str(db))
    monkeypatch.setenv("REVIEW_DRIVER", sqlite_driver())
    monkeypatch.setenv("REVIEW_PG", f"DRIVER={{{driver}}};Servername=127.0.0.1;Port={port};Database=x;Uid=u")
    monkeypatch.delenv("PASSERELLE_CONNECTORS", raising=False)
    code, out, err = run_cli(["run", str(root), "--state", str(tmp_path / "state")], tmp_path)
    assert code != 0 and "internal error" not in err, out + err
    # one record tried, then the flow stops: not ten attempts with backoff for each of the others
    assert "copy: 1 read, 0 created" in err and "1 pending" in err and "cannot connect to odbc:" in err, err
    # the database is back (here: another one with the same table): the record known never to have
    # arrived is sent without asking for `replay --key` (the operation has no find and is not idempotent)
    back = tmp_path / "back.db"
    with sqlite3.connect(back) as con:
        con.execute("CREATE TABLE copied (ref VARCHAR(19))")
    monkeypatch.setenv("REVIEW_PG", f"DRIVER={{{sqlite_driver()}}};Database={back}")
    code, out, err = run_cli(["run", str(root), "--state", str(tmp_path / "state")], tmp_path)
    assert code == 0 and "3 created" in err and "replay" not in err, err
    with sqlite3.connect(back) as con:
        assert sorted(con.execute("SELECT ref FROM copied").fetchall()) == [("A",), ("B",), ("C",)]


# -- a time zone that names a folder of the zone database ---------------------------------------------

def _zoned(zone: str) -> dict:
    return {"name": "z", "protocol": "odbc", "settings": {"connection": {"required": True}, "tz": {"default": "UTC"}},
            "odbc": {"timezone": zone}, "resources": {}, "operations": {}}


def test_a_time_zone_naming_a_folder_is_a_located_error_not_an_internal_one(tmp_path):
    root = tmp_path / "p"
    (root / "connectors").mkdir(parents=True)
    (root / "connectors" / "z.yaml").write_text(
        "connector:\n  name: z\n  protocol: odbc\n  settings: { connection: { required: true } }\n"
        "  odbc: { timezone: Europe }\n  resources: {}\n  operations: {}\n")
    (root / "project.yaml").write_text("project: { name: Z }\nendpoints:\n  db: { use: z, settings: { connection: x } }\n"
                                       "flows: {}\n")
    code, out, err = run_cli(["validate", str(root)], tmp_path)
    assert "internal error" not in out + err
    assert "z.yaml:5:21: error[bad-timezone] connector.odbc.timezone: unknown time zone 'Europe'" in out + err


@pytest.mark.parametrize("zone", ["Europe", "", "America/", "UTC+2"])
def test_a_time_zone_setting_that_is_no_zone_is_an_endpoint_error(zone):
    with pytest.raises(EndpointError) as info:
        open_connector("z", _zoned("{settings.tz}"), {"connection": "DSN=x", "tz": zone})
    assert info.value.message == f"connector 'z': unknown time zone {zone!r} (an IANA name such as Europe/Paris)"


def test_a_date_transform_given_a_zone_folder_says_unknown_time_zone():
    from engine.lang.transforms.dates import get_zone
    from engine.lang.registry import ArgError

    with pytest.raises(ArgError, match="unknown time zone 'Europe'"):
        get_zone("Europe")


# -- two runs started at once on a new state ---------------------------------------------------------

def test_runs_starting_together_on_a_new_state_all_open_it(tmp_path):
    """``passerelle run`` twice at once on a fresh project: the second said 'state database is locked'
    (switching a new database to WAL does not wait for the other's lock)."""
    import threading

    from engine.runtime.state import SqliteStore, StateError

    errors: list[str] = []
    for round_ in range(40):
        path = tmp_path / f"s{round_}" / "state.db"
        barrier = threading.Barrier(4)

        def open_state() -> None:
            barrier.wait()
            try:
                SqliteStore(path).close()
            except StateError as exc:
                errors.append(str(exc))

        threads = [threading.Thread(target=open_state) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []


def test_a_key_column_the_select_does_not_return_is_named_with_the_columns_it_does(tmp_path, monkeypatch):
    """PostgreSQL folds unquoted names to lower case: `key: AR_Ref` over `SELECT AR_Ref` gets `ar_ref`."""
    root = tmp_path / "keyless"
    (root / "connectors").mkdir(parents=True)
    (root / "connectors" / "keyless.yaml").write_text(KEYLESS_CONNECTOR.replace("key: ref", "key: REF"))
    (root / "project.yaml").write_text(KEYLESS_PROJECT)
    db = tmp_path / "k.db"
    with sqlite3.connect(db) as con:
        con.executescript("CREATE TABLE T_SOURCE (ref VARCHAR(19), qty INTEGER); CREATE TABLE T_COPY (ref, qty);"
                          "INSERT INTO T_SOURCE VALUES ('A', 1), ('B', 2);")
    monkeypatch.setenv("REVIEW_DB", str(db))
    monkeypatch.setenv("REVIEW_DRIVER", sqlite_driver())
    monkeypatch.delenv("PASSERELLE_CONNECTORS", raising=False)
    code, out, err = run_cli(["run", str(root), "--state", str(tmp_path / "state")], tmp_path)
    assert "copy: 2 read, 0 created, 0 updated, 0 skipped, 2 failed" in err, err  # not 1 created, 1 skipped
    assert "it has no field 'REF' (its fields: ref, qty)" in err


def test_next_number_counts_ascii_digits_only():
    """`\\d` matched any script's digits: a piece '١٢' (Arabic-Indic 12) became '13', another script."""
    from engine.lang.builtins import default_registry
    from engine.errors import TransformError

    next_number = default_registry().get("transform", "next_number").factory(None, None)
    assert next_number("BC00042") == "BC00043" and next_number("FA-0009") == "FA-0010"
    with pytest.raises(TransformError, match="no digits"):
        next_number("BC١٢")
