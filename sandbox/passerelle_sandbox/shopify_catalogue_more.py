"""Collections, product details, locations and product images of the Shopify simulator.

Facts (Shopify Admin API, shopify.dev/docs/api/admin-graphql, objects Product, Collection, Location;
mutations ``collectionCreate``, ``productSet``; REST ``product-image``):

* ``collections(query: "handle:…" | "title:…")``, ``collection(id)``; ``collectionCreate(input: {title,
  handle, descriptionHtml})`` answers ``collection`` + ``userErrors``. A blank title → userError on
  ``["title"]``; a handle another collection holds → userError on ``["handle"]`` [unverified: Shopify may
  suffix the handle instead]. Collections are flat (a smart collection's rules are not simulated).
* ``productSet`` input also takes ``descriptionHtml``, ``productType``, ``tags``, ``collections`` (ids;
  an unknown one is a userError on ``["input", "collections", i]``, nothing stored) and, per variant,
  ``compareAtPrice``, ``taxable`` and ``inventoryItem {sku, tracked, measurement {weight {unit, value}}}``
  (the weight is kept on the variant's inventory item).
* Several locations (``locations``): every inventory item is stocked at every location
  [simplification: no ``inventoryActivate``]; ``inventorySetQuantities`` and ``InventoryItem.inventoryLevel``
  / ``inventoryLevels`` read and write the quantities per location.
* REST ``POST products/<id>/images.json`` ``{"image": {"attachment": base64, "filename", "alt"}}`` and
  ``PUT products/<id>/images/<image id>.json`` (the legacy REST Product Image resource: an image sent
  as base64), ``GET products/<id>/images.json``. An unknown product or image → 404 ``{"errors":"Not
  Found"}``; no ``attachment`` nor ``src``, or an attachment that is not base64 → 422 ``{"errors":
  {"image": [...]}}`` (the simulator's wording). ``src`` (a URL Shopify downloads) is not simulated.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from decimal import Decimal
from typing import Any

from passerelle_sandbox._http import Request, Response
from passerelle_sandbox.shopify_data import LOCATION_ID, gid
from passerelle_sandbox.shopify_gql import F, GqlError
from passerelle_sandbox.shopify_translations import seed_locales

__all__ = ["MORE_MUTATIONS", "MORE_QUERIES", "MORE_TYPES", "apply_extras", "check_extras", "levels",
           "quantities_at", "rest_images", "seed_more"]

COLLECTION_ID_BASE = 48012345000
IMAGE_ID_BASE = 39012345000
SECOND_LOCATION_ID = LOCATION_ID + 1
_IMAGE_PATH = re.compile(r"products/(\d+)/images(?:/(\d+))?\.json")


def seed_more(sim: Any) -> None:
    sim.collections = []
    sim.locations = [sim.location] + [{"id": ident, "gid": gid("Location", ident), "name": name} for ident, name in
                                      ((SECOND_LOCATION_ID, "Entrepôt Lyon"), (SECOND_LOCATION_ID + 1, "Boutique Lyon"))]
    sim.images = []
    sim.discounts = []  # shopify_discounts.py
    seed_locales(sim)  # shopify_translations.py
    sim.write_requests = []  # one entry per mutation or REST write received, in order


def quantities_at(ctx: Any, item: dict[str, Any], location_gid: Any) -> dict[str, int] | None:
    """The quantities of an inventory item at a location (None: no such location)."""
    location = next((loc for loc in ctx.locations if loc["gid"] == location_gid), None)
    if location is None:
        return None
    if location["id"] == ctx.location["id"]:
        return item["quantities"]
    return item.setdefault("levels", {}).setdefault(location["id"], {"available": 0, "on_hand": 0})


def levels(ctx: Any, item: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"item": item, "location": loc, "quantities": quantities_at(ctx, item, loc["gid"]),
             "id": f"gid://shopify/InventoryLevel/{loc['id']}?inventory_item_id={item['id']}"} for loc in ctx.locations]


# -- productSet details -----------------------------------------------------------------------------

def _collection(ctx: Any, ident: Any) -> dict[str, Any] | None:
    return next((c for c in ctx.collections if c["gid"] == ident), None)


def check_extras(ctx: Any, data: dict[str, Any]) -> list[dict[str, Any]]:
    errors = []
    for index, ident in enumerate(data.get("collections") or []):
        if _collection(ctx, ident) is None:
            errors.append({"field": ["input", "collections", str(index)], "message": "Collection does not exist",
                           "code": None})
    return errors


def apply_extras(ctx: Any, product: dict[str, Any], data: dict[str, Any]) -> None:
    for name in ("descriptionHtml", "productType", "tags"):
        if name in data:
            product[name] = data[name]
    if "collections" in data:
        product["collections"] = list(dict.fromkeys(data["collections"] or []))
    for item, variant in zip(data.get("variants") or [], product["variants"]):
        if "compareAtPrice" in item:
            variant["compareAtPrice"] = None if item["compareAtPrice"] is None else f"{Decimal(str(item['compareAtPrice'])):.2f}"
        if "taxable" in item:
            variant["taxable"] = bool(item["taxable"])
        inventory = item.get("inventoryItem") or {}
        stored = ctx.inventory_by_sku(variant["sku"]) if variant.get("sku") else None
        if stored is not None and "measurement" in inventory:
            stored["measurement"] = inventory["measurement"]
        if stored is not None and "tracked" in inventory:
            stored["tracked"] = bool(inventory["tracked"])


# -- collections ------------------------------------------------------------------------------------

def _collections(parent: Any, args: dict[str, Any], ctx: Any) -> Any:
    from passerelle_sandbox.shopify_schema import list_connection

    query = (args.get("query") or "").strip()
    items = ctx.collections
    if query:
        field, _, value = query.partition(":")
        if field not in ("handle", "title"):
            raise GqlError(f"Search on {field!r} is not simulated for collections (only handle:, title:)",
                           code="NOT_SIMULATED")
        value = value.strip().strip("'\"")
        items = [c for c in items if str(c[field]).lower() == value.lower()]
    return list_connection(items, args)


def _collection_create(parent: Any, args: dict[str, Any], ctx: Any) -> dict[str, Any]:
    data = args.get("input") or {}
    title = str(data.get("title") or "").strip()
    if not title:
        return {"collection": None, "userErrors": [{"field": ["title"], "message": "Title can't be blank"}]}
    handle = data.get("handle") or re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    if any(c["handle"] == handle for c in ctx.collections):
        return {"collection": None, "userErrors": [{"field": ["handle"], "message": "Handle has already been taken"}]}
    with ctx.lock:
        ident = COLLECTION_ID_BASE + len(ctx.collections) + 1
        collection = {"id": ident, "gid": gid("Collection", ident), "handle": handle, "title": title,
                      "descriptionHtml": data.get("descriptionHtml") or ""}
        ctx.collections.append(collection)
    return {"collection": collection, "userErrors": []}


def _products_of(ctx: Any, collection: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in ctx.products if collection["gid"] in p.get("collections", ())]


def _a(key: str) -> Any:
    return lambda p, args, ctx: p.get(key)


def _conn(node: str, resolve: Any) -> F:
    return F(f"{node}Connection", resolve, connection=True, args=("first", "last", "after", "before", "reverse"))


def _list(getter: Any) -> Any:
    def resolve(p: Any, args: dict[str, Any], ctx: Any) -> Any:
        from passerelle_sandbox.shopify_schema import list_connection

        return list_connection(getter(p, ctx), args)
    return resolve


MORE_QUERIES: dict[str, F] = {
    "collections": F("CollectionConnection", _collections, connection=True,
                     args=("first", "last", "after", "before", "reverse", "query")),
    "collection": F("Collection", lambda p, args, ctx: _collection(ctx, args.get("id")), args=("id",)),
}
MORE_MUTATIONS: dict[str, F] = {
    "collectionCreate": F("CollectionCreatePayload", _collection_create, args=("input",)),
}
MORE_TYPES: dict[str, dict[str, F]] = {
    "Collection": {"id": F("ID", _a("gid")), "handle": F("String", _a("handle")), "title": F("String", _a("title")),
                   "descriptionHtml": F("HTML", _a("descriptionHtml")),
                   "productsCount": F("Count", lambda p, args, ctx: {"count": len(_products_of(ctx, p))}),
                   "products": _conn("Product", _list(lambda p, ctx: _products_of(ctx, p)))},
    "CollectionCreatePayload": {"collection": F("Collection", _a("collection")),
                                "userErrors": F("UserError", _a("userErrors"), list=True)},
    "InventoryItemMeasurement": {"weight": F("Weight", _a("weight"))},
    "Weight": {"unit": F("WeightUnit", _a("unit")), "value": F("Float", _a("value"))},
}
PRODUCT_FIELDS: dict[str, F] = {
    "descriptionHtml": F("HTML", lambda p, args, ctx: p.get("descriptionHtml", "")),
    "productType": F("String", lambda p, args, ctx: p.get("productType", "")),
    "tags": F("String", lambda p, args, ctx: p.get("tags", []), list=True),
    "collections": _conn("Collection", _list(lambda p, ctx: [c for c in (_collection(ctx, i) for i in
                                                                         p.get("collections", ())) if c])),
    "variants": _conn("ProductVariant", _list(lambda p, ctx: p["variants"])),
}
VARIANT_MORE: dict[str, F] = {
    "compareAtPrice": F("Money", lambda p, args, ctx: (ctx.variant_by_id(p["id"]) or p).get("compareAtPrice")),
    "taxable": F("Boolean", lambda p, args, ctx: (ctx.variant_by_id(p["id"]) or p).get("taxable", True)),
}
ITEM_MORE: dict[str, F] = {
    "measurement": F("InventoryItemMeasurement", lambda p, args, ctx: p.get("measurement") or {"weight": None}),
    "inventoryLevel": F("InventoryLevel", lambda p, args, ctx: next(
        (lv for lv in levels(ctx, p) if lv["location"]["gid"] == args.get("locationId")), None), args=("locationId",)),
}


# -- REST product images ----------------------------------------------------------------------------

def _image_out(image: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in image.items() if not k.startswith("_")}


def rest_images(sim: Any, request: Request, path: str, headers: list[tuple[str, str]]) -> Response | None:
    """The product image routes (None: not an image path)."""
    match = _IMAGE_PATH.fullmatch(path)
    if match is None:
        return None
    method = request.method.upper()
    product = next((p for p in sim.products if p["id"] == int(match.group(1))), None)
    image_id = int(match.group(2)) if match.group(2) else None
    if product is None:
        return sim.json(404, {"errors": "Not Found"}, headers)
    mine = [i for i in sim.images if i["product_id"] == product["id"]]
    if method == "GET" and image_id is None:
        return sim.json(200, {"images": [_image_out(i) for i in mine]}, headers)
    if (method, image_id is None) not in (("POST", True), ("PUT", False)):
        from passerelle_sandbox.shopify_shop import not_simulated
        return not_simulated(sim, f"{method} {path}", headers)
    image = next((i for i in mine if i["id"] == image_id), None) if image_id else None
    if image_id is not None and image is None:
        return sim.json(404, {"errors": "Not Found"}, headers)
    try:
        data = (json.loads(request.body or b"null") or {}).get("image")
    except (ValueError, AttributeError):
        data = None
    if not isinstance(data, dict):
        return sim.json(400, {"errors": {"image": "Required parameter missing or invalid"}}, headers)
    if data.get("src") is not None:
        from passerelle_sandbox.shopify_shop import not_simulated
        return not_simulated(sim, "an image from a URL (src)", headers)
    content = None
    if data.get("attachment") is not None or image is None:
        try:
            content = base64.b64decode(str(data.get("attachment") or ""), validate=True)
        except (binascii.Error, ValueError):
            content = b""
        if not content:
            return sim.json(422, {"errors": {"image": ["The image attachment is missing or not base64"]}}, headers)
    with sim.lock:
        now = sim.now().astimezone(sim.tz).isoformat()
        if image is None:
            image = {"id": IMAGE_ID_BASE + len(sim.images) + 1, "product_id": product["id"], "position": len(mine) + 1,
                     "created_at": now, "alt": None, "width": None, "height": None, "variant_ids": []}
            sim.images.append(image)
        if content is not None:
            name = str(data.get("filename") or image.get("_filename") or f"{image['id']}.jpg")
            digest = hashlib.sha256(content).hexdigest()
            image.update(_content=content, _sha256=digest, _filename=name,
                         src=f"https://cdn.shopify.com/s/files/1/0000/0001/products/{name}?v={digest[:10]}")
        if "alt" in data:
            image["alt"] = data["alt"]
        image["updated_at"] = now
    return sim.json(200, {"image": _image_out(image)}, headers)
