"""Business objects of the simulated Sage X3 folder: sales orders (object SOH) and customers (BPC).
Pure data logic (no HTTP): checks raise :class:`~.x3_soap.Rejected` with X3-like texts.

Sales order fields: header group ``SOH0_1`` (SALFCY, SOHTYP, SOHNUM, ORDDAT, BPCORD, CUSORDREF,
CUR), ``SOH1_4`` (VACBPR), ``SOH2_1`` (STOFCY), ``SOH2_2`` (DEMDLVDAT, SHIDAT), ``SOH2_3`` (MDL delivery
mode, BPTNUM carrier), ``SOH3_3`` (PTE) and the lines table ``SOH4_1`` (ITMREF, QTY, SAU, GROPRI, DSTOFCY,
ITMDES1, VACITM1 tax level; blank: the product's [assumption]). SOH2_3 and VACITM1: public Magento→X3
integration code sends them so; the codes are not checked against X3's tables here. Dates are YYYYMMDD. A blank SOHNUM is
numbered by the server. Line amount = QTY × GROPRI rounded half-up to 2 places; GROPRI defaults to the
article's base price, ITMDES1 to its description (30 characters [assumption]), SAU to its sales unit
("UN" [assumption]); the stored order's ``ORDNOT`` is the sum of line amounts (no tax) [assumption].
Customer fields (BPCNUM, BPCNAM, BPCSHO, CUR, CRY, CTY, POSCOD, BPCSTA) are X3 dictionary codes
[assumption: which fields a published BPC object exposes is the customer's choice].
"""
from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from passerelle_sandbox.dataset import Dataset
from passerelle_sandbox.x3_customers import CustomerBook, delivery_blocks, take_delivery
from passerelle_sandbox.x3_soap import Rejected

SOH_FIELDS: dict[str, tuple[str, ...]] = {
    "SOH0_1": ("SALFCY", "SOHTYP", "SOHNUM", "ORDDAT", "BPCORD", "CUSORDREF", "CUR"),
    "SOH1_4": ("VACBPR",),
    "SOH2_1": ("STOFCY",),
    "SOH2_2": ("DEMDLVDAT", "SHIDAT"),
    "SOH2_3": ("MDL", "BPTNUM"),
    "SOH3_3": ("PTE",),
}
LINE_TABLE = "SOH4_1"
LINE_FIELDS = ("ITMREF", "QTY", "SAU", "GROPRI", "DSTOFCY", "ITMDES1", "VACITM1")
SOH_QUERY_FIELDS = ("SOHNUM", "SALFCY", "SOHTYP", "BPCORD", "CUSORDREF", "ORDDAT")
BPC_FIELDS = ("BPCNUM", "BPCNAM", "BPCSHO", "CUR", "CRY", "CTY", "POSCOD", "BPCSTA")
BPC_QUERY_FIELDS = ("BPCNUM", "BPCNAM", "BPCSHO")
CENT = Decimal("0.01")


def customers_from(ds: Dataset, currency: str) -> dict[str, dict[str, Any]]:
    """The data set's ERP customers (code ``WEB`` + id, as every Sage simulator), in code order."""
    out = {}
    for c in sorted(ds.customers, key=lambda c: c.sage_code):
        if not c.in_sage:
            continue
        out[c.sage_code] = {"BPCNUM": c.sage_code, "BPCNAM": (c.company or f"{c.firstname} {c.lastname}")[:35],
                            "BPCSHO": c.lastname.upper()[:10], "CUR": currency, "CRY": c.country_iso,
                            "CTY": c.city, "POSCOD": c.postcode, "BPCSTA": 2}
    return out


def articles_from(ds: Dataset) -> dict[str, dict[str, Any]]:
    out = {a.erp_reference: {"ITMREF": a.erp_reference, "ITMDES1": a.name[:30], "BASPRI": a.price, "SAU": "UN"}
           for a in ds.articles}
    for ref in ds.special_articles:
        label = {"PORT": "Shipping costs", "REMISE": "Discount"}.get(ref, ref)
        out[ref] = {"ITMREF": ref, "ITMDES1": label, "BASPRI": Decimal("0.00"), "SAU": "UN"}
    return out


