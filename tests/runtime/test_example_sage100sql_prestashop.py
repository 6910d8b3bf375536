"""The Sage 100 SQL -> PrestaShop example (specs/examples/sage100sql-prestashop/) run end to end with
``passerelle run``: the seeded Sage 100c database read through ODBC (the SQLite ODBC driver, and
PostgreSQL through psqlODBC), the PrestaShop simulator holding products whose references are Sage's.
Every flow run twice sends nothing the second time; a stock change in Sage re-sends that article only;
a dormant article becomes inactive; a changed category price changes its specific price in place."""
from __future__ import annotations

import re
import shutil
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from runtime_support import cli
from support import ROOT

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "odbc"))  # the Sage databases of the ODBC tests
from odbc_support import _sage_templates, sage_database, sage_engine  # noqa: E402,F401 (fixtures)
from pg_support import postgres_cluster  # noqa: E402,F401 (fixture)
from passerelle_sandbox import Sandbox  # noqa: E402

pytestmark = pytest.mark.slow  # starts the session's PostgreSQL cluster

EXAMPLE = ROOT / "specs" / "examples" / "sage100sql-prestashop"
FLOWS = ("categories_to_shop", "products_to_shop", "stock_to_shop", "category_prices_to_shop")
# the shop sells these Sage articles (simple products), with stale names, prices, weights and stock
SOLD = ("BOUG-VANILLE", "BOUG-FIGUE", "BOUG-NOEL", "THEIERE-08", "TASSE-GRES", "THE-EARLGREY", "TORCHON-LIN",
        "CARTE-50")
SUMMARY = re.compile(r"^(?P<flow>\w+): (?P<read>\d+) read, (?P<created>\d+) created, (?P<updated>\d+) updated, "
                     r"(?P<skipped>\d+) skipped, (?P<failed>\d+) failed", re.M)


@pytest.fixture()
def running(sage_engine, sage_database, tmp_path):
    db = sage_database(sage_engine, options=";UseDeclareFetch=1;Fetch=100" if sage_engine == "postgresql" else "")
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".passerelle"))
    with Sandbox(systems=("prestashop",), seed=1, orders=3) as sb:
        shop = sb.sim("prestashop")
        products = {ref: shop.add_product(ref, f"old {ref}", "1.00", quantity=0) for ref in SOLD}
        env = {"ACME_SAGE_ODBC": db.connection_string, "ACME_SAGE_DIALECT": sage_engine,
               "ACME_PS_URL": sb.url("prestashop"), "ACME_PS_KEY": sb.credentials("prestashop")["key"]}
        yield db, shop, products, project, str(tmp_path / "state"), env


def _run(project: Path, state: str, env: dict, monkeypatch, flow: str, code: int = 0) -> dict:
    got, _, err = cli(["run", str(project), "--state", state, "--flow", flow], env, monkeypatch)
    assert got == code, err
    (match,) = [m for m in SUMMARY.finditer(err) if m["flow"] == flow]
    return {k: int(v) for k, v in match.groupdict().items() if k != "flow"}


def _snapshot(shop, products: dict) -> dict:
    stock = {s["id_product"]: s["quantity"] for s in shop.tables["stock_availables"].values()}
    return {"products": {ref: (p["name"][2], Decimal(str(p["price"])), Decimal(str(p["weight"])), int(p["active"]),
                               stock[p["id"]]) for ref, p in products.items()},
            "prices": {k: (v["id_product"], int(v["id_group"]), Decimal(str(v["price"])))
                       for k, v in shop.tables["specific_prices"].items()}}


