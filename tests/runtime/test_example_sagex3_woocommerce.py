"""The Sage X3 -> WooCommerce catalogue template (specs/examples/sagex3-woocommerce/) run end to end with
``passerelle run`` against the X3 simulator (SData ITMMASTER / ITMMVT / SPRICLIST) and the WooCommerce
simulator, read back through WooCommerce's REST API: categories, products, stock, the customer category's
prices and quantity bands (Wholesale Prices meta) and the dated promotions (sale price and dates); a second
run sends nothing; one price, one stock quantity, one quantity band and one promotion date changed in X3
send exactly those four updates; a band deleted in X3 is gone from the shop's rules."""
from __future__ import annotations

import shutil
import sys
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from runtime_support import cli, run_flow, woo_every
from support import ROOT

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sandbox"))
from passerelle_sandbox import Sandbox  # noqa: E402
from test_sandbox_woocommerce import woo_client  # noqa: E402

EXAMPLE = ROOT / "specs" / "examples" / "sagex3-woocommerce"
FLOWS = ("categories_to_shop", "products_to_shop", "stock_to_shop", "group_prices_to_shop", "promotions_to_shop")
WRITES = ("POST", "PUT", "PATCH", "DELETE")


@pytest.fixture()
def running(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".passerelle"))
    with Sandbox(systems=("sagex3", "woocommerce"), seed=1, orders=1) as sb:
        x3, wc = sb.credentials("sagex3"), sb.credentials("woocommerce")
        env = {"ACME_X3_URL": sb.url("sagex3"), "ACME_X3_USER": x3["username"], "ACME_X3_PASSWORD": x3["password"],
               "ACME_X3_POOL": x3["pool"], "ACME_X3_FOLDER": x3["folder"],
               "ACME_WC_URL": sb.url("woocommerce"), "ACME_WC_KEY": wc["consumer_key"],
               "ACME_WC_SECRET": wc["consumer_secret"]}
        yield sb, project, str(tmp_path / "state"), env



def _writes(sim) -> list[tuple[str, str]]:
    return [(method, path.split("?")[0]) for method, path, _ in sim.requests if method in WRITES]


def _read_back(wc: httpx.Client) -> dict:
    return {"categories": {c["slug"]: c for c in woo_every(wc, "products/categories")},
            "products": {p["sku"]: p for p in woo_every(wc, "products")}}


