"""WooCommerce catalogue writes: product fields, variable products, variations, product categories.

Facts (WooCommerce REST API docs, https://woocommerce.github.io/woocommerce-rest-api-docs/, and
``WC_REST_Terms_Controller`` / ``WC_REST_Product_Variations_Controller`` in the WooCommerce source):

* a product's ``type`` is simple, grouped, external or variable (grouped and external: 501 here);
  ``status`` one of draft, pending, private, publish; ``regular_price``/``sale_price`` are strings;
  the sale dates as :mod:`.woo_sales` applies them; ``weight`` a string; ``global_unique_id`` (GTIN,
  UPC, EAN or ISBN, WooCommerce 9.2+) digits and hyphens, unique → 400 ``product_invalid_global_unique_id``
  "Invalid or duplicated GTIN, UPC, EAN or ISBN.";
* ``tax_class``: a slug of the shop's tax classes; ``standard`` and an unknown class give ``""`` (the
  standard class), silently (``WC_Product::set_tax_class``; a variation also takes ``parent``);
* ``categories: [{id}]``: an id that is no product category is silently left out (``wp_set_object_terms``
  skips unknown integer term ids); ``images: [{src}|{id}]``: a ``src`` is side-loaded from its URL (here:
  kept as given, ids assigned; a src that is not an http(s) URL → 400 ``woocommerce_product_image_upload_error``),
  an ``id`` names a media-library attachment (:mod:`.wp_media`), refused when it is none or no image (400
  ``woocommerce_product_invalid_image_id`` "#N is an invalid image ID.", ``set_product_images``); the list
  replaces the product's images, the first one its featured image;
* ``attributes: [{name, position, visible, variation, options}]`` (local attributes, id 0) on a variable
  product; a variation's ``attributes: [{name, option}]`` naming no variation attribute of its parent is
  silently left out (``prepare_object_for_database``);
* variations are created under ``POST products/<pid>/variations``: an unknown parent → 404
  ``woocommerce_rest_product_invalid_id``; the variation ``status`` is publish or private (disabled);
* ``POST products/categories``: ``name`` required (400 ``rest_missing_callback_param``); ``wp_insert_term``
  errors come back as 400 with their WordPress code: ``term_exists`` "A term with the name provided already
  exists with this parent." (``data.resource_id`` the existing term), ``missing_parent`` "Parent term does
  not exist."; the list filters on ``slug``, ``parent``, ``search``; default order ``name``.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from decimal import Decimal
from typing import Any

from passerelle_sandbox.woo_data import TAX_CLASSES, money
from passerelle_sandbox.woo_query import Args, WcError
from passerelle_sandbox.woo_sales import apply_sale_dates

__all__ = ["apply_product_fields", "category_routes", "create_category", "create_variation", "list_categories",
           "slugify", "update_category", "with_fields"]

STATUSES = ("draft", "pending", "private", "publish")


def _invalid(name: str, reason: str) -> WcError:
    return WcError(400, "rest_invalid_param", f"Invalid parameter(s): {name}", params={name: reason})


def slugify(text: str) -> str:
    """WordPress's ``sanitize_title`` for plain text: accents removed, lower case, hyphens."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def _text(body: dict[str, Any], name: str) -> str | None:
    if name not in body or body[name] is None:
        return None
    if not isinstance(body[name], (str, int, Decimal)) or isinstance(body[name], bool):
        raise _invalid(name, f"{name} is not of type string.")
    return str(body[name])


def _price(body: dict[str, Any], name: str) -> str | None:
    text = _text(body, name)
    if text is None or text == "":
        return text
    if not re.fullmatch(r"\d+(\.\d+)?", text):  # wc_format_decimal leaves no sign, NaN or exponent
        raise _invalid(name, f"{name} is not of type string.")
    return money(Decimal(text))


