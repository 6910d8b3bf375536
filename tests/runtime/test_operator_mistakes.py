"""An operator's mistake gets a clear, located message and the documented exit code — never "internal
error … this is a bug" (issue 8, point 8)."""
from __future__ import annotations

import sqlite3
import threading

import pytest

from runtime_support import cli, copy_project, simulators
from support import ROOT, run_cli

INTERNAL = "internal error"


def test_a_damaged_state_database_is_named_with_what_to_do(tmp_path, monkeypatch):
    project = copy_project(tmp_path)
    state = tmp_path / "state"
    state.mkdir()
    (state / "state.db").write_bytes(b"this is not a database, it is a text file " * 20)
    with simulators(orders=5) as (sb, env):
        for command in (["run"], ["replay"], ["failures"]):
            code, out, err = cli([*command, str(project), "--state", str(state)], env, monkeypatch)
            assert code == 1, (command, err)
            assert f"error[state] state database {state / 'state.db'}" in err and "move it aside" in err, err
            assert INTERNAL not in err


@pytest.mark.slow
def test_a_state_database_locked_by_another_program_is_named(tmp_path, monkeypatch):
    project = copy_project(tmp_path)
    state = tmp_path / "state"
    with simulators(orders=5) as (sb, env):
        code, _, err = cli(["run", str(project), "--state", str(state)], env, monkeypatch)
        assert code == 0, err
        holder = sqlite3.connect(state / "state.db", isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # an operator's sqlite3 session left open on the file
        try:
            sb.sim("prestashop").orders[1001]["current_state"] = 2  # something to write
            code, _, err = cli(["run", str(project), "--state", str(state)], env, monkeypatch)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert code == 1 and "error[state]" in err and "locked" in err and str(state / "state.db") in err, err
        assert INTERNAL not in err


def test_a_base_url_without_scheme_or_empty_names_the_endpoint(tmp_path, monkeypatch):
    project = copy_project(tmp_path)
    with simulators(orders=5) as (sb, env):
        for url in ("", "sage-host:8080/WebServices100/BIJOU"):
            bad = {**env, "ACME_SAGE_URL": url}
            code, _, err = cli(["run", str(project), "--state", str(tmp_path / "s")], bad, monkeypatch)
            # an empty variable is named (r13); a URL without a scheme names the endpoint that cannot open
            named = "environment variable ACME_SAGE_URL is empty" if not url else "endpoint 'sage' cannot be opened"
            assert code == 1 and "error[config]" in err and "endpoint 'sage'" in err and named in err, err
            assert "endpoints.yaml:" in err and INTERNAL not in err
            code, out, err = cli(["check", str(project)], bad, monkeypatch)
            assert code == 1 and "ok   shop:" in out and "FAIL sage:" in out, out + err  # every endpoint reported


def test_failures_of_a_missing_project_is_an_error(tmp_path, monkeypatch):
    code, _, err = cli(["failures", str(tmp_path / "nowhere")], {}, monkeypatch)
    assert code == 1 and "error[not-found] no such project folder" in err


def test_an_unreadable_lookups_file_gives_its_own_error_only(tmp_path):
    project = copy_project(tmp_path)
    (project / "lookups.yaml").write_text('lookups:\n  carriers:\n    map: { "UPS Ground": UPS_GND\n')
    code, out, err = run_cli(["validate", str(project)], ROOT)
    assert code == 1
    assert "error[yaml-syntax]" in out and "unknown lookup" not in out, out
    assert out.count("error[") == 1, out


def test_replay_with_refused_credentials_stops_the_flow_clearly(tmp_path, monkeypatch):
    project = copy_project(tmp_path)
    state = str(tmp_path / "state")
    (project / "lookups.yaml").write_text((project / "lookups.yaml").read_text().replace("      5.5: S_5\n", ""))
    with simulators(orders=20) as (sb, env):
        code, _, err = cli(["run", str(project), "--state", state], env, monkeypatch)
        assert code == 3, err
        refused = {**env, "ACME_PS_KEY": "X" * 32}
        code, _, err = cli(["replay", str(project), "--state", state], refused, monkeypatch)
        assert code == 1 and "401" in err and INTERNAL not in err, err


def test_two_serves_of_one_project_the_second_is_refused(tmp_path, monkeypatch):
    from engine.runtime.lease import Busy
    from engine.runtime.session import Session

    project = copy_project(tmp_path)
    with simulators(orders=5) as (sb, env):
        first = Session(project, state_dir=tmp_path / "state", environ=env)
        serving = threading.Thread(target=first.serve, kwargs={"names": ["stock_to_shop"]}, daemon=True)
        serving.start()
        try:
            second = Session(project, state_dir=tmp_path / "state", environ=env)
            for _ in range(50):
                try:
                    with second.state.lease("serve", "probe"):
                        pass
                except Busy:
                    break
                threading.Event().wait(0.05)
            with pytest.raises(Busy) as refused:
                second.serve(["stock_to_shop"])
            assert "serving" in str(refused.value) and "pid" in str(refused.value)
            second.close()
        finally:
            first.stop.set()
            serving.join(timeout=10)
            first.close()
