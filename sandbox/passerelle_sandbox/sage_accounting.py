"""Sage Business Cloud Accounting API v3.1 simulator, with its OAuth2 token endpoint.

Routes (``api_prefix="/v3.1"``; the token endpoint is on the same server here, on another host in reality):

======  ==================================  =======================================================
POST    ``/oauth/token``                    form-encoded; ``grant_type=refresh_token`` (client_id,
                                            client_secret, refresh_token) or ``authorization_code``
                                            (code from :meth:`issue_code`) → ``{access_token,
                                            expires_in: 300, refresh_token, refresh_token_expires_in:
                                            2678400, token_type: "bearer"}``; refused → 400
                                            ``{"error": "invalid_grant"}`` (``invalid_client``,
                                            ``unsupported_grant_type``, ``invalid_request``)
GET     ``/v3.1/{resource}``                contacts, products (price bands: :mod:`.sbca_price_bands`),
                                            product_sales_price_types, stock_items (:mod:`.sbca_stock`), tax_rates, ledger_accounts,
                                            sales_invoices, sales_quotes, sales_credit_notes,
                                            contact_payments, bank_accounts: ``{"$total", "$page", "$next",
                                            "$back", "$itemsPerPage", "$items"}``
GET     ``/v3.1/{resource}/{id}``           one object, every attribute
POST    ``/v3.1/sales_invoices``            ``{"sales_invoice": {…}}`` → 201 + the invoice; 422 + errors
PUT     ``/v3.1/sales_invoices/{id}``       update an editable invoice → 200 (:mod:`.sbca_updates`)
DELETE  ``/v3.1/contacts/{id}``             → 204; a contact with transactions → 422 (:mod:`.sbca_updates`)
POST    ``/v3.1/contacts``                  ``{"contact": {…}}`` → 201 + the contact (:mod:`.sbca_contacts`)
POST    ``/v3.1/contact_payments``          customer receipts and refunds, allocated (:mod:`.sbca_payments`)
POST    ``/v3.1/sales_credit_notes``        ``{"sales_credit_note": {…}}`` → 201 (:mod:`.sbca_credit_notes`)
GET     ``/v3.1/businesses[/lead|/{id}]``   the (single, lead) business; the list says ``$items_per_page``
======  ==================================  =======================================================

API calls need ``Authorization: Bearer <access token>``; a missing, unknown or expired token → 401
``[{"$severity": "error", "$dataCode": "AuthorizationFailure", "$message": …}]``. ``X-Business`` is
optional (absent = the lead business); another id → ``unknown_business_status`` (403,
``MultiUserAccessDenied``). Refresh tokens rotate on use (``rotate_refresh_tokens``: the old one is
then refused); access tokens live ``access_token_ttl`` seconds (tests use 2).

Lists: ``page`` + ``items_per_page`` (default ``default_items_per_page``, capped at 200; a page past the
end returns the last page); ``$next``/``$back`` are paths relative to the API root such as
``/contacts?page=2&items_per_page=25`` (null at the ends) and keep the other query parameters
(``next_link_keeps_params``). Items are ``{id, displayed_as, $path}`` unless ``attributes=all`` (or a
comma list). Filters: ``updated_or_created_since`` (ISO 8601; inclusive, ``since_inclusive``),
``search`` (contains, case-insensitive, ``search_mode``), ``contact_type_id``, ``email``, ``contact_id``,
``status_id``, ``from_date``/``to_date``, ``ledger_account_type_id``; unreadable values → 422. Error
bodies are always the documented array; 429 (``Retry-After``) and 5xx come from :mod:`.faults`.
"""
from __future__ import annotations

import base64
import json
import math
import random
import secrets
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote, urlencode
from zoneinfo import ZoneInfo

