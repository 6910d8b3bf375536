"""Shopify webhooks: REST subscriptions and signed deliveries (https://shopify.dev/docs/apps/build/webhooks).

* ``POST webhooks.json`` ``{"webhook": {"topic", "address", "format": "json"}}`` → 201 ``{"webhook": {...}}``;
  ``GET webhooks.json``, ``GET|DELETE webhooks/<id>.json``. Simulated topics: ``orders/create``,
  ``orders/updated``, ``products/update`` (fired by ``productSet``), ``inventory_levels/update`` (fired by
  ``inventorySetQuantities`` and REST ``inventory_levels/set.json``, one per changed item and location); another → 501 not simulated. Real Shopify wants an HTTPS address; the simulator
  also takes ``http://`` (its deliveries go to a local receiver) and signs them all the same.
* A delivery: ``POST`` JSON, body = the REST representation of the order, product or inventory level when
  the event fired (:mod:`.shopify_hook_payloads`; retries carry that same payload); headers ``X-Shopify-Topic``, ``X-Shopify-Hmac-Sha256`` (base64 HMAC-SHA256 of
  the raw body with the app's client secret), ``X-Shopify-Shop-Domain``, ``X-Shopify-API-Version``,
  ``X-Shopify-Webhook-Id`` (one per delivery, kept by its retries), ``X-Shopify-Event-Id``,
  ``X-Shopify-Triggered-At``.
* Retries: a non-2xx answer (or none) is retried 8 times over about 4 hours with exponential backoff
  (https://shopify.dev/changelog/updates-to-webhook-retry-mechanism; Shopify does not publish the delays:
  here 60 s doubling, 4.25 h in all), compressed by the ``time_scale`` option.

Options (``ShopifySim(webhooks={...})``): ``client_secret`` (default derived from the seed), ``time_scale``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import re
import uuid
from typing import Any

from passerelle_sandbox.shopify_hook_payloads import inventory_level, rest_product
from passerelle_sandbox.shopify_shop import not_simulated
from passerelle_sandbox.webhooks import Subscription, WebhookSender

__all__ = ["ShopifyWebhooks"]

SIMULATED = ("orders/create", "orders/updated", "products/update", "inventory_levels/update")
RETRIES = tuple(60.0 * 2 ** n for n in range(8))


class ShopifyWebhooks:
    def __init__(self, sim: Any, client_secret: str | None = None, time_scale: float = 1.0):
        self.sim = sim
        rng = random.Random(f"shopify-client-secret:{sim.dataset.seed}")
        self.client_secret = client_secret or "shpss_" + "%032x" % rng.getrandbits(128)
        self.sender = WebhookSender(self.build, retries=RETRIES, time_scale=time_scale, at_trigger=True)

    def rest(self, request: Any, path: str, headers: list[tuple[str, str]]) -> Any:
        """The answer to a ``webhooks`` REST route, or None for another path."""
        method = request.method.upper()
        if path == "webhooks.json" and method == "GET":
            return self.sim.json(200, {"webhooks": [self.render(s) for s in self.sender.subscriptions.values()]},
                                 headers)
        if path == "webhooks.json" and method == "POST":
            return self.create(request, headers)
        match = re.fullmatch(r"webhooks/(\d+)\.json", path)
        if match is None:
            return None
        sub = self.sender.subscriptions.get(int(match.group(1)))
        if sub is None:
            return self.sim.json(404, {"errors": "Not Found"}, headers)
        if method == "GET":
            return self.sim.json(200, {"webhook": self.render(sub)}, headers)
        if method == "DELETE":
            del self.sender.subscriptions[sub.id]
            return self.sim.json(200, {}, headers)
        return not_simulated(self.sim, f"{method} {path}", headers)

    def create(self, request: Any, headers: list[tuple[str, str]]) -> Any:
        try:
            given = json.loads(request.body or b"{}").get("webhook")
        except (ValueError, AttributeError):
            given = None
        if not isinstance(given, dict):
            return self.sim.json(400, {"errors": {"webhook": "Required parameter missing or invalid"}}, headers)
        topic, address = str(given.get("topic") or ""), str(given.get("address") or "")
        if topic not in SIMULATED or given.get("format", "json") != "json":
            return not_simulated(self.sim, f"webhook topic {topic} (format {given.get('format', 'json')})", headers)
        if not address.startswith(("https://", "http://")):
            return not_simulated(self.sim, f"webhook address {address!r}", headers)
        created = self.sim.now().astimezone(self.sim.tz).isoformat()
        sub = self.sender.subscribe(topic, address, self.client_secret, created=created)
        return self.sim.json(201, {"webhook": self.render(sub)}, headers)

    def render(self, sub: Subscription) -> dict[str, Any]:
        return {"id": 1056194000000 + sub.id, "address": sub.url, "topic": sub.topic,
                "created_at": sub.extra.get("created"), "updated_at": sub.extra.get("created"), "format": "json",
                "fields": [], "metafield_namespaces": [], "api_version": self.sim.api_version,
                "private_metafield_namespaces": []}

    def changed(self, topic: str, rec: dict[str, Any]) -> int:
        """An order changed (``orders/*``): its REST form is the body."""
        return self.sender.fire(topic, rec)

    def product_changed(self, product: dict[str, Any]) -> int:
        if not self.wanted("products/update"):  # the body is built only for a subscriber (catalogue imports)
            return 0
        with self.sim.lock:
            body = rest_product(self.sim, product)
        return self.sender.fire("products/update", {"ready": body})

    def level_changed(self, item: dict[str, Any], location_id: int, available: int) -> int:
        if not self.wanted("inventory_levels/update"):
            return 0
        return self.sender.fire("inventory_levels/update",
                                {"ready": inventory_level(self.sim, item, location_id, available, self.sim.now())})

    def wanted(self, topic: str) -> bool:
        return any(s.topic == topic and s.status == "active" for s in list(self.sender.subscriptions.values()))

    def build(self, sub: Subscription, topic: str, rec: dict[str, Any]) -> tuple[bytes, list[tuple[str, str]]]:
        with self.sim.lock:
            payload = rec["ready"] if "ready" in rec else self.sim.rest.render(rec)  # a catalogue body / an order
            body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
            fired = self.sim.now()
        signature = base64.b64encode(hmac.new(sub.secret.encode(), body, hashlib.sha256).digest()).decode()
        return body, [("Content-Type", "application/json"), ("X-Shopify-Topic", topic),
                      ("X-Shopify-Hmac-Sha256", signature), ("X-Shopify-Shop-Domain", f"{self.sim.shop}.myshopify.com"),
                      ("X-Shopify-API-Version", self.sim.api_version), ("X-Shopify-Webhook-Id", str(uuid.uuid4())),
                      ("X-Shopify-Event-Id", str(uuid.uuid4())),
                      ("X-Shopify-Triggered-At", fired.astimezone().isoformat())]
