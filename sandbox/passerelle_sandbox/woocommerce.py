"""WooCommerce REST API ``wc/v3`` simulator over plain HTTP (WooCommerce REST API docs).

Routes under ``/wp-json/wc/v3/`` (WordPress registers ``POST, PUT, PATCH`` for every "editable" route):

==========================================  ====================================================
GET            ``orders``                   filters (:mod:`.woo_lists`), paging headers
GET/PUT        ``orders/<id>``              order shape; partial update (:mod:`.woo_writes`)
GET/POST       ``orders/<id>/notes``        private/customer notes
GET            ``products`` (``sku``), ``products/<id>``; PUT ``products/<id>`` (stock)
POST           ``products/batch``, ``products/<pid>/variations/batch``
GET/PUT        ``products/<pid>/variations[/<id>]``
GET            ``customers[/<id>]``, ``taxes[/<id>]``, ``shipping_methods[/<id>]``
POST/GET       ``/wp-json/wp/v2/media[/<id>]`` WordPress' media library, files under ``/wp-content/uploads/``
==========================================  ====================================================

Authentication: the server is plain HTTP, so only OAuth 1.0a one-legged signatures count
(:mod:`.woo_oauth`); HTTP Basic and ``consumer_key``/``consumer_secret`` query parameters are not even
looked at, and the request proceeds unauthenticated: the route then answers 401
``woocommerce_rest_cannot_view`` "Sorry, you cannot list resources.". Key permissions: GET/HEAD
need ``read``, writes need ``write`` ("The API key provided does not have read|write permissions.").
Unknown route or method → 404 ``rest_no_route``. Errors are ``{"code","message","data":{"status"}}``.

Options for unverified facts (stated values as defaults): ``anonymous_error`` ("view": every route
answers ``woocommerce_rest_cannot_view``; "per_route": view/edit/create/batch codes), ``coupon_lowercase``,
``rate_percent`` / ``instance_id`` (newer fields on tax/shipping lines), ``meta_null_deletes``,
``sku_matches_variations``, ``orderby_modified`` (True: ``orderby`` accepts ``modified`` as the current
``WC_REST_CRUD_Controller`` does; False mimics the older ``date, id, include, title, slug``), ``line_price`` ("subtotal" or "total"),
``link_rels``. Others: ``consumer_key``/``consumer_secret`` (derived from the seed), ``permissions``,
``keys`` (extra ``{ck: (cs, permissions)}``), ``relax_http_auth`` (accept Basic/query keys like HTTPS),
``site_url`` (the URL WordPress believes it has; default from the Host header), ``timezone_name``,
``status_map`` (PrestaShop state → status), ``batch_limit``, ``version``, ``clock`` (aware UTC datetime),
``wp_users`` (``{login: (application password, role)}``) and ``application_passwords`` for WordPress' media
library under ``/wp-json/wp/v2/media`` (:mod:`.wp_media`).
"""
from __future__ import annotations

import base64
import json
import random
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Callable
from zoneinfo import ZoneInfo

from passerelle_sandbox import _json
from passerelle_sandbox._http import Request, Response, Simulator
from passerelle_sandbox.dataset import Dataset
from passerelle_sandbox.faults import Faults
from passerelle_sandbox.woo_data import DEFAULT_STATUS_MAP, SHIPPING_METHODS, Builder
from passerelle_sandbox.woo_lists import ListsMixin
from passerelle_sandbox.woo_oauth import AuthFailure, NonceStore, base_uri, collect_params, verify
from passerelle_sandbox.woo_query import WcError, wp_params
from passerelle_sandbox.woo_catalogue import apply_product_fields, category_routes, create_variation, with_fields
from passerelle_sandbox.woo_create import coupon_table, create_order
from passerelle_sandbox.woo_records import create_customer, create_product
from passerelle_sandbox.woo_refunds import create_refund, list_refunds, seed_refunds
from passerelle_sandbox.woo_refunds_all import refunds_route
from passerelle_sandbox.woo_writes import add_note, batch, update_order, update_stock_item
from passerelle_sandbox.woo_webhooks import WooWebhooks
from passerelle_sandbox.wp_media import API as WP_API, UPLOADERS, UPLOADS, MediaLibrary, media_response