def test_every_flow_twice_sends_nothing_twice(running, monkeypatch):
    db, shop, products, project, state, env = running
    first = {flow: _run(project, state, env, monkeypatch, flow) for flow in FLOWS}
    after = _snapshot(shop, products)

    # the catalogue: every Sage article read, those the shop sells updated, a dormant one inactive
    assert first["products_to_shop"]["read"] == 40 and first["products_to_shop"]["failed"] == 0
    assert after["products"]["BOUG-VANILLE"][:4] == ("Bougie parfumée vanille", Decimal("12.9"), Decimal("0.35"), 1)
    assert after["products"]["THEIERE-08"][:4] == ("Théière fonte 0,8 L", Decimal("45.9"), Decimal("1.4"), 1)
    assert after["products"]["BOUG-NOEL"][3] == 0  # AR_Sommeil 1 in Sage
    assert [ref for ref, p in after["products"].items() if p[0].startswith("old ")] == []
    # the stock: forward, summed over both depots (BOUG-VANILLE: 10 + 5 - 3 in depot 1, 16 + 12 - 1 in 2)
    assert first["stock_to_shop"]["read"] == 37 and first["stock_to_shop"]["failed"] == 0
    assert after["products"]["BOUG-VANILLE"][4] == 12 + 27
    assert after["products"]["CARTE-50"][4] == 0  # no stock row in Sage: not read, left as it is
    expected_stock = dict(db.rows('SELECT "AR_Ref", SUM("AS_QteSto" + "AS_QteCom" - "AS_QteRes") FROM "F_ARTSTOCK" '
                                  'GROUP BY "AR_Ref"'))
    assert {ref: p[4] for ref, p in after["products"].items() if ref != "CARTE-50"} == \
        {ref: int(expected_stock[ref]) for ref in SOLD if ref != "CARTE-50"}
    # category prices: one specific price per sold article and category, for the mapped customer group
    prices = {(ref, group): price for _, (pid, group, price) in after["prices"].items()
              for ref, p in products.items() if p["id"] == pid}
    assert prices[("BOUG-VANILLE", 4)] == Decimal("10.32")  # category 2 (Revendeurs): AC_PrixVen
    assert prices[("THEIERE-08", 5)] == Decimal("40.7")  # category 3: AR_PrixAch 18.50 × AC_Coef 2.2
    assert len(prices) == 7 + 2  # 7 sold non-gift articles in category 2, 2 in 3
    # products_to_shop created the articles the shop did not sell yet: they have their prices too
    assert first["category_prices_to_shop"]["created"] == len(after["prices"]) > 9
    assert first["category_prices_to_shop"]["failed"] == 0

    for flow in FLOWS:  # the second run sends nothing, and the shop is unchanged
        again = _run(project, state, env, monkeypatch, flow)
        assert (again["created"], again["updated"], again["failed"]) == (0, 0, 0), (flow, again)
    assert _snapshot(shop, products) == after


def test_a_stock_change_in_sage_resends_only_that_article(running, monkeypatch):
    db, shop, products, project, state, env = running
    _run(project, state, env, monkeypatch, "stock_to_shop")
    before = _snapshot(shop, products)
    with db.connect() as conn:
        conn.execute('UPDATE "F_ARTSTOCK" SET "AS_QteSto" = "AS_QteSto" + 5 WHERE "AR_Ref" = ? AND "DE_No" = 2',
                     "TASSE-GRES")
    again = _run(project, state, env, monkeypatch, "stock_to_shop")
    assert (again["created"] + again["updated"], again["failed"]) == (1, 0)
    after = _snapshot(shop, products)
    changed = {ref for ref in SOLD if after["products"][ref] != before["products"][ref]}
    assert changed == {"TASSE-GRES"} and after["products"]["TASSE-GRES"][4] == before["products"]["TASSE-GRES"][4] + 5
    third = _run(project, state, env, monkeypatch, "stock_to_shop")
    assert (third["read"], third["created"] + third["updated"]) == (1, 0)  # the cursor moved past the rest


def test_a_dormant_article_becomes_inactive(running, monkeypatch):
    db, shop, products, project, state, env = running
    _run(project, state, env, monkeypatch, "categories_to_shop")  # the products' categories (cross-references)
    _run(project, state, env, monkeypatch, "products_to_shop")
    before = _snapshot(shop, products)
    assert before["products"]["TASSE-GRES"][3] == 1
    with db.connect() as conn:
        conn.execute('UPDATE "F_ARTICLE" SET "AR_Sommeil" = 1 WHERE "AR_Ref" = ?', "TASSE-GRES")
    catalogue = _run(project, state, env, monkeypatch, "products_to_shop")
    assert (catalogue["created"] + catalogue["updated"], catalogue["failed"]) == (1, 0)
    after = _snapshot(shop, products)
    assert after["products"]["TASSE-GRES"][3] == 0
    assert {ref for ref in SOLD if after["products"][ref] != before["products"][ref]} == {"TASSE-GRES"}


