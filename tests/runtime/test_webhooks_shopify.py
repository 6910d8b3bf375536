"""The shipped Shopify connector's `webhooks` section against the Shopify simulator's deliveries (issue 15):
the signature, topic, delivery id and delivery time it declares are the ones the simulator sends, so the
intake takes a real delivery, refuses the same with another secret, recognises its retry (same
X-Shopify-Webhook-Id) and ignores a delivery older than the connector's 5 hours."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from engine.plan.webhooks import FlowWebhooks
from engine.project.load import ConnectorStore
from engine.runtime.event_store import SqliteEvents
from engine.runtime.webhook_intake import Intake
from engine.util.resources import shipped_connectors_dir
from passerelle_sandbox import Sandbox, generate
from passerelle_sandbox.webhooks import Subscription


class _Intake(Intake):
    def __init__(self, *args, secret: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.given = secret

    def secret(self, plan, endpoint, setting):  # the endpoint's ${env:} setting, resolved
        return self.given


@pytest.fixture()
def shopify(tmp_path):
    decl = ConnectorStore().plan(shipped_connectors_dir() / "shopify.yaml").webhooks
    hooks = FlowWebhooks("shop", decl, frozenset({"orders/create", "orders/updated"}), max_age=decl.max_age)
    plan = SimpleNamespace(flows={"orders": SimpleNamespace(webhooks=hooks)})
    queue = SqliteEvents(tmp_path / "state.db")
    with Sandbox(systems=("shopify",), dataset=generate(seed=1, orders=2, cases=False)) as sb:
        shop = sb.sim("shopify")
        try:
            yield shop, lambda secret: _Intake(lambda: plan, queue, secret=secret)
        finally:
            queue.close()


def _receive(intake, body: bytes, headers: list[tuple[str, str]]):
    found = {k.lower(): v for k, v in headers}
    return intake.receive("orders", lambda name: found.get(name.lower()), body, "application/json")


def test_a_shopify_delivery_is_taken_as_the_connector_declares(shopify):
    shop, intake_with = shopify
    sub = Subscription(1, "orders/updated", "http://unused.test/", shop.hooks.client_secret)
    body, headers = shop.hooks.build(sub, "orders/updated", shop.order(1042))
    assert _receive(intake_with("another-secret"), body, headers)[0] == 401
    intake = intake_with(shop.hooks.client_secret)
    status, answer = _receive(intake, body, headers)
    assert status == 200 and "queued" in answer
    assert _receive(intake, body, headers) == (200, {"ignored": "duplicate"})  # a retry: same webhook id
    rows = intake.queue.run("SELECT delivery, topic FROM webhook_events")
    assert rows == [(dict((k.lower(), v) for k, v in headers)["x-shopify-webhook-id"], "orders/updated")]

    again, later = shop.hooks.build(sub, "orders/updated", shop.order(1042))
    old = (datetime.now(timezone.utc) - timedelta(hours=6)).isoformat()
    later = [(k, old if k == "X-Shopify-Triggered-At" else v) for k, v in later]
    assert _receive(intake, again, later) == (200, {"ignored": "stale"})
