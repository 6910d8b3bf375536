"""PrestaShop 8.x Webservice simulator (PrestaShop 8 webservice API and ``classes/webservice`` sources).

Request pipeline, in PrestaShop's order (``dispatcher.php`` then ``WebserviceRequest::fetch``):

1. Key: HTTP Basic username (password ignored) first, then ``?ws_key=``. Neither → 401 with
   ``WWW-Authenticate: Basic realm="Welcome to PrestaShop Webservice, …"`` and the plain body
   ``401 Unauthorized`` (answered by the dispatcher: no webservice headers).
2. Output format: ``Io-Format``/``Output-Format`` header, then ``output_format``/``io_format``; only the exact
   string ``JSON`` selects JSON, anything else (``json`` included) yields XML.
3. Webservice disabled (``webservice_enabled=False``) → 503 code 22.
4. Key checks (401 + WWW-Authenticate): empty → 17; length ≠ 32 → 18; unknown or inactive key → 20
   "Authentification key is not active" *and* 21 "No permission for this authentication key" (two errors, as
   ``isKeyActive`` returns false for both); a key without any permission → 21.
5. Resource: unknown → 400 code 27 (did you mean); not granted to the key → 401 code 26.
6. Method: not a webservice method → 405 code 23; forbidden for the resource (stock_availables POST/DELETE) → 405
   code 101; not granted to the key → 405 code 25.
7. Execution (see :mod:`.ps_query` for lists). Single GET always renders every field; an unknown id
   → 404 with an **empty body**. POST ``order_histories`` (XML only; JSON → 500 code 127; ``<id>`` → 400
   code 91; missing required field → 400 code 41) → 201 with the created object, and the order's
   ``current_state``/``date_upd`` change. PUT/PATCH ``stock_availables`` (``<id>`` required → 400 code 90,
   duplicates → 89, unknown → 404 code 92, invalid value → 400 code 85); PUT sets every omitted
   optional field to NULL (PUT replaces the whole resource), PATCH changes only what is sent.

Response headers: ``X-Powered-By: PrestaShop Webservice``, ``Execution-Time``, ``Access-Time``, ``Content-Sha1``
(successful bodies), ``PSWS-Version`` only once authenticated (``psws_version_on_errors`` adds it to every
webservice answer, as some builds do). ``Local-Content-Sha1`` equal to the body's sha1 → 304.
``?sendemail=1`` on a history POST records the mail in :attr:`emails`.

Unverified (options): an unknown order or state on a history POST makes ``OrderHistory::changeIdOrderState``
``die('Invalid new order status')``: 200, that text, nothing stored (``invalid_history="die"``; "error": 500/46).
Resources PrestaShop knows but the simulator does not serve, and methods it does not implement, answer 501
with error code 0 (a simulator limit, never a PrestaShop behaviour).
"""
from __future__ import annotations

import base64
import hashlib
import time
from datetime import datetime
from typing import Any, Callable, Iterable
from urllib.parse import unquote, unquote_plus

from passerelle_sandbox._http import Request, Response, Simulator
from passerelle_sandbox.dataset import Dataset
from passerelle_sandbox.faults import Faults
from passerelle_sandbox.ps_body import child_text, parse_entities, validated
from passerelle_sandbox.ps_images import ProductImages
from passerelle_sandbox.ps_catalogue import add_product, add_record, i18n_value
from passerelle_sandbox.ps_catalogue_writes import (  # registers its resources
    after_create, catalogue_tables, entity_values, set_associations)
from passerelle_sandbox.ps_cases import seed_cases
from passerelle_sandbox.ps_delete import delete
from passerelle_sandbox.ps_money import after_update, money_tables
from passerelle_sandbox.ps_query import (
    WsError, apply_query, did_you_mean, parse_languages, parse_list_query, php_int, php_params,
)
from passerelle_sandbox.ps_render import Renderer
from passerelle_sandbox.ps_schema import ALL_RESOURCES, RESOURCES, F, Resource
from passerelle_sandbox.ps_tables import build_tables, derive_key

__all__ = ["PrestaShopSim", "WS_METHODS"]

WS_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
REALM = ('Basic realm="Welcome to PrestaShop Webservice, please enter the authentication key as the login. '
         'No password required."')


