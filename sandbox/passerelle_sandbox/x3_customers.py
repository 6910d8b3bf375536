"""Customers created through the published BPC object (SOAP ``save``) and the delivery address of a sales
order (SOH) in the simulated Sage X3 folder. Pure data logic (no HTTP): checks raise
:class:`~.x3_soap.Rejected` with X3-like texts.

BPC ``save`` blocks (the screen blocks a public Magento 1 → X3 integration and public X3 clients save a
customer with; which fields a publication exposes is the customer's GESAWE choice):

* ``BPC0_1``: ``BCGCOD`` customer category (mandatory, one of ``categories``), ``BPCNUM`` the code
  (mandatory here: the folder has no counter for customers [assumption]), ``BPCSTA`` (1 inactive, 2 active);
* ``BPRC_1``: ``BPRNAM`` company name (mandatory; an ``FLD`` or an ``LST`` of 2 items), ``BPRSHO``, ``CRY``
  the business partner's country, ``LAN``, ``CUR``, ``CRN``, ``EECNUM``;
* ``BPC3_1``: ``BPAINV`` bill-to and ``BPAPYR`` pay-by address codes, ``ACCCOD``; ``BPC3_2``: ``VACBPR``;
  ``BPC3_3``: ``PTE``;
* table ``BPAC_1`` (addresses, table BPADDRESS; at least one: X3 needs the bill-to address of a new
  customer): ``CODADR`` the address code (mandatory, at most 5 characters, once per customer),
  ``BPADES``, ``BPAADDFLG`` (2 = default address), ``ADDLIG1``..``ADDLIG3`` the street lines, ``POSCOD``,
  ``CTY``, ``SAT``, ``BPACRY`` the country (mandatory), ``WEB1`` the e-mail, ``TEL1``.

Refusals (HTTP 200, status 0): a missing mandatory field (``<block>.<field>: Mandatory field``), an existing
code (``BPCNUM <code>: Record already exists``), an unknown country or category (``<field> <code>: Record
does not exist``), an address code given twice, a bill-to/pay-by address that is not in the table.

A sales order carries its ship-to address as the customer's address code ``SOH1_1.BPAADD`` and/or the
address itself in ``ADB2_1`` (``BPDNAM`` recipient [assumption: field name of SORDER], ``BPAADDLIG`` a list
of up to 3 street lines, ``POSCOD``, ``CTY``, ``SAT``, ``CRY``, ``CRYNAM``): X3 fills the address from the
code; fields sent in ``ADB2_1`` replace the code's. The address is stored as SORDER's ship-to fields
(``BPAADD``, ``BPDNAM``, ``BPDADDLIG``, ``BPDPOSCOD``, ``BPDCTY``, ``BPDSAT``, ``BPDCRY``) and answered back in
the same two blocks.

Sources: developer.sage.com X3 import/export guide (customer BPC template: BCGCOD, BPCNUM, BPRNAM required,
BPAINV/BPAPYR/BPAADD address codes of 5 characters; sales order SOH template), the X3 help "Import/export
template BPC" (at least one address to define the bill-to address), public X3 SQL (SORDER's BPAADD,
BPDNAM, BPDADDLIG, BPDPOSCOD, BPDCTY, BPDSAT, BPDCRY; BPADDRESS's BPAADD, BPAADDLIG, POSCOD, CTY, SAT, CRY,
WEB), public web-service clients saving BPC (``BPC0_1``, ``BPRC_1``, ``BPC3_*``, ``BPAC_1`` with CODADR,
BPACRY, ADDLIG1…, WEB1) and SOH (``SOH1_1`` BPAADD, ``ADB2_1`` with the list BPAADDLIG, POSCOD, CTY, CRYNAM).
The exact message texts of X3 are not public [unverified].
"""
from __future__ import annotations

from typing import Any

from passerelle_sandbox.x3_soap import Rejected

__all__ = ["COUNTRIES", "CustomerBook", "DELIVERY_BLOCKS", "take_delivery"]

# the countries of TABCOUNTRY in the simulated folder (ISO codes) [assumption: X3 folders use ISO codes]
COUNTRIES = ("AT", "BE", "CH", "DE", "ES", "FR", "GB", "IE", "IT", "LU", "NL", "PT", "US")
BPC_BLOCKS: dict[str, tuple[str, ...]] = {
    "BPC0_1": ("BCGCOD", "BPCNUM", "BPCSTA"),
    "BPRC_1": ("BPRNAM", "BPRSHO", "CRY", "LAN", "CUR", "CRN", "EECNUM"),
    "BPC3_1": ("BPAINV", "BPAPYR", "ACCCOD"),
    "BPC3_2": ("VACBPR",),
    "BPC3_3": ("PTE",),
}
ADDRESS_TABLE = "BPAC_1"
ADDRESS_FIELDS = ("CODADR", "BPADES", "BPAADDFLG", "ADDLIG1", "ADDLIG2", "ADDLIG3", "POSCOD", "CTY", "SAT",
                  "BPACRY", "WEB1", "TEL1")
