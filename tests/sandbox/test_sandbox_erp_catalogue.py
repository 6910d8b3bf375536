"""Catalogue reads of the Sage X3 simulator (SData ITMMASTER, ITMMVT and SPRICLIST, served like BPCUSTOMER)
and the Sage Accounting simulator (``/stock_items``, the products' price bands), and the changes a test makes
in them (price, stock, price list line, band) moving the update stamps an incremental read filters on."""
from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from passerelle_sandbox import Sandbox
from passerelle_sandbox.sbca_price_bands import remove_band, set_band_price
from passerelle_sandbox.sbca_stock import set_selling_price, set_stock
from test_sandbox_sagex3_query import x3  # noqa: F401 (the authenticated SData client fixture)

ITEMS = "/api1/x3/erp/SEED/ITMMASTER"
STOCK = "/api1/x3/erp/SEED/ITMMVT"
PRICES = "/api1/x3/erp/SEED/SPRICLIST"


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(systems=("sagex3", "sage-accounting"), orders=1) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def sage(sb: Sandbox) -> Iterator[httpx.Client]:
    token = sb.sim("sage-accounting").issue_access_token()
    with httpx.Client(base_url=sb.api_url("sage-accounting"), headers={"Authorization": f"Bearer {token}"},
                      timeout=10) as c:
        yield c


def _all(x3: httpx.Client, url: str, **params) -> list[dict]:
    """Every resource, following ``$next`` (key-set paging)."""
    got = x3.get(url, params=params)
    out = []
    while True:
        assert got.status_code == 200, got.text
        body = got.json()
        out += body["$resources"]
        if "$next" not in body["$links"]:
            return out
        got = x3.get(body["$links"]["$next"]["$url"])


def test_items_are_paged_by_key_with_their_fields_and_decimal_prices(sb, x3):
    rows = _all(x3, ITEMS, representation="ITMMASTER.$query", count=7)
    catalogue = sb.sim("sagex3").catalogue
    assert [r["ITMREF"] for r in rows] == sorted(catalogue.items)
    cafe = next(r for r in rows if r["ITMREF"] == "CAFE-005")
    assert {k: cafe[k] for k in ("ITMDES1", "TCLCOD", "EANCOD", "SAU", "ITMSTA")} == \
        {"ITMDES1": catalogue.items["CAFE-005"]["ITMDES1"], "TCLCOD": "CAFE",
         "EANCOD": catalogue.items["CAFE-005"]["EANCOD"], "SAU": "UN", "ITMSTA": 1}
    raw = x3.get(ITEMS, params={"representation": "ITMMASTER.$query", "where": "ITMREF eq 'CAFE-005'"}).text
    assert '"BASPRI":9.75' in raw  # a JSON number with its exact digits, never a float's
    assert {r["ITMSTA"] for r in rows} == {1, 6}


def test_stock_rows_per_site_sum_to_the_product_stock(sb, x3):
    rows = _all(x3, STOCK, representation="ITMMVT.$query", count=50, where="ITMREF eq 'THE-004'")
    assert [(r["STOFCY"], r["KEY"]) for r in rows] == [("FR011", "THE-004~FR011"), ("FR012", "THE-004~FR012")]
    article = next(a for a in sb.dataset.articles if a.reference == "THE-004")
    assert sum(Decimal(str(r["PHYSTO"])) for r in rows) == article.stock_sage


def test_a_change_moves_updddattim_past_an_incremental_cursor(sb, x3):
    catalogue = sb.sim("sagex3").catalogue
    cursor = max(r["UPDDATTIM"] for r in catalogue.items.values())
    where = f"UPDDATTIM gt @{cursor.rstrip('Z')}@"
    assert _all(x3, ITEMS, representation="ITMMASTER.$query", where=where) == []
    catalogue.set_price("THE-004", Decimal("6.40"))
    catalogue.set_stock("THE-004", "FR011", Decimal(1))
    (item,) = _all(x3, ITEMS, representation="ITMMASTER.$query", where=where)
    assert (item["ITMREF"], item["BASPRI"]) == ("THE-004", 6.4)
    (row,) = _all(x3, STOCK, representation="ITMMVT.$query", where=where)
    assert (row["KEY"], row["PHYSTO"]) == ("THE-004~FR011", 1)


@pytest.mark.parametrize(("path", "params", "status"), [
    ("/api1/x3/erp/SEED/ITMCATEG", {"representation": "ITMCATEG.$query"}, 404),
    (ITEMS, {"representation": "BPCUSTOMER.$query"}, 400),
    (ITEMS, {"representation": "ITMMASTER.$query", "where": "NOSUCH eq 1"}, 500),
    (STOCK, {"representation": "ITMMVT.$query", "key": "lt.A"}, 501),
])
def test_x3_catalogue_errors(x3, path, params, status):
    got = x3.get(path, params=params)
    assert got.status_code == status, got.text
    assert got.json()["$diagnoses"][0]["$severity"] == "error"


