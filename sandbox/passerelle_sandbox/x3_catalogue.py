"""The product catalogue of the simulated Sage X3 folder, served through SData REST like ``BPCUSTOMER``:
``ITMMASTER`` (products, one row per ITMREF, with the sales base price) and ``ITMMVT`` (stock per
product and stock site). Pure data (no HTTP): rows for :class:`~.x3_rest.SDataQuery`, and the changes a
test makes in X3 (a price, a stock quantity), each stamping ``UPDDATTIM`` so an incremental read sees it.

Facts: the ITMMASTER fields ``ITMREF`` (product, 20), ``TCLCOD`` (category, 5), ``ITMDES1..3``
(descriptions, 30), ``ITMWEI`` (weight), ``EANCOD`` (EAN code), ``ITMSTA`` (status) and ``SAU`` are those
of Sage's product import template (https://developer.sage.com/x3/import-export-guide/examples/product-itm-template);
``UPDDATTIM`` is the update stamp every X3 table carries. [unverified]: the sales base price ``BASPRI`` lives in
ITMSALES — here the ITMMASTER representation carries it, as a representation can join it; the
representation names (``ITMMASTER.$query``, ``ITMMVT.$query``), ITMMVT's ``STOFCY``/``PHYSTO`` (physical
stock of the site) and its key ``ITMREF~STOFCY`` (X3 separates the parts of a composite key with ``~``,
X3 online help, integration-guide_ws-read-details); ``ITMSTA`` 1 = active, 6 = not renewed (dormant).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from passerelle_sandbox.dataset import Dataset
from passerelle_sandbox.x3_prices import X3PriceLists

__all__ = ["X3Catalogue", "STOCK_SITES"]

STOCK_SITES = ("FR011", "FR012")  # two stock sites; FR012 holds a third of each product's stock
_EPOCH = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


class X3Catalogue:
    """``items`` (ITMMASTER rows by ITMREF), ``stock`` (ITMMVT rows by ``ITMREF~STOFCY``) and ``prices``
    (the SPRICLIST lines, :mod:`.x3_prices`)."""

    def __init__(self, dataset: Dataset, currency: str = "EUR") -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.stock: dict[str, dict[str, Any]] = {}
        self._clock = _EPOCH
        for index, article in enumerate(dataset.articles):
            stamp = _stamp(_EPOCH + timedelta(minutes=index))
            words = article.name.split()
            self.items[article.reference] = {
                "ITMREF": article.reference, "ITMDES1": article.name[:30],
                "ITMDES2": " ".join(words[:2])[:30], "ITMDES3": "",
                "TCLCOD": (article.family or "DIVER")[:5].upper(), "EANCOD": article.ean13,
                "ITMWEI": Decimal("0.250") + Decimal(index % 7) / 10, "WEU": "KG", "SAU": "UN",
                "ITMSTA": 6 if index % 11 == 10 else 1, "BASPRI": article.price,
                "VACITM1": dataset.tax(article.tax_id).sage_code, "UPDDATTIM": stamp}
            total = max(article.stock_sage, 0)
            for site, quantity in zip(STOCK_SITES, (total - total // 3, total // 3)):
                self.stock[f"{article.reference}~{site}"] = {
                    "ITMREF": article.reference, "STOFCY": site, "PHYSTO": Decimal(quantity),
                    "KEY": f"{article.reference}~{site}", "UPDDATTIM": stamp}
        self.prices = X3PriceLists(self.items, currency, self._tick)

    def _tick(self) -> str:
        """A stamp later than every seeded one and than the previous change."""
        self._clock = max(self._clock, datetime.now(timezone.utc)) + timedelta(seconds=1)
        return _stamp(self._clock)

    def set_price(self, itmref: str, price: Decimal) -> dict[str, Any]:
        item = self.items[itmref]
        item.update(BASPRI=price, UPDDATTIM=self._tick())
        return item

    def set_stock(self, itmref: str, site: str, quantity: Decimal) -> dict[str, Any]:
        row = self.stock[f"{itmref}~{site}"]
        row.update(PHYSTO=quantity, UPDDATTIM=self._tick())
        return row

    def total_stock(self, itmref: str) -> Decimal:
        return sum((r["PHYSTO"] for r in self.stock.values() if r["ITMREF"] == itmref), Decimal(0))
