"""Sage X3 (V12 / Syracuse) simulator — classic SOAP web services and the REST (SData) customers endpoint.

Routes (HTTP Basic on every one; wrong or missing credentials → 401 with
``WWW-Authenticate: Basic realm="Syracuse"`` and a JSON ``$diagnoses`` body [unverified body]):

=======  =====================================================================  ==========================
POST     ``/soap-generic/syracuse/collaboration/syracuse/CAdxWebServiceXmlCC``  SOAP 1.1, ``text/xml``
GET      ``/soap-wsdl/syracuse/collaboration/syracuse/CAdxWebServiceXmlCC?wsdl``  the WSDL (:mod:`.x3_wsdl`)
GET      ``/api1/x3/erp/<folder>/BPCUSTOMER?representation=BPCUSTOMER.$query``  SData list (:mod:`.x3_rest`):
         ``&count=N[&key=gt.<last BPCNUM>][&where=…][&orderBy=…]``            paging, filter, sort
GET      ``/api1/x3/erp/<folder>/ITMMASTER`` and ``/ITMMVT`` (``…$query``)     products and stock per site
                                                                         (:mod:`.x3_catalogue`), the same way
GET      ``/api1/x3/erp/<folder>/SPRICLIST`` (``…$query``)                     price list lines (:mod:`.x3_prices`)
=======  =====================================================================  ==========================

SOAP methods (:mod:`.x3_soap` for the wire format): ``save`` (create), ``read`` (``objectKeys``) and
``query`` (``objectKeys`` as equality criteria on the query list + ``listSize``) on the published
objects ``publications`` (public name → object; default ``{"SOH": "SOH", "BPC": "BPC"}`` — real public
names are whatever the customer published in GESAWE, e.g. ``ZSOH``). Sales orders follow
:mod:`.x3_objects`; customers (``save`` on BPC with their addresses) and the ship-to address of an order
follow :mod:`.x3_customers`. The WSDL's other operations (``run``, ``modify``, ``delete``…) answer a SOAP
fault "not simulated" with HTTP 501.

Business failures answer **HTTP 200 with status 0** and type-3 messages: unknown customer or
article, unknown site/order type, bad dates or numbers, a missing line, an unknown field (option
``reject_unknown_fields``), an already used SOHNUM, a record that does not exist, a wrong ``poolAlias``
("Record does not exist"). A malformed envelope, an unknown method or a non-SOAP body is a SOAP
fault with HTTP 500; a body that is not ``text/xml`` gets 415. With ``requestConfig`` containing
``adxwss.optreturn=JSON`` the ``resultXml`` is JSON keyed by block ID.

Unverified facts are options (defaults in brackets): ``pool`` ["SEED"], ``folder`` ["SEED"], ``username``
["admin"], ``password`` [seeded], ``sites`` [("FR011",)], ``order_types`` [("SON",)], ``currency`` ["EUR"],
``number_format`` ["SO{seq:07d}"; ``{site}`` also available], ``query_tables`` (block ID of a query
answer) [{"SOH": "SOH1_1", "BPC": "BPC1_1"}], ``read_groups`` (block of a BPC read) ["BPC0_1"],
``rest_max_count`` [200], ``require_text_xml`` [True], ``reject_unknown_fields`` [True],
``customer_categories`` (BCGCOD of a new customer) [("WEB", "B2B")].
The same CUSORDREF may be saved twice (X3 does not deduplicate): query before retrying.
"""
from __future__ import annotations

import base64
import random
from typing import Any
from urllib.parse import unquote

from passerelle_sandbox._http import Request, Response, Simulator
from passerelle_sandbox.dataset import Dataset
from passerelle_sandbox.faults import Faults
from passerelle_sandbox._json import dumps
from passerelle_sandbox.x3_catalogue import X3Catalogue
from passerelle_sandbox.x3_customers import CustomerBook
from passerelle_sandbox.x3_objects import SalesOrders, articles_from, customers_from, query_customers
from passerelle_sandbox.x3_rest import SDataQuery, diagnoses
from passerelle_sandbox.x3_soap import Rejected, SoapCall, SoapFault, fault_envelope, parse_call, parse_param, render_result, \
    result_envelope
from passerelle_sandbox.x3_wsdl import WSDL_PATH, render_wsdl

__all__ = ["SageX3Sim", "SOAP_PATH", "WSDL_PATH"]

SOAP_PATH = "/soap-generic/syracuse/collaboration/syracuse/CAdxWebServiceXmlCC"
REST_PREFIX = "/api1/x3/erp/"
SIMULATED = ("save", "read", "query")  # the other operations of the WSDL answer 501 "not simulated"


