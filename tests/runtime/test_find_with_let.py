"""`target.find` matching on a `let` name: the find sees the flow's scope (the joined record plus its
lets) at the first search and after a doubt (a lost reply, a crash between intent and settle). Before,
the let was null there: every record was "created without searching" (a duplicate Sage client for every
customer Sage already had), and a create whose reply was lost could not be looked up."""
from __future__ import annotations

from engine.runtime.state import PENDING, SqliteStore, to_json
from runtime_support import Faults, simulators
from test_find_or_create import forget_in_sage, project_with_customers, run, shop_customers


def _with_let(tmp_path):
    project = project_with_customers(tmp_path, update=False)
    flow = project / "customers_to_sage.yaml"
    text = flow.read_text().replace("match: { Email: email }", "match: { Email: mail }")
    flow.write_text(text.replace("    target:\n", "    let: { mail: email }\n    target:\n", 1))
    return project


def test_a_let_in_the_match_finds_the_clients_sage_has(tmp_path):
    project = _with_let(tmp_path)
    with simulators(orders=5) as (sb, env):
        customers = shop_customers(sb)
        forget_in_sage(sb, [3, 4])
        summary, _ = run(project, env, tmp_path / "state.db")
        assert (summary.created, summary.found, summary.failed) == (2, len(customers) - 2, 0)
        assert len(sb.sim("sage100").clients) == len(customers)  # nobody twice


def test_a_lost_reply_is_looked_up_by_the_let(tmp_path):
    project = _with_let(tmp_path)
    with simulators(orders=5) as (sb, env):
        customers = shop_customers(sb)
        forget_in_sage(sb, [3, 4])
        sage = sb.sim("sage100")
        sage.faults = Faults(stored_but_lost_rate=1.0, methods=("POST",), path_contains="lients", limit=2)
        summary, _ = run(project, env, tmp_path / "state.db")
        assert sage.faults.injected["stored_but_lost"] == 2
        assert (summary.created, summary.pending, summary.failed) == (2, 0, 0)
        assert len(sage.clients) == len(customers)


def test_a_crash_between_intent_and_settle_is_resolved_by_the_let(tmp_path):
    project = _with_let(tmp_path)
    state = tmp_path / "state.db"
    with simulators(orders=5) as (sb, env):
        customers = shop_customers(sb)
        store = SqliteStore(state)  # the create of customer 3 reached Sage, then the process was killed
        store.intend("customers_to_sage", "3", to_json({"NumeroTiers": "WEB000003"}), to_json(customers[3]))
        store.close()
        summary, store = run(project, env, state)
        assert store.entries("customers_to_sage", PENDING) == []
        assert store.entry("customers_to_sage", "3").target_id == "WEB000003"
        assert summary.created == 1 and summary.failed == 0  # confirmed from the doubt, not sent again
        assert len(sb.sim("sage100").clients) == len(customers)