def _check_gtin(sim: Any, record: dict[str, Any], value: str) -> None:
    if value and not re.fullmatch(r"[0-9-]+", value):
        raise WcError(400, "product_invalid_global_unique_id", "Invalid or duplicated GTIN, UPC, EAN or ISBN.")
    if value and any(r.get("global_unique_id") == value and r["id"] != record["id"]
                     for r in [*sim.products.values(), *sim.variations.values()]):
        raise WcError(400, "product_invalid_global_unique_id", "Invalid or duplicated GTIN, UPC, EAN or ISBN.")


def _images(sim: Any, posted: Any) -> list[dict[str, Any]]:
    if not isinstance(posted, list):
        raise _invalid("images", "images is not of type array.")
    out = []
    for position, image in enumerate(posted):
        src = str(image.get("src") or "") if isinstance(image, dict) else ""
        ident = image.get("id") if isinstance(image, dict) else None
        if isinstance(ident, int) and ident:  # an attachment: it must be an image (wp_attachment_is_image)
            if ident not in sim.media or sim.media[ident].get("image") is False:
                raise WcError(400, "woocommerce_product_invalid_image_id", f"#{ident} is an invalid image ID.")
            known = {k: v for k, v in sim.media[ident].items() if k != "image"}
            out.append({**known, "position": position, "alt": str(image.get("alt") or "")})
            continue
        if not re.match(r"https?://", src):
            raise WcError(400, "woocommerce_product_image_upload_error", f"Error getting remote image {src}.")
        sim.media_id += 1
        name = str(image.get("name") or src.rsplit("/", 1)[-1])
        sim.media[sim.media_id] = {"id": sim.media_id, "src": src, "name": name, "position": position}
        out.append({**sim.media[sim.media_id], "alt": str(image.get("alt") or "")})
    return out


def _attributes(posted: Any) -> list[dict[str, Any]]:
    if not isinstance(posted, list):
        raise _invalid("attributes", "attributes is not of type array.")
    out = []
    for position, item in enumerate(posted):
        if not isinstance(item, dict) or not str(item.get("name") or ""):
            continue  # WooCommerce skips an attribute without a name
        options = item.get("options") or []
        if item.get("position") is not None:
            if isinstance(item["position"], bool) or not isinstance(item["position"], int):
                raise _invalid("attributes", "attributes[0][position] is not of type integer.")
            position = item["position"]
        out.append({"id": 0, "name": str(item["name"]), "position": position,
                    "visible": item.get("visible") is not False, "variation": item.get("variation") is True,
                    "options": [str(o) for o in (options if isinstance(options, list) else [options])]})
    return out


