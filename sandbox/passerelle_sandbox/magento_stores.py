"""Magento 2.4 store views: ``GET /V1/store/storeViews`` and product values per store view.

Facts (Adobe Commerce REST reference, https://developer.adobe.com/commerce/webapi/rest/use-rest/base-url/,
and the catalogue's attribute scopes, https://experienceleague.adobe.com/en/docs/commerce-admin/catalog/
product-attributes/product-attributes):

* the store code in the URL (``/rest/<store_code>/V1/…``) is the scope of the request; ``all`` is the
  global scope (the default values, store 0), ``/rest/V1/`` the default store view;
* a product saved through a store view keeps the values of its store-view-scoped attributes (name,
  description, short description, meta title/keywords/description, URL key) for that store view only:
  they shadow the default values there, the other store views keep theirs; a product is created with
  default values whatever the store in the URL;
* a product read through a store view shows that store view's values where it has some, the default
  values elsewhere; read through ``all``, the default values;
* ``GET /V1/store/storeViews`` lists the store views, the admin store (id 0, code ``admin``) first, each
  ``{id, code, name, website_id, store_group_id, is_active}``.

Price and date attributes (``special_price`` and its dates) have the global or website scope: they are
never kept per store view here.
"""
from __future__ import annotations

from typing import Any

__all__ = ["STORE_SCOPED", "in_store", "split_scoped", "store_views"]

STORE_SCOPED = frozenset({"name", "description", "short_description", "meta_title", "meta_keyword",
                          "meta_description", "url_key"})


def store_views(sim: Any) -> list[dict[str, Any]]:
    """The admin store then the simulator's store views (ids from 1 in the order they are configured)."""
    views = [{"id": 0, "code": "admin", "name": "Admin", "website_id": 0, "store_group_id": 0, "is_active": 1}]
    for n, (code, name) in enumerate(sim.store_views, start=1):
        views.append({"id": n, "code": code, "name": name, "website_id": 1, "store_group_id": 1, "is_active": 1})
    return views


def _scoped(sim: Any) -> str | None:
    """The store view the current request writes or reads, None for the global scope."""
    return None if sim.store in ("all", "admin") else sim.store


def split_scoped(sim: Any, sku: str, data: dict[str, Any]) -> dict[str, Any]:
    """Keep the store-view-scoped values of an existing product's save through a store view for that store
    view; answer the rest of the payload, saved as usual."""
    store = _scoped(sim)
    if store is None or sku not in sim.products:
        return data
    values = sim.catalogue.store_values.setdefault((sku, store), {})
    rest = dict(data)
    if isinstance(rest.get("name"), str) and rest["name"]:
        values["name"] = rest.pop("name")
    if isinstance(rest.get("custom_attributes"), list):
        kept = []
        for item in rest["custom_attributes"]:
            code = item.get("attribute_code") if isinstance(item, dict) else None
            if code in STORE_SCOPED:
                values.setdefault("custom_attributes", {})[code] = item.get("value")
            else:
                kept.append(item)
        rest["custom_attributes"] = kept
    return rest


def in_store(sim: Any, product: dict[str, Any]) -> dict[str, Any]:
    """A product as read through the current request's store: its store view's values over the default ones."""
    store = _scoped(sim)
    values = sim.catalogue.store_values.get((product["sku"], store)) if store else None
    if not values:
        return product
    out = dict(product)
    if "name" in values:
        out["name"] = values["name"]
    own = values.get("custom_attributes", {})
    attributes = [a for a in product.get("custom_attributes", []) if a["attribute_code"] not in own]
    out["custom_attributes"] = attributes + [{"attribute_code": code, "value": value}
                                             for code, value in own.items() if value is not None]
    return out
