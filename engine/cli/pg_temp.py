"""A temporary PostgreSQL cluster started by the program itself: for ``make demo-cluster``,
``bench/cluster.py`` and the tests (``tests/pg_support.py`` adds the test fixtures around it).

:func:`start` runs ``initdb`` in a fresh temporary directory (``--no-sync``, ``fsync=off``: nothing
here needs to survive a crash), starts the server on 127.0.0.1 and a free port, and
:meth:`TempCluster.stop` stops it (immediate shutdown) and removes the directory; also when the
process exits early (``atexit``), and the server gets SIGQUIT when its parent dies (``setpriv
--pdeathsig``). PostgreSQL refuses to run as root: as root, ``initdb`` and ``postgres`` run as the
``postgres`` user (``setpriv``, which execs: the server stays our own child, waited for at the end,
so neither an orphan nor a zombie is left), and that user owns the temporary directory. The binaries
are found under ``/usr/lib/postgresql/*/bin`` (Debian package ``postgresql``) or on ``PATH``.
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

SUPERUSER = "postgres"


class Unavailable(RuntimeError):
    """PostgreSQL's server programs are not installed."""


def pg_bin_dir() -> Path | None:
    """The directory holding ``initdb`` and ``postgres`` (the newest version installed)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class TempCluster:
    """A running temporary cluster (trust authentication for its superuser on 127.0.0.1)."""

    root: Path
    port: int
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
    stops the server (SIGQUIT) even when this process is killed outright."""
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


def _wait_ready(cluster: TempCluster, timeout: float = 60) -> None:
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


def start(cluster: TempCluster | None = None, max_connections: int = 60) -> TempCluster:
    """initdb, then the server as a child process, in a new temporary directory (``cluster``: an
    instance of a subclass to fill); the caller stops it. Raises :class:`Unavailable` when PostgreSQL
    is not installed, RuntimeError when it does not start."""
    bin_dir = pg_bin_dir()
    if bin_dir is None or not (bin_dir / "postgres").exists():
        raise Unavailable("the PostgreSQL server programs (initdb, postgres) are not installed")
    root = Path(tempfile.mkdtemp(prefix="passerelle-pg-"))
    if cluster is None:
        cluster = TempCluster(root, free_port())
    else:
        cluster.root, cluster.port = root, free_port()
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
                    "max_connections": max_connections}
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


__all__ = ["SUPERUSER", "TempCluster", "Unavailable", "free_port", "pg_bin_dir", "start"]
