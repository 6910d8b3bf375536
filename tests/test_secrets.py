"""Secrets never leave the process: canary credentials, every command, every way things go wrong.

Each secret setting of the example project gets a canary (``secrets_support.canary``) through the
environment; every command's stdout and stderr, every JSON log line and the bytes of the state
database (and its WAL) are searched for the canaries plain, URL-encoded, JSON/XML-escaped and
base64-encoded (``Basic base64(user:secret)`` included), and no command may end in an internal
error. Conditions: (a) everything fine, (b) the credentials refused (the simulators echo what they
received, as some vendors do), (c) the servers failing (5xx on every request, or on every write;
connection refused), (d) records failing (a mapping error, and a rejection by Sage whose error
echoes the token), (e) a token read from a file with its line break. ``serve`` runs as a process,
stopped with SIGTERM after one cycle; the other commands run in-process (retries do not wait).
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading

import pytest

from engine.connectors.http.retry import RetryPolicy
from engine.runtime.runner import FlowRunner
from runtime.runtime_support import EXAMPLE, Faults, copy_project, env_for, simulators
from secrets_support import assert_clean, canary, echo_credentials, state_files
from support import ROOT, run_cli

SAMPLES = [str(EXAMPLE / "samples" / f"{n}.xml") for n in ("orders", "order_details", "carriers", "customers",
                                                              "taxes")]
FLOWS = ("orders_to_sage", "prices_to_shop", "stock_to_shop")


class Canaries:
    """The example project's secrets as canaries, the simulators' expected credentials, the commands."""

    def __init__(self, tmp_path, monkeypatch):
        self.tmp_path, self.monkeypatch = tmp_path, monkeypatch
        self.project = copy_project(tmp_path)
        self.state = tmp_path / "state"
        self.secrets = {"ACME_PS_KEY": canary(32), "ACME_SAGE_TOKEN": canary(48)}
        self.env: dict = {}

    def options(self) -> dict:
        """Simulator options: the canaries are the credentials the simulators expect."""
        return {"prestashop": {"key": self.secrets["ACME_PS_KEY"]},
                "sage100": {"token": self.secrets["ACME_SAGE_TOKEN"]}}

    def use(self, sb=None, **override) -> None:
        self.env = {**(env_for(sb) if sb is not None else self.env), **self.secrets, **override}
        for name, value in self.env.items():
            self.monkeypatch.setenv(name, value)

    def check(self, where: str, text: str | bytes) -> None:
        assert_clean(where, text, self.secrets)

    def cli(self, *argv: str) -> tuple[int, str, str]:
        code, out, err = run_cli(list(argv), ROOT)
        name = " ".join(a for a in argv if not a.startswith(("/", str(self.tmp_path))))
        self.check(f"stdout of `passerelle {name}`", out)
        self.check(f"stderr of `passerelle {name}`", err)
        assert "internal error" not in err, err  # every failure here is one a consultant can act on
        for line in err.splitlines():
            if line.startswith("{"):
                json.loads(line)  # a JSON log line is one JSON object
        return code, out, err

    def serve(self, flows: tuple[str, ...] = FLOWS, timeout: float = 90) -> tuple[int, str, str]:
        """``passerelle serve`` as a process: one cycle of ``flows``, then SIGTERM."""
        env = {**os.environ, **self.env, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        argv = [sys.executable, "-m", "engine", "serve", str(self.project), "--state", str(self.state),
                "--log-format", "json"] + [a for flow in flows for a in ("--flow", flow)]
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        lines: list[str] = []
        done = threading.Event()

        def read():
            for line in process.stderr:
                lines.append(line)
                if sum('"event":"flow_summary"' in seen for seen in lines) >= len(flows):
                    done.set()
            done.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            assert done.wait(timeout), "serve did not finish a cycle:\n" + "".join(lines)
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=30)  # stops cleanly: the record in hand, the state saved
            out = process.stdout.read()
        finally:
            if process.poll() is None:
                process.kill()
        reader.join(timeout=10)
        err = "".join(lines)
        self.check("stdout of `passerelle serve`", out)
        self.check("stderr of `passerelle serve`", err)
        assert any('"event":"stopping"' in line for line in lines), err
        assert code in (0, 1, 3), f"serve ended with {code}:\n{err}"
        return code, out, err

    def check_state(self) -> None:
        files = state_files(self.state)
        assert "state.db" in files
        for name, data in files.items():
            self.check(f"state file {name}", data)

    def every_command(self, serve_flows: tuple[str, ...] = FLOWS) -> dict[str, tuple[int, str, str]]:
        project, state = str(self.project), str(self.state)
        results = {
            "validate": self.cli("validate", project),
            "dry-run --input": self.cli("dry-run", project, "--flow", "orders_to_sage",
                                        *[a for f in SAMPLES for a in ("--input", f)]),
            "dry-run live": self.cli("dry-run", project, "--flow", "orders_to_sage", "--limit", "5"),
            "dry-run live json": self.cli("dry-run", project, "--flow", "orders_to_sage", "--format", "json"),
            "dry-run live shop": self.cli("dry-run", project, "--flow", "stock_to_shop", "--limit", "5"),
            "run": self.cli("run", project, "--state", state, "--log-format", "json"),
            "run text": self.cli("run", project, "--state", state),
            "failures": self.cli("failures", project, "--state", state),
            "failures json": self.cli("failures", project, "--state", state, "--format", "json"),
            "replay": self.cli("replay", project, "--state", state, "--log-format", "json"),
            "check": self.cli("check", project),
        }
        if serve_flows:
            results["serve"] = self.serve(serve_flows)
        results["failures after serve"] = self.cli("failures", project, "--state", state, "--format", "json")
        self.check_state()
        return results


@pytest.fixture
def canaries(tmp_path, monkeypatch):
    monkeypatch.setattr(RetryPolicy, "delay", lambda self, retry, retry_after=None: 0.0)  # in-process only
    return Canaries(tmp_path, monkeypatch)


def seed_dead_letters(c: Canaries) -> None:
    """A first run where one tax rate has no Sage code: records set aside, so replay has work."""
    lookups = c.project / "lookups.yaml"
    good = lookups.read_text()
    lookups.write_text(good.replace("      5.5: S_5\n", ""))
    code, _, err = c.cli("run", str(c.project), "--state", str(c.state), "--flow", "orders_to_sage")
    assert code == 3, err
    lookups.write_text(good)


@pytest.mark.slow
def test_everything_fine(canaries):
    c = canaries
    with simulators(orders=8, options=c.options()) as (sb, _):
        c.use(sb)
        results = c.every_command()
        assert results["run"][0] == 0, results["run"][2]
        assert sb.sim("sage100").documents, "the canary credentials were accepted"
        assert results["check"][1].count("ok  ") == 2
        assert "Authorization: Basic ***" in results["dry-run live shop"][1]
        assert "Authorization: ***" in results["dry-run live"][1]


@pytest.mark.slow
def test_credentials_refused(canaries):
    c = canaries
    with simulators(orders=8, options=c.options()) as (sb, _):
        c.use(sb)
        seed_dead_letters(c)
        shop, sage, other = sb.sim("prestashop"), sb.sim("sage100"), canary(32)
        shop.key, shop.keys = other, {other: None}  # the shop now expects another key,
        sage.token = canary(48)  # and Sage another token; both quote what they received
        echo_credentials(shop)
        echo_credentials(sage)
        results = c.every_command()
        assert results["run"][0] == 1 and "HTTP 401" in results["run"][2]
        assert results["check"][1].count("FAIL") == 2 and "credentials refused" in results["check"][1]
        assert "credential received: ***" in results["check"][1], "the echoed credential reached the engine"
        assert results["dry-run live"][0] == 1 and "error[live]" in results["dry-run live"][2]
        assert results["replay"][0] == 1 and '"event":"flow_error"' in results["replay"][2]


@pytest.mark.slow
def test_server_failing_with_5xx(canaries):
    c = canaries
    with simulators(orders=8, options=c.options()) as (sb, _):
        c.use(sb)
        seed_dead_letters(c)
        for system in ("prestashop", "sage100"):
            sb.sim(system).faults = Faults(error_rate=1.0, statuses=(500, 502, 503))
        results = c.every_command(serve_flows=("orders_to_sage",))
        assert results["run"][0] == 1 and "HTTP 50" in results["run"][2]
        assert results["check"][1].count("FAIL") == 2


@pytest.mark.slow
def test_writes_failing_with_5xx(canaries, monkeypatch):
    """Sage answers every document insert with a 503 quoting the token: the outcome stays unknown
    (the record waits, pending, for the next run) and the last error is kept with it."""
    c = canaries
    monkeypatch.setitem(FlowRunner.__init__.__kwdefaults__, "sleep", lambda seconds: None)
    with simulators(orders=8, options=c.options()) as (sb, _):
        c.use(sb)
        echo_credentials(sb.sim("sage100"), fail_writes=503)
        results = c.every_command(serve_flows=())  # serve would back off for real between attempts
        assert results["run"][0] == 3 and '"event":"record_pending"' in results["run"][2]
        assert "credential received: ***" in results["run"][2]
        assert not sb.sim("sage100").documents


@pytest.mark.slow
def test_connection_refused(canaries):
    c = canaries
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with simulators(orders=8, options=c.options()) as (sb, _):
        c.use(sb)
        seed_dead_letters(c)
    c.use(ACME_PS_URL=closed, ACME_SAGE_URL=closed + "/WebServices100/BIJOU")
    results = c.every_command(serve_flows=("orders_to_sage",))
    assert results["run"][0] == 1 and "ConnectError" in results["run"][2]
    assert results["check"][1].count("FAIL") == 2 and "unreachable" in results["check"][1]


@pytest.mark.slow
def test_records_failing(canaries):
    """One tax rate has no Sage code (a mapping error); another maps to a code Sage does not know
    (a 400 whose message echoes the token Sage received)."""
    c = canaries
    lookups = c.project / "lookups.yaml"
    lookups.write_text(lookups.read_text().replace("      5.5: S_5\n", "").replace("10: S_10", "10: S_99"))
    with simulators(orders=30, options=c.options()) as (sb, _):
        c.use(sb)
        echo_credentials(sb.sim("sage100"))
        results = c.every_command()
        assert results["run"][0] == 3, results["run"][2]
        failed = json.loads(results["failures json"][1])
        reasons = " ".join(f["reason"] for f in failed)
        assert "no entry for 5.5" in reasons and "is not a tax code" in reasons
        assert "rejected by the target" in reasons and "credential received: ***" in reasons


@pytest.mark.slow
def test_credential_with_a_line_break(canaries):
    """A token read from a file keeps its line break: httpx refuses the header and quotes it."""
    c = canaries
    token = c.secrets["ACME_SAGE_TOKEN"]
    with simulators(orders=8, options=c.options()) as (sb, _):
        c.secrets["ACME_SAGE_TOKEN"] = token + "\n"
        c.use(sb)
        results = c.every_command()
        assert results["run"][0] == 1 and "the request cannot be sent: LocalProtocolError" in results["run"][2]
