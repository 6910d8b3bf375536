"""The XML bodies of PrestaShop webservice writes: parsed safely, fields validated as the webservice does."""
from __future__ import annotations

import re
from typing import Any

from lxml import etree

from passerelle_sandbox.ps_query import WsError
from passerelle_sandbox.ps_schema import F, Resource

CLASS_NAMES = {"order_histories": "OrderHistory", "stock_availables": "StockAvailable",
               "order_carriers": "OrderCarrier", "orders": "Order"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_entities(body: bytes) -> list[etree._Element]:
    try:
        root = etree.fromstring(body, _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        text = body.decode("utf-8", "replace")
        raise WsError(500, 127, f"XML error : String could not be parsed as XML ({exc})\n"
                                f"XML length : {len(body)}\nOriginal XML : {text}") from None
    return [child for child in root if isinstance(child.tag, str)]


def child_text(entity: etree._Element, name: str) -> str | None:
    child = entity.find(name)
    return None if child is None else (child.text or "").strip()


def validated(res: Resource, f: F, raw: str | None) -> Any:
    cls = CLASS_NAMES.get(res.name, res.node)
    if raw is None:
        return None
    if raw == "" and f.required:
        raise WsError(400, 85, f'Validation error: "Property {cls}->{f.name} is empty."')
    patterns = {"uint": r"\d+", "int": r"[+-]?\d+", "bool": r"[01]",
                "tracking": r"[~:#,%&_=()\[\].? +\-@/a-zA-Z0-9]*"}  # Validate::isTrackingNumber
    if raw != "" and f.fmt in patterns and not re.fullmatch(patterns[f.fmt], raw):
        raise WsError(400, 85, f'Validation error: "Property {cls}->{f.name} is not valid"')
    if f.kind in ("int", "bool"):
        return int(raw) if raw != "" else None
    return raw
