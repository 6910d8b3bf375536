"""The Sage 100 SQL -> Smartstore catalogue template (specs/examples/sage100sql-smartstore/) run end to end with
``passerelle run``: the seeded Sage 100c database read through the SQLite ODBC driver, its media share
written next to the project, the Smartstore simulator starting with no product. The first run builds the
whole catalogue — categories as a tree, products with their translations, special prices, tier prices
per customer role, attribute combinations, stock, images and the PDF sheet — read back through the Web
API; a second run writes nothing; then one tier, one stock quantity, one promotion date and one image
changed in Sage (or in the media folder) send exactly those changes, and a tier removed in Sage is
removed in the shop."""
from __future__ import annotations

import re
import shutil
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from runtime_support import run_flow
from support import ROOT

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "odbc"))  # the Sage databases of the ODBC tests
from odbc_support import _sage_templates, sage_database  # noqa: E402,F401 (fixtures)
from passerelle_sandbox import Sandbox  # noqa: E402
from passerelle_sandbox.sage100sql_media import write_media  # noqa: E402

pytestmark = pytest.mark.slow

EXAMPLE = ROOT / "specs" / "examples" / "sage100sql-smartstore"
FLOWS = ("category_roots_to_shop", "categories_to_shop", "products_to_shop", "product_categories_to_shop",
         "translations_to_shop", "tier_prices_to_shop", "variant_attributes_to_shop", "combinations_to_shop",
         "stock_to_shop", "images_to_shop", "documents_to_shop")


@pytest.fixture()
def running(sage_database, tmp_path):
    db = sage_database("sqlite")
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".passerelle"))
    write_media(project / "media")
    with Sandbox(systems=("smartstore",), seed=1, orders=3) as sb:
        shop = sb.sim("smartstore")
        keys = sb.credentials("smartstore")
        env = {"ACME_SAGE_ODBC": db.connection_string, "ACME_SAGE_DIALECT": "sqlite",
               "ACME_SMARTSTORE_URL": sb.url("smartstore"), "ACME_SMARTSTORE_PUBLIC_KEY": keys["public_key"],
               "ACME_SMARTSTORE_SECRET_KEY": keys["secret_key"]}
        api = httpx.Client(base_url=shop.api_root(sb.url("smartstore")), timeout=30,
                           auth=(keys["public_key"], keys["secret_key"]))
        yield db, shop, api, project, str(tmp_path / "state"), env
        api.close()


def _run_all(project, state, env, monkeypatch) -> dict:
    return {flow: run_flow(project, state, env, monkeypatch, flow) for flow in FLOWS}


def _all(api: httpx.Client, entity_set: str) -> list[dict]:
    out, skip = [], 0
    while True:
        page = api.get(entity_set, params={"$top": 100, "$skip": skip}).json()["value"]
        out += page
        if len(page) < 100:
            return out
        skip += 100


def _read_back(api: httpx.Client) -> dict:
    """The catalogue as the Web API gives it."""
    products = {p["Sku"]: p for p in _all(api, "Products")}
    by_id = {p["Id"]: p["Sku"] for p in products.values()}
    categories = {c["Name"]: c for c in _all(api, "Categories")}
    names = {c["Id"]: c["Name"] for c in categories.values()}
    values = {v["Id"]: v for v in _all(api, "ProductVariantAttributeValues")}
    return {
        "products": products, "categories": categories,
        "product_categories": sorted((by_id[r["ProductId"]], names[r["CategoryId"]]) for r in _all(api, "ProductCategories")),
        "tiers": sorted((by_id[t["ProductId"]], t["CustomerRoleId"], t["Quantity"], Decimal(str(t["Price"])),
                         t["CalculationMethod"]) for t in _all(api, "TierPrices")),
        "localized": sorted((by_id[p["EntityId"]], p["LanguageId"], p["LocaleKey"], p["LocaleValue"])
                            for p in _all(api, "LocalizedProperties")),
        "values": values,
        "combinations": {c["Sku"]: c for c in _all(api, "ProductVariantAttributeCombinations")},
        "files": sorted((by_id[f["ProductId"]], f["MediaFileId"]) for f in _all(api, "ProductMediaFiles")),
        "media": {m["Id"]: m for m in _all(api, "MediaFiles")},
    }