class SageX3Sim(Simulator):
    """In-memory X3 folder: ``orders`` (by SOHNUM), ``customers`` (by BPCNUM), ``articles`` (by ITMREF)."""

    name = "sagex3"
    server_header = "Syracuse"

    def __init__(
        self,
        dataset: Dataset,
        *,
        pool: str = "SEED",
        folder: str = "SEED",
        username: str = "admin",
        password: str | None = None,
        publications: dict[str, str] | None = None,
        sites: tuple[str, ...] = ("FR011",),
        order_types: tuple[str, ...] = ("SON",),
        currency: str = "EUR",
        number_format: str = "SO{seq:07d}",
        query_tables: dict[str, str] | None = None,
        read_groups: dict[str, str] | None = None,
        rest_max_count: int = 200,
        require_text_xml: bool = True,
        reject_unknown_fields: bool = True,
        customer_categories: tuple[str, ...] = ("WEB", "B2B"),
        faults: Faults | None = None,
    ) -> None:
        super().__init__(faults)
        self.dataset = dataset
        self.pool, self.folder, self.username = pool, folder, username
        self.password = password or "x3-%016x" % random.Random(f"sagex3:{dataset.seed}").getrandbits(64)
        self.publications = dict(publications or {"SOH": "SOH", "BPC": "BPC"})
        self.query_tables = dict(query_tables or {"SOH": "SOH1_1", "BPC": "BPC1_1"})
        self.read_groups = dict(read_groups or {"BPC": "BPC0_1"})
        self.rest_max_count = rest_max_count
        self.require_text_xml = require_text_xml
        self.customers: dict[str, dict[str, Any]] = customers_from(dataset, currency)
        self.articles: dict[str, dict[str, Any]] = articles_from(dataset)
        self.sdata = SDataQuery(REST_PREFIX, folder, "BPCUSTOMER", "BPCNUM", self.customers, rest_max_count)
        self.catalogue = X3Catalogue(dataset, currency)  # ITMMASTER + ITMMVT + SPRICLIST, read like BPCUSTOMER
        self.classes = {"BPCUSTOMER": self.sdata,
                        "ITMMASTER": SDataQuery(REST_PREFIX, folder, "ITMMASTER", "ITMREF", self.catalogue.items,
                                                rest_max_count),
                        "ITMMVT": SDataQuery(REST_PREFIX, folder, "ITMMVT", "KEY", self.catalogue.stock,
                                             rest_max_count),
                        "SPRICLIST": SDataQuery(REST_PREFIX, folder, "SPRICLIST", "KEY", self.catalogue.prices.lines,
                                                rest_max_count)}
        self.book = CustomerBook(self.customers, currency, tuple(customer_categories))  # BPC save (x3_customers)
        self.sales = SalesOrders(self.customers, self.articles, tuple(sites), tuple(order_types), currency,
                                 number_format, reject_unknown_fields, self.book)
        self.calls: list[tuple[str, str, int]] = []  # (method, publicName, status) of every SOAP call
        self.raw_saves: list[str] = []  # objectXml of every accepted save

    # -- fixture API ------------------------------------------------------------------------------
    def connector_url(self, root: str) -> str:
        return root

    def api_root(self, root: str) -> str:
        return f"{root}/"

    def credentials(self) -> dict[str, str]:
        return {"username": self.username, "password": self.password, "pool": self.pool, "folder": self.folder}

    @property
    def orders(self) -> dict[str, dict[str, Any]]:
        return self.sales.orders

    def order(self, number: str) -> dict[str, Any] | None:
        return self.sales.orders.get(number)

    def find_orders(self, reference: str) -> list[dict[str, Any]]:
        """Orders whose CUSORDREF is ``reference`` (exact), in creation order."""
        return [self.sales.orders[n] for n in self.sales.by_reference.get(reference, [])]

    # -- HTTP -------------------------------------------------------------------------------------
    def _json(self, status: int, payload: Any, extra: list[tuple[str, str]] | None = None) -> Response:
        return Response(status, dumps(payload).encode(),
                        [("Content-Type", "application/json; charset=utf-8")] + (extra or []))

    def _diagnoses(self, status: int, message: str, extra: list[tuple[str, str]] | None = None) -> Response:
        return self._json(status, diagnoses(message), extra)

    def _xml(self, status: int, body: bytes) -> Response:
        return Response(status, body, [("Content-Type", "text/xml; charset=utf-8")])

    def _authorized(self, request: Request) -> bool:
        scheme, _, value = (request.header("Authorization") or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return user == self.username and password == self.password

    def handle(self, request: Request) -> Response:
        path = unquote(request.path)
        method = request.method.upper()
        is_soap = path.rstrip("/") == SOAP_PATH
        is_rest = path.startswith(REST_PREFIX)
        is_wsdl = path.rstrip("/") == WSDL_PATH
        if not (is_soap or is_rest or is_wsdl):
            return self._diagnoses(404, f"Resource not found: {path}")
        if not self._authorized(request):
            return self._diagnoses(401, "Invalid user name or password",
                                   [("WWW-Authenticate", 'Basic realm="Syracuse"')])
        if is_wsdl:
            return self._wsdl(request, method)
        if is_rest:
            if method not in ("GET", "HEAD"):
                return self._diagnoses(405, f"Method {method} not allowed on this resource")
            response = self._rest(request, path[len(REST_PREFIX):].strip("/").split("/"))
            response.head_only = method == "HEAD"
            return response
        if method != "POST":
            return self._xml(405, fault_envelope(f"Method {method} not allowed: SOAP calls are POSTed"))
        content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
        if self.require_text_xml and content_type != "text/xml":
            return self._xml(415, fault_envelope(f"Content-Type must be text/xml for SOAP 1.1 "
                                                 f"(got {content_type or 'nothing'})"))
        try:
            call = parse_call(request.body)
            if call.action not in SIMULATED:
                raise SoapFault(f"{call.action}: not simulated (simulated: {', '.join(SIMULATED)})", False, 501)
        except SoapFault as fault:
            return self._xml(fault.status, fault_envelope(fault.message, fault.client))
        with self.lock:
            try:
                status, messages, result = self._call(call)
            except SoapFault as fault:
                self.calls.append((call.action, call.public_name, -1))
                return self._xml(fault.status, fault_envelope(fault.message, fault.client))
            self.calls.append((call.action, call.public_name, status))
        return self._xml(200, result_envelope(call.action, status, messages, result))

    def _wsdl(self, request: Request, method: str) -> Response:
        if method not in ("GET", "HEAD"):
            return self._diagnoses(405, f"Method {method} not allowed on this resource")
        if request.query.lower() != "wsdl":
            return self._diagnoses(501, f"{WSDL_PATH}?{request.query}: not simulated (only ?wsdl is)")
        address = f"http://{request.header('Host') or '127.0.0.1'}{SOAP_PATH}"
        response = self._xml(200, render_wsdl(address))
        response.head_only = method == "HEAD"
        return response

    # -- SOAP methods -----------------------------------------------------------------------------
    def _call(self, call: SoapCall) -> tuple[int, list[tuple[int, str]], str | None]:
        alias = call.context.get("poolAlias") or ""
        if alias != self.pool:
            return 0, [(3, f"{alias or '(no pool alias)'}: Record does not exist")], None
        obj = self.publications.get(call.public_name)
        if obj is None:
            return 0, [(3, f"Web service {call.public_name or '(empty)'}: Record does not exist")], None
        try:
            blocks, dims = self._dispatch(obj, call)
        except Rejected as rejected:
            return 0, [(3, m) for m in rejected.messages], None
        return 1, [], render_result(blocks, call.json_answer, dims)

    def _dispatch(self, obj: str, call: SoapCall) -> tuple[dict[str, Any], dict[str, int] | None]:
        if call.action == "query":
            if call.list_size is None:
                raise SoapFault("query: listSize is missing")
            if call.list_size <= 0:
                raise Rejected(f"listSize {call.list_size}: must be greater than 0")
            rows = self.sales.query(call.keys, call.list_size) if obj == "SOH" else \
                query_customers(self.customers, call.keys, call.list_size)
            table = self.query_tables.get(obj, f"{obj}1_1")
            return {table: rows}, {table: call.list_size}
        if call.action == "read":
            keys = dict(call.keys)
            key_name = "SOHNUM" if obj == "SOH" else "BPCNUM"
            if key_name not in keys:
                raise Rejected(f"read: the key {key_name} is missing")
            if obj == "SOH":
                order = self.sales.orders.get(keys[key_name])
                if order is None:
                    raise Rejected(f"{key_name} {keys[key_name]}: Record does not exist")
                return self.sales.blocks(order), None
            if keys[key_name] not in self.customers:
                raise Rejected(f"{key_name} {keys[key_name]}: Record does not exist")
            blocks = self.book.blocks(keys[key_name])
            return {self.read_groups.get(obj, f"{obj}0_1"): blocks.pop("BPC0_1"), **blocks}, None
        if call.action == "save" and obj == "SOH":
            if not (call.object_xml or "").strip():
                raise Rejected("save: objectXml is empty")
            order = self.sales.create(parse_param(call.object_xml))
            self.raw_saves.append(call.object_xml)
            return self.sales.blocks(order), None
        if call.action == "save" and obj == "BPC":
            if not (call.object_xml or "").strip():
                raise Rejected("save: objectXml is empty")
            blocks = self.book.create(parse_param(call.object_xml))
            self.raw_saves.append(call.object_xml)
            return blocks, None
        raise SoapFault(f"{call.action} on {call.public_name}: not simulated", False, 501)

    # -- REST (SData) -----------------------------------------------------------------------------
    def _rest(self, request: Request, parts: list[str]) -> Response:
        if len(parts) != 2 or parts[0] != self.folder:
            return self._diagnoses(404, f"Resource not found: {'/'.join(parts)} (folder {self.folder})")
        if parts[1] not in self.classes:
            return self._diagnoses(404, f"Class {parts[1]} not found")
        status, body = self.classes[parts[1]].answer(dict(request.params), request.header("Host") or "127.0.0.1")
        return self._json(status, body)
