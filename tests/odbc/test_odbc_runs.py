"""ODBC through ``passerelle run`` on a small project: an incremental read on ``cbModification`` (equal
stamps never lose rows, a failing row is set aside and the cursor still moves), and the errors a SQL
database gives — a constraint violated by one record while the others pass, a missing table, a database
file that cannot be read — each reported with the operation or resource, its place in the connector
YAML and the record key; nothing committed half-way, nothing lost."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from odbc_support import make_sage_db, rows, sqlite_driver
from support import run_cli

CONNECTOR = """\
connector:
  name: sage100-sql
  protocol: odbc
  settings:
    database: { required: true }
    driver: { default: SQLite3 }
  odbc:
    connection: "DRIVER={{{settings.driver}}};Database={settings.database}"
    timezone: Europe/Paris
    batch: 2
  resources:
    articles:
      sql: >-
        SELECT a.AR_Ref, a.AR_PrixVen, a.cbModification FROM F_ARTICLE a
        WHERE a.AR_Sommeil = 0 AND {filters}
      key: AR_Ref
      since: { column: cbModification, sql: "a.cbModification >= datetime({since})" }
  operations:
    save_price:
      idempotent: true
      sql: "INSERT OR REPLACE INTO T_PRICE (ref, price) VALUES ({payload.ref}, {payload.price})"
    save_missing:
      sql: "INSERT INTO T_MISSING (ref) VALUES ({payload.ref})"
"""

PROJECT = """\
project: { name: Prices }
endpoints:
  sage: { use: sage100-sql, settings: { database: "${env:RUNS_SAGE_DB}", driver: "${env:RUNS_SAGE_DRIVER}" } }
flows:
  prices:
    source: { endpoint: sage, read: articles, since: cbModification }
    target: { endpoint: sage, write: save_price }
    map:
      ref: { from: AR_Ref }
      price: { from: AR_PrixVen }
