"""Bodies of the Shopify catalogue webhooks (https://shopify.dev/docs/api/webhooks?reference=toml#list-products-update,
https://shopify.dev/docs/api/webhooks?reference=toml#list-inventory_levels-update).

* ``products/update``: the REST Admin product (https://shopify.dev/docs/api/admin-rest/latest/resources/product):
  ``id``, ``title``, ``body_html``, ``vendor``, ``product_type``, ``handle``, ``status`` (lower case),
  ``tags`` (one comma-separated string), ``created_at``/``updated_at``/``published_at`` in the shop's zone,
  ``admin_graphql_api_id``, ``options`` and ``variants`` (``sku``, ``price`` as a string, ``option1..3``,
  ``inventory_item_id``, ``inventory_quantity`` = the available quantity over the locations…), ``images``.
* ``inventory_levels/update``: ``{inventory_item_id, location_id, available, updated_at,
  admin_graphql_api_id}``; ``available`` is null for an untracked item.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from passerelle_sandbox.shopify_data import gid, rest_time

__all__ = ["inventory_level", "rest_product"]


def inventory_level(sim: Any, item: dict[str, Any], location_id: int, available: int,
                    moment: datetime) -> dict[str, Any]:
    return {"inventory_item_id": item["id"], "location_id": location_id,
            "available": available if item.get("tracked", True) else None,
            "updated_at": rest_time(moment, sim.tz),
            "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{location_id}?inventory_item_id={item['id']}"}


def _available(item: dict[str, Any] | None) -> int:
    if item is None:
        return 0
    return int(item["quantities"].get("available", 0)) + sum(int(q.get("available", 0))
                                                             for q in (item.get("levels") or {}).values())


def _variant(sim: Any, product: dict[str, Any], variant: dict[str, Any], position: int, stamp: str) -> dict[str, Any]:
    item = sim.inventory_by_sku(variant["sku"]) if variant.get("sku") else None
    options = [o["name"] for o in variant.get("optionValues") or []] + [None, None, None]
    quantity = _available(item)
    return {"id": variant["id"], "product_id": product["id"], "title": variant.get("title", ""),
            "price": variant.get("price", "0.00"), "sku": variant.get("sku") or "", "position": position,
            "inventory_policy": "deny", "compare_at_price": variant.get("compareAtPrice"),
            "option1": options[0], "option2": options[1], "option3": options[2], "created_at": stamp,
            "updated_at": stamp, "taxable": variant.get("taxable", True), "barcode": variant.get("barcode"),
            "inventory_item_id": item["id"] if item else None, "inventory_quantity": quantity,
            "old_inventory_quantity": quantity, "image_id": None,
            "admin_graphql_api_id": gid("ProductVariant", variant["id"])}


def rest_product(sim: Any, product: dict[str, Any]) -> dict[str, Any]:
    created = rest_time(product["_created"], sim.tz)
    updated = rest_time(product.get("_updated") or product["_created"], sim.tz)
    tags = product.get("tags") or []
    images = [{"id": i["id"], "product_id": product["id"], "position": i.get("position"), "src": i.get("src"),
               "alt": i.get("alt"), "admin_graphql_api_id": gid("ProductImage", i["id"])}
              for i in sim.images if i["product_id"] == product["id"]]
    return {"id": product["id"], "title": product.get("title", ""), "body_html": product.get("descriptionHtml", ""),
            "vendor": product.get("vendor", ""), "product_type": product.get("productType", ""),
            "created_at": created, "handle": product["handle"], "updated_at": updated, "published_at": created,
            "template_suffix": None, "published_scope": "web",
            "tags": tags if isinstance(tags, str) else ", ".join(tags), "status": str(product["status"]).lower(),
            "admin_graphql_api_id": gid("Product", product["id"]),
            "variants": [_variant(sim, product, v, n, updated) for n, v in enumerate(product["variants"], start=1)],
            "options": [{"id": product["id"] * 10 + n, "product_id": product["id"], "name": o["name"], "position": n,
                         "values": list(o["values"])} for n, o in enumerate(product.get("options") or [], start=1)],
            "images": images, "image": images[0] if images else None}
