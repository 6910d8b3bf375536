"""Sage 100 "WebServices100" (Proconsult) REST simulator, after the Proconsult WebServices100 demo.
The wire contract is not public: every unverified choice below is an option. Bodies are read as WCF's
``DataContractJsonSerializer`` reads them (unknown members ignored, missing ones at their defaults, both
naming families, wrapped parameters in any order): the contract simulated and its sources are in
``docs/simulators.md``, "Sage 100 WebServices100".

Routes, under ``/WebServices100/<BASE>/`` (``base="BIJOU"``; matched case-insensitively, as IIS does):

=======  ==============================================  ==============================================
POST     ``DocumentService/rest/InsertDocumentEtLignes``  body ``{"doc": {...}, "lignes": [...]}`` →
                                                          ``{"InsertDocumentEtLignesResult": "BC00001"}``
GET      ``DocumentService/rest/Documents``              JSON array; filters ``?Reference=``,
                                                          ``?NumeroTiers=``, ``?TypeDocument=`` (exact,
                                                          case-insensitive like SQL Server)
GET      ``DocumentService/rest/Documents/{piece}``      one document (with ``Lignes``)
GET      ``TiersService/rest/Clients`` / ``…/{NumeroTiers}``  JSON array (filters ``?Email=``, ``?NumeroTiers=``,
                                                          ``?Intitule=``: exact, case-insensitive) / one client
POST     ``TiersService/rest/Clients``                   create (bare Client or ``{"client": …}``, ``client_body_style``);
                                                          answers 200 with the created client
PUT      ``TiersService/rest/Clients/{NumeroTiers}``     update, validated like a create (:mod:`.sage_clients`)
GET      ``ArticleService/rest/Articles`` / ``…/{Reference}``  articles with ``PrixVente``, ``QteStock``, range
                                                          and tiers (:mod:`.sage_articles`); filters
                                                          ``?TypeArticle=``, ``?Gamme=``, ``?CodeFamille=``
GET      ``TaxeService/rest/Taxes``                      tax codes (``Code``, ``Taux``)
GET      ``ModeExpeditionService/rest/ModesExpedition``  shipping modes (``Id``, ``Intitule``)
…        addresses, settlements, payment modes, reservations  :mod:`.sage_flow_routes` (credit notes, BC → BL
         and the documents list's filters: :mod:`.sage_documents_flow`)
=======  ==============================================  ==============================================

Authentication: the raw token in ``Authorization`` (no ``Bearer`` prefix; ``accept_bearer=True`` allows one).

Errors are WCF-fault-like JSON (HTTP 400 for a rejected request, 401, 404, 405, 415)::

    {"Message": "lignes[1].CodeTaxe 'TVA20' is not a tax code (known: S_20, …)",
     "Field": "lignes[1].CodeTaxe", "Code": "UnknownTaxCode",
     "Errors": [{"Message": …, "Field": …, "Code": …}, …]}

``Message``/``Field``/``Code`` describe the first problem, ``Errors`` lists all of them (codes in
:mod:`.sage_checks`; plus ``InvalidJson``, ``Unauthorized``, ``NotFound``, ``Duplicate``, ``MethodNotAllowed``,
``UnsupportedMediaType``).

Dates are ``/Date(ms±hhmm)/`` (ms since the Unix epoch, UTC; offset of ``timezone``), written ``\\/Date(…)\\/``
in the JSON text like WCF (``escape_slashes``). Numbers are parsed as ``Decimal``. Piece numbers are
``<prefix><5 digits>`` per document type (``piece_prefixes``; type 1 → ``BC00001``, ``BC00002``…). Line
amounts: HT = Qte × PU × (1 − remise%/100) (or Qte × (PU − remise) for an amount),
rounded half-up to 2 places; TTC = HT × (1 + rate/100); ``EstValorise`` false → amounts 0.
The same reference may be inserted twice (Sage does not deduplicate): look documents up before retrying.
"""
from __future__ import annotations

import random
import time
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote
from zoneinfo import ZoneInfo

