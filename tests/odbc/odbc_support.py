"""A Sage 100-shaped SQLite database reached through the SQLite ODBC driver (unixODBC + libsqliteodbc),
with the Sage column names and widths (AR_Ref 19, CT_Num 17, DO_Piece 13…), reduced to the tables these
tests use."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from engine.connectors.odbc import OdbcUnavailable, load_pyodbc

DDL = """
PRAGMA foreign_keys = ON;
CREATE TABLE F_ARTICLE (
  AR_Ref VARCHAR(19) PRIMARY KEY, AR_Design VARCHAR(69) NOT NULL DEFAULT '',
  AR_PrixVen NUMERIC(24,6) NOT NULL DEFAULT 0, AR_Sommeil SMALLINT NOT NULL DEFAULT 0,
  cbMarq INTEGER, cbModification DATETIME);
CREATE TABLE F_DEPOT (DE_No INTEGER PRIMARY KEY, DE_Intitule VARCHAR(35) NOT NULL);
CREATE TABLE F_ARTSTOCK (
  AR_Ref VARCHAR(19) NOT NULL REFERENCES F_ARTICLE(AR_Ref), DE_No INTEGER NOT NULL REFERENCES F_DEPOT(DE_No),
  AS_QteSto NUMERIC(24,6) NOT NULL DEFAULT 0, AS_QteRes NUMERIC(24,6) NOT NULL DEFAULT 0,
  AS_QteCom NUMERIC(24,6) NOT NULL DEFAULT 0, cbModification DATETIME, PRIMARY KEY (AR_Ref, DE_No));
CREATE TABLE F_COMPTET (CT_Num VARCHAR(17) PRIMARY KEY, CT_Intitule VARCHAR(69) NOT NULL DEFAULT '');
CREATE TABLE F_DOCENTETE (
  DO_Domaine SMALLINT NOT NULL, DO_Type SMALLINT NOT NULL, DO_Piece VARCHAR(13) NOT NULL,
  DO_Date DATETIME NOT NULL, DO_Ref VARCHAR(17), DO_Tiers VARCHAR(17) NOT NULL REFERENCES F_COMPTET(CT_Num),
  DO_TotalTTC NUMERIC(24,6) NOT NULL DEFAULT 0, PRIMARY KEY (DO_Domaine, DO_Type, DO_Piece));
CREATE UNIQUE INDEX F_DOCENTETE_REF ON F_DOCENTETE (DO_Ref);
CREATE TABLE F_DOCLIGNE (
  DL_No INTEGER PRIMARY KEY, DO_Domaine SMALLINT NOT NULL, DO_Type SMALLINT NOT NULL,
  DO_Piece VARCHAR(13) NOT NULL, CT_Num VARCHAR(17) NOT NULL, DL_Ligne INTEGER NOT NULL,
  AR_Ref VARCHAR(19) NOT NULL REFERENCES F_ARTICLE(AR_Ref), DL_Design VARCHAR(69),
  DL_Qte NUMERIC(24,6) NOT NULL DEFAULT 0, DL_PrixUnitaire NUMERIC(24,6) NOT NULL DEFAULT 0,
  FOREIGN KEY (DO_Domaine, DO_Type, DO_Piece) REFERENCES F_DOCENTETE(DO_Domaine, DO_Type, DO_Piece));
CREATE VIEW V_STOCK AS SELECT AR_Ref, DE_No, AS_QteSto AS stock_physique,
  AS_QteSto - AS_QteRes AS stock_disponible, AS_QteSto + AS_QteCom - AS_QteRes AS stock_a_terme FROM F_ARTSTOCK;
INSERT INTO F_ARTICLE (AR_Ref, AR_Design, AR_PrixVen, AR_Sommeil) VALUES
  ('BAAR01', 'Bague argent 925', 45, 0), ('MUG-CLASSIC', 'Classic mug', 8, 0), ('OLD-REF', 'En sommeil', 1, 1);
INSERT INTO F_DEPOT VALUES (1, 'Principal');
INSERT INTO F_ARTSTOCK (AR_Ref, DE_No, AS_QteSto, AS_QteRes, AS_QteCom) VALUES
  ('BAAR01', 1, 10, 3, 5), ('MUG-CLASSIC', 1, 42, 0, 0);
INSERT INTO F_COMPTET VALUES ('WEB000056', 'Martin');
"""


def sqlite_driver() -> str:
    """The registered name of the SQLite ODBC driver (the test is skipped when there is none)."""
    try:
        pyodbc = load_pyodbc()
    except OdbcUnavailable as exc:
        pytest.skip(str(exc))
    for name in ("SQLite3", "SQLite3 ODBC Driver"):
        if name in pyodbc.drivers():
            return name
    pytest.skip(f"no SQLite ODBC driver registered (drivers: {pyodbc.drivers()}); install libsqliteodbc")


def make_sage_db(path: Path, articles: int = 0) -> Path:
    """The database, plus ``articles`` generated articles (ART00001...) for paging."""
    with sqlite3.connect(path) as db:
        db.executescript(DDL)
        db.executemany("INSERT INTO F_ARTICLE (AR_Ref, AR_Design, AR_PrixVen) VALUES (?, ?, ?)",
                       [(f"ART{i:05d}", f"Article {i}", f"{i}.25") for i in range(1, articles + 1)])
    return path


def rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()
