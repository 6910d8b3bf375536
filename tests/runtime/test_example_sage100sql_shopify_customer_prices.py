"""Sage customers' own prices (F_ARTCLIENT rows of a customer account) -> fixed prices on the B2B price list
of each customer's company location in Shopify (specs/examples/sage100sql-shopify/customer_prices_to_shop.yaml),
run end to end with ``passerelle run`` against the seeded Sage 100c database (SQLite through ODBC) and the
Shopify simulator, read back through its GraphQL API (``priceList.prices``): a customer with no list in
the template's table is set aside with the reason; a second run sends nothing; a changed price replaces
the variant's fixed price; a price deleted in Sage is deleted from the list."""
from __future__ import annotations

import shutil
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from runtime_support import cli, run_flow
from support import ROOT
from test_example_sage100sql_shopify import _gql

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "odbc"))  # the Sage databases of the ODBC tests
from odbc_support import _sage_templates, sage_database  # noqa: E402,F401 (fixtures)
from passerelle_sandbox import Sandbox  # noqa: E402

pytestmark = pytest.mark.slow

EXAMPLE = ROOT / "specs" / "examples" / "sage100sql-shopify"
FLOW = "customer_prices_to_shop"
LISTS = {"CL-DUPONT": "gid://shopify/PriceList/1004", "CL-ETOILE": "gid://shopify/PriceList/1005"}  # lookups.yaml
PRICES = """query P($id: ID!) { priceList(id: $id) { currency prices(first: 50) { nodes {
  originType variant { sku } price { amount currencyCode } } } } }"""


@pytest.fixture()
def running(sage_database, tmp_path, monkeypatch):
    db = sage_database("sqlite")
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".passerelle"))
    with Sandbox(systems=("shopify",), seed=1, orders=3) as sb:
        shop = sb.sim("shopify")
        # the B2B companies' location catalogs and their price lists, made once in the Shopify admin
        for customer, ident in LISTS.items():
            shop.price_lists.append({"id": int(ident.rsplit("/", 1)[1]), "gid": ident, "name": f"{customer} EUR",
                                     "currency": "EUR", "breaks": []})
        env = {"ACME_SAGE_ODBC": db.connection_string, "ACME_SAGE_DIALECT": "sqlite",
               "ACME_SHOPIFY_URL": sb.url("shopify"), "ACME_SHOPIFY_TOKEN": sb.credentials("shopify")["access_token"]}
        state = str(tmp_path / "state")
        for flow in ("categories_to_shop", "products_to_shop"):
            run_flow(project, state, env, monkeypatch, flow)
        yield db, shop, project, state, env


def _fixed(env: dict) -> dict:
    """Every fixed price of the customers' lists, as the API answers: (customer, SKU) -> amount."""
    out = {}
    for customer, ident in LISTS.items():
        data = _gql(env, PRICES, {"id": ident})["priceList"]
        for node in data["prices"]["nodes"]:
            assert (node["originType"], node["price"]["currencyCode"]) == ("FIXED", "EUR")
            out[customer, node["variant"]["sku"]] = Decimal(node["price"]["amount"])
    return out


def test_customer_prices_on_their_price_lists_then_nothing_then_only_the_changes(running, monkeypatch):
    db, shop, project, state, env = running
    sent = len(shop.write_requests)
    first = run_flow(project, state, env, monkeypatch, FLOW, code=3)  # CL-LEFEVRE has no list: set aside
    assert (first["created"], first["failed"]) == (3, 1), first
    assert len(shop.write_requests) == sent + 3
    assert _fixed(env) == {("CL-DUPONT", "THEIERE-08"): Decimal("39.9"), ("CL-DUPONT", "BOUG-VANILLE"): Decimal("9.9"),
                           ("CL-ETOILE", "TASSE-GRES"): Decimal("4.56")}
    code, out, _ = cli(["failures", str(project), "--state", state], env, monkeypatch)
    assert "PLAID-MERINOS/CL-LEFEVRE" in out and "customer_price_lists" in out

    sent = len(shop.write_requests)
    again = run_flow(project, state, env, monkeypatch, FLOW, code=3)
    assert (again["created"], again["updated"]) == (0, 0) and len(shop.write_requests) == sent
    before = _fixed(env)

    with db.connect() as conn:  # one customer price changed
        conn.execute('UPDATE "F_ARTCLIENT" SET "AC_PrixVen" = 37.5, "cbModification" = CURRENT_TIMESTAMP '
                     'WHERE "AR_Ref" = ? AND "CT_Num" = ?', "THEIERE-08", "CL-DUPONT")
    changed = run_flow(project, state, env, monkeypatch, FLOW, code=3)
    assert changed["updated"] == 1 and len(shop.write_requests) == sent + 1
    assert _fixed(env) == {**before, ("CL-DUPONT", "THEIERE-08"): Decimal("37.5")}

    with db.connect() as conn:  # a customer price deleted in Sage is deleted from the list
        conn.execute('DELETE FROM "F_ARTCLIENT" WHERE "AR_Ref" = ? AND "CT_Num" = ?', "TASSE-GRES", "CL-ETOILE")
    run_flow(project, state, env, monkeypatch, FLOW, code=3)
    assert len(shop.write_requests) == sent + 2
    assert ("CL-ETOILE", "TASSE-GRES") not in _fixed(env) and len(_fixed(env)) == 2
