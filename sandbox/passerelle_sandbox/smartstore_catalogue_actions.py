"""Smartstore Web API catalogue actions (``ProductsController`` of ``Smartstore.WebApi``, smartstore/Smartstore
``src/Smartstore.Modules/Smartstore.WebApi/Controllers/Catalog/ProductsController.cs``):

* ``POST Products({key})/ManageAttributes`` ``{"attributes": [{"name", "isRequired", "controlType",
  "customData", "values": [{"name", "alias", "color", "priceAdjustment", "weightAdjustment",
  "isPreSelected"}]}], "synchronize": bool}``: the product attributes missing by name are created (global
  ``ProductAttributes``), then the product's variant attribute of each name and its values by name
  (case-insensitive); with ``synchronize`` existing ones are updated too and values not sent are removed
  (an attribute sent without values is removed). Answers the product's variant attributes (200).
* ``POST Products({key})/SaveFiles`` (``multipart/form-data``; ``key`` 0 with ``?sku=`` finds the product by
  SKU): each file part becomes a media file assigned to the product, unless the product already has a file
  of the same bytes (the controller's remark: duplicates are found by comparing the binary streams); a
  ``fileId`` parameter in a part's Content-Disposition replaces that file's content. Not multipart: 415;
  no file: 400 "Missing multipart file data."; no product: 404. Answers the product's media files (200).
* ``POST Products({key})/ProductCategories({relatedkey})``: assigns the category (201 with the assignment),
  or answers the existing assignment (200).

File bytes are kept in ``sim.media_bytes`` (media file id → bytes).
"""
from __future__ import annotations

import hashlib
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from passerelle_sandbox._http import Request
from passerelle_sandbox.smartstore_catalogue import post
from passerelle_sandbox.smartstore_odata import ODataError
from passerelle_sandbox.smartstore_writes import body_of

__all__ = ["manage_attributes", "product_category", "save_files"]

CONTROL_TYPES = {"DropdownList": 1, "RadioList": 2, "Checkboxes": 3, "TextBox": 4, "MultilineTextbox": 10,
                 "Datepicker": 20, "FileUpload": 30, "ColorSquares": 40, "Boxes": 50}
MEDIA_TYPES = {"image": ("png", "jpg", "jpeg", "gif", "webp", "svg"), "document": ("pdf", "doc", "docx", "txt")}


def _product(sim: Any, key: int) -> dict[str, Any]:
    product = sim.sets["Products"].get(key)
    if product is None:
        raise ODataError(404, f"Cannot find Product entity with identifier {key}.")
    return product


def manage_attributes(sim: Any, key: int, request: Request) -> list[dict[str, Any]]:
    product = _product(sim, key)
    data = body_of(request)
    attributes, synchronize = data.get("attributes"), data.get("synchronize", False)
    if set(data) - {"attributes", "synchronize"}:
        name = sorted(set(data) - {"attributes", "synchronize"})[0]
        raise ODataError(400, f"The parameter '{name}' in the request payload is not a valid parameter for the "
                              "operation 'ManageAttributes'.")
    if not isinstance(attributes, list) or not isinstance(synchronize, bool):
        raise ODataError(400, "The attributes field is required.")
    sets = sim.sets
    by_name = {a["Name"].lower(): a for a in sets["ProductAttributes"].values()}
    mappings = {sets["ProductAttributes"][m["ProductAttributeId"]]["Name"].lower(): m
                for m in sets["ProductVariantAttributes"].values() if m["ProductId"] == key}
    for item in attributes:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            raise ODataError(400, "The Name field is required.")
        name, values = item["name"], item.get("values") or []
        control = item.get("controlType", "DropdownList")
        control_id = CONTROL_TYPES.get(control, control if control in CONTROL_TYPES.values() else None)
        if control_id is None:
            raise ODataError(400, f"The value '{control}' is not valid for controlType.")
        if name.lower() not in by_name:
            attribute = {"Id": sim.new_id("ProductAttributes"), "Name": name, "Alias": None, "DisplayOrder": 0,
                         "AllowFiltering": True}
            sets["ProductAttributes"][attribute["Id"]] = by_name[name.lower()] = attribute
        mapping = mappings.get(name.lower())
        settings = {"IsRequired": item.get("isRequired", True), "AttributeControlTypeId": control_id,
                    "CustomData": item.get("customData")}
        if mapping is None:
            if synchronize and not values:
                continue
            order = max((m["DisplayOrder"] for m in mappings.values()), default=0) + 1
            mapping = {"Id": sim.new_id("ProductVariantAttributes"), "ProductId": key,
                       "ProductAttributeId": by_name[name.lower()]["Id"], "DisplayOrder": order, **settings}
            sets["ProductVariantAttributes"][mapping["Id"]] = mappings[name.lower()] = mapping
        elif synchronize:
            if not values:
                _remove_mapping(sim, mapping)
                del mappings[name.lower()]
                continue
            mapping.update(settings)
        _values(sim, mapping, values, synchronize)
    product["UpdatedOnUtc"] = sim.now()
    return [m for m in sets["ProductVariantAttributes"].values() if m["ProductId"] == key]


