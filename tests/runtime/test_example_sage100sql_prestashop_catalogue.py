"""The whole Sage 100 SQL -> PrestaShop catalogue (specs/examples/sage100sql-prestashop/) built end to end
with ``passerelle run`` against the seeded Sage 100c database (SQLite through ODBC) and the PrestaShop
simulator: categories, products (two languages, tax group, EAN, category, dormant ones inactive),
attribute groups and values, combinations, prices and stock, read back through the simulator's API; a
second run writes nothing; a changed tier, a changed stock quantity and a changed picture send exactly
those changes."""
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
from odbc_support import _sage_templates, sage_database  # noqa: E402,F401 (fixtures)
from passerelle_sandbox import Sandbox  # noqa: E402

EXAMPLE = ROOT / "specs" / "examples" / "sage100sql-prestashop"
# in the order they depend on each other (categories and attribute values before products' combinations)
FLOWS = ("categories_to_shop", "products_to_shop", "options_to_shop", "option_values_to_shop",
         "combinations_to_shop", "stock_to_shop", "variant_stock_to_shop", "category_prices_to_shop",
         "tier_prices_to_shop", "images_to_shop")
SUMMARY = re.compile(r"^(?P<flow>\w+): (?P<read>\d+) read, (?P<created>\d+) created, (?P<updated>\d+) updated",
                     re.M)
WRITES = ("POST", "PUT", "PATCH", "DELETE")
PHOTOS = {"BOUG-VANILLE": "C:\\Sage\\Photos\\bougie-vanille.png", "THEIERE-08": "C:\\Sage\\Photos\\theiere.png"}
PNG = b"\x89PNG\r\n\x1a\n"  # the simulator keeps the bytes and their SHA-256; it does not decode them


@pytest.fixture()
def running(sage_database, tmp_path):
    db = sage_database("sqlite")
    with db.connect() as conn:  # translations (language 1 of the company: English)
        conn.execute('UPDATE "F_ARTICLE" SET "AR_Langue1" = ? WHERE "AR_Ref" = ?', "Vanilla scented candle",
                     "BOUG-VANILLE")
        for ref, path in PHOTOS.items():  # pictures: paths on the Sage server
            conn.execute('UPDATE "F_ARTICLE" SET "AR_Photo" = ? WHERE "AR_Ref" = ?', path, ref)
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".passerelle"))
    (project / "images").mkdir(exist_ok=True)  # the copy of Sage's pictures folder
    for ref, path in PHOTOS.items():
        (project / "images" / path.split("\\")[-1]).write_bytes(PNG + ref.encode())
    with Sandbox(systems=("prestashop",), seed=1, orders=3) as sb:
        shop = sb.sim("prestashop")
        env = {"ACME_SAGE_ODBC": db.connection_string, "ACME_SAGE_DIALECT": "sqlite",
               "ACME_PS_URL": sb.url("prestashop"), "ACME_PS_KEY": sb.credentials("prestashop")["key"]}
        yield db, shop, project, str(tmp_path / "state"), env


def _run_all(project: Path, state: str, env: dict, monkeypatch) -> dict:
    out = {}
    for flow in FLOWS:
        code, _, err = cli(["run", str(project), "--state", state, "--flow", flow], env, monkeypatch)
        assert code == 0, (flow, err)
        (match,) = [m for m in SUMMARY.finditer(err) if m["flow"] == flow]
        out[flow] = (int(match["created"]), int(match["updated"]))
    return out


def _writes(shop) -> list[tuple[str, str]]:
    return [(method, path.split("?")[0]) for method, path, _ in shop.requests if method in WRITES]


def _catalogue(shop) -> dict:
    """The catalogue read back from the simulator's tables, by Sage reference."""
    t = shop.tables
    products = {p["reference"]: p for p in t["products"].values() if p.get("reference")}
    values = {v["id"]: v["name"][2] for v in t["product_option_values"].values()}
    stock = {(s["id_product"], s["id_product_attribute"]): s["quantity"] for s in t["stock_availables"].values()}
    return {
        "categories": {c["name"][2]: c["id_parent"] for c in t["categories"].values()},
        "products": {ref: (p["name"][1], p["name"][2], Decimal(str(p["price"])), p["id_tax_rules_group"],
                           p["ean13"], t["categories"][p["id_category_default"]]["name"][2], int(p["active"]),
                           stock.get((p["id"], 0))) for ref, p in products.items()},
        "options": sorted(o["name"][2] for o in t["product_options"].values()),
        "combinations": {c["reference"]: (t["products"][c["id_product"]]["reference"],
                                          sorted(values[v["id"]] for v in c["associations"]["product_option_values"]),
                                          stock.get((c["id_product"], c["id"])))
                         for c in t["combinations"].values() if c["reference"].startswith(("TS01", "NAPPE"))},
        "images": {t["products"][i["id_product"]]["reference"]: (i["id"], i["cover"], i["sha256"])
                   for i in shop.product_images.images.values()},
        "prices": sorted((t["products"][s["id_product"]]["reference"], int(s["id_group"]), int(s["from_quantity"]),
                          Decimal(str(s["price"])), Decimal(str(s["reduction"])), s["reduction_type"])
                         for s in t["specific_prices"].values()),
    }


