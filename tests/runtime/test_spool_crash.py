"""SIGKILL while `passerelle run` works from its spooled batch (engine/runtime/spool.py): nothing is lost
or sent twice, and no copy of the read (records may hold personal data) is left in the state folder."""
from __future__ import annotations

import pytest

from crash_support import kill_repeatedly, run_cli
from runtime_support import Faults, copy_project, documents_by_reference, eligible_orders, exported_orders, \
    simulators

STATE_FILES = {"state.db", "state.db-wal", "state.db-shm", "locks"}


@pytest.mark.slow
def test_sigkill_during_a_spooled_run_loses_nothing_and_leaves_no_spool(tmp_path):
    project = copy_project(tmp_path)
    state = tmp_path / "state"
    latency = {"sage100": Faults(latency_ms=3, seed=3), "prestashop": Faults(latency_ms=1, seed=4)}
    with simulators(orders=300, faults=latency) as (sb, env):
        wanted = eligible_orders(sb)
        hits = 0
        for round_ in range(4):
            hits += kill_repeatedly(project, state, env, kills=1, seed=7300 + round_, window=(0.9, 1.6))
            assert all(n == 1 for n in documents_by_reference(sb).values()), "a kill duplicated a document"
            assert _spool_free(state), "a killed run left its spool behind"
        assert hits >= 2  # the kills hit running processes
        final = run_cli(project, state, env)
        assert final.returncode == 0, final.stderr[-2000:]
        assert documents_by_reference(sb) == {f"PS_{i}": 1 for i in wanted}
        assert exported_orders(sb) == wanted
        assert _spool_free(state)


def _spool_free(state) -> bool:
    if not state.exists():  # killed before it made its state folder (a loaded machine): nothing written
        return True
    return {p.name for p in state.iterdir()} <= STATE_FILES and \
        not any(p.name.startswith(".passerelle-spool") for p in state.rglob("*"))
