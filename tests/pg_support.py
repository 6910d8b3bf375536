"""A temporary PostgreSQL cluster the tests start themselves, reached through pyodbc + psqlODBC.

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

import atexit
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

INSTALL = "apt-get install postgresql odbc-postgresql (or `make system-deps` as root)"
SUPERUSER = "postgres"


def required() -> bool:
    """Whether a missing PostgreSQL is a failure rather than a skip."""
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("PASSERELLE_REQUIRE_PG") == "1"


def unavailable(reason: str):
    """Fail (CI, PASSERELLE_REQUIRE_PG=1) or skip, saying what to install."""
    message = f"PostgreSQL tests: {reason}; install it: {INSTALL}"
    if required():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def pg_bin_dir() -> Path | None:
    """The directory holding ``initdb`` and ``postgres`` (the newest version installed)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Cluster:
    """A running temporary cluster: ``connection_string(database)`` for pyodbc."""

    root: Path
    port: int
    driver: str | None
    process: subprocess.Popen | None = None

    def url(self, database: str = "postgres", user: str = SUPERUSER, password: str = "") -> str:
        """A libpq URL (psycopg) to ``database``."""
        secret = f":{password}" if password else ""
        return f"postgresql://{user}{secret}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database (dropped first if a run left one); its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def connection_string(self, database: str = "postgres") -> str:
        return (f"DRIVER={{{self.driver}}};Servername=127.0.0.1;Port={self.port};Database={database};"
                f"Uid={SUPERUSER};Pwd=")

    def admin(self, *statements: str) -> None:
        """Run statements outside a transaction (CREATE/DROP DATABASE) on the ``postgres`` database."""
        import pyodbc

        with pyodbc.connect(self.connection_string(), autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def stop(self) -> None:
        """Immediate shutdown, waited for (the server is our child: no orphan, no zombie); files removed."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGQUIT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def _as_owner(root: Path) -> list[str]:
    """The command prefix running PostgreSQL's programs: as root, ``setpriv`` to the ``postgres`` user (or
    ``nobody``), made owner of ``root``; it execs, so the server stays our direct child. ``--pdeathsig``
    stops the server (SIGQUIT) even when the test process is killed outright."""
    setpriv = ["setpriv", "--pdeathsig=QUIT"] if shutil.which("setpriv") else []
    if os.geteuid() != 0:
        return setpriv + ["--"] if setpriv else []
    import pwd

    try:
        owner = pwd.getpwnam(SUPERUSER)
    except KeyError:
        owner = pwd.getpwnam("nobody")
    os.chown(root, owner.pw_uid, owner.pw_gid)
    return (setpriv or ["setpriv"]) + [f"--reuid={owner.pw_uid}", f"--regid={owner.pw_gid}", "--clear-groups", "--"]


def _wait_ready(cluster: Cluster, timeout: float = 60) -> None:
    """Until ``postmaster.pid`` says ``ready`` (PostgreSQL 10+), or the server exits."""
    pid_file = cluster.root / "data" / "postmaster.pid"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert cluster.process is not None
        if cluster.process.poll() is not None:
            log = (cluster.root / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"postgres exited with {cluster.process.returncode}: {log}")
        try:
            if pid_file.read_text().split("\n")[7].strip() == "ready":
                return
        except (OSError, IndexError):
            pass
        time.sleep(0.02)
    raise RuntimeError(f"postgres not ready after {timeout} s")


def start_cluster(odbc: bool = True) -> Cluster:
    """initdb, then the server as a child process, in a new temporary directory; the caller stops it.
    ``odbc``: the tests reach it through pyodbc (the driver must be registered)."""
    bin_dir = pg_bin_dir()
    if bin_dir is None or not (bin_dir / "postgres").exists():
        unavailable("the PostgreSQL server programs (initdb, postgres) are not installed")
    driver = pg_driver()
    if driver is None and odbc:
        unavailable("the PostgreSQL ODBC driver (PostgreSQL Unicode) is not registered with unixODBC")
    assert bin_dir is not None
    root = Path(tempfile.mkdtemp(prefix="passerelle-pg-"))
    cluster = Cluster(root, _free_port(), driver)
    atexit.register(cluster.stop)
    try:
        prefix = _as_owner(root)
        data = root / "data"
        done = subprocess.run(prefix + [str(bin_dir / "initdb"), "-D", str(data), "--no-sync", "-A", "trust",
                                        "-U", SUPERUSER, "-E", "UTF8", "--locale=C"],
                              capture_output=True, text=True, timeout=120, cwd=root)
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed ({done.returncode}): {done.stderr.strip()}")
        settings = {"port": cluster.port, "listen_addresses": "127.0.0.1", "unix_socket_directories": root,
                    "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
                    "max_connections": 60}
        argv = prefix + [str(bin_dir / "postgres"), "-D", str(data)]
        for name, value in settings.items():
            argv += ["-c", f"{name}={value}"]
        with open(root / "server.log", "wb") as log:
            cluster.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=root,
                                               stdin=subprocess.DEVNULL)
        _wait_ready(cluster)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        cluster.stop()
        raise RuntimeError(str(exc)) from None
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
