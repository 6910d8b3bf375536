"""Several acknowledgements against the simulators (WooCommerce orders -> Sage 100 documents, then the
Sage number written back as order meta *and* a private order note): each sent once, retried on its own,
never re-creating the document nor re-sending one already confirmed."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from engine.plan.load import load_plan
from engine.runtime.dryrun import live_dry_run
from engine.runtime.state import ACKED, DONE, SqliteStore
from runtime_support import Faults, run_once
from passerelle_sandbox import Sandbox, generate
from support import ROOT, run_cli

FLOW = "orders_to_sage"

ENDPOINTS = """
endpoints:
  shop:
    use: woocommerce
    settings: { base_url: "${env:WC_URL}", consumer_key: "${env:WC_KEY}", consumer_secret: "${env:WC_SECRET}" }
  sage: { use: sage100-ws, settings: { base_url: "${env:SAGE_URL}", token: "${env:SAGE_TOKEN}" } }
"""

FLOW_YAML = """
flows:
  orders_to_sage:
    source: { endpoint: shop, read: orders }
    key: id
    target: { endpoint: sage, write: insert_document, reference: doc.Reference }
    acknowledge:
      - name: sage_number
        endpoint: shop
        write: update_order
        with: { id: id }
        map:
          meta_data:
            - map:
                key: { value: _sage_number }
                value: { from: _target.id }
      - name: note
        endpoint: shop
        write: add_order_note
        with: { id: id }
        map:
          note: { from: _target, transform: [{ template: "Sage 100 piece {id}" }] }
          customer_note: { value: false }
    map:
      doc:
        __type: { value: "DocumentVente:http://www.proconsult.lu/WebServices100" }
        TypeDocument: { value: 1 }
        Date:
          from: date_created_gmt
          transform: [{ parse_date: { format: "%Y-%m-%dT%H:%M:%S", tz: UTC } }, ms_json_date]
        Reference: { from: id, transform: [{ prefix: WC_ }] }
        NumeroTiers: { from: customer_id, transform: [{ pad: { width: 6, char: "0" } }, { prefix: WEB }] }
      lignes:
        - each: line_items
          map:
            __type: { value: "LigneArticle:http://www.proconsult.lu/WebServices100" }
            RefArticle: { from: sku }
            Quantite: { from: quantity }
            PrixUnitaire: { from: price }
            EstValorise: { value: 1 }
