"""Checks of an ``InsertDocumentEtLignes`` body as WCF reads it, then as Sage judges it (the simulator's
WebServices100 contract, modelled on the Proconsult WebServices100 demo; the whole wire contract and its
sources are in ``docs/simulators.md``, "Sage 100 WebServices100").

The body is the WCF *wrapped* form ``{"doc": {...}, "lignes": [...]}`` (two body parameters: WCF cannot
read them bare). Reading follows ``DataContractJsonSerializer``: members are matched by their exact
(case-sensitive) name in any order; a member that is not in the contract is **ignored** (listed in
:attr:`Checker.ignored`; ``reject_unknown=True`` refuses it instead, ``UnknownProperty``); a member given
twice is refused (``DuplicateProperty``); a missing member keeps its .NET default (WCF runs no
constructor): ``TypeDocument`` 0, the rest null. Every problem found is reported (not only the first) as a
:class:`Problem` ``(code, field, message)``; ``field`` is a path such as ``doc.Date`` or
``lignes[1].CodeTaxe`` (0-based line index). Checks:

* ``__type`` present and the **first** member of ``doc`` (``DocumentVente:http://www.proconsult.lu/
  WebServices100``) and of each line (``LigneArticle:…``, or ``LigneTexte:…`` for a text line) —
  codes ``TypeHintMissing`` / ``TypeHintNotFirst`` / ``TypeHintInvalid`` (elsewhere WCF reads it as an
  ordinary, unknown member and the abstract declared type cannot be created);
* ``Date`` matches ``/Date(<ms>[±hhmm])/`` (``InvalidDate``; ``date_offset_required`` refuses it without offset);
* ``TypeDocument`` an integer with a known piece prefix, ``Statut`` null or 0/1/2, ``Id*`` integers
  (``InvalidType`` / ``InvalidValue``), ``IdModeExpedition`` a known mode (``UnknownExpeditionMode``);
* Sage's business checks on what WCF leaves null: ``doc``, ``lignes``, ``Date``, ``NumeroTiers``,
  ``RefArticle``, ``Quantite`` and a text line's ``Designation`` (``MissingProperty``);
* ``NumeroTiers`` (and ``NumeroTiersPayeur``) a known customer code (``UnknownCustomer``);
* ``RefArticle`` a known article or a special article such as ``PORT``/``REMISE`` (``UnknownArticle``);
* ``Quantite``/``PrixUnitaire``/``RemiseValeur1`` JSON numbers, never strings or booleans (``InvalidType``);
  ``RemiseType1`` null or a known integer; a non-zero ``RemiseValeur1`` needs ``RemiseType1``; a percentage
  lies within 0–100; ``EstValorise`` 0/1/true/false;
* ``CodeTaxe`` (optional) a known tax code (``UnknownTaxCode``);
* text limits from the Sage 100 schema: ``Reference`` ≤ 17 (DO_Ref), ``RefArticle`` ≤ 19 (AR_Ref),
  ``Designation`` ≤ 69, ``Contact`` ≤ 35 (``TooLong``); ``lignes`` empty → ``EmptyDocument``.

Naming families (``naming``): ``"pascal"`` (the demo's ``TypeDocument``, ``RefArticle``…), ``"sage"``
(the Sage 100 column names ``DO_Type``, ``DO_Date``, ``DO_Ref``, ``CT_Num``, ``DO_Statut``, ``DO_Piece``;
``AR_Ref``, ``DL_Qte``, ``DL_PrixUnitaire``, ``DL_Remise``, ``DL_Design``) or ``"both"`` (the default: the
real contract is not public). A name of the other family is an unknown member, ignored as above.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = ["CLIENT_FIELDS", "Checker", "DOC_TYPE", "LINE_TYPE", "NS", "Problem", "TEXT_LINE_TYPE", "check_client"]

NS = "http://www.proconsult.lu/WebServices100"
DOC_TYPE = f"DocumentVente:{NS}"
LINE_TYPE = f"LigneArticle:{NS}"
TEXT_LINE_TYPE = f"LigneTexte:{NS}"

DOC_FIELDS = {
    "__type", "TypeDocument", "Date", "Reference", "NumeroTiers", "NumeroTiersPayeur", "Statut", "Contact",
    "SectionAnalytique", "IdCategorieComptable", "IdCategorieTarifaire", "IdDepot", "IdModeExpedition",
    "IdConditionLivraison", "IdCollaborateur", "IdSouche", "IdDevise", "CoursDevise", "NumeroDocument",
    # Passerelle's working contract: shipping and payment modes by
    # code, and the order total as the shop computed it (checked against the lines by the consultant)
    "ModeExpedition", "ModeReglement", "TotalTTC",
    # delivery address, origin of a credit note, invoice kind: checked by sage_documents_flow
    "IdAdresseLivraison", "NumeroDocumentOrigine", "Provenance",
}
LINE_FIELDS = {"__type", "RefArticle", "Designation", "Quantite", "PrixUnitaire", "EstValorise", "RemiseType1",
               "RemiseValeur1", "CodeTaxe", "IdDepot"}
TEXT_LINE_FIELDS = {"__type", "Designation"}
DOC_VARIANT_B = {"DO_Type": "TypeDocument", "DO_Date": "Date", "DO_Ref": "Reference", "CT_Num": "NumeroTiers",
                 "CT_NumPayeur": "NumeroTiersPayeur", "DO_Statut": "Statut", "DO_Piece": "NumeroDocument",
                 "DE_No": "IdDepot"}
LINE_VARIANT_B = {"AR_Ref": "RefArticle", "DL_Design": "Designation", "DL_Qte": "Quantite",
                  "DL_PrixUnitaire": "PrixUnitaire", "DL_Remise": "RemiseValeur1", "DL_CodeTaxe1": "CodeTaxe"}
CLIENT_FIELDS = {
    "__type", "TypeTiers", "NumeroTiers", "NumeroTiersPayeur", "IdCategorieComptable", "IdCategorieTarifaire",
    "IdModeleReglement", "Intitule", "Qualite", "Abrege", "Contact", "CompteCollectif", "Adresse", "Complement",
    "CodePostal", "Ville", "Region", "Pays", "Telephone", "Fax", "Email", "SiteWeb", "NumeroSiret", "NumeroTva",
    "Commentaire", "Langue", "EstEnSommeil",
}
INT_DOC_FIELDS = ("IdCategorieComptable", "IdCategorieTarifaire", "IdDepot", "IdConditionLivraison",
                  "IdCollaborateur", "IdSouche", "IdDevise")


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    field: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"Message": self.message, "Field": self.field, "Code": self.code}


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return is_int(value) or isinstance(value, Decimal)


@dataclass
class Checker:
    """Validation settings plus the reference data (customers, articles, tax codes…)."""

    customers: set[str]
    articles: dict[str, Any]
    special_articles: tuple[str, ...]
    tax_codes: dict[str, Decimal]
    piece_prefixes: dict[int, str]
    remise_types: dict[int, str]
    expedition_modes: dict[int, str]
    reject_unknown: bool = False
    naming: str = "both"
    date_offset_required: bool = False
    problems: list[Problem] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # members WCF skipped (not in the contract), as paths

    def _add(self, code: str, path: str, message: str) -> None:
        self.problems.append(Problem(code, path, message))

    def _members(self, obj: dict[str, Any], allowed: set[str], aliases: dict[str, str], path: str
                 ) -> dict[str, Any]:
        """The members WCF reads from ``obj`` under their contract names: exact names of the active
        family(ies); the others are ignored (or refused with ``reject_unknown``); one given twice is refused."""
        names = {key: key for key in allowed} if self.naming != "sage" else \
            {key: key for key in allowed if key not in aliases.values()}
        if self.naming != "pascal":
            names.update({alias: name for alias, name in aliases.items() if name in allowed})
        out: dict[str, Any] = {}
        for key, value in obj.items():
            name = names.get(key)
            if name is None:
                if self.reject_unknown:
                    self._add("UnknownProperty", f"{path}.{key}", f"{path}.{key} is not a member of the contract")
                else:
                    self.ignored.append(f"{path}.{key}")
            elif name in out:
                self._add("DuplicateProperty", f"{path}.{key}", f"{path}.{key} duplicates {path}.{name}")
            else:
                out[name] = value
        return out

    def _type_hint(self, obj: dict[str, Any], path: str, allowed: tuple[str, ...]) -> str | None:
        if "__type" not in obj:
            self._add("TypeHintMissing", f"{path}.__type", f'{path}.__type is missing (expected "{allowed[0]}")')
            return None
        if next(iter(obj)) != "__type":
            self._add("TypeHintNotFirst", f"{path}.__type",
                      f"{path}.__type must be the first member of {path} (WCF ignores it elsewhere)")
        if obj["__type"] not in allowed:
            self._add("TypeHintInvalid", f"{path}.__type",
                      f'{path}.__type is {obj["__type"]!r}; expected one of {", ".join(allowed)}')
            return None
        return obj["__type"]

    def _text(self, obj: dict[str, Any], name: str, path: str, limit: int, required: bool = False) -> None:
        value = obj.get(name)
        if value is None:
            if required:
                self._add("MissingProperty", f"{path}.{name}", f"{path}.{name} is required")
            return
        if not isinstance(value, str):
            self._add("InvalidType", f"{path}.{name}", f"{path}.{name} must be a string")
        elif len(value) > limit:
            self._add("TooLong", f"{path}.{name}", f"{path}.{name} is {len(value)} characters long (max {limit})")

    def _number(self, obj: dict[str, Any], name: str, path: str, required: bool = False) -> None:
        if name not in obj or obj[name] is None:
            if required:
                self._add("MissingProperty", f"{path}.{name}", f"{path}.{name} is required")
            return
        value = obj[name]
        if not is_number(value):
            kind = "a string" if isinstance(value, str) else type(value).__name__
            self._add("InvalidType", f"{path}.{name}", f"{path}.{name} must be a JSON number, not {kind}")

    def check_date(self, value: Any, path: str) -> None:
        offset = "" if self.date_offset_required else "?"
        pattern = rf"/Date\(-?\d+(?:[+-]\d{{4}}){offset}\)/"
        if not isinstance(value, str) or not re.fullmatch(pattern, value):
            self._add("InvalidDate", path, f'{path} must look like "/Date(1768431600000+0100)/", got {value!r}')

    def check_document(self, doc: Any) -> dict[str, Any]:
        if not isinstance(doc, dict):
            self._add("InvalidType", "doc", "doc must be a JSON object")
            return {}
        self._type_hint(doc, "doc", (DOC_TYPE,))
        doc = self._members(doc, DOC_FIELDS, DOC_VARIANT_B, "doc")
        kind = doc.setdefault("TypeDocument", 0)  # a missing enum member is 0 (WCF runs no constructor)
        if not is_int(kind):
            self._add("InvalidType", "doc.TypeDocument", "doc.TypeDocument must be an integer (WCF enum)")
        elif kind not in self.piece_prefixes:
            self._add("InvalidValue", "doc.TypeDocument", f"doc.TypeDocument {kind} is not a known document type "
                      f"(known: {sorted(self.piece_prefixes)})")
        if "Date" not in doc:
            self._add("MissingProperty", "doc.Date", "doc.Date is required")
        else:
            self.check_date(doc["Date"], "doc.Date")
        self._text(doc, "Reference", "doc", 17)
        self._text(doc, "Contact", "doc", 35)
        self._text(doc, "SectionAnalytique", "doc", 13)
        for name, required in (("NumeroTiers", True), ("NumeroTiersPayeur", False)):
            self._text(doc, name, "doc", 17, required)
            value = doc.get(name)
            if isinstance(value, str) and value not in self.customers:
                self._add("UnknownCustomer", f"doc.{name}", f"doc.{name}: customer {value!r} does not exist")
        statut = doc.get("Statut")
        if statut is not None and (not is_int(statut) or statut not in (0, 1, 2)):
            self._add("InvalidValue", "doc.Statut", f"doc.Statut must be null or 0, 1, 2; got {statut!r}")
        for name in INT_DOC_FIELDS + ("IdModeExpedition",):
            if doc.get(name) is not None and not is_int(doc[name]):
                self._add("InvalidType", f"doc.{name}", f"doc.{name} must be an integer")
        mode = doc.get("IdModeExpedition")
        if is_int(mode) and mode not in self.expedition_modes:
            self._add("UnknownExpeditionMode", "doc.IdModeExpedition",
                      f"doc.IdModeExpedition {mode} is not a known shipping mode "
                      f"(known: {sorted(self.expedition_modes)})")
        self._number(doc, "CoursDevise", "doc")
        self._number(doc, "TotalTTC", "doc")
        self._text(doc, "ModeExpedition", "doc", 35)
        self._text(doc, "ModeReglement", "doc", 35)
        if doc.get("NumeroDocument") not in (None, ""):
            self._add("InvalidValue", "doc.NumeroDocument", "doc.NumeroDocument must be empty: the server assigns it")
        return doc

    def check_line(self, line: Any, path: str) -> dict[str, Any]:
        if not isinstance(line, dict):
            self._add("InvalidType", path, f"{path} must be a JSON object")
            return {}
        hint = self._type_hint(line, path, (LINE_TYPE, TEXT_LINE_TYPE))
        if hint == TEXT_LINE_TYPE:
            line = self._members(line, TEXT_LINE_FIELDS, LINE_VARIANT_B, path)
            self._text(line, "Designation", path, 69, required=True)
            return line
        line = self._members(line, LINE_FIELDS, LINE_VARIANT_B, path)
        self._text(line, "RefArticle", path, 19, required=True)
        ref = line.get("RefArticle")
        if isinstance(ref, str) and ref not in self.articles and ref not in self.special_articles:
            self._add("UnknownArticle", f"{path}.RefArticle", f"{path}.RefArticle: article {ref!r} does not exist")
        self._text(line, "Designation", path, 69)
        self._number(line, "Quantite", path, required=True)
        self._number(line, "PrixUnitaire", path)
        self._number(line, "RemiseValeur1", path)
        kind = line.get("RemiseType1")
        if kind is not None and (not is_int(kind) or kind not in self.remise_types):
            self._add("InvalidValue", f"{path}.RemiseType1",
                      f"{path}.RemiseType1 must be null or one of {sorted(self.remise_types)}; got {kind!r}")
        value = line.get("RemiseValeur1")
        if is_number(value) and value != 0 and kind is None:
            self._add("MissingProperty", f"{path}.RemiseType1",
                      f"{path}.RemiseType1 is required when RemiseValeur1 ≠ 0")
        if is_number(value) and self.remise_types.get(kind) == "percent" and not 0 <= value <= 100:
            self._add("InvalidValue", f"{path}.RemiseValeur1", f"{path}.RemiseValeur1 is a percentage: 0 to 100")
        valued = line.get("EstValorise")
        if valued is not None and valued not in (0, 1) and not isinstance(valued, bool):
            self._add("InvalidValue", f"{path}.EstValorise", f"{path}.EstValorise must be 0, 1, true or false")
        elif isinstance(valued, Decimal):
            self._add("InvalidValue", f"{path}.EstValorise", f"{path}.EstValorise must be 0, 1, true or false")
        code = line.get("CodeTaxe")
        if code is not None and (not isinstance(code, str) or code not in self.tax_codes):
            self._add("UnknownTaxCode", f"{path}.CodeTaxe",
                      f"{path}.CodeTaxe {code!r} is not a tax code (known: {', '.join(self.tax_codes)})")
        if line.get("IdDepot") is not None and not is_int(line["IdDepot"]):
            self._add("InvalidType", f"{path}.IdDepot", f"{path}.IdDepot must be an integer")
        return line

    def check_insert(self, body: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Read the wrapped body as WCF does (parameters by name, any order, others skipped, missing ones
        null); return the document and lines under contract names. Read :attr:`problems` after."""
        self.problems, self.ignored = [], []
        if not isinstance(body, dict):
            self._add("InvalidType", "", 'the body must be {"doc": {...}, "lignes": [...]}')
            return {}, []
        for key in body:
            if key not in ("doc", "lignes") and self.reject_unknown:
                self._add("UnknownProperty", key, f"{key} is not a parameter of InsertDocumentEtLignes (doc, lignes)")
            elif key not in ("doc", "lignes"):
                self.ignored.append(key)
        if "doc" not in body:
            self._add("MissingProperty", "doc", "doc is required")
        doc = self.check_document(body["doc"]) if "doc" in body else {}
        lines_raw = body.get("lignes")
        if "lignes" not in body:
            self._add("MissingProperty", "lignes", "lignes is required")
            return doc, []
        if not isinstance(lines_raw, list):
            self._add("InvalidType", "lignes", "lignes must be a JSON array")
            return doc, []
        if not lines_raw:
            self._add("EmptyDocument", "lignes", "lignes must contain at least one line")
        return doc, [self.check_line(line, f"lignes[{i}]") for i, line in enumerate(lines_raw)]