def test_first_run_builds_the_catalogue_and_the_second_sends_nothing(running, monkeypatch):
    db, shop, api, project, state, env = running
    first = _run_all(project, state, env, monkeypatch)
    assert all(s["failed"] == 0 for s in first.values()), first
    got = _read_back(api)

    # categories: the family tree (two centraliser families and a root, four families under them)
    families = dict(db.rows('SELECT "FA_CodeFamille", "FA_Intitule" FROM "F_FAMILLE"'))
    assert set(got["categories"]) == set(families.values()) and len(families) == 7
    parent = {name: c["ParentId"] for name, c in got["categories"].items()}
    maison = got["categories"]["Maison & décoration"]["Id"]
    assert parent["Maison & décoration"] == parent["Épicerie fine"] == parent["Cartes cadeaux"] == 0
    assert parent["Bougies & senteurs"] == parent["Art de la table"] == parent["Linge de maison"] == maison
    assert parent["Thés & infusions"] == got["categories"]["Épicerie fine"]["Id"]

    # products: every article, found by SKU; name, price, weight, EAN, tax category, dormant unpublished
    articles = {r for (r,) in db.rows('SELECT "AR_Ref" FROM "F_ARTICLE"')}
    assert set(got["products"]) == articles and len(articles) == 40
    vanille = got["products"]["BOUG-VANILLE"]
    assert (vanille["Name"], Decimal(str(vanille["Price"])), Decimal(str(vanille["Weight"])), vanille["Gtin"],
            vanille["TaxCategoryId"], vanille["Published"], vanille["ManageInventoryMethodId"]) == (
        "Bougie parfumée vanille", Decimal("12.9"), Decimal("0.35"), "3760123400000", 1, True, 1)
    assert vanille["FullDescription"].startswith("Bougie en cire végétale")
    assert got["products"]["BOUG-NOEL"]["Published"] is False  # dormant in Sage: hidden, not deleted
    assert got["products"]["THE-EARLGREY"]["TaxCategoryId"] == 2 and got["products"]["CARTE-50"]["TaxCategoryId"] == 3
    assert got["products"]["TS01"]["ManageInventoryMethodId"] == 2  # stock per combination
    assert ("BOUG-VANILLE", "Bougies & senteurs") in got["product_categories"] and len(got["product_categories"]) == 40

    # names and descriptions in English (2) and German (3); the matcha has no German name
    localized = {(sku, lang, key): text for sku, lang, key, text in got["localized"]}
    assert localized["TS01", 2, "Name"] == "Organic cotton T-shirt" and localized["TS01", 3, "Name"] == "T-Shirt Bio-Baumwolle"
    assert localized["BOUG-VANILLE", 3, "FullDescription"].startswith("Kerze aus Pflanzenwachs")
    assert ("THE-MATCHA", 2, "Name") in localized and ("THE-MATCHA", 3, "Name") not in localized

    # promotions: the special price (percent off) with its dates in UTC — current, past and future schemes
    special = {sku: (Decimal(str(p["SpecialPrice"])), p["SpecialPriceStartDateTimeUtc"], p["SpecialPriceEndDateTimeUtc"])
               for sku, p in got["products"].items() if p["SpecialPrice"] is not None}
    assert special["THE-SENCHA"] == (Decimal("8.91"), "2023-12-31T23:00:00Z", "2099-12-30T23:00:00Z")
    assert special["THEIERE-08"] == (Decimal("36.72"), "2023-01-10T23:00:00Z", "2023-02-06T23:00:00Z")
    assert special["PLAID-MERINOS"][0] == Decimal("74.25")
    assert special["BOUG-VANILLE"][0] == Decimal("10.32")  # its family's scheme (BOUGIES, 20 %)
    assert "TASSE-GRES" not in special

    # tier prices: category 2 (Revendeurs, role 5) from one piece, its quantity tiers from 10 and 100 (%)
    tiers = [t[1:] for t in got["tiers"] if t[0] == "BOUG-VANILLE"]
    assert tiers == [(5, 1, Decimal("10.32"), "Fixed"), (5, 10, Decimal("10"), "Percental"),
                     (5, 100, Decimal("15"), "Percental")]
    assert vanille["HasTierPrices"] is True and got["products"]["CARTE-50"]["HasTierPrices"] is False

    # variants: TS01 size x colour (nine combinations), NAPPE-LIN colour only (three)
    ts01 = got["products"]["TS01"]["Id"]
    combos = {sku: c for sku, c in got["combinations"].items() if c["ProductId"] == ts01}
    assert len(combos) == 9 and len(got["combinations"]) == 12
    values = got["values"]
    def selection(combo):  # noqa: E306 — attribute name -> value name, read back from the ids
        pairs = re.findall(r'ID="(\d+)"><ProductVariantAttributeValue><Value>(\d+)<', combo["RawAttributes"])
        return sorted(values[int(v)]["Name"] for _, v in pairs)
    assert selection(combos["TS01-M-RO"]) == ["M", "Rouge"]
    assert selection(got["combinations"]["NAPPE-LIN-EC"]) == ["Écru"]
    assert Decimal(str(combos["TS01-L-BL"]["Price"])) == Decimal("26.9")  # its own price (F_TARIFGAM a01)
    assert Decimal(str(combos["TS01-M-BL"]["Price"])) == Decimal("24.9")
    assert combos["TS01-L-EC"]["IsActive"] is False  # a dormant reference
    stock = dict(db.rows('SELECT e."AE_Ref", SUM(s."GS_QteSto" + s."GS_QteCom" - s."GS_QteRes") FROM "F_GAMSTOCK" s '
                         'JOIN "F_ARTENUMREF" e ON e."AR_Ref" = s."AR_Ref" AND e."AG_No1" = s."AG_No1" '
                         'AND e."AG_No2" = s."AG_No2" GROUP BY e."AE_Ref"'))
    assert {sku: c["StockQuantity"] for sku, c in got["combinations"].items()} == {
        sku: int(q) for sku, q in stock.items()}

    # stock of simple products: forward stock summed over the depots
    summed = dict(db.rows('SELECT "AR_Ref", SUM("AS_QteSto" + "AS_QteCom" - "AS_QteRes") FROM "F_ARTSTOCK" '
                          'WHERE "AR_Ref" NOT IN (\'TS01\', \'NAPPE-LIN\') GROUP BY "AR_Ref"'))
    assert {sku: got["products"][sku]["StockQuantity"] for sku in summed} == {k: int(v) for k, v in summed.items()}

    # images and the PDF sheet, each once on its product
    names = sorted((sku, got["media"][m]["Name"], got["media"][m]["MediaType"]) for sku, m in got["files"])
    assert names == [("BOUG-VANILLE", "bougie-vanille.png", "image"), ("NAPPE-LIN", "nappe-lin.jpg", "image"),
                     ("THEIERE-08", "theiere-fonte-08-dos.jpg", "image"), ("THEIERE-08", "theiere-fonte-08.jpg", "image"),
                     ("THEIERE-08", "theiere-fonte-notice.pdf", "document"), ("TS01", "tshirt-bio-rouge.png", "image"),
                     ("TS01", "tshirt-bio.png", "image")]

    # the second run writes nothing at all
    writes = len(shop.catalogue_writes)
    again = _run_all(project, state, env, monkeypatch)
    assert all((s["created"], s["updated"], s["failed"]) == (0, 0, 0) for s in again.values()), again
    assert shop.catalogue_writes[writes:] == []
    assert _read_back(api) == got