class PrestaShopSim(Simulator):
    """In-memory PrestaShop webservice. ``tables[resource][id]`` holds the records.

    Options: ``key`` (default derived from the data set seed, 32 characters), ``keys`` (extra keys:
    ``{key: None}`` = every resource and method, or ``{key: {"orders": ["GET", "HEAD"], …}}`` — HEAD is
    granted separately, like the "fast view" column of the back office), ``inactive_keys``,
    ``webservice_enabled``, ``ps_version`` (``PSWS-Version``), ``psws_version_on_errors``,
    ``invalid_history`` ("die" | "error"), ``shop_name``, ``clock`` (returns the naive shop-local
    ``datetime`` used for ``date_add``/``date_upd`` of writes), ``faults``.
    """

    name = "prestashop"
    server_header = "Apache"

    def __init__(
        self,
        dataset: Dataset,
        *,
        key: str | None = None,
        keys: dict[str, dict[str, Iterable[str]] | None] | None = None,
        inactive_keys: Iterable[str] = (),
        webservice_enabled: bool = True,
        ps_version: str = "8.1.7",
        psws_version_on_errors: bool = False,
        invalid_history: str = "die",
        shop_name: str = "Passerelle Sandbox",
        clock: Callable[[], datetime] | None = None,
        faults: Faults | None = None,
    ) -> None:
        super().__init__(faults)
        self.dataset = dataset
        self.tables = build_tables(dataset)
        self.product_images = ProductImages()
        self.tables["specific_prices"] = {}
        self.tables.update(money_tables(self.tables))  # order_payments, order_slip: ps_money.py
        self.tables.update(catalogue_tables())  # categories, attribute groups and values: ps_catalogue_writes.py
        seed_cases(self, dataset)  # guests, coupons, gift wrap, currency, slips, tracking: ps_cases.py
        self.key = key or derive_key(dataset.seed)
        self.keys: dict[str, dict[str, Iterable[str]] | None] = dict(keys) if keys else {}
        self.keys.setdefault(self.key, None)
        self.inactive_keys = set(inactive_keys)
        self.webservice_enabled = webservice_enabled
        self.ps_version = ps_version
        self.psws_version_on_errors = psws_version_on_errors
        if invalid_history not in ("die", "error"):
            raise ValueError("invalid_history must be 'die' or 'error'")
        self.invalid_history = invalid_history
        self.shop_name = shop_name
        self.clock = clock or (lambda: datetime.now().replace(microsecond=0))
        self.emails: list[dict[str, Any]] = []

    # -- assertion helpers ------------------------------------------------------------------------
    def connector_url(self, root: str) -> str:
        return root  # the connector adds /api

    def api_root(self, root: str) -> str:
        return f"{root}/api/"

    def credentials(self) -> dict[str, str]:
        return {"key": self.key}

    @property
    def orders(self) -> dict[int, dict[str, Any]]:
        return self.tables["orders"]

    @property
    def order_histories(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(h) for _, h in sorted(self.tables["order_histories"].items())]

    def stock(self, stock_id: int) -> dict[str, Any]:
        return self.tables["stock_availables"][stock_id]

    def add_product(self, reference: str, name: str, price: Any, **fields: Any) -> dict[str, Any]:
        """A simple product with that reference (and its stock row): see :func:`.ps_catalogue.add_product`."""
        with self.lock:
            return add_product(self.tables, reference, name, price, **fields)

    def stock_for(self, reference: str) -> dict[str, Any]:
        """The stock_available row of a sellable reference (simple product or combination)."""
        article = self.dataset.article(reference)
        return next(s for s in self.tables["stock_availables"].values()
                    if s["id_product"] == article.product_id and s["id_product_attribute"] == article.attribute_id)

    # -- request pipeline -------------------------------------------------------------------------
    def _permissions(self, key: str) -> dict[str, set[str]]:
        granted = self.keys.get(key)
        if granted is None:
            return {name: set(WS_METHODS) for name in ALL_RESOURCES}
        return {name: {m.upper() for m in methods} for name, methods in granted.items()}

    @staticmethod
    def _read_key(request: Request, params: dict[str, Any]) -> str | None:
        auth = request.header("Authorization") or ""
        if auth[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(auth[6:].strip(), validate=False).decode("utf-8", "replace")
            except ValueError:
                decoded = ""
            return decoded.split(":", 1)[0].strip()
        if isinstance(params.get("ws_key"), str):
            return params["ws_key"].strip()
        return None

    @staticmethod
    def _wants_json(request: Request, params: dict[str, Any]) -> bool:
        for header in ("Io-Format", "Output-Format"):
            if request.header(header) is not None:
                return request.header(header) == "JSON"
        for name in ("output_format", "io_format"):
            if name in params:
                return params[name] == "JSON"
        return False

    def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        params = php_params(request.params)
        method = request.method.upper()
        override = params.get("ps_method")
        if isinstance(override, str) and override.upper() in WS_METHODS:
            method = override.upper()
        path = unquote(request.path)
        if path != "/api" and not path.startswith("/api/"):
            return Response(404, b"<h1>Not Found</h1>", [("Content-Type", "text/html; charset=iso-8859-1")])
        segments = path[len("/api"):].strip("/").split("/")
        key = self._read_key(request, params)
        if key is None:
            return Response(401, b"401 Unauthorized",
                            [("WWW-Authenticate", REALM), ("Content-Type", "text/html; charset=UTF-8")])
        renderer = Renderer(f"http://{request.header('Host') or 'localhost'}/api/",
                            self._wants_json(request, params), sorted(self.tables["languages"]))
        authenticated = False
        content_sha1 = True
        try:
            if not self.webservice_enabled:
                raise WsError(503, 22, "The PrestaShop webservice is disabled. Please activate it in the "
                                       "PrestaShop Back Office")
            permissions = self._authenticate(key)
            authenticated = True
            renderer.languages = parse_languages(params.get("language"), sorted(self.tables["languages"]))
            with self.lock:
                status, body = self._execute(method, segments, params, permissions, request, renderer)
            if status == 404 and body == b"":
                content_sha1 = False
        except WsError as error:
            status, body, content_sha1 = error.status, renderer.errors(error.errors), False
        except _Died as died:
            return Response(200, died.text.encode(), [("Content-Type", "text/html; charset=UTF-8")])
        headers = [("Access-Time", str(int(time.time()))), ("X-Powered-By", "PrestaShop Webservice")]
        if authenticated or self.psws_version_on_errors:
            headers.append(("PSWS-Version", self.ps_version))
        headers.append(("Execution-Time", f"{time.perf_counter() - started:.3f}"))
        if status == 401 and not authenticated:  # only authenticate() sends it, not code 26
            headers.append(("WWW-Authenticate", REALM))
        if body:
            headers.append(("Content-Type", renderer.content_type))
        if content_sha1 and body:
            digest = hashlib.sha1(body).hexdigest()
            if request.header("Local-Content-Sha1") == digest:
                return Response(304, b"", headers)
            headers.append(("Content-Sha1", digest))
        return Response(status, body, headers, head_only=method == "HEAD")

    def _authenticate(self, key: str) -> dict[str, set[str]]:
        if key == "":
            raise WsError(401, 17, "Authentication key is empty")
        if len(key) != 32:
            raise WsError(401, 18, "Invalid authentication key format")
        errors: list[tuple[int, str]] = []
        permissions: dict[str, set[str]] = {}
        if key in self.keys and key not in self.inactive_keys:
            permissions = self._permissions(key)
        else:
            errors.append((20, "Authentification key is not active"))
        if not permissions:
            errors.append((21, "No permission for this authentication key"))
        if errors:
            error = WsError(401, errors[0][0], errors[0][1])
            error.errors = errors
            raise error
        return permissions

    def _execute(self, method: str, segments: list[str], params: dict[str, Any],
                 permissions: dict[str, set[str]], request: Request, renderer: Renderer) -> tuple[int, bytes]:
        name = segments[0]
        if name == "":
            simulated = {n: m for n, m in permissions.items() if n in RESOURCES}
            return 200, renderer.api_root(simulated, {n: r.description for n, r in RESOURCES.items()},
                                          self.shop_name)
        if name not in ALL_RESOURCES:
            raise WsError(400, 27, did_you_mean(f'Resource of type "{name}" does not exists', name,
                                                 sorted(ALL_RESOURCES)))
        if name not in permissions:
            raise WsError(401, 26, f'Resource of type "{name}" is not allowed with this authentication key')
        if method not in WS_METHODS:
            raise WsError(405, 23, f"Method {method} is not valid")
        if method in ALL_RESOURCES[name]:
            raise WsError(405, 101, f"Method {method} is not allowed for the resource {name}")
        if method not in permissions[name]:
            raise WsError(405, 25, f"Method {method} is not allowed for the resource {name} with this "
                                   "authentication key")
        if name == "images":  # product images, multipart uploads (ps_images.py)
            return self.product_images.handle(method, segments, request, self.tables["products"], renderer.base)
        res = RESOURCES.get(name)
        if res is None or (method not in ("GET", "HEAD") and method not in res.writable):
            raise WsError(501, 0, f"The Passerelle sandbox does not simulate {method} on the resource {name}")
        ident = segments[1] if len(segments) > 1 else ""
        if method in ("GET", "HEAD"):
            return self._get(res, ident, params, renderer)
        if method == "DELETE":  # ps_delete.py
            return delete(res, ident, params, self.tables)
        body = request.body
        if body.startswith(b"xml="):  # form-encoded "xml=<...>" is accepted too, as by PrestaShop
            body = unquote_plus(body[4:].decode("utf-8", "replace")).encode("utf-8")
        if method == "POST":
            return self._post(res, body, params, renderer)
        return self._put(res, body, method == "PATCH", renderer)

    def _get(self, res: Resource, ident: str, params: dict[str, Any], renderer: Renderer) -> tuple[int, bytes]:
        table = self.tables[res.name]
        if ident != "":
            record = table.get(php_int(ident))
            if record is None:
                return 404, b""
            return 200, renderer.single(res, record)
        query = parse_list_query(res, params)
        if query.schema:
            return 200, renderer.schema(res, query.schema)
        rows = apply_query(list(table.values()), query)
        return 200, renderer.listing(res, rows, query.display)

    # -- writes -----------------------------------------------------------------------------------
    def _post(self, res: Resource, body: bytes, params: dict[str, Any], renderer: Renderer) -> tuple[int, bytes]:
        entities = parse_entities(body)
        if any((child_text(e, "id") or "") != "" for e in entities):
            raise WsError(400, 91, "id is forbidden when adding a new resource")
        created = []
        for entity in entities:
            values = entity_values(res, entity, sorted(self.tables["languages"]), patch=False)
            if res.name == "order_histories":
                created.append(self._add_history(values, params.get("sendemail") == "1"))
                continue
            record = add_record(self.tables[res.name], values)
            set_associations(res, entity, record)  # catalogue objects: ps_catalogue_writes.py
            after_create(self.tables, res.name, record, self.clock().strftime("%Y-%m-%d %H:%M:%S"))
            created.append(record)
        if len(created) == 1:
            return 201, renderer.single(res, created[0])
        return 201, renderer.listing(res, created, "full")

    def _add_history(self, values: dict[str, Any], send_email: bool) -> dict[str, Any]:
        order = self.tables["orders"].get(values["id_order"])
        state = self.tables["order_states"].get(values["id_order_state"])
        if order is None or state is None:
            if self.invalid_history == "die":
                raise _Died("Invalid new order status")
            raise WsError(500, 46, "Unable to save resource")
        now = self.clock().strftime("%Y-%m-%d %H:%M:%S")
        histories = self.tables["order_histories"]
        record = {"id": max(histories, default=0) + 1, "id_employee": values.get("id_employee") or 0,
                  "id_order_state": state["id"], "id_order": order["id"], "date_add": now}
        histories[record["id"]] = record
        order["current_state"] = state["id"]
        order["date_upd"] = now
        if send_email:
            self.emails.append({"id_order": order["id"], "id_order_state": state["id"],
                                "template": state["template"].get(1, "")})
        return record

    def _put(self, res: Resource, body: bytes, patch: bool, renderer: Renderer) -> tuple[int, bytes]:
        entities = parse_entities(body)
        ids = [child_text(e, "id") for e in entities]
        present = [i for i in ids if i]
        if len(set(present)) != len(present):
            raise WsError(400, 89, "id is duplicate in request")
        if len(present) != len(entities):
            raise WsError(400, 90, "id is required when modifying a resource")
        table = self.tables[res.name]
        updates = []
        for entity, ident in zip(entities, present):
            record = table.get(php_int(ident))
            if record is None:
                raise WsError(404, 92, "Invalid ID")
            values: dict[str, Any] = {}
            for f in res.fields:
                if f.name == "id":
                    continue
                raw = child_text(entity, f.name)
                if f.kind == "i18n" and raw is not None:
                    values[f.name] = i18n_value(entity, f.name, sorted(self.tables["languages"]))
                    continue
                if raw is None and patch:
                    continue
                if raw is None and f.required:
                    raise WsError(400, 41, f'parameter "{f.name}" required')
                values[f.name] = validated(res, f, raw)
            updates.append((record, values, entity))
        for record, values, entity in updates:
            record.update(values)
            set_associations(res, entity, record)
            if res.name == "stock_availables":
                self._after_stock_update(record)
            after_update(self, res.name, record)
        records = [record for record, _, _ in updates]
        if len(records) == 1:
            return 200, renderer.single(res, records[0])
        return 200, renderer.listing(res, records, "full")

    def _after_stock_update(self, record: dict[str, Any]) -> None:
        """A combination's row changed: keep the product-level row (attribute 0) equal to the sum."""
        attribute = record.get("id_product_attribute")
        if not attribute:
            return
        combination = self.tables["combinations"].get(attribute)
        if combination is not None:
            combination["quantity"] = record.get("quantity") or 0
        rows = [s for s in self.tables["stock_availables"].values() if s["id_product"] == record["id_product"]]
        parent = next((s for s in rows if s["id_product_attribute"] == 0), None)
        if parent is not None:
            parent["quantity"] = sum(s.get("quantity") or 0 for s in rows if s["id_product_attribute"])


class _Died(Exception):
    """PHP ``die(text)`` inside the webservice: HTTP 200 with that text only."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

