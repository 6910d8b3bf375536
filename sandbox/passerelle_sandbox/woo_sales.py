"""WooCommerce scheduled sales on products and variations: the sale dates, ``on_sale`` and ``price``.

Facts, from WooCommerce's source (https://github.com/woocommerce/woocommerce):

* ``WC_REST_Products_V2_Controller::prepare_object_for_database`` (and the variations controller) apply each
  of ``date_on_sale_from``, ``date_on_sale_from_gmt``, ``date_on_sale_to``, ``date_on_sale_to_gmt`` only when
  it is set (PHP ``isset``: a JSON ``null`` changes nothing); an empty string clears the date; the plain
  members are the site's local time, the ``_gmt`` ones UTC (``strtotime`` under WordPress' UTC default);
  a date that does not parse is refused (``rest_invalid_param``, "Invalid date."). A variable or grouped
  product keeps no price and no sale dates (the controller empties them);
* every date is answered twice, ``date_on_sale_from`` (local) and ``date_on_sale_from_gmt`` (UTC), as
  ``YYYY-MM-DDTHH:MM:SS`` or ``null``;
* ``WC_Product::is_on_sale`` (``includes/abstracts/abstract-wc-product.php``): on sale when ``sale_price`` is
  not empty and below ``regular_price``, unless the sale starts after now or ended before now; the REST
  answer's ``on_sale`` is that, computed when the product is read (against the simulator's clock);
* ``price`` is the sale price while on sale, else the regular price. WooCommerce stores it on save and
  moves it at the boundaries with its daily ``woocommerce_scheduled_sales`` job (which also empties
  ``sale_price`` and both dates once a sale has ended); here ``price`` follows ``on_sale`` when read, as
  after that job ran, and an ended sale keeps its price and dates (``on_sale`` false).
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from passerelle_sandbox.woo_query import WcError

__all__ = ["apply_sale_dates", "sale_view"]

FORMAT = "%Y-%m-%dT%H:%M:%S"


def _parse(name: str, text: Any, tz: Any) -> datetime | None:
    if not isinstance(text, str):
        raise WcError(400, "rest_invalid_param", f"Invalid parameter(s): {name}",
                      params={name: f"{name} is not of type string."})
    if text == "":
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise WcError(400, "rest_invalid_param", f"Invalid parameter(s): {name}", params={name: "Invalid date."}) \
            from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc if name.endswith("_gmt") else tz)
    return moment.astimezone(timezone.utc)


def apply_sale_dates(sim: Any, record: dict[str, Any], body: dict[str, Any]) -> None:
    """The sale dates a create or update sends, as WooCommerce applies them (see the module)."""
    for side in ("from", "to"):
        moment = record.get(f"_sale_{side}")
        for name in (f"date_on_sale_{side}", f"date_on_sale_{side}_gmt"):  # the _gmt one, applied last, wins
            if body.get(name) is not None:
                moment = _parse(name, body[name], sim.tz)
        if record.get("type") == "variable":
            moment = None
        record[f"_sale_{side}"] = moment
        record[f"date_on_sale_{side}"] = moment.astimezone(sim.tz).strftime(FORMAT) if moment else None
        record[f"date_on_sale_{side}_gmt"] = moment.strftime(FORMAT) if moment else None


def sale_view(record: dict[str, Any], now: datetime) -> dict[str, Any]:
    """``on_sale`` and ``price`` of a product or variation as read at ``now`` (no change for others)."""
    if "sale_price" not in record or record.get("type") == "variable":
        return {}
    sale, regular = str(record.get("sale_price") or ""), str(record.get("regular_price") or "")
    on_sale = bool(sale) and bool(regular) and Decimal(regular) > Decimal(sale)
    start, end = record.get("_sale_from"), record.get("_sale_to")
    if on_sale and start is not None and start > now:
        on_sale = False
    if on_sale and end is not None and end < now:
        on_sale = False
    return {"on_sale": on_sale, "price": sale if on_sale else regular}
