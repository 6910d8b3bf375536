"""ODBC through pyodbc + unixODBC + the SQLite ODBC driver, on a Sage 100-shaped database
(the DDL sketch of shared/reference/sage.md §6, reduced to the tables read here)."""
from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest

from engine.connectors.odbc import OdbcEndpoint, OdbcUnavailable, load_pyodbc

DDL = """
CREATE TABLE F_ARTICLE (AR_Ref VARCHAR(19) PRIMARY KEY, AR_Design VARCHAR(69) NOT NULL DEFAULT '',
  AR_PrixVen NUMERIC(24,6) NOT NULL DEFAULT 0, AR_Sommeil SMALLINT NOT NULL DEFAULT 0);
CREATE TABLE F_DEPOT (DE_No INTEGER PRIMARY KEY, DE_Intitule VARCHAR(35) NOT NULL);
CREATE TABLE F_ARTSTOCK (AR_Ref VARCHAR(19) NOT NULL REFERENCES F_ARTICLE(AR_Ref),
  DE_No INTEGER NOT NULL REFERENCES F_DEPOT(DE_No), AS_QteSto NUMERIC(24,6) NOT NULL DEFAULT 0,
  AS_QteRes NUMERIC(24,6) NOT NULL DEFAULT 0, AS_QteCom NUMERIC(24,6) NOT NULL DEFAULT 0,
  PRIMARY KEY (AR_Ref, DE_No));
CREATE VIEW V_STOCK AS SELECT AR_Ref, DE_No, AS_QteSto AS stock_physique,
  AS_QteSto - AS_QteRes AS stock_disponible, AS_QteSto + AS_QteCom - AS_QteRes AS stock_a_terme FROM F_ARTSTOCK;
INSERT INTO F_ARTICLE VALUES ('BAAR01', 'Bague argent 925', 45, 0), ('MUG-CLASSIC', 'Classic mug', 8, 0),
  ('OLD-REF', 'En sommeil', 1, 1);
INSERT INTO F_DEPOT VALUES (1, 'Principal');
INSERT INTO F_ARTSTOCK VALUES ('BAAR01', 1, 10, 3, 5), ('MUG-CLASSIC', 1, 42, 0, 0);
"""


def driver() -> str:
    try:
        pyodbc = load_pyodbc()
    except OdbcUnavailable as exc:
        pytest.skip(str(exc))
    for name in ("SQLite3", "SQLite3 ODBC Driver"):
        if name in pyodbc.drivers():
            return name
    pytest.skip(f"no SQLite ODBC driver registered (drivers: {pyodbc.drivers()}); install libsqliteodbc")


@pytest.fixture
def sage_db(tmp_path):
    path = tmp_path / "sage100.db"
    with sqlite3.connect(path) as db:
        db.executescript(DDL)
    return f"DRIVER={{{driver()}}};Database={path}"


def test_reads_articles_and_stock_through_odbc(sage_db):
    with OdbcEndpoint(sage_db) as odbc:
        rows = [r for page in odbc.query(
            "SELECT a.AR_Ref, a.AR_PrixVen, s.stock_disponible, s.stock_a_terme FROM F_ARTICLE a "
            "JOIN V_STOCK s ON s.AR_Ref = a.AR_Ref WHERE a.AR_Sommeil = ? ORDER BY a.AR_Ref", (0,)) for r in page]
    assert [r["AR_Ref"] for r in rows] == ["BAAR01", "MUG-CLASSIC"]
    assert rows[0]["stock_disponible"] == 7 and rows[0]["stock_a_terme"] == 12  # sage.md §6 figures
    assert all(not isinstance(v, float) for r in rows for v in r.values())
    assert Decimal(rows[1]["AR_PrixVen"]) == 8


def test_bad_connection_is_a_clear_error(tmp_path):
    driver()
    with pytest.raises(OdbcUnavailable, match="cannot connect"):
        OdbcEndpoint("DRIVER={No Such Driver};Database=x")