from passerelle_sandbox import _json
from passerelle_sandbox._http import Request, Response, Simulator
from passerelle_sandbox.dataset import Dataset
from passerelle_sandbox.faults import Faults
from passerelle_sandbox.sage_articles import build_articles
from passerelle_sandbox.sage_wcf import parse_wcf_date, wcf_date
from passerelle_sandbox.sage_checks import DOC_TYPE, LINE_TYPE, NS, TEXT_LINE_TYPE, Checker, Problem
from passerelle_sandbox.sage_clients import handle_clients
from passerelle_sandbox import sage_documents_flow as flow
from passerelle_sandbox.sage_addresses import seed_addresses
from passerelle_sandbox.sage_flow_routes import flow_routes
from passerelle_sandbox.sage_reservations import Reservations
from passerelle_sandbox.sage_settlements import PAYMENT_MODES, VALEUR_TYPES, VOID

__all__ = ["Sage100Sim", "wcf_date", "parse_wcf_date"]

PIECE_PREFIXES = {0: "DE", 1: "BC", 2: "PL", 3: "BL", 4: "BR", 5: "BA", 6: "FA", 7: "FA"}
REMISE_TYPES = {0: "amount", 1: "percent"}
EXPEDITION_MODES = {1: "Transporteur", 2: "Colissimo", 3: "UPS Ground", 4: "DHL Express", 5: "Divers"}
COUNTRY_NAMES = {"FR": "France", "BE": "Belgique", "LU": "Luxembourg"}


def _error(status: int, problems: list[Problem]) -> tuple[int, Any]:
    first = problems[0]
    return status, {**first.to_json(), "Errors": [p.to_json() for p in problems]}