def check_client(body: Any, existing: dict[str, Any], reject_unknown: bool = False) -> list[Problem]:
    """A Client to create (WebServices100 property names): ``NumeroTiers`` ≤ 17 (CT_Num) and new,
    ``Intitule`` ≤ 69; members that are not Client properties are ignored as WCF does (the caller keeps
    only :data:`CLIENT_FIELDS`), or refused with ``reject_unknown``."""
    if not isinstance(body, dict):
        return [Problem("InvalidType", "", "the body must be a Client JSON object")]
    problems = []
    if reject_unknown:
        problems += [Problem("UnknownProperty", k, f"{k} is not a member of Client") for k in body
                     if k not in CLIENT_FIELDS]
    code, name = body.get("NumeroTiers"), body.get("Intitule")
    if not isinstance(code, str) or not code.strip():
        problems.append(Problem("MissingProperty", "NumeroTiers", "NumeroTiers is required"))
    elif len(code) > 17:
        problems.append(Problem("TooLong", "NumeroTiers", f"NumeroTiers is {len(code)} characters long (max 17)"))
    elif code.upper() in existing:
        problems.append(Problem("Duplicate", "NumeroTiers", f"Client {code.upper()} already exists"))
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem("MissingProperty", "Intitule", "Intitule is required"))
    elif len(name) > 69:
        problems.append(Problem("TooLong", "Intitule", f"Intitule is {len(name)} characters long (max 69)"))
    for key in ("Email", "Adresse", "CodePostal", "Ville", "Telephone", "Contact"):
        if body.get(key) is not None and not isinstance(body[key], str):
            problems.append(Problem("InvalidType", key, f"{key} must be a string"))
    return problems
