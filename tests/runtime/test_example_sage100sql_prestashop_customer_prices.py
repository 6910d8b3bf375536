"""Sage customers' own prices (F_ARTCLIENT rows of a customer account) -> PrestaShop specific prices for
that customer (specs/examples/sage100sql-prestashop/customer_prices_to_shop.yaml), run end to end with
``passerelle run`` against the seeded Sage 100c database (SQLite through ODBC) and the PrestaShop
simulator: the customer is found by e-mail in the shop, a customer without an account is set aside with
the reason; a second run sends nothing; a changed price is sent alone; a price deleted in Sage is deleted
in the shop; the set-aside customer's price goes once the account exists."""
from __future__ import annotations

import shutil
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from runtime_support import cli, run_flow
from support import ROOT

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "odbc"))  # the Sage databases of the ODBC tests
from odbc_support import _sage_templates, sage_database  # noqa: E402,F401 (fixtures)
from passerelle_sandbox import Sandbox  # noqa: E402

pytestmark = pytest.mark.slow

EXAMPLE = ROOT / "specs" / "examples" / "sage100sql-prestashop"
FLOW = "customer_prices_to_shop"
WRITES = ("POST", "PUT", "PATCH", "DELETE")


@pytest.fixture()
def running(sage_database, tmp_path, monkeypatch):
    db = sage_database("sqlite")
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".passerelle"))
    with Sandbox(systems=("prestashop",), seed=1, orders=3) as sb:
        shop = sb.sim("prestashop")
        env = {"ACME_SAGE_ODBC": db.connection_string, "ACME_SAGE_DIALECT": "sqlite",
               "ACME_PS_URL": sb.url("prestashop"), "ACME_PS_KEY": sb.credentials("prestashop")["key"]}
        state = str(tmp_path / "state")
        for flow in ("categories_to_shop", "subcategories_to_shop", "products_to_shop"):
            run_flow(project, state, env, monkeypatch, flow)
        # two of Sage's B2B customers have a shop account (the e-mail typed differently in one)
        ids = {"CL-DUPONT": _account(shop, " CL-Dupont@Exemple.fr", "Dupont"),
               "CL-ETOILE": _account(shop, "cl-etoile@exemple.fr", "Étoile")}
        yield db, shop, project, state, env, ids


def _account(shop, email: str, name: str) -> int:
    """A customer account registered in the shop (the simulator's webservice does not create customers)."""
    customers = shop.tables["customers"]
    cid = max(customers) + 1
    customers[cid] = {**customers[min(customers)], "id": cid, "email": email, "lastname": name, "firstname": "B2B",
                      "company": name}
    return cid


def _customer_prices(shop) -> dict:
    """The specific prices of one customer, by (Sage reference, shop customer id)."""
    refs = {p["id"]: p["reference"] for p in shop.tables["products"].values()}
    return {(refs[s["id_product"]], int(s["id_customer"])): (int(s["id_group"]), int(s["from_quantity"]),
                                                             Decimal(str(s["price"])), s["reduction_type"])
            for s in shop.tables["specific_prices"].values() if int(s["id_customer"])}


def _writes(shop) -> list[tuple[str, str]]:
    return [(method, path.split("?")[0]) for method, path, _ in shop.requests if method in WRITES]


def test_customer_prices_built_then_nothing_then_only_the_changes(running, monkeypatch):
    db, shop, project, state, env, ids = running
    shop.requests.clear()
    first = run_flow(project, state, env, monkeypatch, FLOW, code=3)  # one price set aside
    assert (first["created"], first["failed"]) == (3, 1), first
    prices = _customer_prices(shop)
    assert prices == {
        ("THEIERE-08", ids["CL-DUPONT"]): (0, 1, Decimal("39.9"), "amount"),
        ("BOUG-VANILLE", ids["CL-DUPONT"]): (0, 1, Decimal("9.9"), "amount"),
        ("TASSE-GRES", ids["CL-ETOILE"]): (0, 1, Decimal("4.56"), "amount")}  # purchase price 2.40 × 1.9
    # the customer with no shop account: set aside, saying who and why
    code, out, _ = cli(["failures", str(project), "--state", state], env, monkeypatch)
    assert "PLAID-MERINOS/CL-LEFEVRE" in out and "no PrestaShop account with the e-mail 'cl-lefevre@exemple.fr'" in out

    shop.requests.clear()
    again = run_flow(project, state, env, monkeypatch, FLOW, code=3)
    assert (again["created"], again["updated"]) == (0, 0) and _writes(shop) == []
    assert _customer_prices(shop) == prices

    ids_of = {(p[0], p[1]): k for k, p in _spec_ids(shop).items()}
    with db.connect() as conn:  # one customer price changed: the coefficient of the Étoile's cups
        conn.execute('UPDATE "F_ARTCLIENT" SET "AC_Coef" = 2, "cbModification" = CURRENT_TIMESTAMP '
                     'WHERE "AR_Ref" = ? AND "CT_Num" = ?', "TASSE-GRES", "CL-ETOILE")
    shop.requests.clear()
    run_flow(project, state, env, monkeypatch, FLOW, code=3)
    assert _writes(shop) == [("PATCH", f"/api/specific_prices/{ids_of['TASSE-GRES', ids['CL-ETOILE']]}")]
    assert _customer_prices(shop)["TASSE-GRES", ids["CL-ETOILE"]][2] == Decimal("4.8")

    with db.connect() as conn:  # a customer price deleted in Sage is deleted in the shop
        conn.execute('DELETE FROM "F_ARTCLIENT" WHERE "AR_Ref" = ? AND "CT_Num" = ?', "BOUG-VANILLE", "CL-DUPONT")
    shop.requests.clear()
    run_flow(project, state, env, monkeypatch, FLOW, code=3)
    assert _writes(shop) == [("DELETE", f"/api/specific_prices/{ids_of['BOUG-VANILLE', ids['CL-DUPONT']]}")]
    assert ("BOUG-VANILLE", ids["CL-DUPONT"]) not in _customer_prices(shop)

    # the customer opens an account: its price goes with the next run, nothing else
    lefevre = _account(shop, "cl-lefevre@exemple.fr", "Lefèvre")
    shop.requests.clear()
    last = run_flow(project, state, env, monkeypatch, FLOW)
    assert (last["created"], last["failed"]) == (1, 0) and [m for m, _ in _writes(shop)] == ["POST"]
    assert _customer_prices(shop)["PLAID-MERINOS", lefevre] == (0, 1, Decimal("84"), "amount")


def _spec_ids(shop) -> dict:
    refs = {p["id"]: p["reference"] for p in shop.tables["products"].values()}
    return {k: (refs[s["id_product"]], int(s["id_customer"])) for k, s in shop.tables["specific_prices"].items()
            if int(s["id_customer"])}
