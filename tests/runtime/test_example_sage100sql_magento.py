"""The Sage 100 SQL -> Magento catalogue template (specs/examples/sage100sql-magento/) run end to end with
``passerelle run``: the seeded Sage 100c database read through the SQLite ODBC driver, the Magento
simulator starting empty. The first run builds the whole catalogue — categories, simple products with
their tier and group prices and special prices, range references as children of configurable products,
MSI stock per source, images, English and German names per store view — read back through the
simulator's REST API; a second run writes nothing; then one price tier, one stock quantity, one image,
one promotion date and one translation changed in Sage (or in the images folder) send exactly those
changes."""
from __future__ import annotations

import re
import shutil
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from runtime_support import cli
from support import ROOT

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "odbc"))  # the Sage databases of the ODBC tests
from odbc_support import _sage_templates, sage_database  # noqa: E402,F401 (fixtures)
from passerelle_sandbox import Sandbox  # noqa: E402

pytestmark = pytest.mark.slow

EXAMPLE = ROOT / "specs" / "examples" / "sage100sql-magento"
FLOWS = ("categories_to_shop", "subcategories_to_shop", "products_to_shop", "variants_to_shop", "configurables_to_shop", "stock_to_shop",
         "variant_stock_to_shop", "images_to_shop", "translations_en_to_shop", "translations_de_to_shop")
SUMMARY = re.compile(r"^(?P<flow>\w+): (?P<read>\d+) read, (?P<created>\d+) created, (?P<updated>\d+) updated, "
                     r"(?P<skipped>\d+) skipped, (?P<failed>\d+) failed", re.M)
SOURCES = ("default", "lyon", "saint-etienne", "vieux-lyon")
DEPOTS = {1: "lyon", 2: "saint-etienne", 3: "vieux-lyon"}  # lookups.yaml `depots`: Sage DE_No -> MSI source
STORE_VIEWS = ("default", ("en", "English"), ("de", "Deutsch"))  # the codes endpoints.yaml's shop_en / shop_de name


@pytest.fixture()
def running(sage_database, tmp_path):
    db = sage_database("sqlite")
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".passerelle"))
    with Sandbox(systems=("magento",), seed=1, orders=3, options={"magento": {"sources": SOURCES, "store_views": STORE_VIEWS}}) as sb:
        shop = sb.sim("magento")
        creds = sb.credentials("magento")
        env = {"ACME_SAGE_ODBC": db.connection_string, "ACME_SAGE_DIALECT": "sqlite",
               "ACME_MAGENTO_URL": sb.url("magento"), "ACME_MAGENTO_USER": creds["username"],
               "ACME_MAGENTO_PASSWORD": creds["password"]}
        api = httpx.Client(base_url=shop.api_root(sb.url("magento")), timeout=30)
        token = api.post("integration/admin/token", json=creds).json()
        api.headers["Authorization"] = f"Bearer {token}"
        api.views = {code: httpx.Client(base_url=f"{sb.url('magento')}/rest/{code}/V1/", timeout=30,
                                        headers={"Authorization": f"Bearer {token}"}) for code in ("en", "de")}
        yield db, shop, api, project, str(tmp_path / "state"), env
        api.close()
        for view in api.views.values():
            view.close()


def _run(project: Path, state: str, env: dict, monkeypatch, flow: str, code: int = 0) -> dict:
    got, _, err = cli(["run", str(project), "--state", state, "--flow", flow], env, monkeypatch)
    assert got == code, err
    (match,) = [m for m in SUMMARY.finditer(err) if m["flow"] == flow]
    return {k: int(v) for k, v in match.groupdict().items() if k != "flow"}


def _run_all(project, state, env, monkeypatch) -> dict:
    return {flow: _run(project, state, env, monkeypatch, flow) for flow in FLOWS}