def test_sbca_stock_items_list_stock_products_and_follow_changes(sb, sage):
    sim = sb.sim("sage-accounting")
    got = sage.get("stock_items", params={"attributes": "all", "items_per_page": 200})
    assert got.status_code == 200, got.text
    items = {i["item_code"]: i for i in got.json()["$items"]}
    assert set(items) == {p["item_code"] for p in sim.tables["products"].items}
    tea = items["THE-004"]
    assert (tea["location"], tea["$path"]) == ("Main store", f"/stock_items/{tea['id']}")
    assert tea["quantity_in_stock"] == sim.product_for("THE-004")["quantity_in_stock"]
    stamp = "2030-01-01T00:00:00Z"
    set_stock(sim.tables, "THE-004", Decimal(9), stamp)
    set_selling_price(sim.tables, "CAFE-005", Decimal("10.4"), stamp)
    changed = sage.get("stock_items", params={"attributes": "all", "updated_or_created_since": stamp}).json()
    assert {i["item_code"]: (i["quantity_in_stock"], i["sales_prices"][0]["price"]) for i in changed["$items"]} == \
        {"THE-004": ("9.00", tea["sales_prices"][0]["price"]), "CAFE-005": (items["CAFE-005"]["quantity_in_stock"], "10.40")}
    assert sim.product_for("THE-004")["quantity_in_stock"] == "9.00"
    assert sim.product_for("CAFE-005")["sales_prices"][0]["price"] == "10.40"


def test_price_list_lines_are_paged_and_filtered_by_code_and_product(sb, x3):
    prices = sb.sim("sagex3").catalogue.prices
    rows = _all(x3, PRICES, representation="SPRICLIST.$query", count=9)
    assert [r["KEY"] for r in rows] == sorted(prices.lines) and {r["PLI"] for r in rows} == {"T20", "T50"}
    banded = next(r["PLICRI1"] for r in rows if r["PLI"] == "T20" and r["MINQTY"] == 50)
    got = _all(x3, PRICES, representation="SPRICLIST.$query",
               where=f"PLI in ('T20') and PLICRI1 eq '{banded}'")
    assert [(r["MINQTY"], r["MAXQTY"], r["PLICRI2"]) for r in got] == [(0, 9, "B2B"), (10, 49, "B2B"), (50, 0, "B2B")]
    assert got[0]["PRI"] > got[1]["PRI"] > got[2]["PRI"] and got[0]["CUR"] == "EUR"
    promos = _all(x3, PRICES, representation="SPRICLIST.$query", where="PLI eq 'T50'")
    assert promos and {(r["PLICRI2"], r["PLISTRDAT"]) for r in promos} == {("", "2026-11-02")}
    assert {r["PLIENDDAT"] for r in promos} == {"2027-01-31", "1753-01-01"}
    stamp = max(r["UPDDATTIM"] for r in rows)
    prices.set_dates(promos[0]["KEY"], "2026-12-01", "2026-12-24")
    later = _all(x3, PRICES, representation="SPRICLIST.$query", where=f"UPDDATTIM gt @{stamp}@")
    assert [(r["KEY"], r["PLISTRDAT"], r["PLIENDDAT"]) for r in later] == \
        [(promos[0]["KEY"], "2026-12-01", "2026-12-24")]


def test_products_carry_their_price_bands_and_the_bands_are_listed(sb, sage):
    sim = sb.sim("sage-accounting")
    types = sage.get("product_sales_price_types", params={"attributes": "all"}).json()["$items"]
    assert [(t["name"], t["active"]) for t in types] == [("Selling Price", True), ("Trade", True), ("RRP", True)]
    ids = {t["name"]: t["id"] for t in types}
    products = sage.get("products", params={"attributes": "all", "items_per_page": 200}).json()["$items"]
    bands = {p["item_code"]: {b["price_name"]: b for b in p["sales_prices"]} for p in products}
    assert all(b["Selling Price"]["product_sales_price_type"]["id"] == ids["Selling Price"] for b in bands.values())
    trade = [code for code, b in bands.items() if "Trade" in b]
    assert 0 < len(trade) < len(bands) and any("RRP" in b for b in bands.values())
    code = trade[0]
    assert Decimal(bands[code]["Trade"]["price"]) == \
        (Decimal(bands[code]["Selling Price"]["price"]) * Decimal("0.8")).quantize(Decimal("0.01"))
    set_band_price(sim.tables, code, "Trade", Decimal("3.3"), "2031-01-01T00:00:00Z")
    remove_band(sim.tables, trade[1], "Trade", "2031-01-01T00:00:00Z")
    changed = sage.get("products", params={"attributes": "all", "updated_or_created_since": "2031-01-01T00:00:00Z"})
    got = {p["item_code"]: {b["price_name"]: b["price"] for b in p["sales_prices"]} for p in changed.json()["$items"]}
    assert got[code]["Trade"] == "3.30" and "Trade" not in got[trade[1]] and set(got) == {code, trade[1]}


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_catalogue_writes_are_not_simulated(sage, method):
    path = "products" if method == "POST" else "products/x"
    got = sage.request(method, path, json={"product": {"description": "x"}})
    assert got.status_code == 501 and "not simulated" in got.text
