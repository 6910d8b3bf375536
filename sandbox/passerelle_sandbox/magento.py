"""Magento 2 / Adobe Commerce 2.4 REST simulator (Adobe Commerce REST API reference, ``/V1/`` routes).

Routes (JSON only), under ``/rest/<store>/V1/`` or ``/rest/V1/`` (= ``default``; ``/index.php/rest/…`` too):

=======  ===========================================  =====================================================
POST     ``integration/admin/token``                  ``{"username","password"}`` → bare JSON string
GET      ``orders?searchCriteria…``                   ``{"items","search_criteria","total_count"}``
GET      ``orders/{id}``                              one order; unknown → 404
POST     ``orders/{id}/comments``                     ``{"statusHistory": {...}}`` → ``true``
GET      ``products?searchCriteria…``, ``products/{sku}``  catalogue
PUT      ``products/{sku}/stockItems/{itemId}``       ``{"stockItem": {"qty", "is_in_stock"}}`` → item id
GET      ``stockItems/{sku}``                         the legacy stock item
GET      ``customers/search?searchCriteria…``, ``customers/{id}``  customers with addresses
…        credit memos, refunds, shipments, ship, order items  :mod:`.magento_sales`
…        product saves, categories, MSI sources and source items, gallery  :mod:`.magento_catalogue`
=======  ===========================================  =====================================================

Authentication: ``Authorization: Bearer <admin token>`` on every call except the token one; a token
lives ``token_lifetime`` seconds (4 h). Missing, unknown or expired → 401 ``The consumer isn't authorized
to access %resources.`` with the route's ACL resource (``Magento_Sales::actions_view`` for order reads).
Wrong credentials → 401 ``The account sign-in was incorrect or your account is disabled temporarily.
Please wait and try again later.``; a missing username/password → 400 ``"%fieldName" is required…``.
``two_factor=True`` (Magento_TwoFactorAuth enabled) refuses the admin token endpoint with "Please use
the 2fa provider-specific endpoints to obtain a token." (HTTP status ``two_factor_status``, default 401:
unverified).

Errors are ``{"message": "…%1…", "parameters": […] | {…}}``, ``parameters`` left out when empty;
unknown route or method → 404 ``Request does not match any route.``; unknown store code → 404
``Requested store is not found`` (status unverified). Null members are omitted from every answer.

Comments (``Order::addStatusHistory``): the history is stored with ``parent_id`` = the order, the
order's status becomes the history's status and ``updated_at`` moves to now. Options for the unverified
or version-dependent parts: ``missing_status="null"`` (2.3/2.4 before the #34180 fix: the order status
becomes NULL and disappears from the answers) or ``"keep"`` (fixed versions copy the current status into
the history); ``comment_sets_status=True`` (False = 2.4.7 restriction #38723: the order status is not
changed); undefined status strings are accepted (#32968). A truthy ``is_customer_notified`` records a
mail in :attr:`emails`.

Other options: ``username``/``password`` (the admin; the password defaults to one derived from the seed),
``token_lifetime`` (14400 s), ``store_codes`` (default, all), ``past_end`` ("last": a page past the end
repeats the last page, #3787; "empty"), ``configurable_children`` (True: configurable lines appear twice),
``history_order`` ("desc": newest first, like the order's status-history collection; "asc"),
``clock`` (naive UTC ``datetime`` of writes and token expiry), ``faults``.
"""
from __future__ import annotations

import json
import random
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable
from urllib.parse import unquote

from passerelle_sandbox._http import Request, Response, Simulator
from passerelle_sandbox.dataset import Dataset
from passerelle_sandbox.faults import Faults
from passerelle_sandbox.magento_cases import seed_documents
from passerelle_sandbox.magento_data import ORDER_NULLABLE, build_customers, build_orders, build_products
from passerelle_sandbox.magento_sales import SALES_ACL, SalesState, sales_routes
from passerelle_sandbox.magento_search import MagentoError, parse_criteria, required, search
from passerelle_sandbox.ps_query import php_params
from passerelle_sandbox.magento_catalogue import CatalogueState, catalogue_routes
from passerelle_sandbox.magento_stores import in_store, store_views

__all__ = ["MagentoSim"]

FMT = "%Y-%m-%d %H:%M:%S"
NO_ROUTE = "Request does not match any route."
NO_ENTITY = "The entity that was requested doesn't exist. Verify the entity and try again."
NO_PRODUCT = "The product that was requested doesn't exist. Verify the product and try again."
BAD_LOGIN = ("The account sign-in was incorrect or your account is disabled temporarily. "
             "Please wait and try again later.")
