"""The sales price lists of the simulated Sage X3 folder, served through SData REST like ``ITMMASTER``:
``SPRICLIST`` (price list lines), one row per line. Pure data (no HTTP): rows for :class:`~.x3_rest.SDataQuery`,
and the changes a test makes in X3 (a line's price, a promotion's dates, a line deleted), each stamping
``UPDDATTIM``.

Facts (Sage X3 help, object SPL "price list entry", https://lvexpertisex3.com/x3help/ENG/OBJ/AOE_SPL.htm, and
the criteria field https://lvexpertisex3.com/x3help/ENG/FLD/PLICRI.htm): a price list line belongs to a
price-list code ``PLI`` and a record ``PLICRD``; the code's setup (``SPRICCONF``) names up to five criteria,
whose values the line holds in ``PLICRI1..5`` — which criterion holds the product or the customer's
category is the folder's setup; here ``PLICRI1`` is the product (ITMREF) and ``PLICRI2`` the customer
category (BCGCOD, blank: every customer); ``PRI`` the price, ``MINQTY``/``MAXQTY`` the quantity band,
``PLISTRDAT``/``PLIENDDAT`` the validity dates (``1753-01-01``: none, X3's empty date), ``CUR`` the currency.
Seeded codes: ``T20`` (prices of customer category B2B, with quantity bands on every third product) and
``T50`` (promotions with dates on every fifth product). [unverified]: the representation name
``SPRICLIST.$query``, the line number ``PLILIN`` and the key ``PLICRD~PLILIN``; ``MAXQTY`` 0 meaning "no upper
bound".
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable

__all__ = ["X3PriceLists", "GROUP_CODE", "PROMO_CODE", "EMPTY_DATE"]

GROUP_CODE, PROMO_CODE = "T20", "T50"
EMPTY_DATE = "1753-01-01"
_BANDS = ((Decimal(0), Decimal(9), Decimal("0.85")), (Decimal(10), Decimal(49), Decimal("0.80")),
          (Decimal(50), Decimal(0), Decimal("0.75")))  # (MINQTY, MAXQTY, share of the base price)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class X3PriceLists:
    """``lines`` (SPRICLIST rows by ``PLICRD~PLILIN``), seeded from ITMMASTER rows (``items``)."""

    def __init__(self, items: dict[str, dict[str, Any]], currency: str, tick: Callable[[], str]) -> None:
        self.lines: dict[str, dict[str, Any]] = {}
        self._tick = tick
        for index, (ref, item) in enumerate(sorted(items.items())):
            base, stamp = Decimal(str(item["BASPRI"])), item["UPDDATTIM"]
            if index % 3 == 0:  # quantity bands of category B2B
                for line, (low, high, share) in enumerate(_BANDS, 1):
                    self._add(GROUP_CODE, f"{GROUP_CODE}-{index:04d}", line, ref, "B2B", _cents(base * share),
                              low, high, EMPTY_DATE, EMPTY_DATE, currency, stamp)
            elif index % 3 == 1:  # one price for category B2B, whatever the quantity
                self._add(GROUP_CODE, f"{GROUP_CODE}-{index:04d}", 1, ref, "B2B", _cents(base * Decimal("0.85")),
                          Decimal(0), Decimal(0), EMPTY_DATE, EMPTY_DATE, currency, stamp)
            if index % 5 == 0:  # a promotion for every customer, with its dates (one without an end)
                end = EMPTY_DATE if index % 10 == 5 else "2027-01-31"
                self._add(PROMO_CODE, f"{PROMO_CODE}-{index:04d}", 1, ref, "", _cents(base * Decimal("0.90")),
                          Decimal(0), Decimal(0), "2026-11-02", end, currency, stamp)

    def _add(self, code: str, record: str, line: int, ref: str, category: str, price: Decimal, low: Decimal,
             high: Decimal, start: str, end: str, currency: str, stamp: str) -> None:
        key = f"{record}~{line}"
        self.lines[key] = {"KEY": key, "PLI": code, "PLICRD": record, "PLILIN": line, "PLICRI1": ref,
                           "PLICRI2": category, "PLICRI3": "", "PLICRI4": "", "PLICRI5": "", "PRI": price,
                           "MINQTY": low, "MAXQTY": high, "PLISTRDAT": start, "PLIENDDAT": end, "CUR": currency,
                           "UPDDATTIM": stamp}

    def of(self, itmref: str, code: str) -> list[dict[str, Any]]:
        """The lines of one product under one price-list code, by quantity band."""
        return sorted((r for r in self.lines.values() if r["PLICRI1"] == itmref and r["PLI"] == code),
                      key=lambda r: r["MINQTY"])

    def set_price(self, key: str, price: Decimal) -> dict[str, Any]:
        self.lines[key].update(PRI=price, UPDDATTIM=self._tick())
        return self.lines[key]

    def set_dates(self, key: str, start: str, end: str) -> dict[str, Any]:
        self.lines[key].update(PLISTRDAT=start, PLIENDDAT=end, UPDDATTIM=self._tick())
        return self.lines[key]

    def delete(self, key: str) -> dict[str, Any]:
        return self.lines.pop(key)
