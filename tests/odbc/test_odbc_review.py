"""Review of the ODBC protocol as its users meet it: a consultant's mistakes and an operator's incidents,
each a failing test first (see the commits that fixed them)."""
from __future__ import annotations

import sqlite3
from decimal import Decimal

from odbc_support import sqlite_driver
from support import run_cli

from engine.connectors.compile import open_connector
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
