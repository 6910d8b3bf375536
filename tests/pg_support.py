"""A temporary PostgreSQL cluster the tests start themselves (``engine.cli.pg_temp``), reached through
psycopg or pyodbc + psqlODBC.

``postgres_cluster`` (session-scoped; registered by ``tests/odbc/conftest.py``; ``pg_state_cluster``, the same
without the ODBC driver, for the state store's tests: ``tests/store/conftest.py``) runs ``initdb`` in a
fresh temporary directory (``--no-sync``, ``fsync=off``: nothing here needs to survive a crash), starts
the server on 127.0.0.1 and a free port, and stops it (immediate shutdown) and removes the
directory at the end of the session, also when tests fail or the process exits early (``atexit``).
Under pytest-xdist each worker starts its own cluster (one port each; ~1 s).

PostgreSQL refuses to run as root: as root, ``initdb`` and ``postgres`` run as the ``postgres`` user
(``setpriv``, which execs: the server stays the test process's own child, waited for at the end, so
neither an orphan nor a zombie is left), and that user owns the temporary directory. The binaries are found under
``/usr/lib/postgresql/*/bin`` (Debian) or on ``PATH``; the ODBC driver is the registered
``PostgreSQL Unicode`` one (Debian package ``odbc-postgresql``).

When PostgreSQL or the driver is missing, the fixture fails with what to install if ``CI=true`` or
``PASSERELLE_REQUIRE_PG=1`` (a fresh machine set up by ``make test`` has both), and skips otherwise.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from engine.cli import pg_temp
from engine.cli.pg_temp import SUPERUSER, pg_bin_dir  # noqa: F401 (used by the ODBC tests)

INSTALL = "apt-get install postgresql odbc-postgresql (or `make system-deps` as root)"


def required() -> bool:
    """Whether a missing PostgreSQL is a failure rather than a skip."""
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("PASSERELLE_REQUIRE_PG") == "1"


def unavailable(reason: str):
    """Fail (CI, PASSERELLE_REQUIRE_PG=1) or skip, saying what to install."""
    message = f"PostgreSQL tests: {reason}; install it: {INSTALL}"
    if required():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def pg_driver() -> str | None:
    """The registered name of the PostgreSQL ODBC driver (Unicode), or None."""
    try:
        import pyodbc
    except ImportError:
        return None
    drivers = pyodbc.drivers()
    for name in ("PostgreSQL Unicode", "PostgreSQL Unicode(x64)", "PostgreSQL UNICODE"):
        if name in drivers:
            return name
    return next((d for d in drivers if "postgres" in d.lower() and "unicode" in d.lower()), None)


@dataclass
class Cluster(pg_temp.TempCluster):
    """A running temporary cluster (``engine.cli.pg_temp``): ``url(database)`` for psycopg,
    ``connection_string(database)`` for pyodbc."""

    driver: str | None = None

    def connection_string(self, database: str = "postgres") -> str:
        return (f"DRIVER={{{self.driver}}};Servername=127.0.0.1;Port={self.port};Database={database};"
                f"Uid={SUPERUSER};Pwd=")

    def admin(self, *statements: str) -> None:
        """Run statements outside a transaction (CREATE/DROP DATABASE) on the ``postgres`` database."""
        import pyodbc

        with pyodbc.connect(self.connection_string(), autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)


def start_cluster(odbc: bool = True) -> Cluster:
    """initdb, then the server as a child process, in a new temporary directory; the caller stops it.
    ``odbc``: the tests reach it through pyodbc (the driver must be registered)."""
    bin_dir = pg_bin_dir()
    if bin_dir is None or not (bin_dir / "postgres").exists():
        unavailable("the PostgreSQL server programs (initdb, postgres) are not installed")
    driver = pg_driver()
    if driver is None and odbc:
        unavailable("the PostgreSQL ODBC driver (PostgreSQL Unicode) is not registered with unixODBC")
    try:
        cluster = pg_temp.start(Cluster(None, 0, driver=driver))  # type: ignore[arg-type]
    except pg_temp.Unavailable as exc:
        unavailable(str(exc))
    assert isinstance(cluster, Cluster)
    return cluster


@pytest.fixture(scope="session")
def postgres_cluster():
    """One temporary PostgreSQL cluster for the session (for this xdist worker), removed at the end."""
    yield from _cluster(odbc=True)


@pytest.fixture(scope="session")
def pg_state_cluster():
    """The same for the state store's tests (psycopg; no ODBC driver needed)."""
    yield from _cluster(odbc=False)


def _cluster(odbc: bool):
    try:
        cluster = start_cluster(odbc)
    except RuntimeError as exc:
        unavailable(f"the temporary cluster did not start: {exc}")
    try:
        yield cluster
    finally:
        cluster.stop()
