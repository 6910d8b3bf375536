"""Shopify Admin API simulator: GraphQL Admin API + the legacy REST orders endpoint.

Routing: everything lives under ``/admin/api/<YYYY-MM>/``; other paths, versions that are not
``YYYY-01|04|07|10``, REST routes and GraphQL root fields the simulator does not serve answer **501**
"… is not simulated" (:func:`.shopify_shop.not_simulated`), never a genuine-looking ``404 Not Found``
or ``undefinedField``. ``GET shop.json`` and GraphQL ``shop`` serve the shop (:mod:`.shopify_shop`). Auth: ``X-Shopify-Access-Token``
missing or wrong → 401 ``{"errors":"[API] Invalid API key or access token (unrecognized login or wrong
password)"}``. Every answer carries ``X-Request-Id`` and ``X-Shopify-API-Version``.

GraphQL ``POST graphql.json`` (engine in :mod:`.shopify_gql`, schema in :mod:`.shopify_schema`):
body ``{"query", "variables", "operationName"}`` (or ``application/graphql``); a missing query → 400
``{"errors":{"query":"Required parameter missing or invalid"}}``. Cost-based leaky bucket: a query whose
requested cost exceeds ``max_query_cost`` fails with ``MAX_COST_EXCEEDED``; a query costing more than
what is available fails with ``{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}]}``
(HTTP ``throttle_status``, 200 by default) and ``actualQueryCost: null``; otherwise the requested cost is
taken, and the difference with the actual cost refunded. Every executed answer has
``extensions.cost {requestedQueryCost, actualQueryCost, throttleStatus {maximumAvailable,
currentlyAvailable, restoreRate}}``.

REST: ``GET orders.json`` (``status`` default ``open`` hides closed/cancelled orders,
``limit`` default 50 / max 250, filters, ``fields``; cursor pages in ``Link`` rel next/previous
with ``page_info`` — a ``page_info`` request may only add ``limit``/``fields``, anything else → 400
``{"errors":{"<p>":"<p> cannot be passed when page_info is present"}}``; no Link when one page holds
everything), ``GET orders/count.json``, ``GET orders/<id>.json``, ``PUT orders/<id>.json`` (``tags``
replaces the whole string; ``note``, ``note_attributes`` (replaced), ``email``, ``metafields``),
``POST orders/<id>/close.json|open.json``. Leaky bucket of ``rest_bucket`` calls leaking ``rest_leak``
per second: every REST answer has ``X-Shopify-Shop-Api-Call-Limit: <used>/<bucket>``; overrun → 429
``Retry-After: 2.0`` and ``{"errors":"Exceeded 2 calls per second for api client. …"}``.

Options for facts the reference leaves open: ``throttle_status`` (200; some clients see 429),
``graphql_bucket``/``restore_rate`` (2000 / 100 per s: Standard plan restore rate, bucket size
unverified), ``max_query_cost`` (1000, shopify.dev; None disables), ``limit_over_max`` ("clamp" | "error"),
``read_all_orders`` (True; False hides orders older than 60 days), ``closed_every`` (close every
Nth order of the data set, to exercise ``status``), ``money_2dp`` (GraphQL ``Decimal`` as "42.00").
"""
from __future__ import annotations

import json
import math
import re
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

from passerelle_sandbox._http import Request, Response, Simulator
from passerelle_sandbox.dataset import Dataset
from passerelle_sandbox.faults import Faults
from passerelle_sandbox.shopify_data import (
    LOCATION_ID, ORDER_ID_BASE, PRODUCT_ID_BASE, VARIANT_ID_BASE, build_inventory, build_orders, gid, gql_time,
    rest_time,
)
from passerelle_sandbox.shopify_catalogue_more import rest_images, seed_more
from passerelle_sandbox.shopify_catalogue import build_customers, build_price_lists, build_products
from passerelle_sandbox.shopify_fulfil import seed_fulfillment_orders, seed_fulfillments
from passerelle_sandbox.shopify_payments import add_refund, seed_payments
from passerelle_sandbox.shopify_gql import GqlError, execute, parse
from passerelle_sandbox.shopify_rest import RestOrders
from passerelle_sandbox.shopify_schema import SCHEMA
from passerelle_sandbox.shopify_search import OrderIndex
from passerelle_sandbox.shopify_shop import derive_token, not_simulated, unsimulated_root
from passerelle_sandbox.shopify_levels import rest_levels
from passerelle_sandbox.shopify_webhooks import ShopifyWebhooks