DELIVERY_BLOCKS = ("SOH1_1", "ADB2_1")
SHIP_TO = {"BPDNAM": "BPDNAM", "BPAADDLIG": "BPDADDLIG", "POSCOD": "BPDPOSCOD", "CTY": "BPDCTY", "SAT": "BPDSAT",
           "CRY": "BPDCRY", "CRYNAM": "BPDCRYNAM"}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


class CustomerBook:
    """Creates customers into ``customers`` (the flat rows SData and the query list show) and keeps their
    addresses (``addresses[BPCNUM]``) and the rest of what was saved (``details[BPCNUM]``)."""

    def __init__(self, customers: dict[str, dict[str, Any]], currency: str, categories: tuple[str, ...],
                 countries: tuple[str, ...] = COUNTRIES) -> None:
        self.customers, self.currency = customers, currency
        self.categories, self.countries = categories, countries
        self.addresses: dict[str, list[dict[str, Any]]] = {}
        self.details: dict[str, dict[str, str]] = {}

    def address_list(self, code: str) -> list[dict[str, Any]]:
        """The customer's addresses; a seeded customer has one, code ``001``, from its own row."""
        if code in self.addresses:
            return self.addresses[code]
        row = self.customers.get(code) or {}
        return [{"CODADR": "001", "BPADES": "Default", "BPAADDFLG": 2, "ADDLIG1": "", "ADDLIG2": "", "ADDLIG3": "",
                 "POSCOD": row.get("POSCOD", ""), "CTY": row.get("CTY", ""), "SAT": "",
                 "BPACRY": row.get("CRY", ""), "WEB1": "", "TEL1": ""}] if row else []

    def _shape(self, blocks: dict[str, Any]) -> list[str]:
        problems = []
        for ident, block in blocks.items():
            allowed = ADDRESS_FIELDS if ident == ADDRESS_TABLE else BPC_BLOCKS.get(ident)
            if allowed is None:
                problems.append(f"{ident}: unknown block in the BPC object")
            elif (ident == ADDRESS_TABLE) != isinstance(block, list):
                problems.append(f"{ident}: must be a {'table (TAB)' if ident == ADDRESS_TABLE else 'group (GRP)'}")
            else:
                for row in block if isinstance(block, list) else [block]:
                    problems += [f"{ident}.{n}: unknown field" for n in row if n not in allowed]
                    problems += [f"{ident}.{n}: a single value is expected, not a list (LST)"
                                 for n, v in row.items() if isinstance(v, list) and n != "BPRNAM"]
        return problems

    def create(self, blocks: dict[str, Any]) -> dict[str, Any]:
        problems = self._shape(blocks)
        if problems:
            raise Rejected(*problems)
        head: dict[str, str] = {}
        for ident in BPC_BLOCKS:
            for name, value in (blocks.get(ident) or {}).items():
                head[name] = " ".join(v.strip() for v in value if v.strip()) if isinstance(value, list) \
                    else _text(value)
        code, category, name = head.get("BPCNUM", ""), head.get("BCGCOD", ""), head.get("BPRNAM", "")
        if not category:
            problems.append("BPC0_1.BCGCOD: Mandatory field")
        elif category not in self.categories:
            problems.append(f"BCGCOD {category}: Record does not exist")
        if not code:
            problems.append("BPC0_1.BPCNUM: Mandatory field")
        elif len(code) > 15:
            problems.append(f"BPC0_1.BPCNUM: '{code}' is longer than 15 characters")
        elif code in self.customers:
            problems.append(f"BPCNUM {code}: Record already exists")
        if not name:
            problems.append("BPRC_1.BPRNAM: Mandatory field")
        if head.get("CRY") and head["CRY"] not in self.countries:
            problems.append(f"CRY {head['CRY']}: Record does not exist")
        addresses = self._addresses(blocks.get(ADDRESS_TABLE) or [], problems)
        codes = [a["CODADR"] for a in addresses]
        for field in ("BPAINV", "BPAPYR"):
            if head.get(field) and head[field] not in codes:
                problems.append(f"{field} {head[field]}: Record does not exist (not an address of the customer)")
        if problems:
            raise Rejected(*problems)
        default = next((a for a in addresses if str(a["BPAADDFLG"]) == "2"), addresses[0])
        status = head.get("BPCSTA") or "2"
        self.customers[code] = {"BPCNUM": code, "BPCNAM": name[:35], "BPCSHO": (head.get("BPRSHO") or name)[:10],
                                "CUR": head.get("CUR") or self.currency, "CRY": head.get("CRY") or default["BPACRY"],
                                "CTY": default["CTY"], "POSCOD": default["POSCOD"],
                                "BPCSTA": int(status) if status.isdigit() else status}
        self.addresses[code] = addresses
        self.details[code] = {"BCGCOD": category, "BPAINV": head.get("BPAINV") or default["CODADR"],
                              "BPAPYR": head.get("BPAPYR") or default["CODADR"],
                              **{k: head[k] for k in ("LAN", "CRN", "EECNUM", "ACCCOD", "VACBPR", "PTE") if k in head}}
        return self.blocks(code)

    def _addresses(self, rows: list[dict[str, Any]], problems: list[str]) -> list[dict[str, Any]]:
        if not rows:
            problems.append(f"{ADDRESS_TABLE}: at least one address is required (the bill-to address)")
        out, seen = [], set()
        for num, row in enumerate(rows, 1):
            where = f"{ADDRESS_TABLE}[{num}]"
            address = {name: _text(row.get(name)) for name in ADDRESS_FIELDS}
            code, country = address["CODADR"], address["BPACRY"]
            if not code:
                problems.append(f"{where}.CODADR: Mandatory field")
            elif len(code) > 5:
                problems.append(f"{where}.CODADR: '{code}' is longer than 5 characters")
            elif code in seen:
                problems.append(f"{where}.CODADR: address {code} appears twice")
            if not country:
                problems.append(f"{where}.BPACRY: Mandatory field")
            elif country not in self.countries:
                problems.append(f"{where}: BPACRY {country}: Record does not exist")
            seen.add(code)
            address["BPAADDFLG"] = int(address["BPAADDFLG"]) if address["BPAADDFLG"].isdigit() else 1
            out.append(address)
        return out

    def blocks(self, code: str) -> dict[str, Any]:
        """A customer as result blocks: the flat row in ``BPC0_1``, its details in ``BPC3_1``, the addresses."""
        details = self.details.get(code) or {}
        out: dict[str, Any] = {"BPC0_1": {**dict(self.customers[code]),
                                          **({"BCGCOD": details["BCGCOD"]} if details else {})}}
        if details:
            out["BPC3_1"] = {k: details[k] for k in ("BPAINV", "BPAPYR")}
        if code in self.addresses:  # a seeded customer answers its header only, as before
            out[ADDRESS_TABLE] = [dict(a) for a in self.addresses[code]]
        return out

    # -- the delivery address of a sales order ---------------------------------------------------------
    def delivery(self, raw: dict[str, Any], customer: str, problems: list[str]) -> dict[str, Any]:
        """SORDER's ship-to fields for ``raw`` (from :func:`take_delivery`); problems are appended."""
        code = _text(raw.get("BPAADD"))
        out = {"BPAADD": code, **{target: "" for target in SHIP_TO.values()}}
        if code and customer in self.customers:
            address = next((a for a in self.address_list(customer) if a["CODADR"] == code), None)
            if address is None:
                problems.append(f"BPAADD {code}: Record does not exist (not an address of {customer})")
            else:
                out.update({"BPDNAM": self.customers[customer]["BPCNAM"], "BPDPOSCOD": address["POSCOD"],
                            "BPDCTY": address["CTY"], "BPDSAT": address["SAT"], "BPDCRY": address["BPACRY"],
                            "BPDADDLIG": [address[f"ADDLIG{i}"] for i in (1, 2, 3)]})
        given = raw.get("ADB2_1") or {}
        for name, value in given.items():
            if name == "BPAADDLIG":
                lines = value if isinstance(value, list) else [value]
                if len(lines) > 3:
                    problems.append(f"ADB2_1.BPAADDLIG: at most 3 address lines, {len(lines)} given")
                out["BPDADDLIG"] = [_text(v) for v in lines[:3]] + [""] * (3 - len(lines[:3]))
            elif isinstance(value, list):
                problems.append(f"ADB2_1.{name}: a single value is expected, not a list (LST)")
            elif _text(value):
                out[SHIP_TO[name]] = _text(value)
        if out["BPDCRY"] and out["BPDCRY"] not in self.countries:
            problems.append(f"ADB2_1: CRY {out['BPDCRY']}: Record does not exist")
        return out


