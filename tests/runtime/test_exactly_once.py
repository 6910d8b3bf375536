"""Exactly once whatever happens: several processes at once, a look-up that cannot answer after a lost
reply, a lost state database, an unreachable target (issue 8, points 1, 2 and 10)."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from crash_support import Either, run_cli
from runtime_support import Faults, copy_project, documents_by_reference, eligible_orders, exported_orders, \
    simulators
from support import ROOT


def _impatient_with_sage(project) -> str:
    """This client waits at most 2 s on Sage per run (http.retry.budget); returns the file as it was."""
    endpoints = project / "endpoints.yaml"
    patient = endpoints.read_text()
    endpoints.write_text(patient.replace('      token: "${env:ACME_SAGE_TOKEN}"\n',
                                         '      token: "${env:ACME_SAGE_TOKEN}"\n'
                                         '    override: { http: { retry: { budget: 2 } } }\n'))
    return patient


def _start(argv: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "engine", *argv], cwd=ROOT, env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
@pytest.mark.parametrize("runs", (2, 3))
def test_concurrent_runs_and_a_serve_create_each_order_once(tmp_path, runs):
    project = copy_project(tmp_path)
    state = tmp_path / "state"
    latency = {"sage100": Faults(latency_ms=3, seed=1), "prestashop": Faults(latency_ms=1, seed=2)}
    with simulators(orders=300, faults=latency) as (sb, env):
        wanted = eligible_orders(sb)
        common = ["--state", str(state), "--log-format", "json", "--wait", "120"]
        serve = _start(["serve", str(project), *common], env)
        time.sleep(0.3)  # the serve starts its first round; the runs arrive in the middle of it
        processes = [_start(["run", str(project), *common], env) for _ in range(runs)]
        codes = [p.wait(timeout=300) for p in processes]
        serve.terminate()
        serve.wait(timeout=60)
        assert codes == [0] * runs, [p.stderr.read()[-1500:] for p in processes]
        assert documents_by_reference(sb) == {f"PS_{i}": 1 for i in wanted}
        assert exported_orders(sb) == wanted


def test_a_second_run_is_refused_at_once_and_names_the_holder(tmp_path):
    project = copy_project(tmp_path)
    state = tmp_path / "state"
    slow = {"sage100": Faults(latency_ms=40, seed=1)}
    with simulators(orders=40, faults=slow) as (sb, env):
        wanted = eligible_orders(sb)
        first = _start(["run", str(project), "--state", str(state), "--flow", "orders_to_sage"], env)
        deadline = time.monotonic() + 30
        while not (state / "locks" / "flow-orders_to_sage.lock").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        started = time.monotonic()
        second = run_cli(project, state, env, timeout=60)
        assert second.returncode == 4, second.stderr
        assert time.monotonic() - started < 10  # refused at once, not after a timeout
        assert "error[busy] flow 'orders_to_sage'" in second.stderr and f"pid {first.pid}" in second.stderr
        assert first.wait(timeout=120) == 0, first.stderr.read()[-1500:]
        assert documents_by_reference(sb) == {f"PS_{i}": 1 for i in wanted}


def test_a_lost_reply_then_a_look_up_outage_holds_the_order_pending_never_resends(tmp_path):
    """The create is applied but its reply is lost; the search by reference then fails for longer than
    the run is willing to wait: the order stays pending (the cursor with it) and the next run finds it."""
    project = copy_project(tmp_path)
    state = tmp_path / "state"
    with simulators(orders=10) as (sb, env):
        wanted = eligible_orders(sb)
        sage = sb.sim("sage100")
        # every write's reply is lost (the document is stored); every search answers 503
        sage.faults = Faults(stored_but_lost_rate=1.0, methods=("POST",), seed=3)
        outage = Faults(error_rate=1.0, statuses=(503,), methods=("GET",), path_contains="Documents", seed=4)
        both = Either(sage.faults, outage)
        sage.faults = both
        flow = project / "orders_to_sage.yaml"  # search only after a doubt, so the first send happens
        flow.write_text(flow.read_text().replace("      reference: doc.Reference\n",
                                                 "      reference: doc.Reference\n      lookup_before_create: after_doubt\n"))
        patient = _impatient_with_sage(project)  # the outage outlasts what this client waits
        first = run_cli(project, state, env, timeout=120)
        assert first.returncode == 3, first.stderr[-2000:]  # records pending, nothing lost
        created = documents_by_reference(sb)
        assert created and all(n == 1 for n in created.values())
        sage.faults = None  # the outage ends
        (project / "endpoints.yaml").write_text(patient)
        second = run_cli(project, state, env, timeout=120)
        assert second.returncode == 0, second.stderr[-2000:]
        assert documents_by_reference(sb) == {f"PS_{i}": 1 for i in wanted}
        assert exported_orders(sb) == wanted


def test_a_look_up_that_cannot_answer_before_a_first_create_sends_nothing(tmp_path):
    """lookup_before_create: always (the default): no answer from the search means no send at all."""
    project = copy_project(tmp_path)
    state = tmp_path / "state"
    with simulators(orders=10) as (sb, env):
        wanted = eligible_orders(sb)
        sb.sim("sage100").faults = Faults(error_rate=1.0, statuses=(503,), methods=("GET",), path_contains="Documents",
                                          seed=6)
        patient = _impatient_with_sage(project)
        first = run_cli(project, state, env, timeout=120)
        assert first.returncode == 3, first.stderr[-2000:]
        assert not documents_by_reference(sb)
        sb.sim("sage100").faults = None
        (project / "endpoints.yaml").write_text(patient)
        second = run_cli(project, state, env, timeout=120)
        assert second.returncode == 0, second.stderr[-2000:]
        assert documents_by_reference(sb) == {f"PS_{i}": 1 for i in wanted}


def test_a_lost_state_database_does_not_duplicate(tmp_path):
    """Acknowledgements still pending (the shop answers 503), then the state is deleted: the next run
    looks every order up by reference before creating it."""
    project = copy_project(tmp_path)
    state = tmp_path / "state"
    with simulators(orders=30) as (sb, env):
        wanted = eligible_orders(sb)
        sb.sim("prestashop").faults = Faults(error_rate=1.0, statuses=(503,), methods=("POST",), seed=5)
        first = run_cli(project, state, env, timeout=180)
        assert first.returncode == 3, first.stderr[-2000:]
        assert documents_by_reference(sb) == {f"PS_{i}": 1 for i in wanted}
        assert not exported_orders(sb)
        for path in state.glob("state.db*"):
            path.unlink()
        sb.sim("prestashop").faults = None
        second = run_cli(project, state, env, timeout=180)
        assert second.returncode == 0, second.stderr[-2000:]
        assert documents_by_reference(sb) == {f"PS_{i}": 1 for i in wanted}
        assert exported_orders(sb) == wanted


def test_an_unreachable_target_stops_the_flow_fast_with_exit_1(tmp_path):
    project = copy_project(tmp_path)
    state = tmp_path / "state"
    with simulators(orders=20) as (sb, env):
        wanted = eligible_orders(sb)
        closed = {**env, "ACME_SAGE_URL": "http://127.0.0.1:9/WebServices100/BIJOU"}  # nothing listens
        started = time.monotonic()
        result = run_cli(project, state, closed, timeout=120)
        elapsed = time.monotonic() - started
        assert result.returncode == 1, result.stderr[-2000:]
        assert "cannot connect" in result.stderr and elapsed < 30, (elapsed, result.stderr[-1000:])
        assert not documents_by_reference(sb)
        again = run_cli(project, state, env, timeout=120)  # once Sage is back, nothing was lost
        assert again.returncode == 0, again.stderr[-2000:]
        assert documents_by_reference(sb) == {f"PS_{i}": 1 for i in wanted}


@pytest.mark.slow
def test_a_manual_run_beside_a_serve_takes_the_flows_turn(tmp_path):
    """The common case: `serve` runs the project and a consultant starts `run --flow X` by hand. The run
    waits for the serve to finish its round of X (no --wait needed), then finds nothing left to create."""
    project = copy_project(tmp_path)
    state = tmp_path / "state"
    slow = {"sage100": Faults(latency_ms=15, seed=1)}
    with simulators(orders=120, faults=slow) as (sb, env):
        wanted = eligible_orders(sb)
        serve = _start(["serve", str(project), "--state", str(state), "--flow", "orders_to_sage"], env)
        deadline = time.monotonic() + 30
        while not documents_by_reference(sb) and time.monotonic() < deadline:
            time.sleep(0.05)  # the serve is creating documents: it holds the flow
        manual = run_cli(project, state, {**env}, timeout=300)
        serve.terminate()
        serve.wait(timeout=60)
        assert manual.returncode == 0, manual.stderr[-1500:]
        assert "flow_waiting" in manual.stderr  # it waited for its turn rather than refusing
        assert documents_by_reference(sb) == {f"PS_{i}": 1 for i in wanted}
