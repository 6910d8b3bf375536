"""Shopify test helpers: long orders (the simulator's stored order given more lines and shipping lines), the
shipped connector opened on the simulator."""
from __future__ import annotations

import copy
from typing import Any

from engine.connectors.compile import open_connector
from engine.connectors.http.client import HttpEndpoint
from engine.project.load import ConnectorStore
from engine.spec.env import Secret
from passerelle_sandbox import Sandbox
from support import ROOT


# a file connector the Shopify runs write their orders to (one JSON file per order)
EXCHANGE = """\
connector:
  name: exchange
  protocol: file
  settings: { dir: { required: true } }
  file: { dir: "{settings.dir}" }
  operations:
    save_order: { path: "orders/{ref}.json", creates: true }
"""


def shipped() -> dict:
    """The shipped `shopify` definition (the mapping under `connector:`), a copy the test may change."""
    doc = ConnectorStore().load(ROOT / "specs" / "connectors" / "shopify.yaml")
    assert doc.ok and not [d for d in doc.diagnostics if d.is_error]
    return copy.deepcopy(doc.data["connector"])


def lengthen(sim: Any, number: int, lines: int = 40, shipping: int = 2) -> list[str]:
    """Order ``number`` (data set id) with ``lines`` line items (SKUs LONG-01…) and ``shipping`` shipping
    lines; returns the SKUs in order. The GraphQL and REST answers read the stored dict."""
    rec = sim.order(number)
    line, ship = rec["line_items"][0], rec["shipping_lines"][0]
    skus = [f"LONG-{i:02d}" for i in range(1, lines + 1)]
    rec["line_items"] = [dict(line, id=line["id"] * 100 + i, sku=sku, quantity=i,
                              admin_graphql_api_id=f"gid://shopify/LineItem/{line['id'] * 100 + i}")
                         for i, sku in enumerate(skus, start=1)]
    rec["shipping_lines"] = [dict(ship, id=ship["id"] * 10 + i, title=f"Carrier {i}", code=f"C{i}")
                             for i in range(1, shipping + 1)]
    return skus


def endpoint(sb: Sandbox, definition: dict) -> HttpEndpoint:
    settings = {"base_url": sb.url("shopify"), "api_version": "2024-10",
                "access_token": Secret(sb.credentials("shopify")["access_token"])}
    return open_connector("shopify", definition, settings)  # type: ignore[return-value]  (an http connector)


def read_all(sb: Sandbox, definition: dict, resource: str = "orders", **kwargs: Any) -> list[dict]:
    with endpoint(sb, definition) as ep:
        return [record for page in ep.read(resource, **kwargs) for record in page]