def _change_a_category_price(db, shop, products, project, state, env, monkeypatch, code: int) -> tuple:
    """One run of category_prices_to_shop, then a new Sage price for BOUG-VANILLE in category 2 and a
    second run: (the shop before the second run, its summary)."""
    _run(project, state, env, monkeypatch, "category_prices_to_shop")
    before = _snapshot(shop, products)
    with db.connect() as conn:
        conn.execute('UPDATE "F_ARTCLIENT" SET "AC_PrixVen" = 9.9 WHERE "AR_Ref" = ? AND "AC_Categorie" = 2',
                     "BOUG-VANILLE")
    return before, _run(project, state, env, monkeypatch, "category_prices_to_shop", code=code)


def test_a_changed_category_price_changes_its_specific_price_in_place(running, monkeypatch):
    db, shop, products, project, state, env = running
    before, prices = _change_a_category_price(db, shop, products, project, state, env, monkeypatch, code=0)
    assert (prices["created"], prices["updated"], prices["failed"]) == (0, 1, 0)
    after = _snapshot(shop, products)
    (ident,) = {k for k in after["prices"] if after["prices"][k] != before["prices"][k]}
    assert set(after["prices"]) == set(before["prices"])  # changed in place (PATCH with its <id>), none created
    assert after["prices"][ident] == (products["BOUG-VANILLE"]["id"], 4, Decimal("9.9"))


def test_a_refused_price_update_is_counted_as_failed(running, monkeypatch):
    """The specific price was deleted in PrestaShop's back office: its PATCH is refused (404, code 92) and
    the run says so — 1 failed, exit code 3 — instead of leaving the record out of its summary."""
    db, shop, products, project, state, env = running
    _run(project, state, env, monkeypatch, "category_prices_to_shop")
    vanilla = next(k for k, v in shop.tables["specific_prices"].items()
                   if v["id_product"] == products["BOUG-VANILLE"]["id"] and v["id_group"] == 4)
    before = shop.tables["specific_prices"].pop(vanilla)
    with db.connect() as conn:
        conn.execute('UPDATE "F_ARTCLIENT" SET "AC_PrixVen" = 9.9 WHERE "AR_Ref" = ? AND "AC_Categorie" = 2',
                     "BOUG-VANILLE")
    prices = _run(project, state, env, monkeypatch, "category_prices_to_shop", code=3)
    assert (prices["created"], prices["updated"], prices["failed"]) == (0, 0, 1)
    assert prices["read"] == prices["skipped"] + 1  # every record read is in the summary
    # the cursor moved past it, but it is not lost: `failures` lists it and `replay` sends the update again
    code, out, err = cli(["failures", str(project), "--state", state], env, monkeypatch)
    assert code == 0 and out.count("error[update] flow category_prices_to_shop record ") == 1, out
    assert "1 update(s) refused (`replay` sends them again)" in err
    shop.tables["specific_prices"][vanilla] = {**before, "price": Decimal("1")}  # the consultant restores it
    code, out, err = cli(["replay", str(project), "--state", state, "--flow", "category_prices_to_shop"], env,
                         monkeypatch)
    assert code == 0 and "0 created, 1 updated" in err, err
    assert Decimal(str(shop.tables["specific_prices"][vanilla]["price"])) == Decimal("9.9")
    code, out, err = cli(["failures", str(project), "--state", state], env, monkeypatch)
    assert code == 0 and "error[update]" not in out


def test_validate_and_a_live_dry_run_pass(running, monkeypatch):
    _, shop, products, project, state, env = running
    code, out, err = cli(["validate", str(project)], env, monkeypatch)
    assert code == 0, out + err
    code, out, err = cli(["dry-run", str(project), "--flow", "stock_to_shop", "--limit", "5"], env, monkeypatch)
    assert code == 0, err
    assert "# stock_to_shop record BOUG-FIGUE\nPATCH " in out and "/api/stock_availables/" in out
    assert "stock_to_shop: 5 read live, 1 mapped, 4 skipped, 0 failed (nothing was written)" in err
    assert all(p["name"][1].startswith("old ") for p in products.values())  # a dry-run writes nothing
