"""SIGKILL at random points of runs writing 4 orders at a time (`concurrency: 4` on Sage), several
times, then a normal run: every order exists exactly once in Sage, none is missing, each acknowledged.
A kill can land with four writes in flight: each had its intent committed before it was sent, so the
next run looks each one up by reference before creating anything."""
from __future__ import annotations

import pytest

from crash_support import kill_repeatedly, run_cli
from runtime_support import copy_project, documents_by_reference, eligible_orders, exported_orders, simulators


def with_concurrency(project, width: int) -> None:
    endpoints = project / "endpoints.yaml"
    text = endpoints.read_text()
    assert "    use: sage100-ws\n" in text
    endpoints.write_text(text.replace("    use: sage100-ws\n", f"    use: sage100-ws\n    concurrency: {width}\n"))


@pytest.mark.slow
def test_sigkill_with_four_writes_in_flight_never_loses_or_duplicates_an_order(tmp_path):
    project = copy_project(tmp_path)
    with_concurrency(project, 4)
    state = tmp_path / "state"
    with simulators(orders=500, options={"sage100": {"latency_ms": 15}}) as (sb, env):
        wanted = eligible_orders(sb)
        progress = []
        for round_ in range(7):
            interrupted = kill_repeatedly(project, state, env, kills=1, seed=20261206 + round_, window=(1.4, 2.6))
            progress.append((interrupted, len(documents_by_reference(sb))))
            assert all(n == 1 for n in documents_by_reference(sb).values()), "a kill duplicated a document"
        cut_short = sum(1 for hit, done in progress if hit and done < len(wanted))
        assert cut_short >= 2, progress  # the kills really hit runs that still had orders to write
        final = run_cli(project, state, env)
        assert final.returncode == 0, final.stderr[-2000:]
        # the writes really overlapped (checked after the last run: on a loaded machine every kill may land
        # before the first write, and then only the last run writes)
        assert sb.sim("sage100").most_in_flight >= 3
        assert documents_by_reference(sb) == {f"PS_{i}": 1 for i in wanted}
        assert exported_orders(sb) == wanted