def apply_product_fields(sim: Any, record: dict[str, Any], body: dict[str, Any], variation: bool = False) -> None:
    """The catalogue members of a product or variation create/update (stock, prices and meta are
    applied by the callers, as before)."""
    for name, default in (("description", ""), ("short_description", ""), ("global_unique_id", ""),
                          ("date_on_sale_from", None), ("date_on_sale_to", None)):
        record.setdefault(name, default)
    if not variation:
        record.setdefault("categories", [])
        record.setdefault("images", [])
    status = _text(body, "status")
    if status is not None:
        allowed = ("publish", "private", "draft", "pending") if not variation else ("publish", "private")
        if status not in allowed:
            raise _invalid("status", f"status is not one of {', '.join(allowed)}.")
        record["status"] = status
    for name in ("name", "description", "short_description", "weight"):
        value = _text(body, name)
        if value is not None and not (variation and name == "name"):
            record[name] = value
    tax_class = _text(body, "tax_class")
    if tax_class is not None:  # WC_Product::set_tax_class: "standard" and an unknown class are "" (standard)
        slug = slugify(tax_class)
        valid = {c for c, _ in TAX_CLASSES.values() if c} | {"parent"} if variation else \
            {c for c, _ in TAX_CLASSES.values() if c}
        record["tax_class"] = slug if slug in valid else ""
    gtin = _text(body, "global_unique_id")
    if gtin is not None:
        _check_gtin(sim, record, gtin)
        record["global_unique_id"] = gtin
    apply_sale_dates(sim, record, body)
    for name in ("regular_price", "sale_price"):
        price = _price(body, name)
        if price is not None and not (record["type"] == "variable"):
            record[name] = price
    if record["type"] != "variable":
        record["price"] = record.get("sale_price") or record.get("regular_price") or ""
    if "categories" in body and not variation:
        posted = body["categories"] if isinstance(body["categories"], list) else []
        ids = [c.get("id") for c in posted if isinstance(c, dict)]
        record["categories"] = [{"id": i, "name": sim.categories[i]["name"], "slug": sim.categories[i]["slug"]}
                                for i in ids if isinstance(i, int) and i in sim.categories]
    if "images" in body and not variation:
        record["images"] = _images(sim, body["images"])
    if "image" in body and variation and isinstance(body["image"], dict):
        record["image"] = _images(sim, [body["image"]])[0]
    if "attributes" in body and not variation:
        record["attributes"] = _attributes(body["attributes"])
    if "attributes" in body and variation:
        parent = sim.products[record["parent_id"]]
        names = {a["name"].lower(): a["name"] for a in parent["attributes"] if a["variation"]}
        posted = body["attributes"] if isinstance(body["attributes"], list) else []
        record["attributes"] = [{"id": 0, "name": names[str(a["name"]).lower()], "option": str(a.get("option") or "")}
                                for a in posted if isinstance(a, dict) and str(a.get("name") or "").lower() in names]


def create_variation(sim: Any, pid: int, body: Any, now: datetime) -> dict[str, Any]:
    from passerelle_sandbox.woo_writes import update_stock_item

    if pid not in sim.products:
        raise WcError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
    if not isinstance(body, dict):
        raise WcError(400, "rest_invalid_json", "Invalid JSON body passed.")
    sku = str(body.get("sku") or "")
    if sku and any(r["sku"] == sku for r in [*sim.products.values(), *sim.variations.values()]):
        raise WcError(400, "product_invalid_sku", "Invalid or duplicated SKU.")
    parent = sim.products[pid]
    vid = max([*sim.products, *sim.variations, *sim.orders], default=0) + 1
    record: dict[str, Any] = {
        "id": vid, "type": "variation", "parent_id": pid, "sku": sku, "name": parent["name"],
        **sim.builder.dates_of("date_created", now), **sim.builder.dates_of("date_modified", now),
        "description": "", "permalink": f"{parent['permalink']}?variation={vid}", "status": "publish",
        "price": "", "regular_price": "", "sale_price": "", "date_on_sale_from": None, "date_on_sale_to": None,
        "tax_status": "taxable", "tax_class": "parent", "manage_stock": False, "stock_quantity": None,
        "stock_status": "instock", "weight": "", "global_unique_id": "", "attributes": [], "image": None,
        "meta_data": []}
    apply_product_fields(sim, record, body, variation=True)
    sim.variations[vid] = record
    try:
        update_stock_item(sim, record, {k: v for k, v in body.items() if k in ("manage_stock", "stock_quantity",
                                                                              "stock_status", "meta_data")},
                          now, "woocommerce_rest_product_variation_invalid_id")
    except WcError:
        del sim.variations[vid]
        raise
    parent["variations"].append(vid)
    return record


def _category_record(sim: Any, cid: int, name: str, slug: str, parent: int, description: str) -> dict[str, Any]:
    return {"id": cid, "name": name, "slug": slug, "parent": parent, "description": description,
            "display": "default", "image": None, "menu_order": 0, "count": 0}


def _parent(sim: Any, body: dict[str, Any]) -> int:
    parent = body.get("parent", 0)
    if isinstance(parent, bool) or not isinstance(parent, int) or parent < 0:
        raise _invalid("parent", "parent is not of type integer.")
    if parent and parent not in sim.categories:
        raise WcError(400, "missing_parent", "Parent term does not exist.")
    return parent


