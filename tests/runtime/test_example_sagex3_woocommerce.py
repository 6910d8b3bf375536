"""The Sage X3 -> WooCommerce catalogue template (specs/examples/sagex3-woocommerce/) run end to end with
``passerelle run`` against the X3 simulator (SData ITMMASTER / ITMMVT) and the WooCommerce simulator, read
back through WooCommerce's REST API; a second run sends nothing; one price and one stock change in X3 send
exactly those two updates."""
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
FLOWS = ("categories_to_shop", "products_to_shop", "stock_to_shop")
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
    assert shop["products"]["THE-004"]["tax_class"] == "reduced-rate"
    assert shop["products"]["CARTE-CADEAU-008"]["tax_class"] == "zero-rate"

    # a second run sends nothing
    sim.requests.clear()
    for flow in FLOWS:
        again = run_flow(project, state, env, monkeypatch, flow)
        assert (again["created"], again["updated"], again["failed"]) == (0, 0, 0), (flow, again)
    assert _writes(sim) == []

    # one price and one stock quantity (one site) change in X3: exactly those two updates are sent
    x3.set_price("CAFE-005", Decimal("10.40"))
    x3.set_stock("THE-004", "FR012", Decimal(3))
    sim.requests.clear()
    for flow in FLOWS:
        run_flow(project, state, env, monkeypatch, flow)
    ids = {sku: p["id"] for sku, p in shop["products"].items()}
    assert sorted(_writes(sim)) == sorted([("PUT", f"/wp-json/wc/v3/products/{ids['CAFE-005']}"),
                                           ("PUT", f"/wp-json/wc/v3/products/{ids['THE-004']}")])
    after = _read_back(wc)["products"]
    assert after["CAFE-005"]["regular_price"] == "10.40"
    assert after["THE-004"]["stock_quantity"] == int(x3.total_stock("THE-004"))


def test_validate_passes(running, monkeypatch):
    _, project, _, env = running
    code, out, err = cli(["validate", str(project)], env, monkeypatch)
    assert code == 0, out + err