__all__ = ["WooCommerceSim"]

PREFIX = "/wp-json/wc/v3/"
READ, EDIT = ("GET", "HEAD"), ("POST", "PUT", "PATCH")
ANON = {"list": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
        "view": ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
        "edit": ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
        "create": ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
        "batch": ("woocommerce_rest_cannot_batch", "Sorry, you are not allowed to batch manipulate this resource.")}
BASIC_REALM = ('Basic realm="WooCommerce API. Use a consumer key in the username field and a consumer secret '
               'in the password field."')


CRUD = ("orders", "products", "customers", "coupons", "taxes", "webhooks")
OTHER = ("reports", "settings", "system_status", "payment_gateways", "shipping", "data")
ITEM_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _real_route(parts: list[str], method: str) -> bool:
    """A route WooCommerce wc/v3 registers (docs' endpoint list) that the simulator leaves out → 501."""
    n, name = len(parts), parts[0]
    ident = n > 1 and parts[1].isdigit()
    if name in OTHER or (name == "products" and n > 1 and not ident and parts[1] not in ("batch", "categories")):
        return True  # attributes, categories, tags, shipping_classes, reviews…: not simulated at all
    if name not in CRUD:
        return False
    if n == 1:
        return method in ("GET", "HEAD", "POST")
    if n == 2:
        return method in (("POST", "PUT", "PATCH") if parts[1] == "batch" else ITEM_METHODS if ident else ())
    sub = parts[2] if ident else ""
    if (name, sub) in (("orders", "notes"), ("orders", "refunds"), ("products", "variations"),
                       ("customers", "downloads")):
        return n == 3 and method in ("GET", "HEAD", "POST") or n == 4 and method in ITEM_METHODS
    return False


def _derive(seed: int, prefix: str) -> str:
    rng = random.Random(f"woocommerce-{prefix}:{seed}")
    return prefix + "_" + "%040x" % rng.getrandbits(160)


