"""MSI source items and product gallery entries of :mod:`passerelle_sandbox.magento_catalogue` (routes there).

Source items (``POST /V1/inventory/source-items``, SourceItemsSaveInterface,
https://developer.adobe.com/commerce/webapi/rest/inventory/manage-source-items/): each needs an existing
product and source, else 400 ``Validation Failed`` with ``errors`` [{message, parameters}] (the messages
are unverified); ``quantity`` a number, ``status`` 0 or 1. Gallery entries (``POST
/V1/products/{sku}/media``, ``PUT …/media/{entryId}``,
https://developer.adobe.com/commerce/webapi/rest/tutorials/image/new/): ``media_type`` image, ``content``
{base64_encoded_data, type, name} checked as ImageContentValidator does (valid base64, an image MIME type,
a name without a slash). An update finds its entry by ``entry.id`` in the body — Magento's update reads
the entry, not the path — and replaces its content when the body has one.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
from decimal import Decimal
from typing import Any

from passerelle_sandbox.magento_search import MagentoError, required

NO_PRODUCT = "The product that was requested doesn't exist. Verify the product and try again."
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif")


def number(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise MagentoError(400, 'The "%1" value\'s type is invalid. The "%2" type was expected. Verify and try again.',
                           [name, "float"])
    try:
        return Decimal(str(value))
    except ArithmeticError:
        raise MagentoError(400, 'The "%1" value\'s type is invalid. The "%2" type was expected. Verify and try again.',
                           [name, "float"]) from None


def plain(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def member(sim: Any, request: Any, member: str) -> dict[str, Any]:
    body = sim._json(request)
    inner = body.get(member) if isinstance(body, dict) else None
    if not isinstance(inner, dict):
        raise required(member)
    return inner


# -- MSI ------------------------------------------------------------------------------------------------------
def save_source_items(sim: Any, request: Any) -> tuple[int, Any]:
    state = sim.catalogue
    body = sim._json(request)
    items = body.get("sourceItems") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise required("sourceItems")
    errors = []
    for item in items:
        item = item if isinstance(item, dict) else {}
        if item.get("sku") not in sim.products:
            errors.append({"message": 'Product with SKU "%sku" does not exist.', "parameters": {"sku": item.get("sku")}})
        elif item.get("source_code") not in state.sources:
            errors.append({"message": 'Source "%code" does not exist.', "parameters": {"code": item.get("source_code")}})
        elif item.get("status", 1) not in (0, 1):
            errors.append({"message": '"%field" should be defined.', "parameters": {"field": "status"}})
    if errors:
        raise _Validation(errors)
    for item in items:
        qty = number(item.get("quantity", 0), "quantity")
        state.source_items[(item["sku"], item["source_code"])] = {
            "sku": item["sku"], "source_code": item["source_code"], "quantity": plain(qty),
            "status": int(item.get("status", 1 if qty > 0 else 0))}
    return 200, []


class _Validation(MagentoError):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(400, "Validation Failed")
        self.errors = errors

    def body(self) -> dict[str, Any]:
        return {"message": self.message, "errors": self.errors}


# -- media ----------------------------------------------------------------------------------------------------
def _content(entry: dict[str, Any]) -> dict[str, Any]:
    content = entry.get("content")
    if not isinstance(content, dict):
        raise MagentoError(400, "The image content is invalid. Verify the content and try again.")
    try:
        data = base64.b64decode(str(content.get("base64_encoded_data") or ""), validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not data:
        raise MagentoError(400, "The image content must be valid base64 encoded data.")
    if content.get("type") not in IMAGE_TYPES:
        raise MagentoError(400, "The image MIME type is not valid or not supported.")
    name = content.get("name")
    if not isinstance(name, str) or not name or "/" in name:
        raise MagentoError(400, "Provided image name contains forbidden characters.")
    return {"name": name, "type": content["type"], "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _public(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k != "content"}


def add_media(sim: Any, request: Any, sku: str) -> tuple[int, Any]:
    state = sim.catalogue
    if sku not in sim.products:
        raise MagentoError(404, NO_PRODUCT)
    entry = member(sim, request, "entry")
    if entry.get("media_type") != "image":
        raise MagentoError(400, "The media type is incorrect. Verify the type and try again.")
    content = _content(entry)
    ident = state.next_media
    state.next_media += 1
    row = {"id": ident, "media_type": "image", "label": entry.get("label"), "position": entry.get("position", 0),
           "disabled": bool(entry.get("disabled", False)), "types": list(entry.get("types") or []),
           "file": f"/{sku[:1].lower()}/{sku[1:2].lower()}/{content['name']}", "content": content}
    state.media.setdefault(sku, []).append(row)
    return 200, str(ident)


def put_media(sim: Any, request: Any, sku: str, _path_id: str) -> tuple[int, Any]:
    state = sim.catalogue
    if sku not in sim.products:
        raise MagentoError(404, NO_PRODUCT)
    entry = member(sim, request, "entry")
    row = next((m for m in state.media.get(sku, []) if str(m["id"]) == str(entry.get("id"))), None)
    if row is None:
        raise MagentoError(404, "No image with the provided ID was found. Verify the ID and try again.")
    if entry.get("content") is not None:
        row["content"] = _content(entry)
        row["file"] = f"/{sku[:1].lower()}/{sku[1:2].lower()}/{row['content']['name']}"
    for name in ("label", "position", "disabled", "types"):
        if name in entry:
            row[name] = entry[name]
    return 200, True


def list_media(sim: Any, request: Any, sku: str) -> tuple[int, Any]:
    if sku not in sim.products:
        raise MagentoError(404, NO_PRODUCT)
    return 200, [_public(m) for m in sim.catalogue.media.get(sku, [])]
