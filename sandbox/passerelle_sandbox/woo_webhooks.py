"""WooCommerce webhooks: the ``/wp-json/wc/v3/webhooks`` resource and signed deliveries
(``WC_Webhook::deliver``; https://woocommerce.github.io/woocommerce-rest-api-docs/#webhooks).

* ``POST /webhooks`` (``topic``, ``delivery_url`` required; ``name``, ``status``, ``secret``) → 201; then the
  ping: an unsigned form body ``webhook_id=N`` POSTed to the URL (the REST create answers 201 whatever
  the ping gave; its answer is kept in ``sim.webhook_pings``). ``GET /webhooks[/<id>]``, ``PUT``, ``DELETE``
  (``force=true``). ``secret`` is write-only. Simulated topics: ``order.created``, ``order.updated``,
  ``product.created``, ``product.updated``; others → 501 not simulated.
* A delivery: ``POST`` JSON, body = the resource as ``GET /wc/v3/<resource>s/<id>`` gives it, built when
  it is sent, written as PHP's ``json_encode`` does (``\\/``, ``\\uXXXX``); headers ``X-WC-Webhook-Source``
  (site URL with ``/``), ``-Topic``, ``-Resource``, ``-Event``, ``-Signature`` (base64 HMAC-SHA256 of the
  body with the secret), ``-ID``, ``-Delivery-ID`` (a hash of the webhook id and the current second).
* No retry: success is 200-302; each failure counts, and a failure while the count is already above 5
  disables the webhook (``status: disabled``); a success resets the count.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.error
import urllib.request
from typing import Any

from passerelle_sandbox import _json
from passerelle_sandbox.webhooks import Subscription, WebhookSender
from passerelle_sandbox.woo_query import WcError

__all__ = ["WooWebhooks"]

SIMULATED = ("order.created", "order.updated", "product.created", "product.updated")
REAL_RESOURCES, REAL_EVENTS = ("order", "product", "customer", "coupon"), ("created", "updated", "deleted", "restored")
MAX_FAILURES = 5  # woocommerce_max_webhook_delivery_failures


class WooWebhooks:
    def __init__(self, sim: Any, **options: Any):
        self.sim = sim
        self.sender = WebhookSender(self.build, success=lambda status: 200 <= status <= 302, on_failure=self.counted,
                                    **options)
        self.site = ""

    # -- the REST resource ------------------------------------------------------------------------------
    def routes(self, parts: list[str]) -> dict[str, Any] | None:
        if len(parts) == 1:
            return {"GET": ("list", lambda **kw: (200, [self.render(s) for s in self.sender.subscriptions.values()], [])),
                    "POST": ("create", self.create)}
        if len(parts) == 2 and parts[1].isdigit():
            wid = int(parts[1])
            return {"GET": ("view", lambda **kw: (200, self.render(self.get(wid)), [])),
                    **{m: ("edit", lambda **kw: self.update(wid, **kw)) for m in ("POST", "PUT", "PATCH")},
                    "DELETE": ("delete", lambda **kw: self.delete(wid, **kw))}
        return None

    def get(self, wid: int) -> Subscription:
        sub = self.sender.subscriptions.get(wid)
        if sub is None:
            raise WcError(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
        return sub

    def create(self, *, body: Any, site: str, **_: Any) -> tuple[int, Any, list]:
        body = body if isinstance(body, dict) else {}
        missing = [name for name in ("topic", "delivery_url") if not body.get(name)]
        if missing:
            raise WcError(400, "rest_missing_callback_param", f"Missing parameter(s): {', '.join(missing)}")
        topic = str(body["topic"])
        if topic not in SIMULATED:
            raise WcError(501, "passerelle_sandbox_not_simulated",
                          f"The Passerelle sandbox does not simulate webhook topic {topic}.")
        self.site = site
        now = self.sim.clock()
        sub = self.sender.subscribe(topic, str(body["delivery_url"]), str(body.get("secret") or ""),
                                    name=str(body.get("name") or f"Webhook created on {now:%B %d, %Y}"),
                                    created=now.strftime("%Y-%m-%dT%H:%M:%S"))
        sub.status = str(body.get("status") or "active")
        self.ping(sub)
        return 201, self.render(sub), []

    def update(self, wid: int, *, body: Any, **_: Any) -> tuple[int, Any, list]:
        sub = self.get(wid)
        body = body if isinstance(body, dict) else {}
        if body.get("status") in ("active", "paused", "disabled"):
            sub.status = body["status"]
            sub.failures = 0 if sub.status == "active" else sub.failures
        if body.get("delivery_url"):
            sub.url = str(body["delivery_url"])
        if "secret" in body:
            sub.secret = str(body["secret"] or "")
        return 200, self.render(sub), []

    def delete(self, wid: int, *, params: dict[str, Any], **_: Any) -> tuple[int, Any, list]:
        sub = self.get(wid)
        if str(params.get("force", "")).lower() not in ("true", "1"):
            raise WcError(501, "passerelle_sandbox_not_simulated",
                          "The Passerelle sandbox only deletes webhooks with force=true.")
        del self.sender.subscriptions[wid]
        return 200, self.render(sub), []

    def render(self, sub: Subscription) -> dict[str, Any]:
        resource, _, event = sub.topic.partition(".")
        return {"id": sub.id, "name": sub.extra.get("name", ""), "status": sub.status, "topic": sub.topic,
                "resource": resource, "event": event, "hooks": [f"woocommerce_{'new' if event == 'created' else 'update'}_"
                                                                 f"{resource}"],
                "delivery_url": sub.url, "date_created": sub.extra.get("created"),
                "date_created_gmt": sub.extra.get("created"), "date_modified": None, "date_modified_gmt": None}

    def ping(self, sub: Subscription) -> None:
        request = urllib.request.Request(sub.url, data=f"webhook_id={sub.id}".encode(), method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                result: Any = answer.status
        except urllib.error.HTTPError as exc:
            result = exc.code
        except (OSError, ValueError) as exc:
            result = str(exc)
        self.sim.webhook_pings.append({"webhook": sub.id, "result": result})

    # -- deliveries -----------------------------------------------------------------------------------
    def after(self, parts: list[str], method: str, answer: tuple[int, Any, list]) -> tuple[int, Any, list]:
        """A REST write answered: ``POST orders|products`` fires ``<resource>.created``, a write to
        ``orders/<id>`` or ``products/<id>`` fires ``<resource>.updated``; so does a write to a variation
        (``products/<id>/variations/<vid>``: ``woocommerce_update_product_variation`` is a hook of
        ``product.updated``, payload = ``products/<vid>``), and each updated item of ``products/batch`` or
        ``products/<id>/variations/batch`` (stock changes included). Returns the answer."""
        resource = {"orders": "order", "products": "product"}.get(parts[0])
        if resource is None or method not in ("POST", "PUT", "PATCH") or not isinstance(answer[1], dict):
            return answer
        if len(parts) == 1 and method == "POST":
            self.changed(f"{resource}.created", answer[1]["id"])
        elif len(parts) == 2 and parts[1].isdigit():
            self.changed(f"{resource}.updated", answer[1]["id"])
        elif resource == "product" and parts[-1] == "batch" and len(parts) in (2, 4):
            for item in answer[1].get("update") or []:
                if isinstance(item, dict) and "error" not in item and "id" in item:
                    self.changed("product.updated", item["id"])
        elif resource == "product" and len(parts) == 4 and parts[2] == "variations" and parts[3].isdigit():
            self.changed("product.updated", answer[1]["id"])
        return answer

    def changed(self, topic: str, record_id: int) -> int:
        """A stored change (``order.updated``, record id): deliveries to every active webhook of the topic."""
        return self.sender.fire(topic, record_id)

    def build(self, sub: Subscription, topic: str, record_id: Any) -> tuple[bytes, list[tuple[str, str]]]:
        resource, _, event = topic.partition(".")
        table = self.sim.orders if resource == "order" else self.sim.products
        with self.sim.lock:  # GET products/<id> answers a variation's id with the variation
            record = table[record_id] if record_id in table or resource == "order" else self.sim.variations[record_id]
            payload = self.sim._render(record, self.site or "http://127.0.0.1", {})
            body = _json.dumps(payload, escape_slashes=True).strip().encode("utf-8")
        signature = base64.b64encode(hmac.new(sub.secret.encode(), body, hashlib.sha256).digest()).decode()
        site = (self.site or "http://127.0.0.1").rstrip("/") + "/"
        delivery = hashlib.md5(f"{sub.id}{int(time.time())}".encode()).hexdigest()  # wp_hash(id . time())
        return body, [("Content-Type", "application/json"), ("User-Agent", f"WooCommerce/{self.sim.builder.version} "
                                                                            "Hookshot (WordPress/6.6)"),
                      ("X-WC-Webhook-Source", site), ("X-WC-Webhook-Topic", topic),
                      ("X-WC-Webhook-Resource", resource), ("X-WC-Webhook-Event", event),
                      ("X-WC-Webhook-Signature", signature), ("X-WC-Webhook-ID", str(sub.id)),
                      ("X-WC-Webhook-Delivery-ID", delivery)]

    def counted(self, sub: Subscription, ok: bool) -> None:
        if ok:
            sub.failures = 0
            return
        if sub.failures > MAX_FAILURES:
            sub.status = "disabled"
        sub.failures += 1
