"""Inventory levels of the Shopify simulator over REST, and the ``inventory_levels/update`` webhook of every
level change (https://shopify.dev/docs/api/admin-rest/latest/resources/inventorylevel).

* ``GET inventory_levels.json?inventory_item_ids=a,b&location_ids=c`` (at least one of the two; without
  either → 501 not simulated), ``updated_at_min``, ``limit`` (≤ 250): ``{"inventory_levels": [{inventory_item_id,
  location_id, available, updated_at, admin_graphql_api_id}]}``; more levels than one page → 501 (the
  Link-header pages of this resource are not simulated).
* ``POST inventory_levels/set.json`` ``{location_id, inventory_item_id, available}`` → 200
  ``{"inventory_level": {...}}``: ``available`` set, ``on_hand`` moved by the same amount (as
  ``inventorySetQuantities`` with ``available``); a missing field → 400 "Required parameter missing or
  invalid"; an unknown item or location → 501 (the vendor's answer is not simulated).
* :func:`changed`: a level changed (here or by ``inventorySetQuantities``): its ``updated_at`` moves to
  the simulator clock and ``inventory_levels/update`` is fired.
"""
from __future__ import annotations

import json
from typing import Any

from passerelle_sandbox.shopify_catalogue_more import quantities_at
from passerelle_sandbox.shopify_hook_payloads import inventory_level
from passerelle_sandbox.shopify_search import parse_moment
from passerelle_sandbox.shopify_shop import not_simulated

__all__ = ["changed", "rest_levels"]

MAX_LIMIT = 250


def changed(sim: Any, item: dict[str, Any], location_id: int, available: int) -> None:
    item.setdefault("levels_updated", {})[location_id] = sim.now()
    sim.hooks.level_changed(item, location_id, available)


def _level(sim: Any, item: dict[str, Any], location: dict[str, Any]) -> dict[str, Any]:
    quantities = quantities_at(sim, item, location["gid"]) or {}
    moment = (item.get("levels_updated") or {}).get(location["id"])
    if moment is None:  # never changed here: since its product was made
        variant = sim.variant_by_sku(item["sku"])
        product = sim.product_of_variant(variant["id"]) if variant else None
        moment = product["_created"] if product else sim.now()
    return inventory_level(sim, item, location["id"], int(quantities.get("available", 0)), moment)


def _ids(text: str | None) -> set[int] | None:
    if not text:
        return None
    return {int(part) for part in text.split(",") if part.strip().isdigit()}


def rest_levels(sim: Any, request: Any, path: str, headers: list[tuple[str, str]]) -> Any:
    """The answer to an ``inventory_levels`` REST route, or None for another path."""
    method = request.method.upper()
    if path == "inventory_levels.json" and method == "GET":
        params = dict(request.params)
        items, places = _ids(params.get("inventory_item_ids")), _ids(params.get("location_ids"))
        if items is None and places is None:
            return not_simulated(sim, "GET inventory_levels.json without inventory_item_ids or location_ids", headers)
        since = parse_moment(params["updated_at_min"], sim.tz) if params.get("updated_at_min") else None
        levels = [_level(sim, item, loc) for item in sim.inventory_items if items is None or item["id"] in items
                  for loc in sim.locations if places is None or loc["id"] in places]
        levels = [lv for lv in levels if since is None or parse_moment(lv["updated_at"], sim.tz) >= since]
        if len(levels) > min(int(params.get("limit") or 50), MAX_LIMIT):
            return not_simulated(sim, "more than one page of inventory_levels.json", headers)
        return sim.json(200, {"inventory_levels": levels}, headers)
    if path == "inventory_levels/set.json" and method == "POST":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        missing = [name for name in ("location_id", "inventory_item_id", "available")
                   if not isinstance(body.get(name), int) or isinstance(body.get(name), bool)]
        if missing:
            return sim.json(400, {"errors": {missing[0]: "Required parameter missing or invalid"}}, headers)
        item = next((i for i in sim.inventory_items if i["id"] == body["inventory_item_id"]), None)
        location = next((loc for loc in sim.locations if loc["id"] == body["location_id"]), None)
        if item is None or location is None:
            return not_simulated(sim, "inventory_levels/set.json for an unknown item or location", headers)
        quantities = quantities_at(sim, item, location["gid"])
        assert quantities is not None
        delta = body["available"] - int(quantities.get("available", 0))
        quantities["available"] = body["available"]
        quantities["on_hand"] = int(quantities.get("on_hand", 0)) + delta
        changed(sim, item, location["id"], body["available"])
        return sim.json(200, {"inventory_level": _level(sim, item, location)}, headers)
    if path.startswith("inventory_levels"):
        return not_simulated(sim, f"{method} {path}", headers)
    return None