def test_the_catalogue_once_then_nothing_then_only_the_changes(running, monkeypatch):
    sb, project, state, env = running
    x3, sim = sb.sim("sagex3").catalogue, sb.sim("woocommerce")
    sim.products.clear()  # a new shop: the simulator's own catalogue uses the same SKUs as variations
    sim.variations.clear()
    first = {flow: run_flow(project, state, env, monkeypatch, flow) for flow in FLOWS}
    assert all(s["failed"] == 0 for s in first.values()), first
    wc = woo_client(sb)
    shop = _read_back(wc)

    codes = {item["TCLCOD"] for item in x3.items.values()}
    assert {code.lower() for code in codes} <= set(shop["categories"])
    for ref, item in x3.items.items():
        product = shop["products"][ref]
        assert (product["name"], product["regular_price"], product["global_unique_id"]) == \
            (item["ITMDES1"], f"{item['BASPRI']:.2f}", item["EANCOD"]), ref
        assert product["weight"] == str(item["ITMWEI"])
        assert [c["slug"] for c in product["categories"]] == [item["TCLCOD"].lower()]
        assert product["status"] == ("draft" if item["ITMSTA"] == 6 else "publish")
        assert product["stock_quantity"] == int(x3.total_stock(ref)), ref
        _check_prices(x3.prices, ref, product)
    assert shop["products"]["THE-004"]["tax_class"] == "reduced-rate"
    assert shop["products"]["CARTE-CADEAU-008"]["tax_class"] == "zero-rate"

    # a second run sends nothing
    sim.requests.clear()
    for flow in FLOWS:
        again = run_flow(project, state, env, monkeypatch, flow)
        assert (again["created"], again["updated"], again["failed"]) == (0, 0, 0), (flow, again)
    assert _writes(sim) == []

    # one price, one stock quantity (one site), one quantity band's price and one promotion's end date
    # change in X3: exactly those four updates are sent
    banded = next(ref for ref in sorted(x3.items) if len(x3.prices.of(ref, "T20")) == 3)
    promoted = next(ref for ref in sorted(x3.items) if x3.prices.of(ref, "T50") and ref != banded)
    x3.set_price("CAFE-005", Decimal("10.40"))
    x3.set_stock("THE-004", "FR012", Decimal(3))
    x3.prices.set_price(x3.prices.of(banded, "T20")[2]["KEY"], Decimal("1.11"))
    x3.prices.set_dates(x3.prices.of(promoted, "T50")[0]["KEY"], "2026-11-02", "2027-02-14")
    sim.requests.clear()
    for flow in FLOWS:
        run_flow(project, state, env, monkeypatch, flow)
    ids = {sku: p["id"] for sku, p in shop["products"].items()}
    assert sorted(_writes(sim)) == sorted(("PUT", f"/wp-json/wc/v3/products/{ids[ref]}")
                                          for ref in ("CAFE-005", "THE-004", banded, promoted))
    after = _read_back(wc)["products"]
    assert after["CAFE-005"]["regular_price"] == "10.40"
    assert after["THE-004"]["stock_quantity"] == int(x3.total_stock("THE-004"))
    assert _meta(after[banded])["wwpp_post_meta_quantity_discount_rule_mapping"][1]["wholesale_price"] == "1.11"
    assert after[promoted]["date_on_sale_to_gmt"] == "2027-02-14T22:59:59"
    for ref in (banded, promoted):
        _check_prices(x3.prices, ref, after[ref])

    # a quantity band deleted in X3: the product's rules are sent again without it, nothing else is sent
    x3.prices.delete(x3.prices.of(banded, "T20")[2]["KEY"])
    sim.requests.clear()
    for flow in FLOWS:
        run_flow(project, state, env, monkeypatch, flow)
    assert _writes(sim) == [("PUT", f"/wp-json/wc/v3/products/{ids[banded]}")]
    _check_prices(x3.prices, banded, _read_back(wc)["products"][banded])
    assert len(_meta(_read_back(wc)["products"][banded])["wwpp_post_meta_quantity_discount_rule_mapping"]) == 1


def _meta(product: dict) -> dict:
    return {m["key"]: m["value"] for m in product["meta_data"]}


def _check_prices(prices, ref: str, product: dict) -> None:
    """The product carries X3's T20 lines as Wholesale Prices meta and its T50 line as the sale."""
    meta, lines = _meta(product), prices.of(ref, "T20")
    if lines:
        assert meta["wholesale_customer_wholesale_price"] == f"{lines[0]['PRI']:.2f}", ref
        assert meta["wholesale_customer_have_wholesale_price"] == "yes"
        assert meta["wwpp_post_meta_enable_quantity_discount_rule"] == ("yes" if len(lines) > 1 else "no")
        assert [(r["start_qty"], r["end_qty"], r["wholesale_price"])
                for r in meta["wwpp_post_meta_quantity_discount_rule_mapping"]] == \
            [(str(int(x["MINQTY"])), str(int(x["MAXQTY"])) if x["MAXQTY"] else "", f"{x['PRI']:.2f}")
             for x in lines[1:]], ref
    else:
        assert "wholesale_customer_wholesale_price" not in meta, ref
    promo = prices.of(ref, "T50")
    if promo:
        assert product["sale_price"] == f"{promo[0]['PRI']:.2f}", ref
        assert product["date_on_sale_from_gmt"] == "2026-11-01T23:00:00"
        assert product["date_on_sale_to_gmt"] == (None if promo[0]["PLIENDDAT"] == "1753-01-01" else
                                                  f"{promo[0]['PLIENDDAT']}T22:59:59"), ref
    else:
        assert (product["sale_price"], product["date_on_sale_from_gmt"]) == ("", None), ref


def test_validate_passes(running, monkeypatch):
    _, project, _, env = running
    code, out, err = cli(["validate", str(project)], env, monkeypatch)
    assert code == 0, out + err
