"""The whole Sage 100 SQL -> PrestaShop catalogue (specs/examples/sage100sql-prestashop/) built end to end
with ``passerelle run`` against the seeded Sage 100c database (SQLite through ODBC) and the PrestaShop
simulator: categories, products (two languages, tax group, EAN, category, dormant ones inactive),
attribute groups and values, combinations, prices and stock, read back through the simulator's API; a
second run writes nothing; a changed tier, a changed stock quantity and a changed picture send exactly
those changes."""
from __future__ import annotations

import hashlib
import re
import shutil
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from runtime_support import cli
from support import ROOT

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "odbc"))  # the Sage databases of the ODBC tests
from odbc_support import _sage_templates, sage_database  # noqa: E402,F401 (fixtures)
from passerelle_sandbox import Sandbox  # noqa: E402
from passerelle_sandbox.sage100sql_media import write_media  # noqa: E402

EXAMPLE = ROOT / "specs" / "examples" / "sage100sql-prestashop"
# in the order they depend on each other (categories and attribute values before products' combinations)
FLOWS = ("categories_to_shop", "subcategories_to_shop", "products_to_shop", "options_to_shop",
         "option_values_to_shop", "combinations_to_shop", "stock_to_shop", "variant_stock_to_shop", "category_prices_to_shop",
         "tier_prices_to_shop", "promotions_to_shop", "images_to_shop")
SUMMARY = re.compile(r"^(?P<flow>\w+): (?P<read>\d+) read, (?P<created>\d+) created, (?P<updated>\d+) updated",
                     re.M)
WRITES = ("POST", "PUT", "PATCH", "DELETE")
# the seeded articles' image files (AR_Photo first, then F_ARTICLEMEDIA pictures), under the media share
IMAGES = {"BOUG-VANILLE": ["articles/bougie-vanille.png"],
          "THEIERE-08": ["articles/theiere-fonte-08.jpg", "articles/theiere-fonte-08-dos.jpg"],
          "TS01": ["articles/tshirt-bio.png", "articles/tshirt-bio-rouge.png"], "NAPPE-LIN": ["articles/nappe-lin.jpg"]}


@pytest.fixture()
def running(sage_database, tmp_path):
    db = sage_database("sqlite")
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".passerelle"))
    write_media(project / "images")  # the Sage media share (\\SAGE-SRV\Medias\) as the project's images/
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
        "images": _images(shop),
        "prices": sorted((t["products"][s["id_product"]]["reference"], int(s["id_group"]), int(s["from_quantity"]),
                          Decimal(str(s["price"])), Decimal(str(s["reduction"])), s["reduction_type"])
                         for s in t["specific_prices"].values()),
    }


def cat_id(shop, reference: str):
    """The shop's product id of a Sage reference."""
    (pid,) = [p["id"] for p in shop.tables["products"].values() if p.get("reference") == reference]
    return pid


def _promotions(shop) -> dict:
    """The dated specific prices by Sage reference: (group, reduction, from, to)."""
    refs = {p["id"]: p["reference"] for p in shop.tables["products"].values()}
    return {refs[s["id_product"]]: (str(s["id_group"]), Decimal(str(s["reduction"])), s["from"], s["to"])
            for s in shop.tables["specific_prices"].values() if s["from"] != "0000-00-00 00:00:00"}


def _images(shop) -> dict:
    """Each product's images by Sage reference, in upload order: (image id, cover, SHA-256 of the bytes)."""
    out: dict = {}
    for i in sorted(shop.product_images.images.values(), key=lambda i: int(i["id"])):
        out.setdefault(shop.tables["products"][i["id_product"]]["reference"], []).append(
            (i["id"], i["cover"], i["sha256"]))
    return out