"""


def make_project(tmp_path: Path, flow: str = FLOW_YAML) -> Path:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "endpoints.yaml").write_text(textwrap.dedent(ENDPOINTS))
    (project / "orders.yaml").write_text(textwrap.dedent(flow))
    return project


def env_for(sb) -> dict:
    creds = sb.credentials("woocommerce")
    return {"WC_URL": sb.url("woocommerce"), "WC_KEY": creds["consumer_key"], "WC_SECRET": creds["consumer_secret"],
            "SAGE_URL": sb.url("sage100"), "SAGE_TOKEN": sb.credentials("sage100")["token"]}


def woo_writes(sb, kind: str) -> list[str]:
    """Paths of the WooCommerce writes answered 2xx: 'meta' (PUT /orders/N) or 'note' (POST .../notes)."""
    wanted = ("POST", "/notes") if kind == "note" else ("PUT", "")
    paths = [(method, path.split("?")[0], status) for method, path, status in sb.sim("woocommerce").requests]
    return [path for method, path, status in paths
            if method == wanted[0] and path.endswith(wanted[1]) and 200 <= status < 300]


def notes_of(sb, order_id: int) -> list[str]:
    return [n["note"] for n in sb.sim("woocommerce").notes.get(order_id, [])]


def sage_docs(sb) -> dict:
    counts: dict = {}
    for doc in sb.sim("sage100").documents:
        counts[doc["Reference"]] = counts.get(doc["Reference"], 0) + 1
    return counts


@pytest.fixture
def sandbox():
    with Sandbox(systems=("woocommerce", "sage100"), dataset=generate(orders=6, cases=False)) as sb:  # plain orders
        yield sb, env_for(sb)


def test_both_acknowledgements_sent_once_each(tmp_path, sandbox):
    sb, env = sandbox
    project = make_project(tmp_path)
    orders = sorted(sb.sim("woocommerce").orders)
    summary, store = run_once(project, env, tmp_path / "state.db")
    assert summary.error is None and summary.failed == 0, store.entries(FLOW)
    assert summary.created == len(orders) == summary.acked and summary.ack_failed == 0
    assert sage_docs(sb) == {f"WC_{i}": 1 for i in orders}
    assert len(woo_writes(sb, "meta")) == len(orders) == len(woo_writes(sb, "note"))
    for entry in store.entries(FLOW):
        assert entry.status == ACKED
        order = int(entry.key)
        assert sb.sim("woocommerce").meta(order, "_sage_number") == entry.target_id
        assert notes_of(sb, order) == [f"Sage 100 piece {entry.target_id}"]
        assert {n: s.confirmed for n, s in store.ack_states(FLOW, entry.key).items()} == \
            {"sage_number": True, "note": True}
    again, _ = run_once(project, env, tmp_path / "state.db")
    assert again.created == 0 and again.acked == 0 and again.ack_failed == 0
    assert len(woo_writes(sb, "meta")) == len(orders) == len(woo_writes(sb, "note"))  # nothing re-sent


def test_second_acknowledgement_failing_is_retried_alone(tmp_path, sandbox):
    """The note endpoint answers 503: the document and the meta are done; the next run sends the notes
    only — no document re-created, no meta re-sent — and `failures` says which acknowledgement and why."""
    sb, env = sandbox
    project = make_project(tmp_path)
    orders = sorted(sb.sim("woocommerce").orders)
    sb.sim("woocommerce").faults = Faults(error_rate=1.0, statuses=(503,), methods=("POST",), path_contains="/notes")
    summary, store = run_once(project, env, tmp_path / "state.db")
    assert summary.created == len(orders) and summary.acked == 0 and summary.ack_failed == len(orders)
    for entry in store.entries(FLOW):
        assert entry.status == DONE
        assert "acknowledgement 'note' failed" in entry.reason and "503" in entry.reason
        assert "sage_number" not in entry.reason
        states = store.ack_states(FLOW, entry.key)
        assert states["sage_number"].confirmed and not states["note"].confirmed
    assert len(woo_writes(sb, "meta")) == len(orders) and woo_writes(sb, "note") == []
    code, out, err = run_cli(["failures", str(project), "--state", str(tmp_path)], ROOT)
    assert code == 0 and f"{len(orders)} with an acknowledgement to retry" in err, err
    assert all(f"record {i} " in out for i in orders)
    assert out.count("warning[ack]") == len(orders) and out.count("acknowledgement 'note' failed") == len(orders)
    sb.sim("woocommerce").faults = Faults()  # the shop is back
    again, store = run_once(project, env, tmp_path / "state.db")
    assert again.created == 0 and again.acked == len(orders) and again.ack_failed == 0
    assert sage_docs(sb) == {f"WC_{i}": 1 for i in orders}  # no document re-created
    assert len(woo_writes(sb, "meta")) == len(orders)  # the first acknowledgement is not re-sent
    assert len(woo_writes(sb, "note")) == len(orders)
    assert {e.status for e in store.entries(FLOW)} == {ACKED} and all(e.reason is None for e in store.entries(FLOW))
    third, _ = run_once(project, env, tmp_path / "state.db")
    assert third.acked == 0 and len(woo_writes(sb, "note")) == len(orders)


class Crash(BaseException):
    """The process dies: nothing after it runs (not an error the runner handles)."""


def test_crash_between_the_two_acknowledgements_duplicates_nothing(tmp_path, sandbox, monkeypatch):
    sb, env = sandbox
    project = make_project(tmp_path)
    orders = sorted(sb.sim("woocommerce").orders)
    from engine.runtime import acks

    real = acks.send
    crashed: list = []

    def send(runner, ack, scope):  # the process dies right before the second acknowledgement
        if ack.name == "note" and not crashed:
            crashed.append(scope["id"])
            raise Crash()
        return real(runner, ack, scope)

    monkeypatch.setattr(acks, "send", send)
    with pytest.raises(Crash):
        run_once(project, env, tmp_path / "state.db")
    monkeypatch.setattr(acks, "send", real)
    store = SqliteStore(tmp_path / "state.db")
    entry = store.entry(FLOW, str(crashed[0]))
    assert entry.status == DONE and set(store.ack_states(FLOW, entry.key)) == {"sage_number"}
    store.close()
    assert len(sage_docs(sb)) == 1 and len(woo_writes(sb, "meta")) == 1 and woo_writes(sb, "note") == []
    summary, store = run_once(project, env, tmp_path / "state.db")
    assert summary.error is None
    assert sage_docs(sb) == {f"WC_{i}": 1 for i in orders}
    assert len(woo_writes(sb, "meta")) == len(orders) == len(woo_writes(sb, "note"))
    assert all(len(notes_of(sb, i)) == 1 for i in orders)
    assert {e.status for e in store.entries(FLOW)} == {ACKED}


def test_when_sends_an_acknowledgement_only_where_true(tmp_path, sandbox):
    sb, env = sandbox
    orders = sb.sim("woocommerce").orders
    chosen = sorted(orders)[0]
    project = make_project(tmp_path, FLOW_YAML.replace("      - name: note\n",
                                                       f"      - name: note\n        when: \"id == `{chosen}`\"\n"))
    summary, store = run_once(project, env, tmp_path / "state.db")
    assert summary.acked == len(orders) and summary.ack_failed == 0
    assert woo_writes(sb, "note") == [f"/wp-json/wc/v3/orders/{chosen}/notes"]
    assert len(woo_writes(sb, "meta")) == len(orders)
    assert set(store.ack_states(FLOW, str(chosen))) == {"sage_number", "note"}
    assert set(store.ack_states(FLOW, str(sorted(orders)[1]))) == {"sage_number"}


def test_an_acknowledgement_added_later_reaches_done_records_not_acked_ones(tmp_path, sandbox):
    """Hot reload or edit between runs: acked records are final; a record still done gets every
    acknowledgement of the current plan that it has not had."""
    sb, env = sandbox
    one_ack = FLOW_YAML[:FLOW_YAML.index("      - name: note")] + FLOW_YAML[FLOW_YAML.index("    map:\n      doc:"):]
    project = make_project(tmp_path, one_ack)
    orders = sorted(sb.sim("woocommerce").orders)
    summary, store = run_once(project, env, tmp_path / "state.db")
    assert summary.acked == len(orders)
    held = str(orders[0])  # as if its acknowledgement had failed: still done
    store.settle(FLOW, held, store.entry(FLOW, held).target_id, DONE, "acknowledgement 'sage_number' failed")
    store.close()
    make_project(tmp_path)  # the note is added
    again, store = run_once(project, env, tmp_path / "state.db")
    assert again.acked == 1 and again.created == 0
    assert woo_writes(sb, "note") == [f"/wp-json/wc/v3/orders/{held}/notes"]  # acked records get nothing
    assert len(woo_writes(sb, "meta")) == len(orders)  # sage_number was confirmed for the held one too


def test_a_state_file_from_before_per_acknowledgement_rows_keeps_working(tmp_path, sandbox):
    """A state written before this change: no `acks` table; an `acked` record is final, a `done` one
    (its single acknowledgement was missing then) has no acknowledgement confirmed yet: all are sent."""
    sb, env = sandbox
    project = make_project(tmp_path)
    orders = sorted(sb.sim("woocommerce").orders)
    summary, store = run_once(project, env, tmp_path / "state.db")
    held = str(orders[0])
    store.settle(FLOW, held, store.entry(FLOW, held).target_id, DONE, "acknowledgement failed: 503")
    store.db.execute("DROP TABLE acks")  # as an older version left it
    store.close()
    again, store = run_once(project, env, tmp_path / "state.db")
    assert again.created == 0 and again.acked == 1 and again.error is None
    assert woo_writes(sb, "note").count(f"/wp-json/wc/v3/orders/{held}/notes") == 2
    assert len(woo_writes(sb, "note")) == len(orders) + 1 and len(sage_docs(sb)) == len(orders)
    assert store.entry(FLOW, held).status == ACKED


def test_live_dry_run_shows_every_acknowledgement(tmp_path, sandbox):
    sb, env = sandbox
    project = make_project(tmp_path)
    plan = load_plan(project)
    result = live_dry_run(plan, plan.flows[FLOW], env, limit=2)
    assert len(result.requests) == 2 and not result.failures
    for key, requests in result.requests:
        assert [r["method"] for r in requests] == ["POST", "PUT", "POST"]
        assert requests[2]["url"].split("?")[0].endswith(f"/orders/{key}/notes")
    assert not sb.sim("sage100").documents and woo_writes(sb, "note") == []