"""

STAMPS = [("2024-07-15 10:00:00", "ART00001"), ("2024-07-15 10:00:00", "ART00002"),
          ("2024-07-15 09:00:00", "ART00003"), ("2024-01-01 00:00:00", "BAAR01"),
          ("2024-01-01 00:00:00", "MUG-CLASSIC")]


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = tmp_path / "prices"
    (root / "connectors").mkdir(parents=True)
    (root / "connectors" / "sage100-sql.yaml").write_text(CONNECTOR)
    (root / "project.yaml").write_text(PROJECT)
    db = make_sage_db(tmp_path / "sage.db", articles=3)
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE T_PRICE (ref VARCHAR(19) PRIMARY KEY, price NUMERIC(24,6) CHECK (price < 1000))")
        con.executemany("UPDATE F_ARTICLE SET cbModification = ? WHERE AR_Ref = ?", STAMPS)
        con.execute("UPDATE F_ARTICLE SET AR_PrixVen = 5000 WHERE AR_Ref = 'ART00002'")  # refused by the CHECK
    monkeypatch.setenv("RUNS_SAGE_DB", str(db))
    monkeypatch.setenv("RUNS_SAGE_DRIVER", sqlite_driver())
    monkeypatch.delenv("PASSERELLE_CONNECTORS", raising=False)
    return root, db


def run(root: Path, tmp_path: Path, *extra: str) -> tuple[int, str, str]:
    return run_cli(["run", str(root), "--state", str(tmp_path / "state"), *extra], tmp_path)


def test_equal_stamps_and_a_failing_row_lose_nothing(project, tmp_path):
    root, db = project
    code, out, err = run_cli(["validate", str(root)], tmp_path)
    assert code == 0, out + err
    code, out, err = run(root, tmp_path)
    assert code == 3, out + err  # one record set aside
    assert "prices: 5 read, 5 created, 0 updated, 0 skipped, 1 failed" not in err
    assert "prices: 5 read, 4 created, 0 updated, 0 skipped, 1 failed" in err
    assert sorted(r[0] for r in rows(db, "SELECT ref FROM T_PRICE")) == ["ART00001", "ART00003", "BAAR01",
                                                                       "MUG-CLASSIC"]
    code, out, err = run_cli(["failures", str(root), "--state", str(tmp_path / "state")], tmp_path)
    assert "record ART00002" in out and "CHECK constraint failed" in out
    assert "operation 'save_price' (" in out and "prices/connectors/sage100-sql.yaml:" in out

    # second run: the cursor is 10:00 Paris; both rows stamped 10:00 are read again (>=), none sent twice
    code, out, err = run(root, tmp_path)
    assert "prices: 2 read, 0 created" in err, err
    # a row committed later with the cursor's very stamp is not lost
    with sqlite3.connect(db) as con:
        con.execute("INSERT INTO F_ARTICLE (AR_Ref, AR_Design, AR_PrixVen, cbModification) "
                    "VALUES ('LATE', 'Late', 2, '2024-07-15 10:00:00')")
        con.execute("UPDATE F_ARTICLE SET AR_PrixVen = 50 WHERE AR_Ref = 'ART00002'")  # fixed in the ERP
    code, out, err = run(root, tmp_path)
    assert code == 0, out + err
    assert "prices: 3 read, 2 created" in err, err
    assert rows(db, "SELECT COUNT(*) FROM T_PRICE") == [(6,)]


def test_a_missing_table_is_reported_with_operation_location_and_key(project, tmp_path):
    root, db = project
    text = (root / "project.yaml").read_text().replace("write: save_price", "write: save_missing")
    (root / "project.yaml").write_text(text.replace("since: cbModification", "where: {}"))
    code, out, err = run(root, tmp_path)
    assert code == 3, out + err
    assert "prices: 5 read, 0 created, 0 updated, 0 skipped, 5 failed" in err
    code, out, err = run_cli(["failures", str(root), "--state", str(tmp_path / "state")], tmp_path)
    assert "record BAAR01" in out and "no such table: T_MISSING" in out
    assert "operation 'save_missing' (" in out and "prices/connectors/sage100-sql.yaml:23:7" in out


def test_an_unreadable_database_is_reported_with_the_resource_and_its_place(project, tmp_path):
    root, db = project
    db.write_bytes(b"this is not a database" * 100)  # a damaged or foreign file
    code, out, err = run(root, tmp_path)
    assert code != 0 and "internal error" not in err
    assert "reading 'articles'" in err + out and "not a database" in err + out
    assert "reading 'articles' (prices/connectors/sage100-sql.yaml:13:7)" in err + out


def test_a_connection_lost_mid_read_names_the_resource_and_the_next_read_reconnects(project):
    from engine.connectors.compile import open_connector
    from engine.connectors.errors import EndpointError
    import yaml

    root, db = project
    definition = yaml.safe_load(CONNECTOR)["connector"]
    with open_connector("sage", definition, {"database": str(db), "driver": sqlite_driver()}) as sage:
        pages = sage.read("articles")
        assert len(next(pages)) == 2
        sage._conn.close()  # the driver connection is killed between two pages
        with pytest.raises(EndpointError) as info:
            next(pages)
        assert "reading 'articles'" in info.value.message and info.value.transient
        assert len([r for page in sage.read("articles") for r in page]) == 5  # connected again: nothing lost


def test_validate_refuses_since_on_a_resource_that_does_not_declare_it(project, tmp_path):
    root, _ = project
    connector = root / "connectors" / "sage100-sql.yaml"
    connector.write_text(connector.read_text().replace(
        '      since: { column: cbModification, sql: "a.cbModification >= datetime({since})" }\n', ""))
    code, out, err = run_cli(["validate", str(root)], tmp_path)
    assert code == 1
    assert "prices/project.yaml:6:54: error[unsupported-filter] flows.prices.source.since: resource 'articles' " \
           "of endpoint 'sage' cannot be read incrementally" in out