class Sage100Sim(Simulator):
    """In-memory Sage 100 behind WebServices100. ``documents``/``clients``/``articles`` are inspectable.

    Options (defaults = the Passerelle contract): ``base``, ``token``, ``accept_bearer``,
    ``special_articles`` (PORT, REMISE, EMBALLAGE), ``tax_codes`` (S_20, S_5, S_10, S_2, EXO → rate),
    ``piece_prefixes`` (TypeDocument → prefix; the enum integers are unverified), ``remise_types``
    (``{0: "amount", 1: "percent"}``, unverified), ``expedition_modes``, ``reject_unknown_properties`` (False:
    ignored as WCF does, listed in :attr:`ignored_members`), ``naming`` ("pascal" | "sage" | "both"),
    ``date_offset_required`` (False: WCF reads ``/Date(ms)/`` as UTC), ``client_body_style`` ("bare" |
    "wrapped" | "both"), ``response_form`` ("wrapped" →
    ``{"InsertDocumentEtLignesResult": piece}``, "bare" → ``"BC00001"``, "document" → the stored document),
    ``escape_slashes``, ``require_json_content_type``, ``timezone_name``, ``clock`` (aware UTC datetime),
    ``faults``, ``latency_ms`` (every answer after that delay, as a real WebServices100 takes tens to
    hundreds of ms per document; concurrent requests wait side by side, the data stays under the lock).
    """

    name = "sage100"
    server_header = "Microsoft-IIS/10.0"

    def __init__(
        self,
        dataset: Dataset,
        *,
        base: str = "BIJOU",
        token: str | None = None,
        accept_bearer: bool = False,
        special_articles: tuple[str, ...] | None = None,
        tax_codes: dict[str, Decimal] | None = None,
        piece_prefixes: dict[int, str] | None = None,
        remise_types: dict[int, str] | None = None,
        expedition_modes: dict[int, str] | None = None,
        reject_unknown_properties: bool = False,
        naming: str = "both",
        date_offset_required: bool = False,
        client_body_style: str = "both",
        response_form: str = "wrapped",
        escape_slashes: bool = True,
        require_json_content_type: bool = True,
        timezone_name: str = "Europe/Paris",
        clock: Callable[[], datetime] | None = None,
        faults: Faults | None = None,
        latency_ms: int = 0,
        payment_modes: dict[int, str] | None = None,
        valeur_types: dict[int, str] | None = None,
        provenance_prefixes: dict[int, str] | None = None,
    ) -> None:
        super().__init__(faults)
        if latency_ms < 0:
            raise ValueError("latency_ms must be >= 0")
        self.latency_s = latency_ms / 1000.0
        self.in_flight = self.most_in_flight = 0  # requests waiting out the latency together (at most)
        if naming not in ("pascal", "sage", "both"):
            raise ValueError("naming must be 'pascal', 'sage' or 'both'")
        if client_body_style not in ("bare", "wrapped", "both"):
            raise ValueError("client_body_style must be 'bare', 'wrapped' or 'both'")
        if response_form not in ("wrapped", "bare", "document"):
            raise ValueError("response_form must be 'wrapped', 'bare' or 'document'")
        self.dataset = dataset
        self.base = base
        self.token = token or "%040x" % random.Random(f"sage-token:{dataset.seed}").getrandbits(160)
        self.accept_bearer = accept_bearer
        self.special_articles = tuple(special_articles or dataset.special_articles)
        self.tax_codes = dict(tax_codes or {t.sage_code: t.rate for t in dataset.taxes})
        self.piece_prefixes = dict(piece_prefixes or PIECE_PREFIXES)
        self.remise_types = dict(remise_types or REMISE_TYPES)
        self.expedition_modes = dict(expedition_modes or EXPEDITION_MODES)
        self.reject_unknown_properties = reject_unknown_properties
        self.naming, self.client_body_style = naming, client_body_style
        self.date_offset_required = date_offset_required
        self.response_form = response_form
        self.escape_slashes = escape_slashes
        self.require_json_content_type = require_json_content_type
        self.tz = ZoneInfo(timezone_name)
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.documents: list[dict[str, Any]] = []
        self.raw_inserts: list[Any] = []
        self.ignored_members: list[list[str]] = []  # per accepted insert, the members WCF skipped
        self.counters: dict[str, int] = {}
        self.clients: dict[str, dict[str, Any]] = {}
        self.articles: dict[str, dict[str, Any]] = {}
        self._load(dataset)
        # addresses, settlements, credit notes, deliveries: sage_addresses, sage_settlements, sage_documents_flow
        self.payment_modes = dict(payment_modes or PAYMENT_MODES)
        self.valeur_types = dict(valeur_types or VALEUR_TYPES)
        self.provenance_prefixes = dict(provenance_prefixes or flow.PROVENANCE_PREFIXES)
        self.addresses = seed_addresses(self.clients)
        self.settlements: list[dict[str, Any]] = []
        self.settlement_count = 0
        self.reservations = Reservations()  # stock held for web orders (sage_reservations.py)

    # -- reference data ---------------------------------------------------------------------------
    def _local(self, text: str) -> str:
        return wcf_date(datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=self.tz))

    def _load(self, ds: Dataset) -> None:
        codes = {t.id: t.sage_code for t in ds.taxes}
        for c in ds.customers:
            if not c.in_sage:
                continue
            name = f"{c.firstname} {c.lastname}"
            self.clients[c.sage_code] = {
                "TypeTiers": 0, "NumeroTiers": c.sage_code, "NumeroTiersPayeur": c.sage_code,
                "IdCategorieComptable": 1, "IdCategorieTarifaire": 1, "Intitule": c.company or name,
                "Abrege": c.lastname.upper()[:17], "Contact": name, "CompteCollectif": "4110000",
                "Adresse": c.address1, "Complement": "", "CodePostal": c.postcode, "Ville": c.city,
                "Pays": COUNTRY_NAMES.get(c.country_iso, c.country_iso), "Telephone": c.phone, "Email": c.email,
                "EstEnSommeil": False, "DateCreation": self._local(c.date_add),
                "DateModification": self._local(c.date_add),
            }
        self.articles = build_articles(ds, codes, self.special_articles, self._local)

    def set_stock(self, reference: str, quantity: int | Decimal) -> None:
        with self.lock:
            self.articles[reference]["QteStock"] = Decimal(quantity)
            self.articles[reference]["DateModification"] = wcf_date(self.clock().astimezone(self.tz))

    def now(self) -> str:
        return wcf_date(self.clock().astimezone(self.tz))

    def deliver(self, piece: str, tracking: str | None = None, carrier: int | None = None,
                quantities: dict[str, Any] | None = None) -> dict[str, Any]:
        """Test helper: Sage's transformation of order ``piece`` into a delivery note (:mod:`.sage_documents_flow`)."""
        return flow.deliver(self, piece, tracking, carrier, quantities)

    def connector_url(self, root: str) -> str:
        return f"{root}/WebServices100/{self.base}"

    def api_root(self, root: str) -> str:
        return f"{root}/WebServices100/{self.base}/"

    def credentials(self) -> dict[str, str]:
        return {"token": self.token}

    def document(self, piece: str) -> dict[str, Any] | None:
        return next((d for d in self.documents if d["NumeroDocument"] == piece), None)

    def find_documents(self, reference: str) -> list[dict[str, Any]]:
        return [d for d in self.documents if (d.get("Reference") or "").casefold() == reference.casefold()]

    # -- HTTP -------------------------------------------------------------------------------------
    def _respond(self, status: int, payload: Any) -> Response:
        body = b"" if payload is VOID else _json.dumps(payload, escape_slashes=self.escape_slashes).encode()
        return Response(status, body, [("Content-Type", "application/json; charset=utf-8"),
                                       ("X-Powered-By", "ASP.NET"), ("Cache-Control", "private")])

    def _authorized(self, request: Request) -> str | None:
        value = (request.header("Authorization") or "").strip()
        if value == self.token:
            return None
        if value[:7].lower() == "bearer ":
            if self.accept_bearer and value[7:].strip() == self.token:
                return None
            if value[7:].strip() == self.token:
                return "Authorization must carry the raw token, without the 'Bearer' prefix"
        return "Missing or invalid token in the Authorization header" if value else \
            "Missing Authorization header (raw token expected)"

    def handle(self, request: Request) -> Response:
        if self.latency_s:  # a real server's time per request, outside the lock: requests overlap
            with self.lock:
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                time.sleep(self.latency_s)
            finally:
                with self.lock:
                    self.in_flight -= 1
        prefix = f"/webservices100/{self.base}/".lower()
        path = unquote(request.path)
        if not path.lower().startswith(prefix):
            return self._respond(*_error(404, [Problem("NotFound", "", "Endpoint not found.")]))
        denied = self._authorized(request)
        if denied:
            return self._respond(*_error(401, [Problem("Unauthorized", "Authorization", denied)]))
        route = path[len(prefix):].strip("/")
        parts = route.split("/")
        key = "/".join(parts[:3]).lower()
        ident = "/".join(parts[3:])
        method = request.method.upper()
        routes = {
            "documentservice/rest/insertdocumentetlignes": ({"POST"}, self._insert),
            "tiersservice/rest/clients": ({"GET", "POST", "PUT"}, self._clients),
            "articleservice/rest/articles": ({"GET"}, self._articles),
            "taxeservice/rest/taxes": ({"GET"}, self._taxes),
            "modeexpeditionservice/rest/modesexpedition": ({"GET"}, self._modes),
            **flow_routes(self, _error, _Rejected),
        }
        if key not in routes or (ident and key.startswith(("documentservice/rest/insert", "documentservice/rest/get"))):
            return self._respond(*_error(404, [Problem("NotFound", "", "Endpoint not found.")]))
        allowed, handler = routes[key]
        if method == "HEAD" and "GET" in allowed:
            method = "GET"
        if method not in allowed:
            return self._respond(*_error(405, [Problem("MethodNotAllowed", "", "Method not allowed.")]))
        if method in ("POST", "PUT"):
            content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
            if self.require_json_content_type and content_type != "application/json":
                return self._respond(*_error(415, [Problem(
                    "UnsupportedMediaType", "Content-Type",
                    f"Content-Type must be application/json (got {content_type or 'nothing'})")]))
        with self.lock:
            status, payload = handler(method, ident, request)
            response = self._respond(status, payload)
        response.head_only = request.method.upper() == "HEAD"
        return response

    def _body(self, request: Request) -> Any:
        try:
            return _json.loads_strict(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _Rejected([Problem("InvalidJson", "", f"The request body is not valid JSON: {exc}")]) from None

    def _query(self, request: Request, allowed: tuple[str, ...]) -> dict[str, str]:
        params = {}
        for key, value in parse_qsl(request.query, keep_blank_values=True):
            name = next((a for a in allowed if a.lower() == key.lower()), None)
            if name is None:
                raise _Rejected([Problem("UnknownProperty", key, f"Unknown query parameter {key!r} "
                                                                 f"(known: {', '.join(allowed)})")])
            params[name] = value
        return params

    # -- DocumentService --------------------------------------------------------------------------
    def _insert(self, method: str, ident: str, request: Request) -> tuple[int, Any]:
        try:
            body = self._body(request)
        except _Rejected as rejected:
            return _error(400, rejected.problems)
        checker = Checker(set(self.clients), self.articles, self.special_articles, self.tax_codes,
                          self.piece_prefixes, self.remise_types, self.expedition_modes,
                          self.reject_unknown_properties, self.naming, self.date_offset_required)
        doc, lines = checker.check_insert(body)
        if isinstance(doc, dict):
            checker.problems += flow.check_flow_fields(self, doc)
        if checker.problems:
            return _error(400, checker.problems)
        self.raw_inserts.append(body)
        self.ignored_members.append(checker.ignored)
        document = self._store(doc, lines)
        piece = document["NumeroDocument"]
        if self.response_form == "bare":
            return 200, piece
        if self.response_form == "document":
            return 200, document
        return 200, {"InsertDocumentEtLignesResult": piece}

    def _store(self, doc: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
        prefix = flow.piece_prefix(self, doc)
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        piece = f"{prefix}{self.counters[prefix]:05d}"
        stored_lines = []
        total_ht = total_ttc = Decimal("0")
        for index, line in enumerate(lines, 1):
            if line["__type"] == TEXT_LINE_TYPE:
                stored_lines.append({"__type": TEXT_LINE_TYPE, "NumeroDocument": piece, "NumeroLigne": index * 1000,
                                     "Designation": line["Designation"]})
                continue
            article = self.articles[line["RefArticle"]]
            quantity = Decimal(line["Quantite"])
            price = Decimal(line["PrixUnitaire"]) if line.get("PrixUnitaire") is not None else article["PrixVente"]
            valued = bool(line.get("EstValorise", True))
            code = line.get("CodeTaxe") or article["CodeTaxe"]
            rate = self.tax_codes.get(code, Decimal("0"))
            ht, ttc = flow.line_amounts(quantity, price, self.remise_types.get(line.get("RemiseType1")),
                                        Decimal(line.get("RemiseValeur1") or 0), valued, rate)
            total_ht += ht
            total_ttc += ttc
            stored_lines.append({
                "__type": LINE_TYPE, "NumeroDocument": piece, "NumeroLigne": index * 1000,
                "RefArticle": line["RefArticle"], "Designation": line.get("Designation") or article["Intitule"],
                "Quantite": line["Quantite"], "PrixUnitaire": price, "RemiseType1": line.get("RemiseType1"),
                "RemiseValeur1": line.get("RemiseValeur1") or 0, "EstValorise": valued, "CodeTaxe": code,
                "TauxTaxe": rate, "MontantHT": ht, "MontantTTC": ttc,
            })
        document = {"__type": DOC_TYPE, "NumeroDocument": piece}
        document.update({k: v for k, v in doc.items() if k not in ("__type", "NumeroDocument")})
        document.update({
            "TotalHT": total_ht, "TotalTTC": total_ttc, "TotalTVA": total_ttc - total_ht,
            "DateCreation": wcf_date(self.clock().astimezone(self.tz)), "Lignes": stored_lines,
        })
        flow.after_store(document)
        self.documents.append(document)
        return document

    # -- TiersService / ArticleService / references -----------------------------------------------
    def _clients(self, method: str, ident: str, request: Request) -> tuple[int, Any]:
        return handle_clients(self, method, ident, request, _error, _Rejected,
                              lambda: wcf_date(self.clock().astimezone(self.tz)))

    def _articles(self, method: str, ident: str, request: Request) -> tuple[int, Any]:
        if ident:
            article = next((a for ref, a in self.articles.items() if ref.upper() == ident.upper()), None)
            if article is None:  # references compare case-insensitively, like SQL Server
                return _error(404, [Problem("NotFound", "Reference", f"Article {ident!r} does not exist")])
            return 200, article
        try:  # filters of the working contract (sage_articles): exact, case-insensitive like SQL Server
            query = self._query(request, ("TypeArticle", "Gamme", "CodeFamille"))
        except _Rejected as rejected:
            return _error(400, rejected.problems)
        return 200, [a for a in self.articles.values()
                     if all(str(a.get(k) if a.get(k) is not None else "").casefold() == v.casefold()
                            for k, v in query.items())]

    def _taxes(self, method: str, ident: str, request: Request) -> tuple[int, Any]:
        return 200, [{"Code": code, "Intitule": f"TVA {rate.normalize():f} %", "Taux": rate, "TypeTaux": 0}
                     for code, rate in self.tax_codes.items()]

    def _modes(self, method: str, ident: str, request: Request) -> tuple[int, Any]:
        return 200, [{"Id": key, "Intitule": label} for key, label in sorted(self.expedition_modes.items())]


class _Rejected(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems[0].message)
        self.problems = problems