def test_the_whole_catalogue_then_nothing_then_exactly_the_changes(running, monkeypatch):
    db, shop, project, state, env = running
    first = _run_all(project, state, env, monkeypatch)
    cat = _catalogue(shop)
    families = dict(db.rows('SELECT "FA_CodeFamille", "FA_Intitule" FROM "F_FAMILLE"'))
    assert {name: cat["categories"][name] for name in families.values()} == {n: 2 for n in families.values()}
    articles = db.rows('SELECT "AR_Ref", "AR_PrixTTC" FROM "F_ARTICLE"')
    assert set(cat["products"]) >= {ref for ref, ttc in articles if not ttc}
    assert cat["products"]["BOUG-VANILLE"][:6] == ("Vanilla scented candle", "Bougie parfumée vanille",
                                                   Decimal("12.9"), 1, cat["products"]["BOUG-VANILLE"][4],
                                                   cat["products"]["BOUG-VANILLE"][5])
    assert cat["products"]["BOUG-VANILLE"][4].isdigit() and cat["products"]["BOUG-NOEL"][6] == 0  # dormant
    assert cat["products"]["THEIERE-08"][0] == cat["products"]["THEIERE-08"][1]  # no translation: French
    assert cat["options"] == ["Couleur", "Taille"]
    variants = db.rows('SELECT "AE_Ref" FROM "F_ARTENUMREF" WHERE "AE_Sommeil" = 0')
    assert set(cat["combinations"]) == {ref for (ref,) in variants}
    ts = next(v for ref, v in cat["combinations"].items() if ref.startswith("TS01"))
    assert ts[0] == "TS01" and len(ts[1]) == 2 and ts[2] is not None
    assert ("BOUG-VANILLE", 4, 10, Decimal("-1"), Decimal("0.1"), "percentage") in cat["prices"]
    assert first["products_to_shop"][0] >= 30 and first["combinations_to_shop"][0] == len(variants)
    assert set(cat["images"]) == set(PHOTOS) and {i[1] for i in cat["images"].values()} == {1}  # covers

    shop.requests.clear()
    again = _run_all(project, state, env, monkeypatch)
    assert _writes(shop) == [] and set(again.values()) == {(0, 0)}
    assert _catalogue(shop) == cat

    (project / "images" / "theiere.png").write_bytes(PNG + b"a new picture")  # one image
    with db.connect() as conn:  # one price tier, one stock quantity
        conn.execute('UPDATE "F_TARIFQTE" SET "TQ_Remise01REM_Valeur" = 12, "cbModification" = CURRENT_TIMESTAMP '
                     'WHERE "AR_Ref" = ? AND "TQ_BorneSup" = 99', "BOUG-VANILLE")
        conn.execute('UPDATE "F_ARTSTOCK" SET "AS_QteSto" = "AS_QteSto" + 5, "cbModification" = CURRENT_TIMESTAMP '
                     'WHERE "AR_Ref" = ? AND "DE_No" = 2', "TASSE-GRES")
    shop.requests.clear()
    _run_all(project, state, env, monkeypatch)
    sent = _writes(shop)
    assert sorted(m for m, _ in sent) == ["PATCH", "PATCH", "POST"], sent
    after = _catalogue(shop)
    image = cat["images"]["THEIERE-08"]
    (teapot,) = [p["id"] for p in shop.tables["products"].values() if p["reference"] == "THEIERE-08"]
    assert ("POST", f"/api/images/products/{teapot}/{image[0]}") in sent  # replaced in place (ps_method=PUT)
    assert after["images"]["THEIERE-08"][0] == image[0] and after["images"]["THEIERE-08"][2] != image[2]
    assert after["images"]["BOUG-VANILLE"] == cat["images"]["BOUG-VANILLE"]
    assert ("BOUG-VANILLE", 4, 10, Decimal("-1"), Decimal("0.12"), "percentage") in after["prices"]
    assert after["products"]["TASSE-GRES"][7] == cat["products"]["TASSE-GRES"][7] + 5