TWO_FACTOR = "Please use the 2fa provider-specific endpoints to obtain a token."
ACL = {"orders": "Magento_Sales::actions_view", "comments": "Magento_Sales::comment",
       "products": "Magento_Catalog::products", "stock": "Magento_CatalogInventory::cataloginventory",
       "customers": "Magento_Customer::customer", "categories": "Magento_Catalog::categories",
       "inventory": "Magento_InventoryApi::source", "stores": "Magento_Backend::store", **SALES_ACL}


def _columns(rows: Iterable[dict[str, Any]], extra: Iterable[str] = ()) -> frozenset[str]:
    names = set(extra)
    for row in rows:
        names.update(k for k, v in row.items() if not isinstance(v, (dict, list)))
    return frozenset(names)


class MagentoSim(Simulator):
    """In-memory Magento 2.4 REST API; see the module docstring for routes and options."""

    name = "magento"
    server_header = "nginx"

    def __init__(
        self,
        dataset: Dataset,
        *,
        username: str = "passerelle",
        password: str | None = None,
        token_lifetime: int = 14400,
        two_factor: bool = False,
        two_factor_status: int = 401,
        store_codes: tuple[str, ...] = ("default", "all"),
        store_views: tuple[str | tuple[str, str], ...] = ("default",),
        past_end: str = "last",
        configurable_children: bool = True,
        missing_status: str = "null",
        comment_sets_status: bool = True,
        history_order: str = "desc",
        sources: tuple[str, ...] = ("default",),
        clock: Callable[[], datetime] | None = None,
        faults: Faults | None = None,
    ) -> None:
        super().__init__(faults)
        if past_end not in ("last", "empty"):
            raise ValueError("past_end must be 'last' or 'empty'")
        if missing_status not in ("null", "keep"):
            raise ValueError("missing_status must be 'null' or 'keep'")
        if history_order not in ("desc", "asc"):
            raise ValueError("history_order must be 'desc' or 'asc'")
        self.dataset = dataset
        self.username = username
        rng = random.Random(f"magento-password:{dataset.seed}")
        self.password = password or "Pw-" + "".join(rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(13))
        self.token_lifetime = token_lifetime
        self.two_factor, self.two_factor_status = two_factor, two_factor_status
        self.store_views = [(v, "Default Store View" if v == "default" else v) if isinstance(v, str) else tuple(v)
                            for v in store_views]  # (code, name): magento_stores
        self.store_codes = tuple(dict.fromkeys((*store_codes, *(code for code, _ in self.store_views))))
        self.store = "default"  # the store code of the request being answered (under the lock)
        self.past_end = past_end
        self.missing_status = missing_status
        self.comment_sets_status = comment_sets_status
        self.history_order = history_order
        self.clock = clock or (lambda: datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0))
        self.tokens: dict[str, datetime] = {}
        self.emails: list[dict[str, Any]] = []
        self.comments: list[dict[str, Any]] = []  # histories added through the API, in order
        self.sales = SalesState()  # credit memos and shipments (magento_sales)
        self.catalogue = CatalogueState(sources=tuple(sources))  # catalogue writes (magento_catalogue)
        self.orders = build_orders(dataset, configurable_children)
        if history_order == "asc":
            for order in self.orders.values():
                order.get("status_histories", []).reverse()
        seed_documents(self, dataset)  # the data set's credit memos and shipments (magento_cases)
        self.order_ids = sorted(self.orders)
        self.order_columns = _columns(self.orders.values(), ORDER_NULLABLE)
        self.products = build_products(dataset)
        self.product_columns = _columns(self.products.values())
        self.customers = build_customers(dataset)
        self.customer_columns = _columns(self.customers.values())
        self._next_history = 1 + max((h["entity_id"] for o in self.orders.values()
                                      for h in o.get("status_histories", [])), default=3300)
        self._reports = 0

    # -- sandbox interface and assertion helpers -------------------------------------------------
    def connector_url(self, root: str) -> str:
        return root  # the connector adds /rest/<store>/V1

    def api_root(self, root: str) -> str:
        return f"{root}/rest/default/V1/"

    def credentials(self) -> dict[str, str]:
        return {"username": self.username, "password": self.password}

    def order(self, order_id: int) -> dict[str, Any]:
        return self.orders[order_id]

    def stock(self, sku: str) -> dict[str, Any]:
        return self.products[sku]["extension_attributes"]["stock_item"]

    def expire_tokens(self) -> None:
        """Make every issued token expired (as if the 4 h lifetime had passed)."""
        with self.lock:
            past = self.clock() - timedelta(seconds=1)
            self.tokens = {token: past for token in self.tokens}

    # -- request pipeline --------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        with self.lock:  # answers are serialised under the lock: a comment may change an order
            try:
                status, body = self._route(request)
            except MagentoError as error:
                status, body = error.status, error.body()
            text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        return Response(status, text.encode("utf-8"), [("Content-Type", "application/json; charset=utf-8")])

    def _route(self, request: Request) -> tuple[int, Any]:
        segments = [unquote(s) for s in request.path.split("/") if s != ""]
        if segments[:1] == ["index.php"]:
            segments = segments[1:]
        if segments[:1] != ["rest"] or len(segments) < 2:
            raise MagentoError(404, NO_ROUTE)
        if segments[1] == "V1":
            route, self.store = segments[2:], "default"
        else:
            if len(segments) < 3 or segments[2] != "V1":
                raise MagentoError(404, NO_ROUTE)
            if segments[1] not in self.store_codes:
                raise MagentoError(404, "Requested store is not found")
            route, self.store = segments[3:], segments[1]
        method = request.method.upper()
        if method == "POST" and route == ["integration", "admin", "token"]:
            return self._token(request)
        handler, acl, args = self._match(method, route)
        self._authorize(request, acl)
        return handler(request, *args)

    def _match(self, method: str, route: list[str]) -> tuple[Callable[..., tuple[int, Any]], str, list[str]]:
        n, head = len(route), route[0] if route else ""
        table: list[tuple[bool, Callable[..., tuple[int, Any]], str, list[str]]] = [
            *sales_routes(self, method, route),  # before orders/{id}: orders/items
            *catalogue_routes(self, method, route),  # before products/{sku}: products/{sku}/media
            (method == "GET" and route == ["orders"], self._list_orders, "orders", []),
            (method == "GET" and head == "orders" and n == 2, self._get_order, "orders", route[1:]),
            (method == "POST" and head == "orders" and n == 3 and route[2:] == ["comments"], self._add_comment,
             "comments", route[1:2]),
            (method == "GET" and route == ["products"], self._list_products, "products", []),
            (method == "GET" and head == "products" and n == 2, self._get_product, "products", route[1:]),
            (method == "PUT" and head == "products" and n == 4 and route[2:3] == ["stockItems"], self._put_stock,
             "stock", route[1:4:2]),
            (method == "GET" and head == "stockItems" and n == 2, self._get_stock, "stock", route[1:]),
            (method == "GET" and route == ["customers", "search"], self._list_customers, "customers", []),
            (method == "GET" and route == ["store", "storeViews"], lambda r: (200, store_views(self)), "stores", []),
            (method == "GET" and head == "customers" and n == 2, self._get_customer, "customers", route[1:]),
        ]
        for ok, handler, acl, args in table:
            if ok:
                return handler, ACL[acl], args
        raise MagentoError(404, NO_ROUTE)

    def _authorize(self, request: Request, resource: str) -> None:
        header = request.header("Authorization") or ""
        token = header[7:].strip() if header[:7].lower() == "bearer " else ""
        expires = self.tokens.get(token)
        if expires is None or self.clock() >= expires:
            raise MagentoError(401, "The consumer isn't authorized to access %resources.", {"resources": resource})

    @staticmethod
    def _json(request: Request) -> Any:
        """Magento's Webapi\\Rest\\Request\\Deserializer\\Json in production mode: a body json_decode refuses (bad
        syntax, bad UTF-8, NaN or Infinity, which Python alone would take) → 400 ``Decoding error.``"""
        try:
            return json.loads(request.body.decode("utf-8") or "null", parse_constant=_not_json)
        except (UnicodeDecodeError, ValueError):
            raise MagentoError(400, "Decoding error.") from None

    def _report(self) -> str:
        self._reports += 1
        return f"webapi-{self._reports:013x}"

    # -- token -------------------------------------------------------------------------------------
    def _token(self, request: Request) -> tuple[int, Any]:
        body = self._json(request)
        body = body if isinstance(body, dict) else {}
        for name in ("username", "password"):
            if not isinstance(body.get(name), str) or body[name] == "":
                raise required(name)
        if body["username"] != self.username or body["password"] != self.password:
            raise MagentoError(401, BAD_LOGIN)
        if self.two_factor:
            raise MagentoError(self.two_factor_status, TWO_FACTOR)
        token = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(32))
        self.tokens[token] = self.clock() + timedelta(seconds=self.token_lifetime)
        return 200, token

    # -- orders --------------------------------------------------------------------------------------
    def _criteria(self, request: Request):
        return parse_criteria(php_params(request.params))

    def _list(self, rows: Iterable[dict[str, Any]], columns: frozenset[str], request: Request) -> tuple[int, Any]:
        criteria = self._criteria(request)
        page, total = search(rows, criteria, columns, self._report(), self.past_end)
        return 200, {"items": page, "search_criteria": criteria.echo(), "total_count": total}

    def _list_orders(self, request: Request) -> tuple[int, Any]:
        return self._list((self.orders[i] for i in self.order_ids), self.order_columns, request)

    def _find_order(self, ident: str) -> dict[str, Any]:
        order = self.orders.get(int(ident)) if ident.isdigit() else None
        if order is None:
            raise MagentoError(404, NO_ENTITY)
        return order

    def _get_order(self, request: Request, ident: str) -> tuple[int, Any]:
        return 200, self._find_order(ident)

    def _add_comment(self, request: Request, ident: str) -> tuple[int, Any]:
        order = self._find_order(ident)
        body = self._json(request)
        history = body.get("statusHistory", body.get("status_history")) if isinstance(body, dict) else None
        if not isinstance(history, dict):
            raise required("statusHistory")
        now = self.clock().strftime(FMT)
        status = history.get("status")
        if status in (None, "") and self.missing_status == "keep":
            status = order.get("status")
        record = {"comment": history.get("comment"), "created_at": now, "entity_id": self._next_history,
                  "entity_name": history.get("entity_name"),
                  "is_customer_notified": history.get("is_customer_notified"),
                  "is_visible_on_front": history.get("is_visible_on_front", 0), "parent_id": order["entity_id"],
                  "status": status or None}
        record = {k: v for k, v in record.items() if v is not None}
        self._next_history += 1
        histories = order.setdefault("status_histories", [])
        if self.history_order == "desc":
            histories.insert(0, record)
        else:
            histories.append(record)
        self.comments.append(record)
        if self.comment_sets_status:
            if record.get("status") is None:
                order.pop("status", None)
            else:
                order["status"] = record["status"]
        order["updated_at"] = now
        if history.get("is_customer_notified") not in (None, 0, "0", False, ""):
            self.emails.append({"order_id": order["entity_id"], "email": order.get("customer_email"),
                                "comment": record.get("comment")})
        return 200, True

    # -- catalogue and stock -------------------------------------------------------------------------
    def _list_products(self, request: Request) -> tuple[int, Any]:
        rows = [in_store(self, p) for p in sorted(self.products.values(), key=lambda p: p["id"])]
        return self._list(rows, self.product_columns, request)

    def _find_product(self, sku: str) -> dict[str, Any]:
        product = self.products.get(sku)
        if product is None:
            raise MagentoError(404, NO_PRODUCT)
        return product

    def _get_product(self, request: Request, sku: str) -> tuple[int, Any]:
        return 200, in_store(self, self._find_product(sku))

    def _get_stock(self, request: Request, sku: str) -> tuple[int, Any]:
        return 200, self._find_product(sku)["extension_attributes"]["stock_item"]

    def _put_stock(self, request: Request, sku: str, item_id: str) -> tuple[int, Any]:
        product = self._find_product(sku)
        body = self._json(request)
        changes = body.get("stockItem", body.get("stock_item")) if isinstance(body, dict) else None
        if not isinstance(changes, dict):
            raise required("stockItem")
        item = product["extension_attributes"]["stock_item"]
        for key, value in changes.items():
            if key in ("item_id", "product_id", "stock_id") or key not in item:
                continue
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            item[key] = value
        return 200, item["item_id"]

    # -- customers -----------------------------------------------------------------------------------
    def _list_customers(self, request: Request) -> tuple[int, Any]:
        rows = (self.customers[i] for i in sorted(self.customers))
        return self._list(rows, self.customer_columns, request)

    def _get_customer(self, request: Request, ident: str) -> tuple[int, Any]:
        customer = self.customers.get(int(ident)) if ident.isdigit() else None
        if customer is None:
            raise MagentoError(404, "No such entity with %fieldName = %fieldValue",
                               {"fieldName": "customerId", "fieldValue": ident})
        return 200, customer


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # PHP's json_decode knows no NaN, Infinity or -Infinity
