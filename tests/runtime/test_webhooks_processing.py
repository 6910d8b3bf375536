"""Queued webhook events through the same record path and ledger as polled records (issue 15): a record
arriving by webhook and by the safety-net poll is created once, whichever comes first; per record,
events go in the source's change order and an older one after a newer one is discarded; a coalescing
flow sends only the latest of a burst; a record the flow's `where` would not read is ignored."""
from __future__ import annotations


import pytest

from engine.runtime.session import Session
from engine.runtime.webhook_intake import Intake
from engine.runtime.webhook_run import EventProcessor
from passerelle_sandbox import Faults, Sandbox, generate
from passerelle_sandbox.templates import prepare
from passerelle_sandbox.woo_create import create_order
from passerelle_sandbox.woo_writes import update_order
from webhook_support import Clock, order_body, webhook_project, woo_env, woo_headers

FLOW = "orders_to_sage"


@pytest.fixture()
def wired(tmp_path, request):
    clock = Clock()
    coalesce = getattr(request, "param", False)
    with Sandbox(systems=("woocommerce", "sage100"), dataset=generate(seed=1, orders=3, cases=False),
                 options={"woocommerce": {"line_price": "total", "clock": clock},
                          "sage100": {"special_articles": ("PORT", "REMISE", "FRAIS")}}) as sb:
        prepare(sb)
        events: list[dict] = []
        session = Session(webhook_project(tmp_path, coalesce=coalesce), state_dir=tmp_path / "state",
                          environ=woo_env(sb), log=lambda event, **f: events.append({"event": event, **f}))
        queue = session.state.events()
        intake = Intake(session.live.current, queue, environ=woo_env(sb), log=session.log)
        processor = EventProcessor(session, queue)
        try:
            yield sb, session, intake, processor, events, clock
        finally:
            processor.close()
            session.close()


def _new_order(shop, clock, status_paid: bool = True) -> int:
    sku = next(iter(shop.orders.values()))["line_items"][0]["sku"]
    clock.tick()
    with shop.lock:
        order = create_order(shop, {"customer_id": 0, "set_paid": status_paid, "payment_method": "bacs",
                                    "billing": {"first_name": "Web", "last_name": "Hook", "email": "w@x.test",
                                                "country": "FR"},
                                    "line_items": [{"sku": sku, "quantity": 1}]}, clock())
    return order["id"]


def _deliver(intake, shop, oid: int, topic: str = "order.updated") -> tuple[int, dict]:
    body = order_body(shop, oid)
    headers = woo_headers(body, topic=topic)
    return intake.receive(FLOW, lambda name: next((v for k, v in headers.items() if k.lower() == name.lower()), None),
                          body, "application/json")


def _refs(sb) -> list[str]:
    return [doc["Reference"] for doc in sb.sim("sage100").documents]


def _statuses(processor) -> list[str]:
    return [row[0] for row in processor.queue.run("SELECT status FROM webhook_events ORDER BY received_at")]


def test_webhook_then_poll_and_poll_then_webhook_each_create_one_document(wired):
    sb, session, intake, processor, events, clock = wired
    shop = sb.sim("woocommerce")
    session.run_flows([FLOW])  # the orders there before
    first = _new_order(shop, clock)
    assert _deliver(intake, shop, first, "order.created")[0] == 200
    processor.work_off()  # the webhook first...
    assert _refs(sb).count(f"WC-{first}") == 1 and _statuses(processor) == ["done"]
    session.run_flows([FLOW])  # ... then the safety-net poll reads it again: nothing created twice
    assert _refs(sb).count(f"WC-{first}") == 1

    second = _new_order(shop, clock)
    session.run_flows([FLOW])  # the poll first...
    assert _refs(sb).count(f"WC-{second}") == 1
    assert _deliver(intake, shop, second, "order.created")[0] == 200
    processor.work_off()  # ... then its webhook: final in the ledger already, the event is done
    assert _refs(sb).count(f"WC-{second}") == 1 and _statuses(processor) == ["done", "done"]
    created = [e for e in events if e["event"] == "record_created" and e["key"] in (str(first), str(second))]
    assert len(created) == 2


