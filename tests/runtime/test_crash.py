"""SIGKILL at random points during runs against the simulators, many times, then a normal run:
every order exists exactly once in Sage, none is missing, every one is acknowledged."""
from __future__ import annotations

import pytest

from crash_support import kill_repeatedly, run_cli
from runtime_support import Faults, copy_project, documents_by_reference, eligible_orders, exported_orders, \
    simulators


@pytest.mark.slow
def test_sigkill_at_random_points_never_loses_or_duplicates_an_order(tmp_path):
    project = copy_project(tmp_path)
    state = tmp_path / "state"
    latency = {"sage100": Faults(latency_ms=4, seed=1), "prestashop": Faults(latency_ms=1, seed=2)}
    with simulators(orders=800, faults=latency) as (sb, env):
        wanted = eligible_orders(sb)
        progress = []
        for round_ in range(10):
            interrupted = kill_repeatedly(project, state, env, kills=1, seed=20261122 + round_, window=(0.5, 1.1))
            progress.append((interrupted, len(documents_by_reference(sb))))
            assert all(n == 1 for n in documents_by_reference(sb).values()), "a kill duplicated a document"
        # the kills really hit running processes that still had orders to create
        cut_short = sum(1 for hit, done in progress if hit and done < len(wanted))
        assert cut_short >= 5, progress
        final = run_cli(project, state, env)
        assert final.returncode == 0, final.stderr[-2000:]
        assert documents_by_reference(sb) == {f"PS_{i}": 1 for i in wanted}
        assert exported_orders(sb) == wanted