def _date(value: str, where: str) -> str:
    try:
        datetime.strptime(value, "%Y%m%d")
    except ValueError:
        raise Rejected(f"{where}: '{value}' is not a valid date (YYYYMMDD)") from None
    return value


def _number(value: str, where: str) -> Decimal:
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise Rejected(f"{where}: '{value}' is not a number") from None
    if not number.is_finite():
        raise Rejected(f"{where}: '{value}' is not a number")
    return number


class SalesOrders:
    """Checks and stores sales orders; ``orders`` by SOHNUM, ``by_reference`` indexes CUSORDREF."""

    def __init__(self, customers: dict, articles: dict, sites: tuple[str, ...], order_types: tuple[str, ...],
                 currency: str, number_format: str, reject_unknown_fields: bool,
                 book: CustomerBook | None = None) -> None:
        self.customers, self.articles, self.book = customers, articles, book
        self.sites, self.order_types, self.currency = sites, order_types, currency
        self.number_format, self.reject_unknown_fields = number_format, reject_unknown_fields
        self.orders: dict[str, dict[str, Any]] = {}
        self.by_reference: dict[str, list[str]] = {}
        self.sequence = 0

    def _known(self, blocks: dict[str, Any]) -> list[str]:
        problems = []
        for ident, block in blocks.items():
            allowed = LINE_FIELDS if ident == LINE_TABLE else SOH_FIELDS.get(ident)
            if allowed is None:
                problems.append(f"{ident}: unknown block in the SOH object")
                continue
            if (ident == LINE_TABLE) != isinstance(block, list):
                problems.append(f"{ident}: must be a {'table (TAB)' if ident == LINE_TABLE else 'group (GRP)'}")
                continue
            for row in block if isinstance(block, list) else [block]:
                problems += [f"{ident}.{name}: unknown field" for name in row if name not in allowed]
        return problems

    def create(self, blocks: dict[str, Any]) -> dict[str, Any]:
        ship = take_delivery(blocks) if self.book else {}  # SOH1_1 / ADB2_1: the ship-to address
        problems = self._known(blocks) if self.reject_unknown_fields else []
        for ident, block in blocks.items():
            for row in block if isinstance(block, list) else [block]:
                problems += [f"{ident}.{n}: a single value is expected, not a list (LST)"
                             for n, v in row.items() if isinstance(v, list)]
        if problems:
            raise Rejected(*problems)
        first = blocks.get("SOH0_1") if isinstance(blocks.get("SOH0_1"), dict) else {}
        head = {k: v.strip() for k, v in first.items() if isinstance(v, str)}
        for ident in SOH_FIELDS:
            if ident != "SOH0_1" and isinstance(blocks.get(ident), dict):
                head.update({k: v.strip() for k, v in blocks[ident].items() if isinstance(v, str)})
        site = head.get("SALFCY") or ""
        if not site:
            problems.append("SOH0_1.SALFCY: Mandatory field")
        elif site not in self.sites:
            problems.append(f"SALFCY {site}: Record does not exist")
        kind = head.get("SOHTYP") or self.order_types[0]
        if kind not in self.order_types:
            problems.append(f"SOHTYP {kind}: Record does not exist")
        customer = head.get("BPCORD") or ""
        if not customer:
            problems.append("SOH0_1.BPCORD: Mandatory field")
        elif customer not in self.customers:
            problems.append(f"BPCORD {customer}: Customer does not exist")
        for name in ("ORDDAT", "DEMDLVDAT", "SHIDAT"):
            if head.get(name):
                try:
                    _date(head[name], name)
                except Rejected as exc:
                    problems += exc.messages
        if not head.get("ORDDAT"):
            problems.append("SOH0_1.ORDDAT: Mandatory field")
        number = head.get("SOHNUM") or ""
        if number and number in self.orders:
            problems.append(f"SOHNUM {number}: Record already exists")
        rows = blocks.get(LINE_TABLE) if isinstance(blocks.get(LINE_TABLE), list) else []
        lines = self._lines(rows, problems)
        delivery = self.book.delivery(ship, customer, problems) if self.book else {}
        if problems:
            raise Rejected(*problems)
        if not number:
            self.sequence += 1
            number = self.number_format.format(seq=self.sequence, site=site)
        order = {"SOHNUM": number, "SALFCY": site, "SOHTYP": kind, "ORDDAT": head["ORDDAT"], "BPCORD": customer,
                 "CUSORDREF": head.get("CUSORDREF", ""), "CUR": head.get("CUR") or self.currency}
        order.update({k: v for k, v in head.items() if k not in order})
        order["lines"] = lines
        order["delivery"] = delivery
        order["ORDNOT"] = sum((line["AMOUNT"] for line in lines), Decimal("0.00"))
        self.orders[number] = order
        if order["CUSORDREF"]:
            self.by_reference.setdefault(order["CUSORDREF"], []).append(number)
        return order

    def _lines(self, rows: list, problems: list[str]) -> list[dict[str, Any]]:
        if not rows:
            problems.append(f"{LINE_TABLE}: at least one line is required")
        lines = []
        for num, row in enumerate(rows, 1):
            where = f"{LINE_TABLE}[{num}]"
            ref = (row.get("ITMREF") or "").strip()
            article = self.articles.get(ref)
            if not ref:
                problems.append(f"{where}.ITMREF: Mandatory field")
                continue
            if article is None:
                problems.append(f"{where}: ITMREF {ref}: Product does not exist")
                continue
            try:
                qty = _number(row.get("QTY") or "", f"{where}.QTY")
                price = _number(row["GROPRI"], f"{where}.GROPRI") if row.get("GROPRI", "").strip() \
                    else article["BASPRI"]
            except Rejected as exc:
                problems += exc.messages
                continue
            if qty <= 0:
                problems.append(f"{where}.QTY: the quantity must be greater than 0")
                continue
            lines.append({"ITMREF": ref, "ITMDES1": (row.get("ITMDES1") or "").strip() or article["ITMDES1"],
                          "QTY": qty, "SAU": (row.get("SAU") or "").strip() or article["SAU"], "GROPRI": price,
                          "DSTOFCY": (row.get("DSTOFCY") or "").strip(),
                          "VACITM1": (row.get("VACITM1") or "").strip(),
                          "AMOUNT": (qty * price).quantize(CENT, rounding=ROUND_HALF_UP)})
        return lines

    def blocks(self, order: dict[str, Any]) -> dict[str, Any]:
        """The order as result blocks (every header group, then the lines table)."""
        out: dict[str, Any] = {}
        for ident, names in SOH_FIELDS.items():
            group = {n: order.get(n, "") for n in names}
            if ident == "SOH0_1" or any(group.values()):
                out[ident] = group
        out.update(delivery_blocks(order))
        out[LINE_TABLE] = [{n: line[n] for n in LINE_FIELDS} for line in order["lines"]]
        return out

    def query(self, keys: list[tuple[str, str]], limit: int) -> list[dict[str, Any]]:
        wanted = dict(keys)
        unknown = [k for k in wanted if k not in SOH_QUERY_FIELDS]
        if unknown:
            raise Rejected(f"{', '.join(unknown)}: not a criterion of the SOH query list "
                           f"(known: {', '.join(SOH_QUERY_FIELDS)})")
        if "SOHNUM" in wanted:
            found = [self.orders[wanted["SOHNUM"]]] if wanted["SOHNUM"] in self.orders else []
        elif "CUSORDREF" in wanted:
            found = [self.orders[n] for n in self.by_reference.get(wanted["CUSORDREF"], [])]
        else:
            found = list(self.orders.values())
        rows = [o for o in found if all(str(o.get(k, "")) == v for k, v in wanted.items())]
        return [{n: o.get(n, "") for n in SOH_QUERY_FIELDS} for o in rows[:limit]]


def query_customers(customers: dict[str, dict], keys: list[tuple[str, str]], limit: int) -> list[dict]:
    wanted = dict(keys)
    unknown = [k for k in wanted if k not in BPC_QUERY_FIELDS]
    if unknown:
        raise Rejected(f"{', '.join(unknown)}: not a criterion of the BPC query list "
                       f"(known: {', '.join(BPC_QUERY_FIELDS)})")
    found = [customers[wanted["BPCNUM"]]] if wanted.get("BPCNUM") in customers else \
        [] if "BPCNUM" in wanted else list(customers.values())
    rows = [c for c in found if all(str(c.get(k, "")) == v for k, v in wanted.items())]
    return [{n: c[n] for n in BPC_QUERY_FIELDS} for c in rows[:limit]]