def test_an_older_event_after_a_newer_one_is_discarded(wired):
    sb, session, intake, processor, events, clock = wired
    shop = sb.sim("woocommerce")
    oid = _new_order(shop, clock, status_paid=False)  # pending: the flow's where does not read it
    older = order_body(shop, oid)
    clock.tick()
    with shop.lock:
        update_order(shop, oid, {"status": "processing"}, clock())
    newer = order_body(shop, oid)
    for body in (newer, older):  # delivered out of order, processed one pass each
        headers = woo_headers(body, topic="order.updated")
        assert intake.receive(FLOW, headers.get, body, "application/json")[0] == 200
        processor.work_off()
    assert _statuses(processor) == ["done", "stale"]
    stale = [e for e in events if e["event"] == "webhook_stale"]
    assert stale and stale[0]["key"] == str(oid)
    assert _refs(sb).count(f"WC-{oid}") == 1


def test_events_of_one_record_queued_together_go_in_the_source_order(wired):
    sb, session, intake, processor, events, clock = wired
    shop = sb.sim("woocommerce")
    oid = _new_order(shop, clock, status_paid=False)
    pending = order_body(shop, oid)
    clock.tick()
    with shop.lock:
        update_order(shop, oid, {"status": "processing"}, clock())
    paid = order_body(shop, oid)
    for body in (paid, pending):  # arrive newest first
        assert intake.receive(FLOW, woo_headers(body).get, body, "application/json")[0] == 200
    processor.work_off()
    # the older (pending, not read by the flow's where) is looked at first, then the paid one is created
    assert _statuses(processor) == ["done", "ignored"]
    assert [e["event"] for e in events if e["event"] in ("webhook_ignored", "record_created")] == \
        ["webhook_ignored", "record_created"]


@pytest.mark.parametrize("wired", [True], indirect=True)
def test_a_coalescing_flow_sends_only_the_latest_event_of_a_burst(wired):
    sb, session, intake, processor, events, clock = wired
    shop = sb.sim("woocommerce")
    oid = _new_order(shop, clock)
    bodies = [order_body(shop, oid)]
    for note in ("a", "b"):
        clock.tick()
        with shop.lock:
            update_order(shop, oid, {"customer_note": note}, clock())
        bodies.append(order_body(shop, oid))
    for body in bodies:
        assert intake.receive(FLOW, woo_headers(body).get, body, "application/json")[0] == 200
    processor.work_off()
    assert _statuses(processor) == ["superseded", "superseded", "done"]
    sent = [e for e in events if e["event"] == "record_created"]
    assert len(sent) == 1 and _refs(sb).count(f"WC-{oid}") == 1
    done = processor.queue.run("SELECT delivery FROM webhook_events WHERE status = 'done'")[0][0]
    assert done.endswith(shop.orders[oid]["date_modified_gmt"])  # the latest state
    assert processor.queue.depth() == (0, None)


def test_a_record_the_flow_rejects_goes_to_the_dead_letter_and_its_event_is_settled(wired):
    sb, session, intake, processor, events, clock = wired
    shop = sb.sim("woocommerce")
    oid = _new_order(shop, clock)
    shop.orders[oid]["currency"] = "GBP"  # the template sends EUR documents only: a `reject` rule
    assert _deliver(intake, shop, oid, "order.created")[0] == 200
    processor.work_off()
    assert _statuses(processor) == ["done"]  # final in the ledger: set aside with its reason
    entry = session.state.entry(FLOW, str(oid))
    assert entry.status == "failed" and "paid in GBP" in entry.reason and entry.loc
    assert f"WC-{oid}" not in _refs(sb)


