"""A RabbitMQ broker the tests start themselves (Debian's ``rabbitmq-server``), like the temporary
PostgreSQL of tests/pg_support.py.

:func:`rabbitmq_broker` (session-scoped; one per xdist worker) runs the broker as a child process of
the test run, everything in a fresh temporary folder (its database, logs, config and Erlang cookie),
on free ports (AMQP, Erlang distribution, and an epmd of its own), under a node name of its own, so
that several test runs and a broker of the machine never meet. ``stop_app`` / ``start_app`` take the
AMQP side down and up again (the node stays: a broker outage in a second); at the end the node is
stopped, its epmd too, and the folder removed.

When the broker is not installed, the fixture fails with what to install under ``CI=true`` (a fresh
machine set up by ``make test`` has it) and skips otherwise.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

INSTALL = "apt-get install rabbitmq-server (or `make system-deps` as root)"
BIN_DIRS = (Path("/usr/lib/rabbitmq/bin"),)  # Debian: the scripts themselves, not the wrapper in /usr/sbin


def required() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str):
    message = f"RabbitMQ tests: {reason}; install it: {INSTALL}"
    if required():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tool(name: str) -> str | None:
    for folder in BIN_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    return shutil.which(name)


@dataclass
class Broker:
    folder: Path
    port: int
    env: dict = field(repr=False)
    node: str = ""
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def ctl(self, *args: str, timeout: float = 60) -> str:
        result = subprocess.run([tool("rabbitmqctl") or "rabbitmqctl", "-n", self.node, *args], env=self.env,
                                capture_output=True, text=True, timeout=timeout)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def wait_listening(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError("the broker stopped while starting:\n" + self.log_tail())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the broker did not listen in time:\n" + self.log_tail())

    def log_tail(self) -> str:
        out = self.folder / "server.out"
        return out.read_text(errors="replace")[-3000:] if out.exists() else ""

    def stop_app(self) -> None:
        """The AMQP side down (connections closed, port closed); the node goes on."""
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")
        self.wait_listening()

    def queue_depth(self, name: str) -> int:
        """Messages in the queue (ready and unacknowledged); 0 when it does not exist."""
        for line in self.ctl("list_queues", "-q", "--no-table-headers", "name", "messages").splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == name:
                return int(parts[1])
        return 0

    def durable(self, name: str) -> bool:
        for line in self.ctl("list_queues", "-q", "--no-table-headers", "name", "durable").splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == name:
                return parts[1] == "true"
        return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                self.ctl("stop", timeout=30)
                self.process.wait(timeout=30)
            except (AssertionError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        epmd = shutil.which("epmd") or next((str(p) for p in Path("/usr/lib/erlang").glob("erts-*/bin/epmd")), None)
        if epmd:
            subprocess.run([epmd, "-kill"], env=self.env, capture_output=True, timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_broker() -> Broker:
    server = tool("rabbitmq-server")
    if server is None or tool("rabbitmqctl") is None:
        unavailable("rabbitmq-server is not installed")
    folder = Path(tempfile.mkdtemp(prefix="passerelle-rabbitmq-"))
    port, dist, epmd = free_port(), free_port(), free_port()
    node = f"passerelle-test-{uuid.uuid4().hex[:8]}@localhost"
    (folder / "rabbitmq.conf").write_text(f"listeners.tcp.default = 127.0.0.1:{port}\nloopback_users = none\n"
                                          "log.console = false\n")
    (folder / "enabled_plugins").write_text("[].\n")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder), "LANG": "C.UTF-8",
           "RABBITMQ_NODENAME": node, "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1", "RABBITMQ_NODE_PORT": str(port),
           "RABBITMQ_DIST_PORT": str(dist), "ERL_EPMD_PORT": str(epmd), "ERL_EPMD_ADDRESS": "127.0.0.1",
           "RABBITMQ_MNESIA_BASE": str(folder / "mnesia"), "RABBITMQ_LOG_BASE": str(folder / "log"),
           "RABBITMQ_CONFIG_FILE": str(folder / "rabbitmq"), "RABBITMQ_ENABLED_PLUGINS_FILE": str(folder / "enabled_plugins"),
           "RABBITMQ_ADVANCED_CONFIG_FILE": str(folder / "advanced.config"),
           "RABBITMQ_CONF_ENV_FILE": str(folder / "rabbitmq-env.conf"), "RABBITMQ_PID_FILE": str(folder / "pid")}
    broker = Broker(folder, port, env, node)
    with open(folder / "server.out", "w") as out:
        broker.process = subprocess.Popen([server], env=env, stdout=out, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL)
    try:
        broker.wait_listening()
    except RuntimeError:
        broker.stop()
        raise
    return broker


@pytest.fixture(scope="session")
def rabbitmq_broker():
    """One broker for the session (for this xdist worker), removed at the end."""
    try:
        broker = start_broker()
    except RuntimeError as exc:
        unavailable(f"the broker did not start: {exc}")
    try:
        yield broker
    finally:
        broker.stop()