def _values(sim: Any, mapping: dict[str, Any], values: list[Any], synchronize: bool) -> None:
    table = sim.sets["ProductVariantAttributeValues"]
    existing = {v["Name"].lower(): v for v in table.values() if v["ProductVariantAttributeId"] == mapping["Id"]}
    order = max((v["DisplayOrder"] for v in existing.values()), default=0)
    sent = set()
    for value in values:
        if not isinstance(value, dict) or not value.get("name"):
            continue  # a value without a name is skipped, as the controller skips it
        fields = {"Alias": value.get("alias"), "Color": value.get("color"),
                  "PriceAdjustment": value.get("priceAdjustment", 0), "WeightAdjustment": value.get("weightAdjustment", 0),
                  "IsPreSelected": value.get("isPreSelected", False)}
        sent.add(value["name"].lower())
        found = existing.get(value["name"].lower())
        if found is None:
            order += 1
            found = {"Id": sim.new_id("ProductVariantAttributeValues"), "ProductVariantAttributeId": mapping["Id"],
                     "Name": value["name"], "DisplayOrder": order, "ValueTypeId": 0, **fields}
            table[found["Id"]] = existing[value["name"].lower()] = found
        elif synchronize:
            found.update(fields)
    if synchronize:
        for name, value in existing.items():
            if name not in sent:
                del table[value["Id"]]


def _remove_mapping(sim: Any, mapping: dict[str, Any]) -> None:
    table = sim.sets["ProductVariantAttributeValues"]
    for key in [k for k, v in table.items() if v["ProductVariantAttributeId"] == mapping["Id"]]:
        del table[key]
    del sim.sets["ProductVariantAttributes"][mapping["Id"]]


def save_files(sim: Any, key: int, request: Request) -> list[dict[str, Any]]:
    kind = request.header("Content-Type") or ""
    if not kind.lower().startswith("multipart/form-data"):
        raise ODataError(415, "Unsupported Media Type")
    if key == 0:
        sku = dict(request.params).get("sku")
        product = next((p for p in sim.sets["Products"].values() if sku and p["Sku"] == sku), None)
    else:
        product = sim.sets["Products"].get(key)
    if product is None:
        raise ODataError(404, "Cannot find Product entity. Please specify a valid ID, SKU, GTIN or MPN.")
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + kind.encode() + b"\r\n\r\n" + request.body)
    parts = [p for p in message.iter_parts() if p.get_filename()] if message.is_multipart() else []
    if not parts:
        raise ODataError(400, "Missing multipart file data.")
    links = sim.sets["ProductMediaFiles"]
    for part in parts:
        content = part.get_payload(decode=True) or b""
        name = part.get_filename() or "file"
        own = [links[k] for k in sorted(links) if links[k]["ProductId"] == product["Id"]]
        file_id = part.get_param("fileId", header="content-disposition")
        if file_id is not None and str(file_id).isdigit() and int(file_id) in sim.sets["MediaFiles"]:
            _store(sim, sim.sets["MediaFiles"][int(file_id)], name, part.get_content_type(), content)
            continue
        digest = hashlib.sha256(content).digest()
        if any(hashlib.sha256(sim.media_bytes[link["MediaFileId"]]).digest() == digest for link in own):
            continue  # the product already has these bytes
        media = {"Id": sim.new_id("MediaFiles"), "FolderId": 1, "Title": None, "Alt": None, "CreatedOnUtc": sim.now()}
        _store(sim, media, name, part.get_content_type(), content)
        sim.sets["MediaFiles"][media["Id"]] = media
        order = max((link["DisplayOrder"] for link in own), default=0) + 1
        link = {"Id": sim.new_id("ProductMediaFiles"), "ProductId": product["Id"], "MediaFileId": media["Id"],
                "DisplayOrder": order}
        links[link["Id"]] = link
    return [links[k] for k in sorted(links) if links[k]["ProductId"] == product["Id"]]


