"""A consultant's review of issue 10: a record kept in the run state was typed with the fields its
plan read then; an acknowledgement added later (an edit, a hot reload) that reads another field got
that field untyped when the next run finished the record's acknowledgements."""
from __future__ import annotations

from engine.runtime.state import DONE
from runtime_support import run_once
from test_acks import FLOW, FLOW_YAML, make_project, sandbox, woo_writes  # noqa: F401 - the fixture

NOTE_WHEN = "      - name: note\n        when: \"total > `0`\"\n"  # total: decimal, not read by the first plan


def test_a_later_acknowledgement_reads_the_stored_record_typed_by_the_plan_of_the_day(tmp_path, sandbox):
    sb, env = sandbox
    one_ack = FLOW_YAML[:FLOW_YAML.index("      - name: note")] + FLOW_YAML[FLOW_YAML.index("    map:\n      doc:"):]
    project = make_project(tmp_path, one_ack)
    orders = sorted(sb.sim("woocommerce").orders)
    summary, store = run_once(project, env, tmp_path / "state.db")
    assert summary.acked == len(orders)
    held = str(orders[0])  # as if its acknowledgement had failed: still done
    store.settle(FLOW, held, store.entry(FLOW, held).target_id, DONE, "acknowledgement 'sage_number' failed")
    store.close()
    make_project(tmp_path, FLOW_YAML.replace("      - name: note\n", NOTE_WHEN))  # reads `total`
    again, store = run_once(project, env, tmp_path / "state.db")
    # the stored `total` is "…" text when typed with the first plan's fields only: "total > 0" failed
    assert again.ack_failed == 0, store.entry(FLOW, held)
    assert again.acked == 1 and woo_writes(sb, "note") == [f"/wp-json/wc/v3/orders/{held}/notes"]