def create_category(sim: Any, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise WcError(400, "rest_invalid_json", "Invalid JSON body passed.")
    name = str(body.get("name") or "").strip()
    if not name:
        raise WcError(400, "rest_missing_callback_param", "Missing parameter(s): name", params=["name"])
    parent = _parent(sim, body)
    same = next((c for c in sim.categories.values() if c["name"] == name and c["parent"] == parent), None)
    if same is not None:
        raise WcError(400, "term_exists", "A term with the name provided already exists with this parent.",
                      resource_id=same["id"])
    slug = slugify(str(body.get("slug") or name)) or "category"
    base, n = slug, 1
    while any(c["slug"] == slug for c in sim.categories.values()):
        n += 1
        slug = f"{base}-{n}"
    cid = max([*sim.categories, 15], default=15) + 1
    sim.categories[cid] = _category_record(sim, cid, name, slug, parent, str(body.get("description") or ""))
    return sim.categories[cid]


def update_category(sim: Any, cid: int, body: Any) -> dict[str, Any]:
    if cid not in sim.categories:
        raise WcError(400, "woocommerce_rest_term_invalid", "Resource does not exist.")
    if not isinstance(body, dict):
        raise WcError(400, "rest_invalid_json", "Invalid JSON body passed.")
    record = sim.categories[cid]
    if "parent" in body:
        parent = _parent(sim, body)
        ancestor = parent
        while ancestor:  # wp_update_term breaks loops by refusing a descendant as parent
            if ancestor == cid:
                raise WcError(400, "invalid_term_parent", "The parent term would create a loop.")
            ancestor = sim.categories[ancestor]["parent"]
        record["parent"] = parent
    for name in ("name", "description"):
        if body.get(name) is not None:
            record[name] = str(body[name])
    if body.get("slug"):
        record["slug"] = slugify(str(body["slug"]))
    return record


def list_categories(sim: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Filters ``slug`` (comma list), ``parent``, ``search``; ordered by ``orderby`` (name, id, slug)."""
    rows = list(sim.categories.values())
    slugs = {s for s in str(params.get("slug") or "").split(",") if s}
    if slugs:
        rows = [c for c in rows if c["slug"] in slugs]
    if params.get("parent") not in (None, ""):
        rows = [c for c in rows if str(c["parent"]) == str(params["parent"])]
    if params.get("search"):
        rows = [c for c in rows if str(params["search"]).lower() in c["name"].lower()]
    orderby = str(params.get("orderby") or "name")
    rows.sort(key=lambda c: (c.get(orderby if orderby in ("id", "slug", "name") else "name"), c["id"]))
    return rows[::-1] if params.get("order") == "desc" else rows


def with_fields(sim: Any, record: dict[str, Any], body: Any) -> dict[str, Any]:
    """A created product's catalogue members; a refused one removes the product again."""
    try:
        apply_product_fields(sim, record, body)
    except WcError:
        del sim.products[record["id"]]
        raise
    return record


def category_routes(sim: Any, rest: list[str]) -> dict[str, Any] | None:
    """``products/categories`` (GET list, POST) and ``products/categories/<id>`` (GET, PUT/POST/PATCH)."""
    if not rest:
        return {"GET": ("list", lambda **kw: sim._list(list_categories(sim, kw["params"]), Args(kw["params"]),
                                                       kw["site"], kw["request"])),
                "POST": ("create", lambda **kw: sim._created(create_category(sim, kw["body"]), **kw))}
    if rest[0].isdigit():
        cid = int(rest[0])
        return {"GET": ("view", lambda **kw: sim._one(sim.categories, cid, "term", **kw)),
                **{m: ("edit", lambda **kw: (200, update_category(sim, cid, kw["body"]), []))
                   for m in ("POST", "PUT", "PATCH")}}
    return None