def _store(sim: Any, media: dict[str, Any], name: str, mime: str, content: bytes) -> None:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind = next((k for k, extensions in MEDIA_TYPES.items() if extension in extensions), "bin")
    media.update({"Name": name, "Extension": extension, "MimeType": mime, "MediaType": kind, "Size": len(content),
                  "UpdatedOnUtc": sim.now()})
    sim.media_bytes[media["Id"]] = content


def product_category(sim: Any, key: int, category_id: int, request: Request) -> tuple[int, dict[str, Any]]:
    _product(sim, key)
    if category_id not in sim.sets["Categories"]:
        raise ODataError(404, f"Cannot find Category entity with identifier {category_id}.")
    found = next((r for r in sim.sets["ProductCategories"].values()
                  if r["ProductId"] == key and r["CategoryId"] == category_id), None)
    if found is not None:
        return 200, found
    data = body_of(request, optional=True)
    return 201, post(sim, "ProductCategories", {**data, "ProductId": key, "CategoryId": category_id})


def route(sim: Any, request: Request, base: str, entity_set: str, key: int | None, action: str) -> Any:
    """The catalogue's answer to a request on one of its entity sets, or None for the orders' routes."""
    from passerelle_sandbox.smartstore_catalogue import TYPES, WRITABLE, delete, patch

    if entity_set not in TYPES:
        return None
    method = request.method
    if method != "GET":
        sim.catalogue_writes.append((method, f"{entity_set}({key})/{action}" if action else
                                     entity_set if key is None else f"{entity_set}({key})"))
    if action and method == "POST" and entity_set == "Products" and key is not None:
        if action in ("ManageAttributes", "SaveFiles"):
            handler = manage_attributes if action == "ManageAttributes" else save_files
            rows = handler(sim, key, request)
            target = "ProductVariantAttributes" if action == "ManageAttributes" else "ProductMediaFiles"
            return sim.respond(200, {"@odata.context": f"{base}$metadata#{target}", "value": rows})
        name, _, rest = action.partition("(")
        if name == "ProductCategories" and rest[:-1].isdigit() and rest.endswith(")"):
            status, row = product_category(sim, key, int(rest[:-1]), request)
            return sim._entity(base, "ProductCategories", row, status)
    if action or method == "GET" or entity_set not in WRITABLE:
        return None if method == "GET" and not action else sim.not_simulated(
            f"{method} {entity_set}" + (f"({key})" if key is not None else "") + (f"/{action}" if action else ""))
    if method == "POST" and key is None:
        row = post(sim, entity_set, body_of(request))
        return sim._entity(base, entity_set, row, 201, [("Location", f"{base}{entity_set}({row['Id']})")])
    if key is None:
        return sim.not_simulated(f"{method} {entity_set}")
    record = sim.record(entity_set, key)
    if method in ("PATCH", "PUT"):
        patch(sim, entity_set, record, body_of(request))
        if "return=representation" in (request.header("Prefer") or ""):
            return sim._entity(base, entity_set, record, 200, [("Preference-Applied", "return=representation")])
        return sim.respond(204)
    if method == "DELETE":
        delete(sim, entity_set, key)
        return sim.respond(204)
    return sim.not_simulated(f"{method} {entity_set}({key})")