def take_delivery(blocks: dict[str, Any]) -> dict[str, Any]:
    """Remove the address blocks from a SOH ``save`` and check their shape: {"BPAADD": …, "ADB2_1": {…}}."""
    problems, raw = [], {}
    head = blocks.pop("SOH1_1", None)
    address = blocks.pop("ADB2_1", None)
    for ident, block, allowed in (("SOH1_1", head, ("BPAADD",)), ("ADB2_1", address, tuple(SHIP_TO))):
        if block is None:
            continue
        if not isinstance(block, dict):
            problems.append(f"{ident}: must be a group (GRP)")
            continue
        problems += [f"{ident}.{n}: unknown field" for n in block if n not in allowed]
    if problems:
        raise Rejected(*problems)
    if head:
        raw["BPAADD"] = head.get("BPAADD", "")
    if address:
        raw["ADB2_1"] = address
    return raw


def delivery_blocks(order: dict[str, Any]) -> dict[str, Any]:
    """The stored ship-to address as the order's ``SOH1_1`` and ``ADB2_1`` blocks (none when blank)."""
    ship = order.get("delivery") or {}
    out: dict[str, Any] = {}
    if ship.get("BPAADD"):
        out["SOH1_1"] = {"BPAADD": ship["BPAADD"]}
    block = {name: ship.get(target, "") for name, target in SHIP_TO.items()}
    if any(v for k, v in block.items() if k != "BPAADDLIG") or any(block["BPAADDLIG"] or []):
        out["ADB2_1"] = block
    return out
