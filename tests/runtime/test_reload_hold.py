"""A reload that removes a flow, empties a lookup table or removes most of a flow's fields is held back
with a located warning until confirmed (the same content saved again, or `passerelle reload --accept`);
every plan change logs its diff."""
from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from engine.cli.main import main
from engine.runtime.logs import RunLog
from engine.runtime.watch import LivePlan
from reload_support import CountingBuild, Events, lines_of, wait_for
from runtime_support import copy_project, simulators
from support import ROOT

HEADER_ONLY = "module,mode_reglement\n"


def reload_cli(*argv) -> tuple[int, str, str]:
    """``passerelle reload ...`` in this process (no chdir: a watcher thread is running)."""
    import contextlib

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["reload", *map(str, argv)])
    return code, out.getvalue(), err.getvalue()


def empty_flow(project):
    (project / "orders_to_sage.yaml").write_text("")


def delete_flow(project):
    (project / "orders_to_sage.yaml").unlink()


def empty_table(project):
    (project / "payments.csv").write_text(HEADER_ONLY)


@pytest.mark.parametrize("change, where, code", [
    (empty_flow, "orders_to_sage.yaml:3:3", "reload-removes-flow"),
    (delete_flow, "orders_to_sage.yaml:3:3", "reload-removes-flow"),
    (empty_table, "lookups.yaml:12:11", "reload-empties-lookup"),
])
def test_a_suspicious_reload_is_held_back_until_reload_accept(tmp_path, change, where, code):
    project = copy_project(tmp_path)
    state = tmp_path / "state"
    events = Events()
    live = LivePlan(project, CountingBuild(project), events, settle=0.3)
    live.start(control=state)
    try:
        change(project)
        assert wait_for(lambda: events.named("plan_held"), timeout=5)
        held = events.named("plan_held")[0]
        assert f"{where}: warning[{code}]" in held["details"], held["details"]
        assert "reload" in held["hint"] and "--accept" in held["hint"]
        time.sleep(0.6)  # the old plan keeps running
        assert live.generation == 1
        assert "orders_to_sage" in live.current().flows and len(live.current().lookups["payments"]) == 5

        status, out, err = reload_cli(project, "--state", state)
        assert status == 0 and f"held back: version {held['version']}" in out and code in out, out + err
        status, out, err = reload_cli(project, "--state", state, "--accept")
        assert status == 0 and "accepted: plan generation 2" in out, out + err
        assert live.generation == 2
        taken = events.named("plan_live")[-1]
        assert taken["confirmed"] == "accept" and taken["version"] == held["version"]
        if code == "reload-removes-flow":
            assert taken["flows_removed"] == ["orders_to_sage"] and "orders_to_sage" not in live.current().flows
        else:
            assert taken["lookups_changed"] == ["payments"] and len(live.current().lookups["payments"]) == 0

        status, out, err = reload_cli(project, "--state", state, "--accept")
        assert status == 1 and "nothing is held back" in err
    finally:
        live.stop()
    status, out, err = reload_cli(project, "--state", state, "--accept")
    assert status == 1 and "no `passerelle serve` is running" in err


def test_the_same_content_saved_again_confirms_a_held_reload(tmp_path):
    project = copy_project(tmp_path)
    events = Events()
    live = LivePlan(project, CountingBuild(project), events, settle=0.3)
    live.start()
    try:
        empty_table(project)
        assert wait_for(lambda: events.named("plan_held"), timeout=5)
        time.sleep(0.5)
        assert live.generation == 1
        empty_table(project)  # saved again: yes, empty it
        assert wait_for(lambda: live.generation == 2, timeout=5)
    finally:
        live.stop()
    assert events.named("plan_live")[-1]["confirmed"] == "save"
    assert len(live.current().lookups["payments"]) == 0


def test_restoring_the_file_drops_the_held_reload(tmp_path):
    project = copy_project(tmp_path)
    flow = project / "orders_to_sage.yaml"
    good = flow.read_text()
    lines = lines_of(flow)
    end = next(i for i, line in enumerate(lines) if "Quantite: { from: product_quantity }" in line) + 1
    cut = "".join(lines[:end])  # cut short after the line's quantity (still valid): 23 of its 37 fields would go
    events = Events()
    live = LivePlan(project, CountingBuild(project), events, settle=0.3)
    live.start()
    try:
        flow.write_text(cut)
        assert wait_for(lambda: events.named("plan_held"), timeout=5)
        assert "warning[reload-removes-fields] flows.orders_to_sage.map: flow 'orders_to_sage' would lose " \
               "23 of its 37 mapped fields" in events.named("plan_held")[0]["details"]
        flow.write_text(good)
        assert wait_for(lambda: events.named("plan_hold_dropped"), timeout=5)
        flow.write_text(cut)  # back within the settle period: considered afresh, held back again
        assert wait_for(lambda: len(events.named("plan_held")) == 2, timeout=5)
        assert live.generation == 1 and live.held is not None
        flow.write_text(good)
        assert wait_for(lambda: live.generation == 2, timeout=5)
    finally:
        live.stop()
    assert live.held is None and len(events.named("plan_hold_dropped")) == 2
    assert events.named("plan_live")[-1]["diff"] == "no change to flows, lookups or endpoints"