__all__ = ["ShopifySim"]

INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
EXCEEDED = "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
_PATH = re.compile(r"^/admin/api/(?P<version>[^/]+)/(?P<rest>.+)$")
_VERSION = re.compile(r"^20\d\d-(01|04|07|10)$")


class ShopifySim(Simulator):
    """In-memory Shopify store: ``orders`` (REST dicts, see :mod:`.shopify_data`), inventory, buckets."""

    name = "shopify"
    server_header = "cloudflare"

    def __init__(self, dataset: Dataset, *, access_token: str | None = None, api_version: str = "2024-10",
                 shop: str = "passerelle-sandbox", timezone_name: str = "Europe/Paris", currency: str = "EUR",
                 rest_bucket: int = 40, rest_leak: float = 2.0, retry_after: str = "2.0",
                 graphql_bucket: float = 2000.0, restore_rate: float = 100.0, max_query_cost: int | None = 1000,
                 throttle_status: int = 200, limit_over_max: str = "clamp", read_all_orders: bool = True,
                 closed_every: int = 0, money_2dp: bool = False,
                 clock: Callable[[], datetime] | None = None, faults: Faults | None = None,
                 webhooks: dict[str, Any] | None = None) -> None:
        super().__init__(faults)
        if limit_over_max not in ("clamp", "error"):
            raise ValueError("limit_over_max must be 'clamp' or 'error'")
        self.dataset = dataset
        self.access_token = access_token or derive_token(dataset.seed)
        self.api_version, self.shop, self.currency = api_version, shop, currency
        self.tz = ZoneInfo(timezone_name)
        self.rest_bucket, self.rest_leak, self.retry_after = rest_bucket, float(rest_leak), retry_after
        self.graphql_bucket, self.restore_rate = float(graphql_bucket), float(restore_rate)
        self.max_query_cost, self.throttle_status = max_query_cost, throttle_status
        self.limit_over_max, self.read_all_orders, self.money_2dp = limit_over_max, read_all_orders, money_2dp
        self.clock = clock or (lambda: datetime.now(timezone.utc).replace(microsecond=0))
        self.orders: list[dict[str, Any]] = build_orders(dataset, self.tz, currency, closed_every)
        self.by_id = {rec["id"]: rec for rec in self.orders}
        self.inventory_items = build_inventory(dataset)
        self._items_by_id = {item["id"]: item for item in self.inventory_items}
        self._items_by_sku = {item["sku"]: item for item in self.inventory_items}
        self.location = {"id": LOCATION_ID, "gid": gid("Location", LOCATION_ID), "name": "Entrepôt Paris"}
        self.adjustments: list[dict[str, Any]] = []
        self.search_warnings: list[dict[str, Any]] = []
        self._indexes: dict[str, OrderIndex] = {}
        self._rest_level, self._rest_stamp = 0.0, time.monotonic()
        self._gql_available, self._gql_stamp = self.graphql_bucket, time.monotonic()
        self._metafield_seq = 0
        self.requests_429 = 0
        self.throttled = 0
        self.rest, self.hooks = RestOrders(self), ShopifyWebhooks(self, **(webhooks or {}))
        self.products = build_products(dataset)
        self.customers = build_customers(dataset, currency)
        self.price_lists = build_price_lists(currency)
        self._variants = {v["id"]: v for p in self.products for v in p["variants"]}
        self.product_writes: list[int] = []  # product ids written by productSet, in order
        self._handles: dict[str, dict[str, Any]] = {}
        self._indexed = -1  # len(products) when _handles was built
        self._last = {"product": 0, "variant": 0, "item": 0}  # the highest ids given (0: none given yet)
        self.break_seq = 0
        self.request_version = api_version
        self.fulfillments: list[dict[str, Any]] = []  # every fulfillmentCreate, in order
        seed_payments(self)
        seed_fulfillment_orders(self)
        seed_more(self)  # collections, more locations, product images, discounts, shop locales
        seed_fulfillments(self)  # the data set's partial shipments

    # -- helpers for tests ------------------------------------------------------------------------
    def connector_url(self, root: str) -> str:
        return root  # the shop URL; the connector adds /admin/api/<version>

    def api_root(self, root: str) -> str:
        return f"{root}/admin/api/{self.api_version}/"

    def credentials(self) -> dict[str, str]:
        return {"access_token": self.access_token}

    def order(self, number: int) -> dict[str, Any]:
        """The stored order of data set id ``number`` (1042 → REST id 5829173215423)."""
        return self.by_id[ORDER_ID_BASE + number]

    def tags(self, number: int) -> list[str]:
        return [t.strip() for t in self.order(number)["tags"].split(",") if t.strip()]

    def refund(self, rec: dict[str, Any], lines: dict[str, int], shipping: bool = False,
               note: str | None = None) -> dict[str, Any]:
        """Test helper: refund ``lines`` (SKU -> quantity) of order ``rec`` (:mod:`.shopify_payments`)."""
        with self.lock:
            return add_refund(self, rec, lines, shipping, note)

    def stock(self, sku: str, name: str = "available") -> int:
        return self._items_by_sku[sku]["quantities"][name]

    def inventory_gid(self, sku: str) -> str:
        return gid("InventoryItem", self._items_by_sku[sku]["id"])

    # -- used by the schema and the REST handlers -------------------------------------------------
    def now(self) -> datetime:
        return self.clock()

    def visible(self, rec: dict[str, Any]) -> bool:
        return self.read_all_orders or rec["_created"] >= self.now() - timedelta(days=60)

    def order_index(self, key: str) -> OrderIndex:
        index = self._indexes.get(key)
        if index is None:
            index = self._indexes[key] = OrderIndex(self.orders, key)
        return index

    def order_by_gid(self, ident: Any) -> dict[str, Any] | None:
        text = str(ident or "")
        if not text.startswith("gid://shopify/Order/") or not text.rsplit("/", 1)[-1].isdigit():
            return None
        rec = self.by_id.get(int(text.rsplit("/", 1)[-1]))
        return rec if rec is not None and self.visible(rec) else None

    def inventory_by_gid(self, ident: Any) -> dict[str, Any] | None:
        text = str(ident or "")
        if not text.startswith("gid://shopify/InventoryItem/") or not text.rsplit("/", 1)[-1].isdigit():
            return None
        return self._items_by_id.get(int(text.rsplit("/", 1)[-1]))

    def inventory_by_sku(self, sku: str) -> dict[str, Any] | None:
        return self._items_by_sku.get(sku)

    # -- catalogue (shopify_catalogue*.py) ---------------------------------------------------------
    def _by_gid(self, kind: str, ident: Any) -> int | None:
        text = str(ident or "")
        tail = text.rsplit("/", 1)[-1]
        return int(tail) if text.startswith(f"gid://shopify/{kind}/") and tail.isdigit() else None

    def customer_by_gid(self, ident: Any) -> dict[str, Any] | None:
        number = self._by_gid("Customer", ident)
        return next((c for c in self.customers if c["id"] == number), None)

    def product_by_gid(self, ident: Any) -> dict[str, Any] | None:
        number = self._by_gid("Product", ident)
        return next((p for p in self.products if p["id"] == number), None)

    def product_by_handle(self, handle: str) -> dict[str, Any] | None:
        # indexed (productSet upserts by handle: a scan per call made 20,000 products quadratic); the
        # first product of a handle wins; a product renamed since it was indexed is found by a scan
        if self._indexed != len(self.products):  # products added elsewhere: index again
            self._handles, self._indexed = {}, len(self.products)
            for product in reversed(self.products):
                self._handles[product["handle"]] = product
        found = self._handles.get(handle)
        if found is not None and found["handle"] != handle:
            found = next((p for p in self.products if p["handle"] == handle), None)
        return found

    def index_handle(self, product: dict[str, Any]) -> None:
        """After ``product``'s handle was set (it is found by it from now on)."""
        self._handles.setdefault(product["handle"], product)

    def price_list_by_gid(self, ident: Any) -> dict[str, Any] | None:
        return next((p for p in self.price_lists if p["gid"] == ident), None)

    def variant_by_id(self, ident: Any) -> dict[str, Any] | None:
        self._variants = {v["id"]: v for p in self.products for v in p["variants"]}
        return self._variants.get(int(ident)) if str(ident).isdigit() else None

    def variant_by_gid(self, ident: Any) -> dict[str, Any] | None:
        number = self._by_gid("ProductVariant", ident)
        return None if number is None else self.variant_by_id(number)

    def variant_by_sku(self, sku: str) -> dict[str, Any] | None:
        return next((v for p in self.products for v in p["variants"] if v["sku"] == sku), None)

    def product_of_variant(self, ident: Any) -> dict[str, Any] | None:
        return next((p for p in self.products if any(v["id"] == ident for v in p["variants"])), None)

    def new_product(self, handle: str) -> dict[str, Any]:
        if not self._last["product"]:  # ids grow, never reused; the highest is found once
            self._last["product"] = max([p["id"] for p in self.products] + [PRODUCT_ID_BASE])
        self._last["product"] = ident = self._last["product"] + 1
        product = {"id": ident, "handle": handle, "title": "", "status": "ACTIVE", "vendor": "",
                   "_created": self.now(), "_updated": self.now(), "options": [], "variants": []}
        self.products.append(product)
        if self._indexed == len(self.products) - 1:
            self._indexed += 1
            self.index_handle(product)
        return product

    def next_variant_id(self) -> int:
        # ids grow, never reused (the highest is found once: a scan per variant made big catalogues quadratic)
        known = [v["id"] for p in self.products for v in p["variants"]] if not self._last["variant"] else []
        self._last["variant"] = max(known + [self._last["variant"], VARIANT_ID_BASE + 900000]) + 1
        return self._last["variant"]

    def ensure_inventory(self, sku: str | None) -> None:
        if sku and sku not in self._items_by_sku:
            self._last["item"] = (self._last["item"] or max(self._items_by_id, default=0)) + 1
            item = {"id": self._last["item"], "sku": sku, "tracked": True,
                    "quantities": {"available": 0, "on_hand": 0}}
            self.inventory_items.append(item)
            self._items_by_id[item["id"]] = item
            self._items_by_sku[sku] = item

    def price_breaks(self, sku: str | None = None) -> list[dict[str, Any]]:
        """The price breaks of the B2B price list (of one SKU's variant), sorted by minimum quantity."""
        variant = self.variant_by_sku(sku) if sku is not None else None
        return sorted((b for b in self.price_lists[0]["breaks"] if variant is None or b["variant_id"] == variant["id"]),
                      key=lambda b: (b["variant_id"], b["minimumQuantity"]))

    def touch(self, rec: dict[str, Any]) -> None:
        moment = self.now()
        rec["_updated"] = moment
        rec["updated_at"] = rest_time(moment, self.tz)
        self._indexes.pop("_updated", None)
        self.hooks.changed("orders/updated", rec)  # Shopify fires orders/updated on every change

    def set_tags(self, rec: dict[str, Any], tags: list[str], touch: bool = True) -> None:
        rec["tags"] = ", ".join(tags)
        if touch:
            self.touch(rec)

    def put_metafield(self, rec: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
        namespace, key = item.get("namespace") or "$app", item.get("key")
        now = gql_time(self.now())
        for mf in rec["_metafields"]:
            if mf["namespace"] == namespace and mf["key"] == key:
                mf.update(value=str(item.get("value")), type=item.get("type") or mf["type"], updatedAt=now)
                return mf
        self._metafield_seq += 1
        ident = 26012345678000 + self._metafield_seq
        mf = {"id": gid("Metafield", ident), "namespace": namespace, "key": key, "value": str(item.get("value")),
              "type": item.get("type"), "createdAt": now, "updatedAt": now}
        rec["_metafields"].append(mf)
        return mf

    # -- request pipeline -------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        match = _PATH.match(request.path)
        headers = [("X-Request-Id", str(uuid.uuid4()))]
        if match is None:
            return not_simulated(self, f"{request.method.upper()} {request.path}", headers)
        version = match.group("version")
        headers.append(("X-Shopify-API-Version", version))
        if request.header("X-Shopify-Access-Token") != self.access_token:
            return self.json(401, {"errors": INVALID_TOKEN}, headers)
        if not _VERSION.match(version):
            return not_simulated(self, f"API version {version}", headers)
        with self.lock:
            if match.group("rest") == "graphql.json":
                self.request_version = version  # productSet's identifier exists from 2025-04 on
                return self.graphql(request, headers)
            used = self._rest_take()
            limit = ("X-Shopify-Shop-Api-Call-Limit", f"{used}/{self.rest_bucket}")
            if used < 0:
                self.requests_429 += 1
                return self.json(429, {"errors": EXCEEDED}, headers + [
                    ("X-Shopify-Shop-Api-Call-Limit", f"{self.rest_bucket}/{self.rest_bucket}"),
                    ("Retry-After", self.retry_after)])
            if request.method.upper() != "GET":
                self.write_requests.append(f"{request.method.upper()} {match.group('rest')}")
            images = rest_images(self, request, match.group("rest"), headers + [limit])
            hooks = images or self.hooks.rest(request, match.group("rest"), headers + [limit]) \
                or rest_levels(self, request, match.group("rest"), headers + [limit])
            return hooks or self.rest.handle(request, match.group("rest"), version, headers + [limit])

    @staticmethod
    def json(status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        return Response(status, data, [("Content-Type", "application/json; charset=utf-8"), *headers])

    def _rest_take(self) -> int:
        """Leak, then add one call; the used count, or -1 when the bucket is full."""
        now = time.monotonic()
        self._rest_level = max(0.0, self._rest_level - (now - self._rest_stamp) * self.rest_leak)
        self._rest_stamp = now
        if self._rest_level + 1 > self.rest_bucket + 1e-9:
            return -1
        self._rest_level += 1
        return max(1, math.ceil(self._rest_level - 1e-9))

    # -- GraphQL ----------------------------------------------------------------------------------
    def _gql_restore(self) -> float:
        now = time.monotonic()
        self._gql_available = min(self.graphql_bucket,
                                  self._gql_available + (now - self._gql_stamp) * self.restore_rate)
        self._gql_stamp = now
        return self._gql_available

    def _cost(self, requested: int | None, actual: int | None) -> dict[str, Any]:
        return {"requestedQueryCost": requested, "actualQueryCost": actual,
                "throttleStatus": {"maximumAvailable": self.graphql_bucket,
                                   "currentlyAvailable": int(self._gql_restore()),
                                   "restoreRate": self.restore_rate}}

    def graphql(self, request: Request, headers: list[tuple[str, str]]) -> Response:
        if request.method != "POST":
            return self.json(405, {"errors": "Method Not Allowed"}, headers)
        kind = (request.header("Content-Type") or "").split(";")[0].strip().lower()
        query, variables, operation = None, None, None
        if kind == "application/graphql":
            query = request.body.decode("utf-8", "replace")
        else:
            try:
                body = json.loads(request.body or b"null")
            except ValueError:
                body = None
            if isinstance(body, dict):
                query, variables, operation = body.get("query"), body.get("variables"), body.get("operationName")
        if not isinstance(query, str) or not query.strip() or not isinstance(variables, (dict, type(None))):
            return self.json(400, {"errors": {"query": "Required parameter missing or invalid"}}, headers)
        self.search_warnings = []
        if query.lstrip().startswith("mutation"):
            self.write_requests.append(query.split("(", 1)[0].split("{", 1)[0].strip())
        state: dict[str, Any] = {}

        def admit(requested: int) -> None:
            state["requested"] = requested
            if self.max_query_cost is not None and requested > self.max_query_cost:
                raise GqlError(f"Query cost is {requested}, which exceeds the single query max cost limit "
                               f"({self.max_query_cost}).", code="MAX_COST_EXCEEDED", cost=requested,
                               maxCost=self.max_query_cost)
            if self._gql_restore() < requested:
                self.throttled += 1
                raise GqlError("Throttled", code="THROTTLED",
                               documentation="https://shopify.dev/api/usage/rate-limits")
            self._gql_available -= requested

        try:
            body, requested, actual = execute(SCHEMA, parse(query), operation, variables, self, run=admit)
        except GqlError as error:
            out: dict[str, Any] = {"errors": [error.render()]}
            if "requested" in state:
                out["extensions"] = {"cost": self._cost(state["requested"], None)}
            status = self.throttle_status if error.code == "THROTTLED" else 200
            return self.json(status, out, headers)
        if requested is not None and actual is not None:
            self._gql_available = min(self.graphql_bucket, self._gql_available + max(0, requested - actual))
            body["extensions"] = {"cost": self._cost(requested, actual)}
            if self.search_warnings:
                body["extensions"]["search"] = self.search_warnings
        return self.json(501 if unsimulated_root(body) else 200, body, headers)
