"""`passerelle run | failures | replay | check` end to end against the simulators."""
from __future__ import annotations

import json

from runtime_support import cli, copy_project, documents_by_reference, eligible_orders, simulators


def test_run_failures_replay(tmp_path, monkeypatch):
    project = copy_project(tmp_path)
    lookups = project / "lookups.yaml"
    good = lookups.read_text()
    lookups.write_text(good.replace("      5.5: S_5\n", ""))
    state = str(tmp_path / "state")
    with simulators(orders=30) as (sb, env):
        wanted = eligible_orders(sb)
        code, out, err = cli(["run", str(project), "--state", state], env, monkeypatch)
        assert code == 3, err  # some records were set aside
        assert "orders_to_sage: 30 read" in err and "failed" in err
        code, out, err = cli(["failures", str(project), "--state", state, "--format", "json"], env, monkeypatch)
        failed = json.loads(out)
        assert code == 0 and failed and all("no entry for 5.5" in f["reason"] for f in failed)
        assert all(f["spec"].split(":")[0].endswith("orders_to_sage.yaml") for f in failed)
        lookups.write_text(good)  # the consultant fixes the table
        # a mistyped key or flow is an error, never a silent "nothing to do"
        before = documents_by_reference(sb)
        code, out, err = cli(["replay", str(project), "--state", state, "--key", "PS_999999"], env, monkeypatch)
        assert code == 1 and "error[replay] no record 'PS_999999' is set aside or pending in any flow" in err
        code, out, err = cli(["replay", str(project), "--state", state, "--flow", "orders_to_sag"], env, monkeypatch)
        assert code == 1 and "error[unknown-flow]" in err and "did you mean 'orders_to_sage'" in err
        assert documents_by_reference(sb) == before != {f"PS_{i}": 1 for i in wanted}
        code, out, err = cli(["replay", str(project), "--state", state], env, monkeypatch)
        assert code == 0, err
        assert documents_by_reference(sb) == {f"PS_{i}": 1 for i in wanted}
        code, out, err = cli(["failures", str(project), "--state", state, "--format", "json"], env, monkeypatch)
        assert json.loads(out) == []


def test_run_json_logs_never_show_secrets(tmp_path, monkeypatch, capsys):
    project = copy_project(tmp_path)
    with simulators(orders=5) as (sb, env):
        code, out, err = cli(["run", str(project), "--state", str(tmp_path / "s"), "--log-format", "json"],
                             env, monkeypatch)
        assert code == 0, err
        lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
        assert {"plan_live", "flow_summary"} <= {line["event"] for line in lines}
        for secret in (env["ACME_PS_KEY"], env["ACME_SAGE_TOKEN"]):
            assert secret not in out + err


def test_missing_environment_variable_is_a_located_config_error(tmp_path, monkeypatch):
    project = copy_project(tmp_path)
    monkeypatch.delenv("ACME_PS_KEY", raising=False)
    with simulators(orders=1) as (sb, env):
        env = {k: v for k, v in env.items() if k != "ACME_PS_KEY"}
        code, out, err = cli(["run", str(project), "--state", str(tmp_path / "s")], env, monkeypatch)
    assert code == 1
    assert "error[config]" in err and "endpoints.yaml:" in err and "ACME_PS_KEY is not set" in err


def test_check_reports_each_endpoint(tmp_path, monkeypatch):
    project = copy_project(tmp_path)
    with simulators(orders=3) as (sb, env):
        code, out, _ = cli(["check", str(project)], env, monkeypatch)
        assert code == 0 and out.count("ok  ") == 2
        code, out, _ = cli(["check", str(project)], {**env, "ACME_SAGE_TOKEN": "wrong"}, monkeypatch)
        assert code == 1 and "FAIL sage: credentials refused" in out and "wrong" not in out


def test_an_endpoint_that_cannot_be_opened_is_a_located_config_error(tmp_path, monkeypatch):
    project = copy_project(tmp_path)
    with simulators(orders=1) as (sb, env):
        env = {**env, "ACME_PS_URL": "http://shop.example.test:port"}
        code, out, err = cli(["run", str(project), "--state", str(tmp_path / "s")], env, monkeypatch)
        assert code == 1 and "error[config]" in err and "endpoints.yaml:" in err and "cannot be opened" in err
        code, out, _ = cli(["check", str(project)], env, monkeypatch)
        assert code == 1 and "FAIL shop: " in out and "cannot be opened" in out and "internal error" not in out