def test_every_plan_change_logs_its_diff(tmp_path):
    project = copy_project(tmp_path)
    stock = project / "stock_to_shop.yaml"
    flow = project / "orders_to_sage.yaml"
    events = Events()
    live = LivePlan(project, CountingBuild(project), events, settle=0.2)
    stream = io.StringIO()
    text = RunLog("text", stream)
    live.log = lambda event, **fields: (events(event, **fields), text(event, **fields))
    live.start()
    try:
        copy = stock.read_text().replace("  stock_to_shop:", "  stock_copy:", 1)
        (project / "stock_copy.yaml").write_text(copy)
        assert wait_for(lambda: live.generation == 2, timeout=5)
        flow.write_text(flow.read_text().replace("schedule: every 5m", "schedule: every 10m")
                        .replace("        Statut: { value: 0 }\n", "")
                        .replace("TotalTTC: { from: total_paid_tax_incl }",
                                 "TotalTTC: { from: total_paid_tax_incl }\n        IdDevise: { value: 1 }"))
        assert wait_for(lambda: live.generation == 3, timeout=5)
        stock.unlink()
        assert wait_for(lambda: events.named("plan_held"), timeout=5)
        assert live.accept() == (True, f"plan generation 4 ({live.version}) is live")
    finally:
        live.stop()
    added, changed, removed = events.named("plan_live")[1:]
    assert added["flows_added"] == ["stock_copy"] and added["diff"] == "flows added: stock_copy"
    change = changed["flows_changed"]["orders_to_sage"]
    assert change == {"parts": ["schedule", "map"], "fields_added": ["doc.IdDevise"],
                      "fields_removed": ["doc.Statut"], "fields_changed": []}
    assert changed["flows_added"] == changed["flows_removed"] == [] and changed["lookups_changed"] == []
    assert removed["flows_removed"] == ["stock_to_shop"] and removed["confirmed"] == "accept"
    line = next(line for line in stream.getvalue().splitlines() if " plan_live generation=3 " in line)
    assert line.endswith(f"plan_live generation=3 version={changed['version']} previous={added['version']}: "
                             "flows changed: orders_to_sage (schedule, map (+1 field(s) doc.IdDevise; "
                             "-1 field(s) doc.Statut))")


@pytest.mark.slow
def test_reload_accept_reaches_a_running_serve(tmp_path):
    project = copy_project(tmp_path)
    state = tmp_path / "state"
    with simulators(orders=3) as (sb, env):
        env = {**os.environ, **env, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        argv = [sys.executable, "-m", "engine", "serve", str(project), "--state", str(state), "--log-format",
                "json", "--settle", "0.3"]
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        logs: list[dict] = []
        reader = threading.Thread(target=lambda: logs.extend(json.loads(line) for line in process.stderr
                                                             if line.startswith("{")), daemon=True)
        reader.start()

        def events(name):
            return [e for e in list(logs) if e["event"] == name]
        try:
            assert wait_for(lambda: len(events("flow_summary")) >= 3, timeout=30), logs
            (project / "stock_to_shop.yaml").unlink()
            assert wait_for(lambda: events("plan_held"), timeout=10), logs
            assert "stock_to_shop.yaml:3:3: warning[reload-removes-flow]" in events("plan_held")[0]["details"]
            accept = [sys.executable, "-m", "engine", "reload", str(project), "--state", str(state), "--accept"]
            done = subprocess.run(accept, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
            assert done.returncode == 0 and "accepted: plan generation 2" in done.stdout, done.stdout + done.stderr
            assert wait_for(lambda: events("plan_live")[-1]["generation"] == 2, timeout=5)
            assert events("plan_live")[-1]["flows_removed"] == ["stock_to_shop"]
            done = subprocess.run(accept, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
            assert done.returncode == 1 and "nothing is held back" in done.stderr
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
            reader.join(timeout=10)
    done = subprocess.run(accept, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and "no `passerelle serve` is running" in done.stderr
    assert not (state / "reload.json").exists()