def _read_back(api: httpx.Client) -> dict:
    """The catalogue as the shop's REST API gives it: products by SKU, categories by name, source items,
    gallery entries of the products that have some."""
    products = {p["sku"]: p for p in api.get("products", params={"searchCriteria[pageSize]": 500}).json()["items"]}
    categories = {c["name"]: c for c in api.get("categories/list", params={"searchCriteria[pageSize]": 100}
                                                 ).json()["items"]}
    stock = {(i["sku"], i["source_code"]): Decimal(str(i["quantity"])) for i in api.get(
        "inventory/source-items", params={"searchCriteria[pageSize]": 1000}).json()["items"]}
    media = {sku: api.get(f"products/{sku}/media").json() for sku in ("BOUG-VANILLE", "THEIERE-08", "TS01")}
    # each product's name and description as its English and German store views show them
    views = {code: {p["sku"]: (p["name"], _attr(p, "description")) for p in view.get(
        "products", params={"searchCriteria[pageSize]": 500}).json()["items"]} for code, view in api.views.items()}
    return {"products": products, "categories": categories, "stock": stock, "media": media, "views": views}


def _special(product: dict) -> tuple:
    return tuple(_attr(product, code) for code in ("special_price", "special_from_date", "special_to_date"))


def _attr(product: dict, code: str):
    return next((a["value"] for a in product.get("custom_attributes", []) if a["attribute_code"] == code), None)