def test_changes_in_sage_send_exactly_those_changes(running, monkeypatch):
    db, shop, api, project, state, env = running
    _run_all(project, state, env, monkeypatch)
    before = _read_back(api)
    ids = {sku: p["Id"] for sku, p in before["products"].items()}
    tier_ids = {(t["ProductId"], t["Quantity"]): t["Id"] for t in _all(api, "TierPrices")}
    with db.connect() as conn:
        # one price tier (BOUG-VANILLE from 100: 15 % -> 20 %), one stock quantity, one promotion date
        conn.execute('UPDATE "F_TARIFQTE" SET "TQ_Remise01REM_Valeur" = 20, "cbModification" = CURRENT_TIMESTAMP '
                     'WHERE "AR_Ref" = ? AND "TQ_BorneSup" = 999999', "BOUG-VANILLE")
        conn.execute('UPDATE "F_ARTSTOCK" SET "AS_QteSto" = "AS_QteSto" + 5, "cbModification" = CURRENT_TIMESTAMP '
                     'WHERE "AR_Ref" = ? AND "DE_No" = 2', "TASSE-GRES")
        conn.execute('UPDATE "F_TARIF" SET "TF_Fin" = ?, "cbModification" = CURRENT_TIMESTAMP WHERE "TF_No" = 3',
                     datetime(2099, 4, 30))
    image = project / "media" / "articles" / "nappe-lin.jpg"
    before_bytes, kept = image.read_bytes(), dict(shop.media_bytes)
    image.write_bytes(image.read_bytes()[:-2] + b"\x00\x01\xff\xd9")
    start = len(shop.catalogue_writes)
    again = _run_all(project, state, env, monkeypatch)
    assert all(s["failed"] == 0 for s in again.values()), again
    sent = shop.catalogue_writes[start:]
    assert sorted(sent) == sorted([
        ("PATCH", f"TierPrices({tier_ids[ids['BOUG-VANILLE'], 100]})"),
        ("PATCH", f"Products({ids['TASSE-GRES']})"),
        ("PATCH", f"Products({ids['PLAID-MERINOS']})"),
        ("POST", f"Products({ids['NAPPE-LIN']})/SaveFiles")])
    after = _read_back(api)
    assert [t[1:] for t in after["tiers"] if t[0] == "BOUG-VANILLE"][-1] == (5, 100, Decimal("20"), "Percental")
    assert after["products"]["TASSE-GRES"]["StockQuantity"] == before["products"]["TASSE-GRES"]["StockQuantity"] + 5
    assert after["products"]["PLAID-MERINOS"]["SpecialPriceEndDateTimeUtc"] == "2099-04-29T22:00:00Z"
    # the changed picture replaced in place: the same media file (and assignment), the new content
    assert after["files"] == before["files"]
    (nappe,) = [m for sku, m in after["files"] if sku == "NAPPE-LIN"]
    assert shop.media_bytes[nappe] == image.read_bytes() != before_bytes
    assert after["media"][nappe]["Size"] == len(image.read_bytes())
    # the other pictures kept their content (not sent again)
    assert all(shop.media_bytes[m] == kept[m] for m in kept if m != nappe)
    # a tier removed in Sage is removed in the shop
    with db.connect() as conn:
        conn.execute('DELETE FROM "F_TARIFQTE" WHERE "AR_Ref" = ? AND "TQ_BorneSup" = 999999', "BOUG-VANILLE")
    start = len(shop.catalogue_writes)
    summary = run_flow(project, state, env, monkeypatch, "tier_prices_to_shop")
    assert summary["failed"] == 0
    assert shop.catalogue_writes[start:] == [("DELETE", f"TierPrices({tier_ids[ids['BOUG-VANILLE'], 100]})")]
    assert [t[1:3] for t in _read_back(api)["tiers"] if t[0] == "BOUG-VANILLE"] == [(5, 1), (5, 10)]