def test_an_event_whose_record_stays_pending_stays_queued_until_it_is_final(wired):
    sb, session, intake, processor, events, clock = wired
    shop, sage = sb.sim("woocommerce"), sb.sim("sage100")
    session.runner_options.update(create_attempts=2, backoff=0.01)
    oid = _new_order(shop, clock)
    sage.faults = Faults(error_rate=1.0, statuses=(503,))  # Sage answers nothing but 503 for now
    assert _deliver(intake, shop, oid, "order.created")[0] == 200
    processor.work_off()
    assert _statuses(processor) == ["queued"] and session.state.entry(FLOW, str(oid)).status == "pending"
    sage.faults = None
    processor.not_before.clear()  # its retry time has come
    processor.work_off()
    assert _statuses(processor) == ["done"] and _refs(sb).count(f"WC-{oid}") == 1


def test_an_event_older_than_what_the_poll_settled_is_discarded(wired):
    sb, session, intake, processor, events, clock = wired
    shop = sb.sim("woocommerce")
    oid = _new_order(shop, clock)
    older = order_body(shop, oid)  # its order.created, delayed somewhere
    clock.tick()
    with shop.lock:
        update_order(shop, oid, {"customer_note": "later"}, clock())
    session.run_flows([FLOW])  # the poll settles the later state first
    assert intake.receive(FLOW, woo_headers(older).get, older, "application/json")[0] == 200
    processor.work_off()
    assert _statuses(processor) == ["stale"] and _refs(sb).count(f"WC-{oid}") == 1


def test_events_queued_for_a_flow_that_no_longer_takes_webhooks_are_settled_and_logged(wired):
    """The webhooks: section removed by a hot reload while events were queued: they are not processed
    (the flow takes none now; the poll brings the records) but each is logged, never dropped silently."""
    sb, session, intake, processor, events, clock = wired
    shop = sb.sim("woocommerce")
    oid = _new_order(shop, clock)
    assert _deliver(intake, shop, oid, "order.created")[0] == 200
    orders = session.project_dir / "orders_to_sage.yaml"
    text = orders.read_text()
    orders.write_text(text.replace("    webhooks:\n      topics: [order.created, order.updated]\n", ""))
    assert session.live.check() and session.live.current().flows[FLOW].webhooks is None
    processor.work_off()
    assert _statuses(processor) == ["ignored"] and _refs(sb).count(f"WC-{oid}") == 0
    ignored = [e for e in events if e["event"] == "webhook_ignored"]
    assert len(ignored) == 1 and ignored[0]["flow"] == FLOW and ignored[0]["delivery"]
    assert "takes no webhooks any more" in ignored[0]["reason"]


def test_replaying_a_webhook_record_the_source_no_longer_gives_says_so(wired):
    """A record set aside from a webhook body, then gone from the shop (deleted, or not read by the flow's
    where any more): `replay` reads the source again by key, finds nothing, and says so — it used to
    answer '0 read' and nothing else, the record still in the dead letter without a word why."""
    import json

    from engine.runtime.replay import replay

    sb, session, intake, processor, events, clock = wired
    shop = sb.sim("woocommerce")
    record = json.loads(order_body(shop, _new_order(shop, clock)))
    record.update(id=990001, number="990001", currency="GBP")  # the flow sets it aside (EUR only)
    body = json.dumps(record).encode()
    headers = woo_headers(body, topic="order.created")
    assert intake.receive(FLOW, headers.get, body, "application/json")[0] == 200
    processor.work_off()
    assert session.state.entry(FLOW, "990001").status == "failed"
    summaries, unknown = replay(session, FLOW, ["990001"])
    assert unknown == [] and summaries[0].read == 0
    missing = [e for e in events if e["event"] == "replay_not_found"]
    assert [(e["flow"], e["key"]) for e in missing] == [(FLOW, "990001")]
    assert "stays set aside" in missing[0]["reason"]
    assert session.state.entry(FLOW, "990001").status == "failed"
    from engine.web.dashboard_replay import replay_from_page

    page = replay_from_page(session, FLOW, "990001")  # the dashboard's Replay button says it too
    assert not page.ok and any("990001" in p and "no longer gives it" in p for p in page.problems)
