"""PrestaShop product images (``/api/images/products/…``), as ``WebserviceSpecificManagementImages`` serves them.

Facts (PrestaShop 8 docs, https://devdocs.prestashop-project.org/8/webservice/tutorials/advanced-use/image-management/
and https://devdocs.prestashop-project.org/8/webservice/resources/images/; source
``classes/webservice/WebserviceSpecificManagementImages.php`` of PrestaShop/PrestaShop):

* ``POST /api/images/products/{id_product}``, ``multipart/form-data`` with the file in the field
  ``image``: adds an image; the first image of a product is its cover; position = highest + 1.
  Answer: 200 with the image entity.
* ``POST /api/images/products/{id_product}/{id_image}?ps_method=PUT``: replaces that image's bytes (same id).
* More than 3,000,000 bytes → 400 code 72 "The image size is too large (maximum allowed is 3000 KB)";
  an unknown product → 400 code 76 "Product N does not exist"; an unknown image id → 400 code 57
  "This image id does not exist"; no ``image`` field → 500 code 66 "Unable to save this image".
* ``GET /api/images/products/{id_product}``: one ``declination`` per image, or 404 with no body when the
  product has none. ``DELETE …/{id_product}/{id_image}`` removes it (the next image becomes the cover).

Not simulated (501, error code 0): other image types (categories, manufacturers…), the image bytes
(``GET …/{id_image}``), resizing, and refusing a content type outside the accepted ones.
"""
from __future__ import annotations

import hashlib
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from lxml import etree

from passerelle_sandbox.ps_query import WsError, php_int

MAX_BYTES = 3_000_000
ACCEPTED = frozenset({"image/gif", "image/jpg", "image/jpeg", "image/pjpeg", "image/png", "image/x-png"})
XLINK = "http://www.w3.org/1999/xlink"


class ProductImages:
    """The images of the simulated shop: id -> {id, id_product, position, cover, data, type, name, sha256}."""

    def __init__(self) -> None:
        self.images: dict[int, dict[str, Any]] = {}
        self.next_id = 1

    def of(self, id_product: int) -> list[dict[str, Any]]:
        return sorted((i for i in self.images.values() if i["id_product"] == id_product), key=lambda i: i["position"])

    def handle(self, method: str, segments: list[str], request: Any, products: dict, base: str) -> tuple[int, bytes]:
        if len(segments) < 2 or segments[1] != "products" or len(segments) > 4:
            raise WsError(501, 0, "The Passerelle sandbox simulates only product images (/api/images/products/…)")
        id_product = php_int(segments[2]) if len(segments) > 2 else 0
        ident = segments[3] if len(segments) > 3 else ""
        if method == "GET" and ident == "":
            listed = self.of(id_product)
            return (200, _listing(id_product, listed, base)) if listed else (404, b"")
        if method == "DELETE" and ident != "":
            image = self._image(id_product, ident)
            del self.images[image["id"]]
            rest = self.of(id_product)
            if image["cover"] and rest:
                rest[0]["cover"] = 1
            return 200, b""
        if method not in ("POST", "PUT") or id_product <= 0 or (method == "PUT" and ident == ""):
            raise WsError(501, 0, f"The Passerelle sandbox does not simulate {method} on this image resource")
        if id_product not in products:
            raise WsError(400, 76, f"Product {id_product} does not exist")
        upload = _uploaded(request)
        if upload is None:
            raise WsError(500, 66, "Unable to save this image")
        data, kind, name = upload
        if len(data) > MAX_BYTES:
            raise WsError(400, 72, "The image size is too large (maximum allowed is 3000 KB)")
        if kind not in ACCEPTED:
            raise WsError(501, 0, f"The Passerelle sandbox does not simulate refusing the content type {kind!r}")
        if ident != "":  # ?ps_method=PUT on an image: its bytes replaced, its id kept
            if method != "PUT":
                raise WsError(501, 0, "The Passerelle sandbox simulates a POST on an image id only with ps_method=PUT")
            image = self._image(id_product, ident)
        else:
            listed = self.of(id_product)
            image = {"id": self.next_id, "id_product": id_product, "cover": 0 if listed else 1,
                     "position": max((i["position"] for i in listed), default=0) + 1}
            self.next_id += 1
            self.images[image["id"]] = image
        image.update(data=data, type=kind, name=name, sha256=hashlib.sha256(data).hexdigest())
        return 200, _entity(image)

    def _image(self, id_product: int, ident: str) -> dict[str, Any]:
        image = self.images.get(php_int(ident))
        if image is None or image["id_product"] != id_product:
            raise WsError(400, 57, "This image id does not exist")
        return image


def _uploaded(request: Any) -> tuple[bytes, str, str] | None:
    """The ``image`` file part of a multipart/form-data body: (bytes, content type, file name)."""
    kind = request.header("Content-Type") or ""
    if not kind.lower().startswith("multipart/form-data"):
        return None
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + kind.encode() + b"\r\n\r\n" + request.body)
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "image" and part.get_filename() is not None:
            payload = part.get_payload(decode=True)
            return payload or b"", part.get_content_type(), part.get_filename() or ""
    return None


def _entity(image: dict[str, Any]) -> bytes:
    root = etree.Element("prestashop", nsmap={"xlink": XLINK})
    node = etree.SubElement(root, "image")
    for name in ("id", "id_product", "position", "cover"):
        etree.SubElement(node, name).text = etree.CDATA(str(image[name]))
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8")


def _listing(id_product: int, images: list[dict[str, Any]], base: str) -> bytes:
    root = etree.Element("prestashop", nsmap={"xlink": XLINK})
    node = etree.SubElement(root, "image", id=str(id_product))
    for image in images:
        href = f"{base}images/products/{id_product}/{image['id']}"
        etree.SubElement(node, "declination", {"id": str(image["id"]), f"{{{XLINK}}}href": href})
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8")