def test_the_whole_catalogue_then_nothing_then_exactly_the_changes(running, monkeypatch):
    db, shop, project, state, env = running
    first = _run_all(project, state, env, monkeypatch)
    cat = _catalogue(shop)
    # the families' tree: the centralisers and the families under none under Home, the others under theirs
    families = db.rows('SELECT f."FA_Intitule", p."FA_Intitule" FROM "F_FAMILLE" f LEFT JOIN "F_FAMILLE" p '
                       'ON p."FA_CodeFamille" = f."FA_Central" AND p."FA_CodeFamille" <> f."FA_CodeFamille"')
    ids = {c["name"][2]: c["id"] for c in shop.tables["categories"].values()}
    assert {name: cat["categories"][name] for name, _ in families} == \
        {name: ids[parent] if parent else 2 for name, parent in families}
    assert {parent for _, parent in families} == {None, "Maison & décoration", "Épicerie fine"}
    articles = db.rows('SELECT "AR_Ref", "AR_PrixTTC" FROM "F_ARTICLE"')
    assert set(cat["products"]) >= {ref for ref, ttc in articles if not ttc}
    assert cat["products"]["BOUG-VANILLE"][:6] == ("Vanilla scented candle", "Bougie parfumée vanille",
                                                   Decimal("12.9"), 1, cat["products"]["BOUG-VANILLE"][4],
                                                   cat["products"]["BOUG-VANILLE"][5])
    assert cat["products"]["BOUG-VANILLE"][4].isdigit() and cat["products"]["BOUG-NOEL"][6] == 0  # dormant
    assert cat["products"]["THEIERE-08"][:2] == ("Cast iron teapot 0.8 L", "Théière fonte 0,8 L")  # AR_Langue1
    assert cat["products"]["THEIERE-12"][0] == cat["products"]["THEIERE-12"][1]  # no translation: French
    assert cat["options"] == ["Couleur", "Taille"]
    variants = db.rows('SELECT "AE_Ref" FROM "F_ARTENUMREF" WHERE "AE_Sommeil" = 0')
    assert set(cat["combinations"]) == {ref for (ref,) in variants}
    ts = next(v for ref, v in cat["combinations"].items() if ref.startswith("TS01"))
    assert ts[0] == "TS01" and len(ts[1]) == 2 and ts[2] is not None
    assert ("BOUG-VANILLE", 4, 10, Decimal("-1"), Decimal("0.1"), "percentage") in cat["prices"]
    assert first["products_to_shop"][0] >= 30 and first["combinations_to_shop"][0] == len(variants)
    # every image file of the seeded articles, the photo first and the cover, each the bytes of its file
    media = project / "images"
    assert {ref: [(cover, sha) for _, cover, sha in images] for ref, images in cat["images"].items()} == {
        ref: [(int(n == 0), hashlib.sha256((media / f).read_bytes()).hexdigest()) for n, f in enumerate(files)]
        for ref, files in IMAGES.items()}

    # promotions: each article of a dated Sage discount scheme, its dates, its group (none: every group)
    assert _promotions(shop) == {
        "THEIERE-08": ("0", Decimal("0.2"), "2023-01-11 00:00:00", "2023-02-07 00:00:00"),  # past: kept, inactive
        "THE-SENCHA": ("3", Decimal("0.1"), "2024-01-01 00:00:00", "2099-12-31 00:00:00"),  # category 1 -> group 3
        "THE-MATCHA": ("3", Decimal("0.1"), "2024-01-01 00:00:00", "2099-12-31 00:00:00"),
        "PLAID-MERINOS": ("0", Decimal("0.25"), "2099-01-01 00:00:00", "2099-03-31 00:00:00")}

    shop.requests.clear()
    again = _run_all(project, state, env, monkeypatch)
    assert _writes(shop) == [] and set(again.values()) == {(0, 0)}
    assert _catalogue(shop) == cat

    photo = media / IMAGES["THEIERE-08"][0]  # one image: the teapot's photo (the JPEG's last bytes)
    photo.write_bytes(photo.read_bytes()[:-2] + b"\x00\x01\xff\xd9")
    with db.connect() as conn:  # one price tier, one stock quantity
        conn.execute('UPDATE "F_TARIFQTE" SET "TQ_Remise01REM_Valeur" = 12, "cbModification" = CURRENT_TIMESTAMP '
                     'WHERE "AR_Ref" = ? AND "TQ_BorneSup" = 99', "BOUG-VANILLE")
        conn.execute('UPDATE "F_ARTSTOCK" SET "AS_QteSto" = "AS_QteSto" + 5, "cbModification" = CURRENT_TIMESTAMP '
                     'WHERE "AR_Ref" = ? AND "DE_No" = 2', "TASSE-GRES")
        # one promotion date: the throw's launch offer ends a month later
        conn.execute('UPDATE "F_TARIF" SET "TF_Fin" = ?, "cbModification" = CURRENT_TIMESTAMP WHERE "TF_No" = 3',
                     datetime(2099, 4, 30))
    shop.requests.clear()
    _run_all(project, state, env, monkeypatch)
    sent = _writes(shop)
    assert sorted(m for m, _ in sent) == ["PATCH", "PATCH", "PATCH", "POST"], sent
    after = _catalogue(shop)
    image = cat["images"]["THEIERE-08"][0]
    (teapot,) = [p["id"] for p in shop.tables["products"].values() if p["reference"] == "THEIERE-08"]
    assert ("POST", f"/api/images/products/{teapot}/{image[0]}") in sent  # replaced in place (ps_method=PUT)
    assert after["images"]["THEIERE-08"][0][:2] == image[:2] and after["images"]["THEIERE-08"][0][2] != image[2]
    assert after["images"]["THEIERE-08"][1:] == cat["images"]["THEIERE-08"][1:]
    assert {ref: i for ref, i in after["images"].items() if ref != "THEIERE-08"} == \
        {ref: i for ref, i in cat["images"].items() if ref != "THEIERE-08"}
    assert ("BOUG-VANILLE", 4, 10, Decimal("-1"), Decimal("0.12"), "percentage") in after["prices"]
    assert after["products"]["TASSE-GRES"][7] == cat["products"]["TASSE-GRES"][7] + 5
    assert _promotions(shop)["PLAID-MERINOS"][3] == "2099-04-30 00:00:00"

    # a tier removed in Sage is removed in the shop. Sage's bands end at TQ_BorneSup: deleting the band up to
    # 99 makes the last band (15 %) start at 10, so the from-10 price is changed and the from-100 one deleted
    tiers = {int(s["from_quantity"]): k for k, s in shop.tables["specific_prices"].items()
             if s["id_product"] == cat_id(shop, "BOUG-VANILLE") and int(s["id_group"]) == 4}
    with db.connect() as conn:
        conn.execute('DELETE FROM "F_TARIFQTE" WHERE "AR_Ref" = ? AND "TQ_BorneSup" = 99', "BOUG-VANILLE")
    shop.requests.clear()
    _run_all(project, state, env, monkeypatch)
    assert sorted(_writes(shop)) == [("DELETE", f"/api/specific_prices/{tiers[100]}"),
                                     ("PATCH", f"/api/specific_prices/{tiers[10]}")]
    assert tiers[100] not in shop.tables["specific_prices"]
    assert [p for p in _catalogue(shop)["prices"] if p[:2] == ("BOUG-VANILLE", 4) and p[2] > 1] == [
        ("BOUG-VANILLE", 4, 10, Decimal("-1"), Decimal("0.15"), "percentage")]