def test_first_run_builds_the_catalogue_and_the_second_sends_nothing(running, monkeypatch):
    db, shop, api, project, state, env = running
    first = _run_all(project, state, env, monkeypatch)
    assert all(s["failed"] == 0 for s in first.values()), first
    got = _read_back(api)

    # categories: one per Sage family, as the families' tree: the centralisers and the families under none
    # under the store's root (Default Category, 2), the others under their centraliser's; remembered
    families = db.rows('SELECT f."FA_Intitule", p."FA_Intitule" FROM "F_FAMILLE" f LEFT JOIN "F_FAMILLE" p '
                       'ON p."FA_CodeFamille" = f."FA_Central" AND p."FA_CodeFamille" <> f."FA_CodeFamille"')
    tops = [name for name, parent in families if parent is None]
    assert (first["categories_to_shop"]["created"], first["subcategories_to_shop"]["created"]) == \
        (len(tops), len(families) - len(tops)) == (3, 4)
    for name, parent in families:
        category, above = got["categories"][name], got["categories"][parent] if parent else None
        assert category["parent_id"] == (above["id"] if above else 2)
        assert category["path"] == (f"{above['path']}/{category['id']}" if above else f"1/2/{category['id']}")
    xref, _, _ = cli(["xref", str(project), "--state", state, "--type", "families", "--format", "csv"], env,
                     monkeypatch)

    # simple products: name, price, weight, status, tax class, EAN, category, tiers
    vanille = got["products"]["BOUG-VANILLE"]
    assert (vanille["name"], Decimal(str(vanille["price"])), Decimal(str(vanille["weight"])), vanille["status"],
            vanille["type_id"], vanille["visibility"]) == ("Bougie parfumée vanille", Decimal("12.9"),
                                                          Decimal("0.35"), 1, "simple", 4)
    assert _attr(vanille, "tax_class_id") == 2 and _attr(vanille, "ean") == "3760123400000"
    bougies = got["categories"]["Bougies & senteurs"]["id"]
    assert vanille["extension_attributes"]["category_links"] == [{"position": 0, "category_id": str(bougies)}]
    # category 2 (Revendeurs -> Wholesale) at 10.32 from one unit; its quantity tiers from 10 and 100 (%)
    assert sorted((t["customer_group_id"], t["qty"], t["value"], t["extension_attributes"].get("percentage_value"))
                  for t in vanille["tier_prices"]) == [(2, 1, 10.32, None), (2, 10, 0, 10), (2, 100, 0, 15)]
    assert got["products"]["BOUG-NOEL"]["status"] == 2  # dormant in Sage: disabled, not deleted
    assert _attr(got["products"]["THE-EARLGREY"], "tax_class_id") == 5  # its family's tax code (C05)
    assert _attr(got["products"]["CARTE-50"], "tax_class_id") == 0
    simple = {r for (r,) in db.rows('SELECT "AR_Ref" FROM "F_ARTICLE" WHERE "AR_Gamme1" = 0')}
    assert first["products_to_shop"]["created"] == len(simple) == 38

    # ranges: TS01 (size x colour, nine children) and NAPPE-LIN (colour only, three)
    ts01 = got["products"]["TS01"]
    assert ts01["type_id"] == "configurable" and ts01["visibility"] == 4
    options = {o["attribute_id"]: sorted(v["value_index"] for v in o["values"])
               for o in ts01["extension_attributes"]["configurable_product_options"]}
    assert options == {"144": [167, 168, 169], "93": [50, 58, 59]}
    children = {p["id"]: p for p in got["products"].values() if p["sku"].startswith("TS01-")}
    assert sorted(ts01["extension_attributes"]["configurable_product_links"]) == sorted(children) and len(children) == 9
    assert all(c["visibility"] == 1 for c in children.values())
    # each reference's own price (F_TARIFGAM, category 1): size L 26.90, the others the article's 24.90
    assert {c["sku"]: c["price"] for c in children.values()} == {
        c["sku"]: 26.9 if c["sku"].startswith("TS01-L-") else 24.9 for c in children.values()}
    dormant = [c["sku"] for c in children.values() if c["status"] == 2]
    assert dormant == ["TS01-L-EC"]
    nappe = got["products"]["NAPPE-LIN"]
    assert [o["attribute_id"] for o in nappe["extension_attributes"]["configurable_product_options"]] == ["93"]
    assert len(nappe["extension_attributes"]["configurable_product_links"]) == 3

    # stock: forward stock per depot -> MSI source; BOUG-VANILLE depot 1: 10 + 5 - 3 = 12
    assert got["stock"][("BOUG-VANILLE", "lyon")] == 12
    expected = dict(((ref, DEPOTS[depot]), Decimal(str(q))) for ref, depot, q in db.rows(
        'SELECT "AR_Ref", "DE_No", "AS_QteSto" + "AS_QteCom" - "AS_QteRes" FROM "F_ARTSTOCK" '
        'WHERE "AR_Ref" NOT IN (\'TS01\', \'NAPPE-LIN\')'))
    expected.update(((ref, DEPOTS[depot]), Decimal(str(q))) for ref, depot, q in db.rows(
        'SELECT e."AE_Ref", s."DE_No", s."GS_QteSto" + s."GS_QteCom" - s."GS_QteRes" FROM "F_GAMSTOCK" s JOIN '
        '"F_ARTENUMREF" e ON e."AR_Ref" = s."AR_Ref" AND e."AG_No1" = s."AG_No1" AND e."AG_No2" = s."AG_No2"'))
    assert got["stock"] == expected

    # images: one gallery entry each, the base image
    assert {sku: [(m["media_type"], m["types"]) for m in entries] for sku, entries in got["media"].items()} == {
        sku: [("image", ["image", "small_image", "thumbnail"])] for sku in ("BOUG-VANILLE", "THEIERE-08", "TS01")}

    # promotions: the article's or its family's dated scheme (public) as the special price with its dates
    prices = {ref: Decimal(str(p)) for ref, p in db.rows('SELECT "AR_Ref", "AR_PrixVen" FROM "F_ARTICLE"')}
    candles = [ref for (ref,) in db.rows('SELECT "AR_Ref" FROM "F_ARTICLE" WHERE "FA_CodeFamille" = ?', "BOUGIES")]

    def off(ref: str, percent: int) -> Decimal:
        return (prices[ref] * (100 - percent) / 100).quantize(Decimal("0.01"))

    specials = {sku: _special(p) for sku, p in got["products"].items() if _special(p) != (None, None, None)}
    assert {sku: (Decimal(str(v[0])), *v[1:]) for sku, v in specials.items()} == {
        **{ref: (off(ref, 20), "2023-01-11 00:00:00", "2023-02-07 00:00:00") for ref in ("THEIERE-08", *candles)},
        **{ref: (off(ref, 10), "2024-01-01 00:00:00", "2099-12-31 00:00:00") for ref in ("THE-SENCHA", "THE-MATCHA")},
        "PLAID-MERINOS": (off("PLAID-MERINOS", 25), "2099-01-01 00:00:00", "2099-03-31 00:00:00")}

    # translations: the English and German store views show Sage's AR_Langue1 / AR_Langue2 and the glossary
    # texts of those languages; the default store view keeps French; an untranslated name shows the French one
    assert got["views"]["en"]["THEIERE-08"] == ("Cast iron teapot 0.8 L",
                                                "Cast iron teapot, enamelled inside, removable stainless steel infuser.")
    assert got["views"]["de"]["THEIERE-08"] == \
        ("Teekanne Gusseisen 0,8 L", "Teekanne aus Gusseisen, innen emailliert, herausnehmbares Edelstahlsieb.")
    assert (got["products"]["THEIERE-08"]["name"], _attr(got["products"]["THEIERE-08"], "description")) == \
        ("Théière fonte 0,8 L", None)
    assert got["views"]["en"]["TS01"] == ("Organic cotton T-shirt", "Organic cotton T-shirt, straight cut, round neck.")
    assert got["views"]["de"]["TS01"] == ("T-Shirt Bio-Baumwolle", None)  # no German glossary text
    assert got["views"]["de"]["THE-MATCHA"] == (got["products"]["THE-MATCHA"]["name"], None)  # no German name
    translated = dict(db.rows('SELECT "AR_Ref", "AR_Langue1" FROM "F_ARTICLE" WHERE "AR_Langue1" IS NOT NULL'))
    assert {sku: v[0] for sku, v in got["views"]["en"].items() if sku in translated} == translated
    assert (first["translations_en_to_shop"]["updated"] + first["translations_en_to_shop"]["created"],
            first["translations_de_to_shop"]["updated"] + first["translations_de_to_shop"]["created"]) == \
        (len(translated), len(translated) - 1)

    # the second run writes nothing at all
    writes = len(shop.catalogue.writes)
    again = _run_all(project, state, env, monkeypatch)
    assert all((s["created"], s["updated"], s["failed"]) == (0, 0, 0) for s in again.values()), again
    assert len(shop.catalogue.writes) == writes
    assert _read_back(api) == got


