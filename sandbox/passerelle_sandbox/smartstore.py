"""Smartstore Web API (5.x/6.x, module ``Smartstore.WebApi``, ASP.NET Core OData 8) simulator over plain HTTP.

Facts from ``smartstore/Smartstore``
(``Smartstore.WebApi`` ``BasicAuthenticationHandler``, ``OrdersController``, ``SmartODataController``).

* Everything lives under ``/odata/v1``; entity sets ``Orders``, ``OrderItems``, ``Shipments``,
  ``ShipmentItems``, ``OrderNotes``, ``Addresses``, ``Customers`` (GET list and ``Set(id)``); query options
  in :mod:`.smartstore_odata`; data in :mod:`.smartstore_data`; writes in :mod:`.smartstore_writes`.
* **Auth**: HTTP Basic ``publicKey:secretKey``. Failures answer 401 with ``Smartstore-Api-AuthResultId`` /
  ``…Desc`` (2 InvalidAuthorizationHeader, 3 InvalidCredentials, 4 UserUnknown, 5 UserDisabled,
  0 ApiDisabled), ``WWW-Authenticate: Basic realm="Smartstore.WebApi", charset="UTF-8"`` and an OData error
  body. HTTPS is required unless the store runs as a development environment: this server speaks plain
  HTTP, so by default it behaves as one (``dev_environment=True``); ``dev_environment=False`` answers every
  call **421** ``SslRequired`` (id 1), as a production store reached over http does.
* Every answer carries ``Smartstore-Api-AppVersion``, ``-Version``, ``-MaxTop`` and ``-Date``; an
  authenticated one ``Smartstore-Api-CustomerId`` and ``Cache-Control: no-cache``.
* Paging: ``$top`` above MaxTop (120) → 400; without ``$top`` the server pages by MaxTop and adds
  ``@odata.nextLink`` while records remain. Default order: by ``Id``.
* Errors: ``{"error": {"code": "<status>", "message": …}}``. What is not simulated answers 501 with
  "not simulated" (``$metadata``, ``$batch``, other entity sets, functions, nested query options).

Options: ``public_key``/``secret_key`` (derived from the seed), ``api_customer_id``, ``dev_environment``,
``api_enabled``, ``user_enabled``, ``max_top``, ``clock`` (a callable giving an aware UTC datetime).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import quote, unquote, urlencode

from passerelle_sandbox import _json
from passerelle_sandbox._http import Request, Response, Simulator
from passerelle_sandbox.dataset import Dataset
from passerelle_sandbox.faults import Faults
from passerelle_sandbox import smartstore_catalogue as catalogue
from passerelle_sandbox.smartstore_catalogue_actions import route as catalogue_route
from passerelle_sandbox.smartstore_data import ENTITY, NAVIGATIONS, TYPES, build
from passerelle_sandbox.smartstore_odata import NotSimulated, ODataError, apply_order, parse_query
from passerelle_sandbox.smartstore_refunds import payment_refund
from passerelle_sandbox.smartstore_writes import ACTIONS as WRITES, add_order_note, patch_order

__all__ = ["SmartstoreSim"]

PREFIX = "/odata/v1/"
AUTH_RESULTS = {0: "ApiDisabled", 1: "SslRequired", 2: "InvalidAuthorizationHeader", 3: "InvalidCredentials",
                4: "UserUnknown", 5: "UserDisabled"}
SINGULAR = {"Orders": "Order", "OrderItems": "OrderItem", "Shipments": "Shipment", "ShipmentItems": "ShipmentItem",
            "OrderNotes": "OrderNote", "Addresses": "Address", "Customers": "Customer"}
# the catalogue's entity sets (smartstore_catalogue) next to the orders' ones
TYPES, NAVIGATIONS, ENTITY = ({**TYPES, **catalogue.TYPES}, {**NAVIGATIONS, **catalogue.NAVIGATIONS},
                              {**ENTITY, **catalogue.ENTITY})
SINGULAR.update((name, entity.rsplit(".", 1)[1]) for name, entity in catalogue.ENTITY.items())


def error_body(status: int, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": str(status), "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


class SmartstoreSim(Simulator):
    name = "smartstore"
    server_header = "Kestrel"

    def __init__(self, dataset: Dataset, faults: Faults | None = None, *, public_key: str | None = None,
                 secret_key: str | None = None, api_customer_id: int = 1, dev_environment: bool = True,
                 api_enabled: bool = True, user_enabled: bool = True, max_top: int = 120,
                 clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(faults)
        digest = hashlib.sha256(f"smartstore:{dataset.seed}".encode()).hexdigest()
        self.dataset = dataset
        self.public_key = public_key or digest[:32]
        self.secret_key = secret_key or digest[32:]
        self.api_customer_id, self.dev_environment = api_customer_id, dev_environment
        self.api_enabled, self.user_enabled, self.max_top = api_enabled, user_enabled, max_top
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.sets = build(dataset)
        self.sets.update(catalogue.seed())  # the catalogue: roles, languages, tax categories; no product yet
        self.media_bytes: dict[int, bytes] = {}  # media file id -> its content (SaveFiles)
        self.catalogue_writes: list[tuple[str, str]] = []  # catalogue writes (method, path), in order
        self.generic_attributes: list[dict[str, Any]] = []  # e.g. a shipment's Carrier
        self.mails: list[dict[str, Any]] = []  # e-mails the shop would have sent
        self.next_ids = {name: max(records, default=0) + 1 for name, records in self.sets.items()}

    # -- fixture API -------------------------------------------------------------------------------
    def connector_url(self, root: str) -> str:
        return root

    def api_root(self, root: str) -> str:
        return root + PREFIX

    def credentials(self) -> dict[str, str]:
        return {"public_key": self.public_key, "secret_key": self.secret_key}

    @property
    def orders(self) -> dict[int, dict[str, Any]]:
        return self.sets["Orders"]

    @property
    def shipments(self) -> dict[int, dict[str, Any]]:
        return self.sets["Shipments"]

    @property
    def notes(self) -> dict[int, dict[str, Any]]:
        return self.sets["OrderNotes"]

    def now(self) -> str:
        # whole seconds: stamps keep one form, so that the text order of UpdatedOnUtc is the time order
        return self.clock().astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def new_id(self, entity_set: str) -> int:
        value = self.next_ids[entity_set]
        self.next_ids[entity_set] = value + 1
        return value

    # -- HTTP --------------------------------------------------------------------------------------
    def headers(self, authenticated: bool) -> list[tuple[str, str]]:
        out = [("Smartstore-Api-AppVersion", "6.1.0.0"), ("Smartstore-Api-Version", "1 6.0"),
               ("Smartstore-Api-MaxTop", str(self.max_top)),
               ("Smartstore-Api-Date", self.clock().astimezone(timezone.utc).isoformat())]
        if authenticated:
            out += [("Smartstore-Api-CustomerId", str(self.api_customer_id)), ("Cache-Control", "no-cache")]
        return out

    def respond(self, status: int, payload: Any = None, extra: list[tuple[str, str]] | None = None,
                authenticated: bool = True) -> Response:
        headers = self.headers(authenticated) + list(extra or [])
        if payload is None:
            return Response(status, b"", headers)
        body = _json.dumps(payload).encode()
        return Response(status, body, [("Content-Type", "application/json; odata.metadata=minimal; "
                                        "odata.streaming=true; charset=utf-8"), ("OData-Version", "4.0")] + headers)

    def error(self, status: int, message: str) -> Response:
        return self.respond(status, error_body(status, message))

    def not_simulated(self, what: str) -> Response:
        return Response(501, f"not simulated: {what}".encode(), [("Content-Type", "text/plain; charset=utf-8")]
                        + self.headers(False))

    def _denied(self, request: Request, result: int) -> Response:
        reason = AUTH_RESULTS[result]
        status = 421 if result == 1 else 401
        headers = [("Smartstore-Api-AuthResultId", str(result)), ("Smartstore-Api-AuthResultDesc", reason),
                   ("WWW-Authenticate", 'Basic realm="Smartstore.WebApi", charset="UTF-8"')]
        accept = (request.header("Accept") or "application/json").lower()
        if "json" not in accept and "*/*" not in accept:
            return self.respond(status, None, headers, authenticated=False)
        details = [{"target": "User agent", "message": request.header("User-Agent") or ""},
                   {"code": str(result), "target": "Reason", "message": reason},
                   {"target": "Public key", "message": ""}, {"target": "Customer ID", "message": ""}]
        body = error_body(status, f"Access to the Web API was denied ({reason}).", details)
        return self.respond(status, body, headers, authenticated=False)

    def _authenticate(self, request: Request) -> int | None:
        """None when the caller is let in, else the auth result id."""
        if not self.api_enabled:
            return 0
        if not self.dev_environment:
            return 1
        value = (request.header("Authorization") or "").strip()
        if value[:6].lower() != "basic ":
            return 2
        try:
            decoded = base64.b64decode(value[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return 2
        public, _, secret = decoded.partition(":")
        if not public:
            return 2
        if public != self.public_key:
            return 4
        if not self.user_enabled:
            return 5
        return None if decoded == f"{self.public_key}:{self.secret_key}" else 3

    def handle(self, request: Request) -> Response:
        if not request.path.startswith(PREFIX):
            return self.not_simulated(f"{request.method} {request.path} (the Web API lives under {PREFIX})")
        denied = self._authenticate(request)
        if denied is not None:
            return self._denied(request, denied)
        tail = unquote(request.path[len(PREFIX):]).rstrip("/")
        entity_set, _, rest = tail.partition("(")
        key: int | None = None
        action = ""
        if rest:
            key_text, _, after = rest.partition(")")
            if not key_text.isdigit() or (after and not after.startswith("/")):
                return self.not_simulated(f"the resource path {tail}")
            key, action = int(key_text), after[1:]
        elif "/" in entity_set:
            entity_set, _, action = entity_set.partition("/")
        if entity_set not in TYPES:
            return self.not_simulated(f"{request.method} {PREFIX}{tail}")
        base = f"http://{request.header('Host') or '127.0.0.1'}{PREFIX}"
        try:
            with self.lock:
                return self._route(request, base, entity_set, key, action)
        except NotSimulated as exc:
            return self.not_simulated(str(exc))
        except ODataError as exc:
            return self.error(exc.status, exc.message)

    def _route(self, request: Request, base: str, entity_set: str, key: int | None, action: str) -> Response:
        method = request.method
        answer = catalogue_route(self, request, base, entity_set, key, action)
        if answer is not None:
            return answer
        if action:
            handler = ACTIONS.get((entity_set, action))
            if handler is None or key is None or method != "POST":
                return self.not_simulated(f"{method} {entity_set}({key})/{action}")
            self.record(entity_set, key)
            status, payload = handler(self, key, request)
            return self._entity(base, ACTIONS_RESULT.get(action, entity_set), payload, status)
        if method == "GET" and key is None:
            return self._list(request, base, entity_set)
        if method == "GET":
            record = self.record(entity_set, key)  # type: ignore[arg-type]
            query = parse_query(request.params, TYPES[entity_set], NAVIGATIONS[entity_set], ENTITY[entity_set],
                                self.max_top)
            return self._entity(base, entity_set, self.shape(entity_set, [record], query)[0], 200)
        if method == "POST" and entity_set == "OrderNotes" and key is None:
            note = add_order_note(self, request)
            return self._entity(base, entity_set, note, 201, [("Location", f"{base}OrderNotes({note['Id']})")])
        if method == "PATCH" and entity_set == "Orders" and key is not None:
            order = patch_order(self, self.record(entity_set, key), request)
            if "return=representation" in (request.header("Prefer") or ""):
                return self._entity(base, entity_set, order, 200, [("Preference-Applied", "return=representation")])
            return self.respond(204)
        return self.not_simulated(f"{method} {entity_set}" + (f"({key})" if key is not None else ""))

    def record(self, entity_set: str, key: int) -> dict[str, Any]:
        record = self.sets[entity_set].get(key)
        if record is None:
            raise ODataError(404, f"Cannot find {SINGULAR[entity_set]} entity with identifier {key}.")
        return record

    def _entity(self, base: str, entity_set: str, record: dict[str, Any] | None, status: int,
                extra: list[tuple[str, str]] | None = None) -> Response:
        if record is None:
            return self.respond(204)  # an action returning null (ASP.NET Core: 204 No Content)
        return self.respond(status, {"@odata.context": f"{base}$metadata#{entity_set}/$entity", **record}, extra)

    def _list(self, request: Request, base: str, entity_set: str) -> Response:
        params = request.params
        query = parse_query(params, TYPES[entity_set], NAVIGATIONS[entity_set], ENTITY[entity_set], self.max_top)
        types = TYPES[entity_set]
        records = [self.sets[entity_set][k] for k in sorted(self.sets[entity_set])]
        if query.predicate is not None:
            records = [r for r in records if query.predicate(r)]
        records = apply_order(records, query.orderby, types)
        total = len(records)
        size = query.top if query.top is not None else self.max_top
        page = records[query.skip:query.skip + size]
        body: dict[str, Any] = {"@odata.context": f"{base}$metadata#{entity_set}"}
        if query.count:
            body["@odata.count"] = total
        body["value"] = self.shape(entity_set, page, query)
        if query.top is None and query.skip + size < total:
            kept = [(k, v) for k, v in params if k != "$skip"] + [("$skip", str(query.skip + size))]
            query_text = urlencode(kept, safe="$,()'", quote_via=quote)  # OData links keep `$skip=` readable
            body["@odata.nextLink"] = f"{base}{entity_set}?{query_text}"
        return self.respond(200, body)

    def shape(self, entity_set: str, records: list[dict[str, Any]], query: Any) -> list[dict[str, Any]]:
        """Apply ``$select`` and ``$expand`` to copies of ``records``."""
        out = []
        children: dict[str, dict[int, list[dict[str, Any]]]] = {}
        ids = {r["Id"] for r in records}
        for name in query.expand:
            target, link = NAVIGATIONS[entity_set][name]
            if link.startswith("many:"):
                field = link[5:]
                grouped: dict[int, list[dict[str, Any]]] = {}
                for key in sorted(self.sets[target]):
                    child = self.sets[target][key]
                    if child.get(field) in ids:
                        grouped.setdefault(child[field], []).append(dict(child))
                children[name] = grouped
        for record in records:
            item = {k: v for k, v in record.items() if not query.select or k in query.select}
            for name in query.expand:
                target, link = NAVIGATIONS[entity_set][name]
                if link.startswith("many:"):
                    item[name] = children[name].get(record["Id"], [])
                else:
                    found = self.sets[target].get(record.get(link))  # type: ignore[arg-type]
                    item[name] = dict(found) if found is not None else None
            out.append(item)
        return out


ACTIONS = {**WRITES, ("Orders", "PaymentRefund"): payment_refund}
ACTIONS_RESULT = {"AddShipment": "Shipments"}  # the entity set an action answers (else its own set)
