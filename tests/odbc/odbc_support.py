"""Sage 100 databases for the ODBC tests.

``make_sage_db``: a small Sage 100-shaped SQLite database reached through the SQLite ODBC driver
(unixODBC + libsqliteodbc), with the Sage column names and widths (AR_Ref 19, CT_Num 17, DO_Piece 13…),
reduced to the tables the first tests use.

``sage_database(engine)`` (a fixture giving a factory; registered by ``tests/odbc/conftest.py``): the
full Sage 100c schema of ``passerelle_sandbox.sage100sql`` with its seeded catalogue, on ``sqlite`` (a
file, SQLite ODBC driver) or ``postgresql`` (a database of the session's temporary cluster, psqlODBC),
as a :class:`SageDatabase`: a pyodbc connection string, ``connect()``, ``rows(sql)`` and ``cleanup()``
(also run at the end of the test). Each call gives a new database, copied from one made per session
(a file copy; ``CREATE DATABASE ... TEMPLATE``). Parametrise a test over both engines with the
``sage_engine`` fixture::

    def test_x(sage_engine, sage_database):
        db = sage_database(sage_engine)
"""
from __future__ import annotations

import itertools
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

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
    """The registered name of the SQLite ODBC driver. When there is none the test fails in CI (and with
    ``PASSERELLE_REQUIRE_PG=1``: a machine set up by ``make test`` has it) and is skipped elsewhere."""
    try:
        pyodbc = load_pyodbc()
    except OdbcUnavailable as exc:
        _missing(str(exc))
    for name in ("SQLite3", "SQLite3 ODBC Driver"):
        if name in pyodbc.drivers():
            return name
    _missing(f"no SQLite ODBC driver registered (drivers: {pyodbc.drivers()}); install libsqliteodbc")


def _missing(message: str) -> NoReturn:
    from pg_support import required

    if required():
        pytest.fail(f"ODBC tests: {message}", pytrace=False)
    pytest.skip(message)


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


# -- the full Sage 100c schema on both engines ------------------------------------------------------

ENGINES = ("sqlite", "postgresql")
# the id of the row an INSERT just made (its cbMarq), per engine
LAST_ID = {"sqlite": "SELECT last_insert_rowid()", "postgresql": "SELECT lastval()"}


@dataclass
class SageDatabase:
    """One test database: ``connection_string`` for pyodbc (and for a connector's ``connection``)."""

    engine: str
    connection_string: str
    cleanup: Callable[[], None]

    def connect(self, **options):
        import pyodbc

        return pyodbc.connect(self.connection_string, **options)

    def rows(self, sql: str, *params) -> list[tuple]:
        """The rows of one query, through ODBC (a new connection, closed at once)."""
        with self.connect() as conn:
            return [tuple(row) for row in conn.execute(sql, *params).fetchall()]


def create_sage_schema(conn, engine: str, seeded: bool = True) -> None:
    """The Sage 100c schema (and its catalogue) through a pyodbc connection; committed."""
    from passerelle_sandbox.sage100sql import create_statements
    from passerelle_sandbox.sage100sql_seed import seed

    for statement in create_statements(engine):
        conn.execute(statement)
    conn.commit()
    if seeded:
        seed(conn)


def sqlite_connection_string(path: Path) -> str:
    return f"DRIVER={{{sqlite_driver()}}};Database={path};FKSupport=1"


class _Templates:
    """Per session (per xdist worker): one seeded database per engine, copied for each test."""

    def __init__(self, request, tmp_factory):
        self.request, self.dir, self.made = request, tmp_factory.mktemp("sage-templates"), {}
        self.numbers = itertools.count(1)

    def sqlite(self) -> Path:
        if "sqlite" not in self.made:
            path = self.dir / "sage100.db"
            import pyodbc

            with pyodbc.connect(sqlite_connection_string(path)) as conn:
                create_sage_schema(conn, "sqlite")
            self.made["sqlite"] = path
        return self.made["sqlite"]

    def postgresql(self):
        cluster = self.request.getfixturevalue("postgres_cluster")  # started on first use only
        if "postgresql" not in self.made:
            import pyodbc

            cluster.admin("CREATE DATABASE sage_template")
            with pyodbc.connect(cluster.connection_string("sage_template")) as conn:
                create_sage_schema(conn, "postgresql")
            self.made["postgresql"] = cluster
        return cluster


@pytest.fixture(scope="session")
def _sage_templates(request, tmp_path_factory):
    return _Templates(request, tmp_path_factory)


@pytest.fixture(params=ENGINES)
def sage_engine(request) -> str:
    """``sqlite`` then ``postgresql``: parametrises a test over both engines."""
    return request.param


@pytest.fixture
def sage_database(_sage_templates, tmp_path):
    """A factory: ``sage_database(engine, schema=True, seeded=True)`` -> a new :class:`SageDatabase`."""
    made: list[SageDatabase] = []

    def make(engine: str, schema: bool = True, seeded: bool = True, options: str = "") -> SageDatabase:
        number = next(_sage_templates.numbers)
        if engine == "sqlite":
            path = tmp_path / f"sage100-{number}.db"
            if schema and seeded:
                shutil.copyfile(_sage_templates.sqlite(), path)
            connection = sqlite_connection_string(path) + options
            if schema and not seeded:
                import pyodbc

                with pyodbc.connect(connection) as conn:
                    create_sage_schema(conn, engine, seeded=False)
            db = SageDatabase(engine, connection, lambda: path.unlink(missing_ok=True))
        elif engine == "postgresql":
            cluster = _sage_templates.postgresql()
            name = f"sage_{number}"
            cluster.admin(f"CREATE DATABASE {name} TEMPLATE sage_template" if schema and seeded else
                          f"CREATE DATABASE {name}")
            connection = cluster.connection_string(name) + options
            if schema and not seeded:
                import pyodbc

                with pyodbc.connect(connection) as conn:
                    create_sage_schema(conn, engine, seeded=False)
            db = SageDatabase(engine, connection, lambda: cluster.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        else:
            raise ValueError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
        made.append(db)
        return db

    yield make
    for db in made:
        db.cleanup()


def write_at_once(opened: Callable, order: dict, count: int, names: tuple[str, ...] = ("A", "B")) -> list:
    """Each name's writer, on a connection of its own (``opened()``, a context manager), starts with the
    others and inserts ``count`` orders (reference NAME0, NAME1…); the ids the writes answered. A
    writer's error is raised once all are done."""
    import threading

    pieces: list = []
    errors: list = []
    start = threading.Barrier(len(names))

    def writer(name: str) -> None:
        try:
            with opened() as endpoint:
                start.wait()
                for n in range(count):
                    pieces.append(endpoint.write("insert_order", {**order, "reference": f"{name}{n}"}).result)
        except Exception as exc:  # raised below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return pieces