def test_changes_in_sage_send_exactly_those_changes(running, monkeypatch):
    db, shop, api, project, state, env = running
    _run_all(project, state, env, monkeypatch)
    before = _read_back(api)
    with db.connect() as conn:
        # one price tier (BOUG-VANILLE from 100: 15 % -> 20 %), one stock quantity, one tier removed
        conn.execute('UPDATE "F_TARIFQTE" SET "TQ_Remise01REM_Valeur" = 20, "cbModification" = CURRENT_TIMESTAMP '
                     'WHERE "AR_Ref" = ? AND "TQ_BorneSup" = 999999', "BOUG-VANILLE")
        conn.execute('UPDATE "F_ARTICLE" SET "cbModification" = CURRENT_TIMESTAMP WHERE "AR_Ref" = ?', "BOUG-VANILLE")
        conn.execute('UPDATE "F_ARTSTOCK" SET "AS_QteSto" = "AS_QteSto" + 5, "cbModification" = CURRENT_TIMESTAMP '
                     'WHERE "AR_Ref" = ? AND "DE_No" = 2', "TASSE-GRES")
        # one promotion date (the throw's launch offer ends a month later) and one English name
        conn.execute('UPDATE "F_TARIF" SET "TF_Fin" = ?, "cbModification" = CURRENT_TIMESTAMP WHERE "TF_No" = 3',
                     datetime(2099, 4, 30))
        conn.execute('UPDATE "F_ARTICLE" SET "AR_Langue1" = ?, "cbModification" = CURRENT_TIMESTAMP WHERE "AR_Ref" = ?',
                     "Fig candle", "BOUG-FIGUE")
    image = project / "images" / "THEIERE-08.jpg"
    image.write_bytes(image.read_bytes()[:-2] + b"\x00\x01\xff\xd9")
    start = len(shop.catalogue.writes)
    again = _run_all(project, state, env, monkeypatch)
    sent = shop.catalogue.writes[start:]
    assert sorted(sent) == sorted([("PUT", "products/BOUG-VANILLE"), ("POST", "inventory/source-items"),
                                   ("PUT", f"products/THEIERE-08/media/{before['media']['THEIERE-08'][0]['id']}"),
                                   ("PUT", "products/PLAID-MERINOS"), ("PUT", "en:products/BOUG-FIGUE")])
    assert all(s["failed"] == 0 for s in again.values()), again
    after = _read_back(api)
    tiers = sorted((t["qty"], t["extension_attributes"].get("percentage_value"))
                   for t in after["products"]["BOUG-VANILLE"]["tier_prices"])
    assert tiers == [(1, None), (10, 10), (100, 20)]
    assert after["stock"][("TASSE-GRES", "saint-etienne")] == before["stock"][("TASSE-GRES", "saint-etienne")] + 5
    assert _special(after["products"]["PLAID-MERINOS"])[1:] == ("2099-01-01 00:00:00", "2099-04-30 00:00:00")
    assert after["views"]["en"]["BOUG-FIGUE"][0] == "Fig candle"
    assert after["views"]["de"]["BOUG-FIGUE"] == before["views"]["de"]["BOUG-FIGUE"]
    assert after["products"]["BOUG-FIGUE"]["name"] == before["products"]["BOUG-FIGUE"]["name"]  # French kept
    assert {k for k in after["stock"] if after["stock"][k] != before["stock"][k]} == {("TASSE-GRES", "saint-etienne")}
    entry = shop.catalogue.media["THEIERE-08"][0]
    assert entry["content"]["size"] == len(image.read_bytes()) and len(shop.catalogue.media["THEIERE-08"]) == 1
    # a tier removed in Sage is removed in the shop: the tier list is sent whole and replaces Magento's
    with db.connect() as conn:
        conn.execute('DELETE FROM "F_TARIFQTE" WHERE "AR_Ref" = ? AND "TQ_BorneSup" = 999999', "BOUG-VANILLE")
        conn.execute('UPDATE "F_ARTICLE" SET "cbModification" = CURRENT_TIMESTAMP WHERE "AR_Ref" = ?', "BOUG-VANILLE")
    _run(project, state, env, monkeypatch, "products_to_shop")
    tiers = api.get("products/BOUG-VANILLE").json()["tier_prices"]
    assert sorted(t["qty"] for t in tiers) == [1, 10]


def test_a_promotion_gone_from_sage_takes_the_special_price_off(running, monkeypatch):
    db, shop, api, project, state, env = running
    for flow in ("categories_to_shop", "subcategories_to_shop", "products_to_shop"):
        _run(project, state, env, monkeypatch, flow)
    assert _special(api.get("products/PLAID-MERINOS").json())[1:] == ("2099-01-01 00:00:00", "2099-03-31 00:00:00")
    with db.connect() as conn:  # the throw leaves its scheme
        conn.execute('DELETE FROM "F_TARIFSELECT" WHERE "TF_No" = 3')
    start = len(shop.catalogue.writes)
    assert _run(project, state, env, monkeypatch, "products_to_shop")["updated"] == 1
    assert shop.catalogue.writes[start:] == [("PUT", "products/PLAID-MERINOS")]
    assert _special(api.get("products/PLAID-MERINOS").json()) == (None, None, None)