class WooCommerceSim(ListsMixin, Simulator):
    """In-memory WooCommerce; ``orders``, ``products``, ``variations``, ``notes``, ``emails`` are inspectable."""

    name = "woocommerce"
    server_header = "nginx"

    def __init__(self, dataset: Dataset, *, consumer_key: str | None = None, consumer_secret: str | None = None,
                 permissions: str = "read_write", keys: dict[str, tuple[str, str]] | None = None,
                 relax_http_auth: bool = False, anonymous_error: str = "view", site_url: str | None = None,
                 timezone_name: str = "Europe/Paris", status_map: dict[int, str] | None = None,
                 coupon_lowercase: bool = True, rate_percent: bool = True, instance_id: bool = True,
                 meta_null_deletes: bool = True, sku_matches_variations: bool = True, orderby_modified: bool = True,
                 line_price: str = "subtotal", link_rels: tuple[str, ...] = ("first", "prev", "next", "last"),
                 batch_limit: int = 100, version: str = "8.8.3", clock: Callable[[], datetime] | None = None,
                 wp_users: dict[str, tuple[str, str]] | None = None, application_passwords: bool = True,
                 faults: Faults | None = None, webhooks: dict[str, Any] | None = None) -> None:
        super().__init__(faults)
        self.hooks, self.webhook_pings = WooWebhooks(self, **(webhooks or {})), []  # type: ignore[var-annotated]
        if anonymous_error not in ("view", "per_route") or line_price not in ("subtotal", "total"):
            raise ValueError("anonymous_error must be view|per_route and line_price subtotal|total")
        self.dataset = dataset
        self.consumer_key = consumer_key or _derive(dataset.seed, "ck")
        self.consumer_secret = consumer_secret or _derive(dataset.seed, "cs")
        self.keys = {self.consumer_key: (self.consumer_secret, permissions), **(keys or {})}
        self.relax_http_auth, self.anonymous_error, self.site_url = relax_http_auth, anonymous_error, site_url
        self.tz = ZoneInfo(timezone_name)
        self.meta_null_deletes, self.sku_matches_variations = meta_null_deletes, sku_matches_variations
        self.orderby_modified, self.link_rels, self.batch_limit = orderby_modified, tuple(link_rels), batch_limit
        self.clock = clock or (lambda: datetime.now(timezone.utc).replace(microsecond=0))
        self.nonces = NonceStore()
        self.builder = Builder(dataset, self.tz, status_map or DEFAULT_STATUS_MAP, coupon_lowercase=coupon_lowercase,
                               version=version, line_price=line_price, rate_percent=rate_percent,
                               instance_id=instance_id)
        articles = {(a.product_id, a.attribute_id): a for a in dataset.articles}
        self.orders = {o.id: self.builder.order(o) for o in dataset.orders}
        self.by_date = sorted(self.orders, key=lambda i: (self.orders[i]["date_created_gmt"], i))
        self.products = {p.id: self.builder.product(p, articles) for p in dataset.products}
        self.variations: dict[int, dict[str, Any]] = {}
        for product in dataset.products:
            for combo in product.combinations:
                record = self.builder.variation(product, articles[(product.id, combo.id)])
                record.update(name=f"{product.name_en} - {', '.join(v for _, v in combo.attributes)}", type="variation")
                self.variations[combo.id] = record
        # a guest checkout has no WordPress user: its order has customer_id 0 and no customer record
        self.customers = {c.id: self.builder.customer(c) for c in dataset.customers if not c.is_guest}
        self.taxes = {t["id"]: t for t in self.builder.taxes()}
        self.notes: dict[int, list[dict[str, Any]]] = {}
        self.note_id = 3000
        self.emails: list[dict[str, Any]] = []
        self.coupons = coupon_table(dataset)
        self.refunds: dict[int, dict[str, Any]] = {}
        self.item_id = 900000
        # the catalogue (woo_catalogue): product categories (15: WooCommerce's default "Uncategorized"), media
        self.categories: dict[int, dict[str, Any]] = {15: {"id": 15, "name": "Uncategorized", "slug": "uncategorized",
                                                           "parent": 0, "description": "", "display": "default",
                                                           "image": None, "menu_order": 0, "count": 0}}
        self.media: dict[int, dict[str, Any]] = {}
        self.media_id = 5000
        # the WordPress media library (wp_media): users with their application passwords
        self.wp = MediaLibrary(wp_users or {"shop-sync": (_derive(dataset.seed, "wp")[3:27], "shop_manager")},
                               application_passwords)
        seed_refunds(self, dataset)  # the data set's partial refunds, through the refund endpoint's code

    def next_item_id(self) -> int:
        """Order items (lines, shipping, fees, coupons, taxes) share one id sequence."""
        self.item_id += 1
        return self.item_id

    def next_order_id(self) -> int:
        """Orders and refunds share one id sequence."""
        return max([*self.orders, *self.refunds], default=0) + 1

    # -- fixture API / assertion helpers ------------------------------------------------------------
    def connector_url(self, root: str) -> str:
        return root  # the connector appends /wp-json/wc/v3

    def api_root(self, root: str) -> str:
        return f"{root}{PREFIX}"

    def credentials(self) -> dict[str, str]:
        """The REST API keys, and the first WordPress user with its application password (media uploads)."""
        login = next((u for u in sorted(self.wp.users) if self.wp.users[u][1] in UPLOADERS), sorted(self.wp.users)[0])
        return {"consumer_key": self.consumer_key, "consumer_secret": self.consumer_secret, "wp_user": login,
                "wp_application_password": self.wp.users[login][0]}

    def meta(self, order_id: int, key: str) -> Any:
        """The value of an order's meta entry (None when absent)."""
        return next((m["value"] for m in self.orders[order_id]["meta_data"] if m["key"] == key), None)

    def stock(self, sku: str) -> int | None:
        record = next(r for r in [*self.products.values(), *self.variations.values()] if r["sku"] == sku)
        return record["stock_quantity"]

    # -- pipeline -------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        site = self.site_url or f"http://{request.header('Host') or '127.0.0.1'}"
        method = request.method.upper()
        if request.path.startswith((WP_API, UPLOADS)):  # WordPress' own REST API and uploads (wp_media)
            return media_response(self, request, site)
        try:
            user = self._authenticate(request, site, method)
            status, body, headers = self._route(request, method, user, site)
        except WcError as error:
            status, body, headers = error.status, error.body(), []
        except AuthFailure as failure:
            status, body = failure.status, {"code": failure.code, "message": failure.message,
                                            "data": {"status": failure.status}}
            headers = [("WWW-Authenticate", BASIC_REALM)] if getattr(failure, "basic", False) else []
        headers += [("Content-Type", "application/json; charset=UTF-8"), ("X-Robots-Tag", "noindex"),
                    ("X-Content-Type-Options", "nosniff"),
                    ("Access-Control-Expose-Headers", "X-WP-Total, X-WP-TotalPages, Link")]
        return Response(status, _json.dumps(body).encode("utf-8"), headers, head_only=method == "HEAD")

    def _authenticate(self, request: Request, site: str, method: str) -> str | None:
        """The consumer key of the caller, or None (anonymous); AuthFailure for a refused one."""
        if not request.path.startswith(PREFIX):
            return None
        params = collect_params(request.query, request.body, request.header("Content-Type"),
                                request.header("Authorization"))
        uri = base_uri(site, request.path)
        with self.lock:
            key = verify(method, uri, params, {k: v[0] for k, v in self.keys.items()}, self.nonces,
                         self.clock().timestamp())
        if key is None and self.relax_http_auth:
            key = self._key_auth(request, params)
        if key is None:
            return None
        granted = self.keys[key][1]
        if method in READ and granted not in ("read", "read_write"):
            raise AuthFailure("woocommerce_rest_authentication_error",
                              "The API key provided does not have read permissions.")
        if method not in READ and method != "OPTIONS" and granted not in ("write", "read_write"):
            raise AuthFailure("woocommerce_rest_authentication_error",
                              "The API key provided does not have write permissions.")
        return key

    def _key_auth(self, request: Request, params: dict[Any, Any]) -> str | None:
        """HTTPS-style key/secret (query first, then Basic) — only with ``relax_http_auth``."""
        key, secret, basic = params.get("consumer_key"), params.get("consumer_secret"), False
        if not (key and secret):
            auth = request.header("Authorization") or ""
            if auth[:6].lower() != "basic ":
                return None
            basic = True
            try:
                decoded = base64.b64decode(auth[6:].strip()).decode("utf-8", "replace")
            except ValueError:
                decoded = ""
            key, _, secret = decoded.partition(":")
        failure = None
        if key not in self.keys:
            failure = AuthFailure("woocommerce_rest_authentication_error", "Consumer key is invalid.")
        elif self.keys[key][0] != secret:
            failure = AuthFailure("woocommerce_rest_authentication_error", "Consumer secret is invalid.")
        if failure is not None:
            failure.basic = basic  # type: ignore[attr-defined]
            raise failure
        return key

    def _route(self, request: Request, method: str, user: str | None, site: str) -> tuple[int, Any, list]:
        path = request.path
        if not path.startswith(PREFIX):
            raise WcError(404, "rest_no_route", "No route was found matching the URL and request method.")
        parts = path[len(PREFIX):].strip("/").split("/")
        params = wp_params(request.params)
        routes = self.hooks.routes(parts) if parts[0] == "webhooks" else self._routes(parts)
        if routes is None or (method not in routes and not (method == "HEAD" and "GET" in routes)):
            if _real_route(parts, method):
                raise WcError(501, "passerelle_sandbox_not_simulated",
                              f"The Passerelle sandbox does not simulate {method} {path[len(PREFIX):]}.")
            raise WcError(404, "rest_no_route", "No route was found matching the URL and request method.")
        kind, handler = routes["GET" if method == "HEAD" else method]
        if user is None:
            code, message = ANON["list" if self.anonymous_error == "view" else kind]
            raise WcError(401, code, message)
        body: Any = None
        if method in EDIT:
            try:
                body = json.loads(request.body or b"{}", parse_float=Decimal)
            except ValueError:
                raise WcError(400, "rest_invalid_json", "Invalid JSON body passed.") from None
        with self.lock:  # a stored change fires its webhooks (woo_webhooks)
            return self.hooks.after(parts, method, handler(params=params, body=body, site=site, request=request))

    def _routes(self, parts: list[str]) -> dict[str, tuple[str, Callable[..., tuple[int, Any, list]]]] | None:
        """method → (permission kind, handler) for a path below ``/wp-json/wc/v3/``."""
        n = len(parts)
        ident = parts[1] if n > 1 and parts[1].isdigit() else None
        name = parts[0]
        if name == "orders":
            if n == 1:
                return {"GET": ("list", self._orders), "POST": ("create", lambda **kw: self._created(
                    create_order(self, kw["body"], self.clock()), **kw))}
            if n == 2 and ident:
                oid = int(ident)
                return {"GET": ("view", lambda **kw: self._one(self.orders, oid, "shop_order", **kw)),
                        **{m: ("edit", lambda **kw: self._put_order(oid, **kw)) for m in EDIT}}
            if n == 3 and ident and parts[2] == "notes":
                oid = int(ident)
                return {"GET": ("list", lambda **kw: self._notes(oid)),
                        "POST": ("create", lambda **kw: (201, add_note(self, oid, kw["body"], self.clock()), []))}
            if n == 3 and ident and parts[2] == "refunds":
                oid = int(ident)
                return {"GET": ("list", lambda **kw: (200, [self._refund(r, oid, **kw) for r in list_refunds(self, oid)],
                                                       [])),
                        "POST": ("create", lambda **kw: (201, self._refund(
                            create_refund(self, oid, kw["body"], self.clock()), oid, **kw), []))}
        if name == "refunds" and n == 1:  # WooCommerce 9.0+: every refund, whatever its order
            return refunds_route(self)
        if name == "products":
            if n == 1:
                return {"GET": ("list", self._products), "POST": ("create", lambda **kw: self._created(
                    with_fields(self, create_product(self, kw["body"], self.clock()), kw["body"]), **kw))}
            if parts[1] == "categories" and n <= 3:
                return category_routes(self, parts[2:])
            if n == 2 and parts[1] == "batch":
                return {m: ("batch", lambda **kw: self._batch(self.products, "product", **kw)) for m in EDIT}
            if n == 2 and ident:
                pid = int(ident)
                return {"GET": ("view", lambda **kw: self._one(self.products, pid, "product", **kw)),
                        **{m: ("edit", lambda **kw: self._put_stock(self.products, pid, "product", **kw, fields=True))
                           for m in EDIT}}
            if n >= 3 and ident and parts[2] == "variations":
                return self._variation_routes(int(ident), parts[3:])
        if name in ("customers", "taxes", "shipping_methods") and n <= 2:
            table = {"customers": self.customers, "taxes": self.taxes,
                     "shipping_methods": {m["id"]: m for m in SHIPPING_METHODS}}[name]
            if n == 1 and name == "customers":
                return {"GET": ("list", lambda **kw: self._simple_list(name, table, **kw)),
                        "POST": ("create", lambda **kw: self._created(create_customer(self, kw["body"], self.clock()),
                                                                       **kw))}
            if n == 1:
                return {"GET": ("list", lambda **kw: self._simple_list(name, table, **kw))}
            key: Any = int(parts[1]) if parts[1].isdigit() else parts[1]
            return {"GET": ("view", lambda **kw: self._one(table, key, name.rstrip("s"), **kw))}
        return None

    def _variation_routes(self, pid: int, rest: list[str]) -> dict[str, Any] | None:
        def children(**kw: Any) -> dict[int, dict[str, Any]]:
            if pid not in self.products:
                raise WcError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
            return {v: self.variations[v] for v in self.products[pid]["variations"]}

        if not rest:
            return {"GET": ("list", lambda **kw: self._simple_list("variations", children(), **kw)),
                    "POST": ("create", lambda **kw: self._created(create_variation(self, pid, kw["body"], self.clock()),
                                                                   **kw))}
        if rest == ["batch"]:
            return {m: ("batch", lambda **kw: self._batch(children(), "product_variation", **kw)) for m in EDIT}
        if len(rest) == 1 and rest[0].isdigit():
            vid = int(rest[0])
            return {"GET": ("view", lambda **kw: self._one(children(), vid, "product_variation", **kw)),
                    **{m: ("edit", lambda **kw: self._put_stock(children(), vid, "product_variation", **kw, fields=True))
                       for m in EDIT}}
        return None

    def _notes(self, oid: int) -> tuple[int, Any, list]:
        if oid not in self.orders:
            raise WcError(404, "woocommerce_rest_order_invalid_id", "Invalid order ID.")
        return 200, list(self.notes.get(oid, [])), []

    # -- writes ---------------------------------------------------------------------------------------
    def _created(self, record: dict[str, Any], *, site: str, params: dict[str, Any], **_: Any) -> tuple[int, Any, list]:
        return 201, self._render(record, site, params), []

    def _refund(self, record: dict[str, Any], oid: int, *, site: str, params: dict[str, Any],
                **_: Any) -> dict[str, Any]:
        base = f"{site}{PREFIX}orders/{oid}"
        return {**self._render(record, site, params),
                "_links": {"self": [{"href": f"{base}/refunds/{record['id']}"}],
                           "collection": [{"href": f"{base}/refunds"}], "up": [{"href": base}]}}

    def _put_order(self, oid: int, *, body: Any, site: str, params: dict[str, Any], **_: Any) -> tuple[int, Any, list]:
        return 200, self._render(update_order(self, oid, body, self.clock()), site, params), []

    def _put_stock(self, table: dict[int, dict[str, Any]], key: int, kind: str, *, body: Any, site: str,
                   params: dict[str, Any], fields: bool = False, **_: Any) -> tuple[int, Any, list]:
        if key not in table:  # an unknown id on update is a 400
            raise WcError(400, f"woocommerce_rest_{kind}_invalid_id", "Invalid ID.")
        if fields and isinstance(body, dict):  # the catalogue members first: a refused one changes nothing
            probe = dict(table[key])
            apply_product_fields(self, probe, body, variation=kind == "product_variation")
            table[key].update(probe)
        record = update_stock_item(self, table[key], body, self.clock(), f"woocommerce_rest_{kind}_invalid_id")
        return 200, self._render(record, site, params), []

    def _batch(self, table: dict[int, dict[str, Any]], kind: str, *, body: Any, site: str,
               params: dict[str, Any], **_: Any) -> tuple[int, Any, list]:
        now = self.clock()
        code = f"woocommerce_rest_{kind}_invalid_id"

        def one(item: dict[str, Any]) -> dict[str, Any]:
            ident = item.get("id")
            record = table.get(ident) if isinstance(ident, int) else None
            return self._render(update_stock_item(self, record, item, now, code), site, params)

        return 200, batch(body, self.batch_limit, one), []
