"""The Sage Business Cloud Accounting -> Shopify catalogue template (specs/examples/sage-accounting-shopify/)
run end to end with ``passerelle run`` against both simulators: Sage products become Shopify products
(productSet, upsert by handle; the RRP band as the compare-at price), the Trade band the variants' fixed
prices on a B2B price list, and stock items set the available quantity at the mapped location; the shop is
read back through its GraphQL API; a second run sends nothing; one price, one Trade price and one stock
change in Sage send exactly one productSet, one price list update and one inventorySetQuantities; a Trade
band removed in Sage removes the variant's fixed price."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest

from passerelle_sandbox import Sandbox
from passerelle_sandbox.sbca_data import iso
from passerelle_sandbox.sbca_price_bands import remove_band, set_band_price
from passerelle_sandbox.sbca_stock import set_selling_price, set_stock
from runtime_support import cli, run_flow, shopify_sage_accounting_env
from support import ROOT

EXAMPLE = ROOT / "specs" / "examples" / "sage-accounting-shopify"
FLOWS = ("products_to_shop", "stock_to_shop", "band_prices_to_shop")
PRICE_LIST = "gid://shopify/PriceList/1003"  # lookups.yaml band_price_lists: Trade
LOCATION = "gid://shopify/Location/65012345678"
READ_BACK = """query Back($after: String) {
  productVariants(first: 50, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { sku price compareAtPrice barcode product { handle title status }
                   inventoryItem { inventoryLevel(locationId: "%s") { quantities(names: ["available"]) { quantity } } } } }
  }
}""" % LOCATION
FIXED = """query P($id: ID!, $after: String) { priceList(id: $id) { prices(first: 100, after: $after) {
  pageInfo { hasNextPage endCursor } nodes { originType variant { sku } price { amount currencyCode } } } } }"""


@pytest.fixture()
def running(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".passerelle"))
    options = {"shopify": {"graphql_bucket": 200000.0, "restore_rate": 1000.0}}
    with Sandbox(systems=("shopify", "sage-accounting"), seed=1, orders=1, options=options) as sb:
        shop = sb.sim("shopify")
        shop.products.clear()  # a new shop: the simulator's own catalogue groups the same SKUs into ranges
        yield sb, project, str(tmp_path / "state"), shopify_sage_accounting_env(sb)



def _pages(sb, query: str, variables: dict, connection) -> list:
    """Every node of a paged connection, as Shopify's GraphQL API serves it."""
    url = f"{sb.url('shopify')}/admin/api/2025-04/graphql.json"
    headers = {"X-Shopify-Access-Token": sb.credentials("shopify")["access_token"]}
    out, after = [], None
    while True:
        got = httpx.post(url, json={"query": query, "variables": {**variables, "after": after}}, headers=headers,
                         timeout=10)
        assert got.status_code == 200 and "errors" not in got.json(), got.text
        page = connection(got.json()["data"])
        out += [e["node"] for e in page["edges"]] if "edges" in page else page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return out
        after = page["pageInfo"]["endCursor"]


def _read_back(sb) -> dict:
    """Every variant, by SKU."""
    return {node["sku"]: node for node in _pages(sb, READ_BACK, {}, lambda data: data["productVariants"])}


def _fixed(sb) -> dict:
    """The Trade price list's fixed prices, by SKU."""
    nodes = _pages(sb, FIXED, {"id": PRICE_LIST}, lambda data: data["priceList"]["prices"])
    assert {(n["originType"], n["price"]["currencyCode"]) for n in nodes} <= {("FIXED", "EUR")}
    return {n["variant"]["sku"]: Decimal(n["price"]["amount"]) for n in nodes}


def _band(product: dict, name: str) -> Decimal | None:
    return next((Decimal(p["price"]) for p in product["sales_prices"] if p["price_name"] == name), None)


def _writes(shop) -> tuple[int, int, int]:
    return len(shop.product_writes), len(shop.adjustments), len(shop.write_requests)


def test_the_catalogue_once_then_nothing_then_only_the_changes(running, monkeypatch):
    sb, project, state, env = running
    shop, sage = sb.sim("shopify"), sb.sim("sage-accounting")
    first = {flow: run_flow(project, state, env, monkeypatch, flow) for flow in FLOWS}
    assert all(s["failed"] == 0 for s in first.values()), first
    products = sage.tables["products"].items
    assert first["products_to_shop"]["created"] + first["products_to_shop"]["updated"] == len(products)
    back = _read_back(sb)
    for product in products:
        variant = back[product["item_code"]]
        assert variant["product"]["handle"] == product["item_code"].lower()
        assert (variant["product"]["title"], variant["product"]["status"]) == (product["description"], "ACTIVE")
        assert Decimal(variant["price"]) == Decimal(product["sales_prices"][0]["price"])
        rrp = _band(product, "RRP")
        assert variant["compareAtPrice"] == (None if rrp is None else f"{rrp:.2f}"), product["item_code"]
        assert variant["barcode"] == product["barcode"]
        (level,) = variant["inventoryItem"]["inventoryLevel"]["quantities"]
        assert level["quantity"] == int(Decimal(product["quantity_in_stock"])), product["item_code"]
    trade = {p["item_code"]: _band(p, "Trade") for p in products if _band(p, "Trade") is not None}
    assert trade and _fixed(sb) == trade
    assert first["band_prices_to_shop"]["created"] == len(trade)

    # a second run sends nothing
    before = _writes(shop)
    for flow in FLOWS:
        again = run_flow(project, state, env, monkeypatch, flow)
        assert (again["created"], again["updated"], again["failed"]) == (0, 0, 0), (flow, again)
    assert _writes(shop) == before

    # one selling price, one stock quantity and one Trade price change in Sage: one productSet, one
    # inventory change and one price list update (three write requests in all)
    traded = sorted(trade)[0]
    later = iso(datetime.now(timezone.utc) + timedelta(seconds=2))
    set_selling_price(sage.tables, "CAFE-005", Decimal("10.40"), later)
    set_stock(sage.tables, "THE-004", Decimal(7), later)
    set_band_price(sage.tables, traded, "Trade", Decimal("1.23"), later)
    for flow in FLOWS:
        run_flow(project, state, env, monkeypatch, flow)
    assert _writes(shop) == (before[0] + 1, before[1] + 1, before[2] + 3)
    assert shop.product_by_handle("cafe-005")["id"] == shop.product_writes[-1]
    after = _read_back(sb)
    assert after["CAFE-005"]["price"] == "10.40"
    assert after["THE-004"]["inventoryItem"]["inventoryLevel"]["quantities"][0]["quantity"] == 7
    assert {k: v for k, v in after.items() if k not in ("CAFE-005", "THE-004")} == \
        {k: v for k, v in back.items() if k not in ("CAFE-005", "THE-004")}
    assert _fixed(sb) == {**trade, traded: Decimal("1.23")}

    # the Trade band removed from a product in Sage: its fixed price is removed from the list, nothing else
    before = _writes(shop)
    remove_band(sage.tables, traded, "Trade", iso(datetime.now(timezone.utc) + timedelta(seconds=4)))
    run_flow(project, state, env, monkeypatch, "band_prices_to_shop")
    assert _writes(shop) == (before[0], before[1], before[2] + 1)
    assert _fixed(sb) == {k: v for k, v in trade.items() if k != traded}


def test_validate_passes(running, monkeypatch):
    _, project, _, env = running
    code, out, err = cli(["validate", str(project)], env, monkeypatch)
    assert code == 0, out + err