from passerelle_sandbox._http import Request, Response, Simulator
from passerelle_sandbox.dataset import Dataset
from passerelle_sandbox.faults import Faults
from passerelle_sandbox.sbca_data import LEDGER_ACCOUNTS, TAX_KINDS, Table, build_tables, iso, sage_id
from passerelle_sandbox.sbca_invoices import error
from passerelle_sandbox.sbca_routes import CREATES, NOT_SIMULATED, WRITES_NOT_SIMULATED, seed_bank_accounts
from passerelle_sandbox.sbca_price_bands import add_price_bands, price_bands_table
from passerelle_sandbox.sbca_stock import stock_items_table
from passerelle_sandbox.sbca_updates import UPDATES

__all__ = ["SageAccountingSim"]

RESOURCES = ("contacts", "products", "product_sales_price_types", "stock_items", "tax_rates", "ledger_accounts",
             "sales_invoices", "sales_quotes", "sales_credit_notes", "contact_payments", "bank_accounts")
BASE_ATTRIBUTES = ("id", "displayed_as", "$path")


class SageAccountingSim(Simulator):
    """In-memory Sage Accounting business. ``tables`` (per resource), ``created_invoices`` and
    ``token_requests`` are inspectable; see the module docstring for the options."""

    name = "sage-accounting"
    server_header = "nginx"

    def __init__(
        self,
        dataset: Dataset,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        refresh_token: str | None = None,
        access_token_ttl: float = 300,
        refresh_token_ttl: float = 2678400,
        rotate_refresh_tokens: bool = True,
        code_ttl: float = 60,
        token_path: str = "/oauth/token",
        api_prefix: str = "/v3.1",
        business_id: str | None = None,
        business_name: str = "Passerelle Démo SARL",
        require_business_header: bool = False,
        unknown_business_status: int = 403,
        default_items_per_page: int = 20,
        max_items_per_page: int = 200,
        since_inclusive: bool = True,
        search_mode: str = "contains",
        next_link_keeps_params: bool = True,
        list_attributes: str = "base",
        strict_decimal_strings: bool = False,
        reject_unknown_properties: bool = False,
        require_json_content_type: bool = True,
        seed_invoices: bool = True,
        tax_rate_ids: dict[str, str] | None = None,
        ledger_accounts: tuple | None = None,
        country: str = "FR",
        currency: str = "EUR",
        payment_days: int = 30,
        timezone_name: str = "Europe/Paris",
        clock: Callable[[], datetime] | None = None,
        faults: Faults | None = None,
    ) -> None:
        super().__init__(faults)
        if search_mode not in ("contains", "prefix", "exact"):
            raise ValueError("search_mode must be 'contains', 'prefix' or 'exact'")
        if list_attributes not in ("base", "all"):
            raise ValueError("list_attributes must be 'base' or 'all'")
        rng = random.Random(f"sbca:{dataset.seed}")
        self.dataset = dataset
        self.client_id = client_id or "%032x" % rng.getrandbits(128)
        self.client_secret = client_secret or "%040x" % rng.getrandbits(160)
        self.access_token_ttl, self.refresh_token_ttl, self.code_ttl = access_token_ttl, refresh_token_ttl, code_ttl
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.token_path, self.api_prefix = token_path, api_prefix.rstrip("/")
        self.business_id = business_id or sage_id(dataset.seed, "business", "lead")
        self.business_name, self.country, self.currency = business_name, country, currency
        self.require_business_header = require_business_header
        self.unknown_business_status = unknown_business_status
        self.default_items_per_page, self.max_items_per_page = default_items_per_page, max_items_per_page
        self.since_inclusive, self.search_mode = since_inclusive, search_mode
        self.next_link_keeps_params, self.list_attributes = next_link_keeps_params, list_attributes
        self.strict_decimal_strings, self.reject_unknown_properties = strict_decimal_strings, reject_unknown_properties
        self.require_json_content_type, self.payment_days = require_json_content_type, payment_days
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        ids = tax_rate_ids or {code: f"{country}_{kind}" for code, kind in TAX_KINDS.items()}
        self.tables, self._builder = build_tables(
            dataset, tz=ZoneInfo(timezone_name), tax_rate_ids=ids,
            ledger_accounts=tuple(ledger_accounts or LEDGER_ACCOUNTS),
            currency=currency, seed_invoices=seed_invoices)
        self.tax_rate_ids, self.created_invoices = ids, []
        self.updated_invoices: list[dict[str, Any]] = []  # as PUT left them
        self.created_contacts: list[dict[str, Any]] = []  # POST /contacts (sbca_contacts)
        self.created_payments: list[dict[str, Any]] = []  # POST /contact_payments (sbca_payments)
        self.created_credit_notes: list[dict[str, Any]] = []  # POST /sales_credit_notes (sbca_credit_notes)
        seed_bank_accounts(self)
        self.tables["product_sales_price_types"] = price_bands_table(dataset.seed)  # sbca_price_bands
        add_price_bands(dataset.seed, self.tables["products"], self.tables["product_sales_price_types"])
        self.tables["stock_items"] = stock_items_table(self.tables["products"])  # sbca_stock
        self.token_requests: list[dict[str, Any]] = []
        self.rejected_tokens = 0  # API calls refused for an unknown or expired access token
        self._access: dict[str, float] = {}
        self._refresh: dict[str, float] = {}
        self._codes: dict[str, float] = {}
        self.refresh_token = refresh_token or "%064x" % rng.getrandbits(256)
        self._refresh[self.refresh_token] = self._now() + refresh_token_ttl

    # -- sandbox API ------------------------------------------------------------------------------
    def connector_url(self, root: str) -> str:
        return f"{root}{self.api_prefix}"

    def api_root(self, root: str) -> str:
        return f"{root}{self.api_prefix}/"

    def token_url(self, root: str) -> str:
        """The connector's ``token_url`` setting (``https://oauth.accounting.sage.com/token`` in reality)."""
        return f"{root}{self.token_path}"

    def credentials(self) -> dict[str, str]:
        """Client id/secret and the *current* refresh token (it changes after each rotation)."""
        return {"client_id": self.client_id, "client_secret": self.client_secret, "refresh_token": self.refresh_token}

    def issue_code(self) -> str:
        """A single-use authorization code, valid ``code_ttl`` seconds (the browser step of the OAuth2 code flow)."""
        with self.lock:
            code = secrets.token_hex(16)
            self._codes[code] = self._now() + self.code_ttl
            return code

    def issue_access_token(self) -> str:
        """A valid access token without a token request (for direct calls in tests)."""
        with self.lock:
            token = secrets.token_urlsafe(48)
            self._access[token] = self._now() + self.access_token_ttl
            return token

    def expire_access_tokens(self) -> None:
        with self.lock:
            self._access.clear()

    @property
    def invoices(self) -> list[dict[str, Any]]:
        return self.tables["sales_invoices"].items

    def invoice(self, invoice_id: str) -> dict[str, Any] | None:
        return self.tables["sales_invoices"].by_id.get(invoice_id)

    def find_invoices(self, reference: str) -> list[dict[str, Any]]:
        return [i for i in self.invoices if i.get("reference") == reference]

    def contact_for(self, reference: str) -> dict[str, Any] | None:
        return next((c for c in self.tables["contacts"].items if c["reference"] == reference), None)

    def product_for(self, item_code: str) -> dict[str, Any] | None:
        return next((p for p in self.tables["products"].items if p["item_code"] == item_code), None)

    def ledger_account_id(self, nominal_code: int) -> str:
        return next(a["id"] for a in self.tables["ledger_accounts"].items if a["nominal_code"] == nominal_code)

    def touch(self, resource: str, record_id: str, when: datetime | None = None) -> dict[str, Any]:
        """Mark a record as updated now (or at ``when``), as an edit in Sage would."""
        with self.lock:
            return self.tables[resource].touch(record_id, iso(when or self.clock()))

    # -- HTTP -------------------------------------------------------------------------------------
    def _now(self) -> float:
        return self.clock().timestamp()

    @staticmethod
    def _respond(status: int, payload: Any, extra: list[tuple[str, str]] | None = None) -> Response:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        return Response(status, body, [("Content-Type", "application/json; charset=utf-8")] + (extra or []))

    def handle(self, request: Request) -> Response:
        path = unquote(request.path)
        method = request.method.upper()
        if path.rstrip("/") == self.token_path:
            if method != "POST":
                return self._respond(405, {"error": "invalid_request", "error_description": "use POST"})
            with self.lock:
                return self._token(request)
        prefix = self.api_prefix + "/"
        if not path.startswith(prefix):
            return self._respond(404, [error(f"No route matches {path}", code="RecordNotFound")])
        with self.lock:
            denied = self._denied(request)
        if denied is not None:
            return denied
        parts = [p for p in path[len(prefix):].split("/") if p]
        method = "GET" if method == "HEAD" else method
        with self.lock:
            response = self._route(method, parts, request)
        response.head_only = request.method.upper() == "HEAD"
        return response

    def _denied(self, request: Request) -> Response | None:
        value = (request.header("Authorization") or "").strip()
        if value[:7].lower() != "bearer " or not value[7:].strip():
            message = "Missing or malformed Authorization header (expected 'Bearer <access token>')"
        else:
            expires = self._access.get(value[7:].strip())
            if expires is not None and self._now() < expires:
                message = ""
            else:
                message = "The access token has expired" if expires is not None else "The access token is invalid"
        if message:
            self.rejected_tokens += 1
            return self._respond(401, [error(message, code="AuthorizationFailure")])
        business = (request.header("X-Business") or "").strip()
        if business and business != self.business_id or not business and self.require_business_header:
            message = (f"You do not have access to business '{business}'" if business
                       else "The X-Business header is required")
            return self._respond(self.unknown_business_status, [error(message, "X-Business", "MultiUserAccessDenied")])
        return None

    def _token(self, request: Request) -> Response:
        def refuse(code: str, description: str) -> Response:
            self.token_requests.append({"grant_type": form.get("grant_type"), "status": 400, "error": code})
            return self._respond(400, {"error": code, "error_description": description},
                                 [("Cache-Control", "no-store")])

        form: dict[str, str] = {}
        content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return refuse("invalid_request", "the body must be application/x-www-form-urlencoded")
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        basic = request.header("Authorization") or ""
        if basic[:6].lower() == "basic ":
            try:
                client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return refuse("invalid_client", "unreadable Basic credentials")
        grant = form.get("grant_type")
        if grant not in ("refresh_token", "authorization_code"):
            return refuse("unsupported_grant_type" if grant else "invalid_request",
                          f"grant_type {grant!r} is not supported" if grant else "grant_type is missing")
        if client_id != self.client_id or client_secret != self.client_secret:
            return refuse("invalid_client", "unknown client or wrong client secret")
        now = self._now()
        if grant == "authorization_code":
            expires = self._codes.pop(form.get("code", ""), None)  # single use, even when too late
            if expires is None or now >= expires:
                return refuse("invalid_grant", "the authorization code is invalid, used or expired")
            refresh = None
        else:
            refresh = form.get("refresh_token", "")
            expires = self._refresh.get(refresh)
            if expires is None or now >= expires:
                return refuse("invalid_grant", "the refresh token is invalid, expired or already used")
        if refresh is None or self.rotate_refresh_tokens:
            if refresh is not None:
                del self._refresh[refresh]
            refresh = secrets.token_hex(32)
            self._refresh[refresh] = now + self.refresh_token_ttl
            self.refresh_token = refresh
        access = secrets.token_urlsafe(48)
        self._access[access] = now + self.access_token_ttl
        self.token_requests.append({"grant_type": grant, "status": 200, "error": None})
        return self._respond(200, {
            "access_token": access, "expires_in": _number(self.access_token_ttl), "token_type": "bearer",
            "refresh_token": refresh, "refresh_token_expires_in": _number(self.refresh_token_ttl)},
            [("Cache-Control", "no-store")])

    def _route(self, method: str, parts: list[str], request: Request) -> Response:
        if not parts or len(parts) > 2:
            return self._respond(404, [error("No route matches this path", code="RecordNotFound")])
        resource, ident = parts[0], (parts[1] if len(parts) == 2 else None)
        if resource == "businesses":
            return self._businesses(ident) if method == "GET" else self._not_allowed(method)
        if resource in NOT_SIMULATED or (method != "GET" and resource in WRITES_NOT_SIMULATED):
            return self._respond(501, {"message": f"not simulated: /{resource} (Sage Accounting simulator)"})
        if resource not in RESOURCES:
            return self._respond(404, [error(f"No route matches /{resource}", code="RecordNotFound")])
        if method == "POST" and ident is None and resource in CREATES:
            return CREATES[resource](self, request)
        if ident is not None and (resource, method) in UPDATES:
            return UPDATES[resource, method](self, ident, request)
        if method != "GET":
            return self._not_allowed(method)
        table = self.tables[resource]
        if ident is not None:
            record = table.by_id.get(ident)
            if record is None:
                return self._respond(404, [error(f"{resource[:-1]} '{ident}' was not found", "id", "RecordNotFound")])
            return self._respond(200, record)
        return self._list(resource, table, request)

    def _not_allowed(self, method: str) -> Response:
        return self._respond(405, [error(f"Method {method} is not allowed here", code="MethodNotAllowed")])

    def _list(self, resource: str, table: Table, request: Request) -> Response:
        pairs = request.params
        params = dict(pairs)
        try:
            page = int(params.get("page") or 1)
        except ValueError:
            return self._respond(422, [error(f"page '{params['page']}' is not an integer", "page")])
        try:
            size = int(params.get("items_per_page") or self.default_items_per_page)
        except ValueError:
            size = 0
        if size < 1:
            return self._respond(422, [error(f"items_per_page '{params.get('items_per_page')}' must be a positive "
                                             "integer", "items_per_page")])
        size = min(size, self.max_items_per_page)
        try:
            rows = table.query(params, self.since_inclusive, self.search_mode)
        except ValueError as exc:
            name = str(exc)
            return self._respond(422, [error(f"{name} '{params.get(name)}' is not valid", name)])
        pages = max(1, math.ceil(len(rows) / size))
        page = min(max(page, 1), pages)
        chunk = rows[(page - 1) * size: page * size]
        wanted = params.get("attributes") or ("all" if self.list_attributes == "all" else "")
        items = [self._shape(r, wanted) for r in chunk]
        rest = [(k, v) for k, v in pairs if k not in ("page", "items_per_page")] if self.next_link_keeps_params else []

        def link(number: int) -> str:
            return f"/{resource}?" + urlencode([("page", number), ("items_per_page", size)] + rest)

        return self._respond(200, {
            "$total": len(rows), "$page": page, "$next": link(page + 1) if page < pages else None,
            "$back": link(page - 1) if page > 1 else None, "$itemsPerPage": size, "$items": items})

    @staticmethod
    def _shape(record: dict[str, Any], wanted: str) -> dict[str, Any]:
        if wanted.strip().lower() == "all":
            return record
        names = [n.strip() for n in wanted.split(",") if n.strip()]
        return {k: record[k] for k in (*BASE_ATTRIBUTES, *names) if k in record}

    def _businesses(self, ident: str | None) -> Response:
        business = {"id": self.business_id, "displayed_as": self.business_name,
                    "$path": f"/businesses/{self.business_id}"}
        if ident is None:
            return self._respond(200, {"$total": 1, "$page": 1, "$next": None, "$back": None, "$items_per_page": 20,
                                       "$items": [business]})
        if ident not in ("lead", self.business_id):
            return self._respond(404, [error(f"business '{ident}' was not found", "id", "RecordNotFound")])
        return self._respond(200, {**business, "name": self.business_name, "is_demo": False,
                                   "country": {"id": self.country, "displayed_as": self.country},
                                   "currency": {"id": self.currency, "displayed_as": self.currency}})


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
