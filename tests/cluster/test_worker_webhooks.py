"""Webhook events committed by a ``serve --listen`` front end to a project's queue (in its PostgreSQL
state) are worked off by any worker: the scheduler enqueues the flow as soon as events wait, whatever
its schedule, and the worker's job processes them through the same ledger after its poll."""
from __future__ import annotations

import shutil

from passerelle_sandbox import Sandbox, generate
from passerelle_sandbox.templates import prepare

from engine.runtime.flow_jobs import make_app
from engine.runtime.flow_schedule import Scheduler
from engine.runtime.flow_worker import FlowWorker
from engine.runtime.session import Session
from engine.runtime.webhook_intake import Intake
from passerelle_sandbox.woo_create import create_order
from runtime.webhook_support import Clock, order_body, webhook_project, woo_env, woo_headers

FLOW = "orders_to_sage"


def _new_paid_order(shop, clock) -> int:
    sku = next(iter(shop.orders.values()))["line_items"][0]["sku"]
    clock.tick()
    with shop.lock:
        return create_order(shop, {"customer_id": 0, "set_paid": True, "payment_method": "bacs",
                                   "billing": {"first_name": "Web", "last_name": "Hook", "email": "w@x.test",
                                               "country": "FR"},
                                   "line_items": [{"sku": sku, "quantity": 1}]}, clock())["id"]


class Events(list):
    def __call__(self, event, **fields):
        self.append({"event": event, **fields})


def test_events_queued_by_a_front_end_are_worked_off_by_a_worker(jobs_database, tmp_path):
    clock = Clock()
    with Sandbox(systems=("woocommerce", "sage100"), dataset=generate(seed=1, orders=3, cases=False),
                 options={"woocommerce": {"line_price": "total", "clock": clock},
                          "sage100": {"special_articles": ("PORT", "REMISE", "FRAIS")}}) as sb:
        prepare(sb)
        projects = tmp_path / "projects"
        projects.mkdir()
        project = projects / "shop1"
        shutil.move(str(webhook_project(tmp_path)), project)
        endpoints = project / "endpoints.yaml"
        endpoints.write_text(endpoints.read_text().replace("project:\n", 'project:\n  state: "${env:PASSERELLE_STATE}"\n', 1))
        env = {**woo_env(sb), "PASSERELLE_STATE": jobs_database}
        (project / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))

        events = Events()
        worker = FlowWorker(projects, events)
        assert worker.run_flow("shop1", FLOW)["error"] is None  # the first poll: the shop's paid orders
        before = len(sb.sim("sage100").documents)

        front = Session(project, environ=env)  # what `serve --listen` holds: the intake on the shared queue
        queue = front.state.events()
        try:
            intake = Intake(front.live.current, queue, environ=env, log=front.log)
            oid = _new_paid_order(sb.sim("woocommerce"), clock)
            body = order_body(sb.sim("woocommerce"), oid)
            headers = {k.lower(): v for k, v in woo_headers(body, topic="order.created").items()}
            status, _ = intake.receive(FLOW, lambda name: headers.get(name.lower()), body, "application/json")
            assert status == 200 and queue.depth(FLOW)[0] == 1

            app = make_app(jobs_database)
            with app.open():
                scheduler = Scheduler(app, worker.pool, events)
                for name in worker.pool.plan("shop1").flows:  # none due by its schedule
                    scheduler.due[("shop1", name)] = float("inf")
                try:
                    assert scheduler.tick() == [("shop1", FLOW)]
                finally:
                    scheduler.close()
            assert any(e.get("why") == "webhook events waiting" for e in events if e["event"] == "flow_queued")

            worker.run_flow("shop1", FLOW)  # the job the scheduler queued, as a worker runs it
            assert queue.depth(FLOW)[0] == 0  # worked off
        finally:
            queue.close()
            front.close()
        refs = [d["Reference"] for d in sb.sim("sage100").documents]
        assert len(refs) == before + 1 and len(set(refs)) == len(refs)  # the new order, once
