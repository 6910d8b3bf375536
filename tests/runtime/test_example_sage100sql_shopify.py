"""The Sage 100 SQL -> Shopify catalogue template (specs/examples/sage100sql-shopify/) run end to end with
``passerelle run``: the seeded Sage 100c database read through ODBC, the Shopify simulator written
through its GraphQL (and REST image) API and READ BACK through it. A first run builds the catalogue
(collections, products, a range with its variants, prices, stock per location, images); a second run
sends nothing (the simulator's write requests are counted); one tier, one stock quantity and one image
changed in Sage send exactly those."""
from __future__ import annotations

import json
import re
import shutil
import sys
import time
import urllib.request
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

EXAMPLE = ROOT / "specs" / "examples" / "sage100sql-shopify"
FLOWS = ("categories_to_shop", "products_to_shop", "ranges_to_shop", "stock_to_shop", "variant_stock_to_shop",
         "tier_prices_to_shop", "promotions_to_shop", "translations_to_shop", "images_to_shop")
TRANSLATED = """query T($id: ID!) { translatableResource(resourceId: $id) {
  en: translations(locale: "en") { key value outdated } de: translations(locale: "de") { key value outdated } } }"""
DISCOUNTS = """{ automaticDiscountNodes(first: 20) { nodes { automaticDiscount { ... on DiscountAutomaticBasic {
  title startsAt endsAt customerGets { value { ... on DiscountPercentage { percentage } }
    items { ... on DiscountProducts { products(first: 5) { nodes { handle } } }
            ... on DiscountCollections { collections(first: 5) { nodes { handle } } } } } } } } } }"""
SUMMARY = re.compile(r"^(?P<flow>\w+): (?P<read>\d+) read, (?P<created>\d+) created, (?P<updated>\d+) updated, "
                     r"(?P<skipped>\d+) skipped, (?P<failed>\d+) failed", re.M)
READ_BACK = """query Catalogue($after: String) {
  products(first: 3, after: $after) { pageInfo { hasNextPage endCursor } nodes {
    handle title status productType collections(first: 5) { nodes { handle title } }
    options { name values }
    variants(first: 10) { nodes { sku price barcode taxable
      inventoryItem { measurement { weight { unit value } }
        inventoryLevels(first: 3) { nodes { location { id } quantities(names: ["available"]) { quantity } } } } } } } }
  collections(first: 20) { nodes { handle title } }
}"""


@pytest.fixture()
def running(sage_engine, sage_database, tmp_path):
    db = sage_database(sage_engine, options=";UseDeclareFetch=1;Fetch=100" if sage_engine == "postgresql" else "")
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".passerelle"))
    with Sandbox(systems=("shopify",), seed=1, orders=3) as sb:
        shop = sb.sim("shopify")
        env = {"ACME_SAGE_ODBC": db.connection_string, "ACME_SAGE_DIALECT": sage_engine,
               "ACME_SHOPIFY_URL": sb.url("shopify"), "ACME_SHOPIFY_TOKEN": sb.credentials("shopify")["access_token"]}
        yield db, shop, project, str(tmp_path / "state"), env


def _run(project: Path, state: str, env: dict, monkeypatch, flow: str) -> dict:
    got, _, err = cli(["run", str(project), "--state", state, "--flow", flow], env, monkeypatch)
    assert got == 0, err
    (match,) = [m for m in SUMMARY.finditer(err) if m["flow"] == flow]
    return {k: int(v) for k, v in match.groupdict().items() if k != "flow"}


def _gql(env: dict, query: str, variables: dict | None = None) -> dict:
    while True:
        request = urllib.request.Request(f"{env['ACME_SHOPIFY_URL']}/admin/api/2025-04/graphql.json",
                                         json.dumps({"query": query, "variables": variables or {}}).encode(),
                                         {"X-Shopify-Access-Token": env["ACME_SHOPIFY_TOKEN"],
                                          "Content-Type": "application/json"})
        answer = json.loads(urllib.request.urlopen(request).read())
        if answer.get("errors") and answer["errors"][0]["extensions"]["code"] == "THROTTLED":
            time.sleep(1)  # the bucket restores 100 points a second, as a client backs off
            continue
        assert "data" in answer, answer
        return answer["data"]


def _read_back(env: dict) -> dict:
    """The catalogue as Shopify's API answers it: products (pages of 3, under the 1,000-point ceiling of a
    query), collections and automatic discounts."""
    nodes, after = [], None
    while True:
        data = _gql(env, READ_BACK, {"after": after})
        nodes += data["products"]["nodes"]
        if not data["products"]["pageInfo"]["hasNextPage"]:
            break
        after = data["products"]["pageInfo"]["endCursor"]
    discounts = {}
    for node in _gql(env, DISCOUNTS)["automaticDiscountNodes"]["nodes"]:
        d = node["automaticDiscount"]
        items = d["customerGets"]["items"]
        targets = [n["handle"] for n in (items.get("products") or items.get("collections"))["nodes"]]
        discounts[d["title"]] = (d["startsAt"], d["endsAt"], d["customerGets"]["value"]["percentage"], targets)
    products = {}
    for p in nodes:
        variants = {}
        for v in p["variants"]["nodes"]:
            item = v["inventoryItem"]
            stock = tuple(lv["quantities"][0]["quantity"] for lv in item["inventoryLevels"]["nodes"])
            variants[v["sku"]] = (Decimal(v["price"]), v["barcode"], v["taxable"],
                                  (item["measurement"]["weight"] or {}).get("value"), stock)
        products[p["handle"]] = {"title": p["title"], "status": p["status"], "type": p["productType"],
                                 "collections": [c["handle"] for c in p["collections"]["nodes"]],
                                 "options": [(o["name"], o["values"]) for o in p["options"]], "variants": variants}
    return {"products": products, "collections": {c["handle"]: c["title"] for c in data["collections"]["nodes"]},
            "discounts": discounts}


def _images(shop) -> dict:
    return {next(p["handle"] for p in shop.products if p["id"] == i["product_id"]): i["_sha256"] for i in shop.images}


def _breaks(shop) -> dict:
    return {(shop.variant_by_id(b["variant_id"])["sku"], b["minimumQuantity"]): Decimal(b["price"]["amount"])
            for b in shop.price_lists[0]["breaks"]}


def test_the_catalogue_built_then_nothing_sent_then_only_the_changes(running, monkeypatch):
    db, shop, project, state, env = running
    first = {flow: _run(project, state, env, monkeypatch, flow) for flow in FLOWS}
    assert all(s["failed"] == 0 for s in first.values()), first
    shop_now = _read_back(env)
    products, collections = shop_now["products"], shop_now["collections"]
    # categories: one collection per Sage family, found or created
    assert {k: collections[k] for k in ("bougies", "table", "linge", "the", "cadeau")} == {
        "bougies": "Bougies & senteurs", "table": "Art de la table", "linge": "Linge de maison",
        "the": "Thés & infusions", "cadeau": "Cartes cadeaux"}
    assert first["categories_to_shop"]["created"] == len(db.rows('SELECT "FA_CodeFamille" FROM "F_FAMILLE"'))
    # products: every simple article, its collection, price excl. tax, EAN, taxable, weight; dormant archived
    vanilla = products["boug-vanille"]
    assert (vanilla["title"], vanilla["status"], vanilla["collections"]) == \
        ("Bougie parfumée vanille", "ACTIVE", ["bougies"])
    assert vanilla["variants"]["BOUG-VANILLE"][:4] == (Decimal("12.90"), "3760123400000", True, 0.35)
    assert products["carte-50"]["variants"]["CARTE-50"][2] is False  # EXO: not taxable
    assert products["boug-noel"]["status"] == "ARCHIVED" and products["mug-noel"]["status"] == "ARCHIVED"
    assert len([h for h in products if h.upper() in {a[0] for a in _articles(db)}]) == 40
    # the range: one product, its two options, its 8 active variants (L-Écru is dormant), each with its SKU/EAN
    tshirt = products["ts01"]
    assert tshirt["options"] == [("Taille", ["S", "M", "L"]), ("Couleur", ["Bleu", "Rouge", "Écru"])]
    assert len(tshirt["variants"]) == 8 and "TS01-L-EC" not in tshirt["variants"]
    (base,) = db.rows('SELECT "AR_PrixVen" FROM "F_ARTICLE" WHERE "AR_Ref" = \'TS01\'')[0]
    own = dict(db.rows('SELECT e."AE_Ref", t."TG_Prix" FROM "F_TARIFGAM" t JOIN "F_ARTENUMREF" e ON e."AR_Ref" = '
                       't."AR_Ref" AND e."AG_No1" = t."AG_No1" AND e."AG_No2" = t."AG_No2" WHERE t."TG_RefCF" = \'a01\''))
    assert {sku: v[0] for sku, v in tshirt["variants"].items()} == {
        sku: Decimal(str(own.get(sku, base))).quantize(Decimal("0.01")) for sku in tshirt["variants"]}
    assert tshirt["variants"]["TS01-S-BL"][1] == "3760987600000"
    assert products["nappe-lin"]["options"] == [("Couleur", ["Bleu", "Rouge", "Écru"])]
    # stock: per depot at its location (BOUG-VANILLE: 10 + 5 - 3 in depot 1), variants per depot too
    expected = dict(((r, int(d)), int(q)) for r, d, q in db.rows(
        'SELECT "AR_Ref", "DE_No", "AS_QteSto" + "AS_QteCom" - "AS_QteRes" FROM "F_ARTSTOCK"'))
    per_depot = lambda ref: tuple(expected.get((ref, depot), 0) for depot in (1, 2, 3))  # noqa: E731
    assert vanilla["variants"]["BOUG-VANILLE"][4] == per_depot("BOUG-VANILLE") and per_depot("BOUG-VANILLE")[0] == 12
    assert products["theiere-08"]["variants"]["THEIERE-08"][4] == per_depot("THEIERE-08")
    variant_stock = dict(((r, int(d)), int(q)) for r, d, q in db.rows(
        'SELECT e."AE_Ref", s."DE_No", s."GS_QteSto" + s."GS_QteCom" - s."GS_QteRes" FROM "F_ARTENUMREF" e JOIN '
        '"F_GAMSTOCK" s ON s."AR_Ref" = e."AR_Ref" AND s."AG_No1" = e."AG_No1" AND s."AG_No2" = e."AG_No2"'))
    assert tshirt["variants"]["TS01-M-RO"][4] == tuple(variant_stock.get(("TS01-M-RO", d), 0) for d in (1, 2, 3))
    # translations: the English and German titles (and descriptions) of the products, on their French text
    vanilla_id = "gid://shopify/Product/%d" % next(p["id"] for p in shop.products if p["handle"] == "boug-vanille")
    translated = _gql(env, TRANSLATED, {"id": vanilla_id})["translatableResource"]
    assert {(t["key"], t["value"]) for t in translated["en"]} >= {("title", "Vanilla scented candle")}
    assert ("title", "Duftkerze Vanille", False) in {(t["key"], t["value"], t["outdated"]) for t in translated["de"]}
    assert first["translations_to_shop"]["created"] == 9
    # promotions: one dated automatic discount per article or family a scheme selects
    discounts = shop_now["discounts"]
    assert discounts["Soldes d'hiver 2023 (BOUGIES)"] == ("2023-01-10T23:00:00Z", "2023-02-06T23:00:00Z", 0.2,
                                                          ["bougies"])
    assert discounts["Plaid : lancement hiver (PLAID-MERINOS)"][2:] == (0.25, ["plaid-merinos"])
    assert len(discounts) == 5, discounts
    # prices: BOUG-VANILLE's a02 tiers on the category price 10.32: 10 to 99 at -10 %, 100 and more at -15 %
    assert _breaks(shop) == {("BOUG-VANILLE", 10): Decimal("9.29"), ("BOUG-VANILLE", 100): Decimal("8.77")}
    # images: one per article that has a picture, the file's bytes as sent
    assert _images(shop) == {h: _sha(project / "images" / f"{h.upper()}.png")
                             for h in ("boug-vanille", "theiere-08", "ts01")}

    sent = len(shop.write_requests)
    for flow in FLOWS:  # the second run sends nothing
        again = _run(project, state, env, monkeypatch, flow)
        assert (again["created"], again["updated"], again["failed"]) == (0, 0, 0), (flow, again)
    assert shop.write_requests[sent:] == [] and _read_back(env) == shop_now

    # one tier, one stock quantity and one image changed in Sage: exactly those are sent
    with db.connect() as conn:
        conn.execute('UPDATE "F_TARIFQTE" SET "TQ_Remise01REM_Valeur" = 20, "cbModification" = ? '
                     'WHERE "AR_Ref" = ? AND "TQ_BorneSup" = 999999', "2031-01-01 00:00:00", "BOUG-VANILLE")
        conn.execute('UPDATE "F_ARTSTOCK" SET "AS_QteSto" = "AS_QteSto" + 5, "cbModification" = ? '
                     'WHERE "AR_Ref" = ? AND "DE_No" = 2', "2031-01-01 00:00:00", "TASSE-GRES")
        conn.execute('UPDATE "F_TARIF" SET "TF_Fin" = ?, "cbModification" = ? WHERE "TF_No" = 3',
                     "2099-04-30 00:00:00", "2031-01-01 00:00:00")
    (project / "images" / "THEIERE-08.png").write_bytes((project / "images" / "TS01.png").read_bytes() + b"\0")
    changed = {flow: _run(project, state, env, monkeypatch, flow) for flow in FLOWS}
    assert {f: s["created"] + s["updated"] for f, s in changed.items() if s["created"] + s["updated"]} == \
        {"tier_prices_to_shop": 1, "stock_to_shop": 1, "images_to_shop": 1, "promotions_to_shop": 1}, changed
    assert len(shop.write_requests) == sent + 4
    assert _breaks(shop)[("BOUG-VANILLE", 100)] == Decimal("8.26")  # 10.32 less 20 %
    after = _read_back(env)["products"]
    assert after["tasse-gres"]["variants"]["TASSE-GRES"][4][1] == expected[("TASSE-GRES", 2)] + 5
    assert _read_back(env)["discounts"]["Plaid : lancement hiver (PLAID-MERINOS)"][1] == "2099-04-29T22:00:00Z"
    assert _images(shop)["theiere-08"] == _sha(project / "images" / "THEIERE-08.png")
    assert len(shop.images) == 3  # replaced in place, not added


def _articles(db) -> list:
    return db.rows('SELECT "AR_Ref" FROM "F_ARTICLE"')


def _sha(path: Path) -> str:
    import hashlib
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_tier_removed_in_sage_is_removed_in_the_shop(running, monkeypatch):
    db, shop, project, state, env = running
    for flow in ("categories_to_shop", "products_to_shop", "tier_prices_to_shop"):
        _run(project, state, env, monkeypatch, flow)
    assert sorted(m for (sku, m) in _breaks(shop) if sku == "BOUG-VANILLE") == [10, 100]
    with db.connect() as conn:  # the 10-99 tier is deleted: the last one now starts at 10
        conn.execute('DELETE FROM "F_TARIFQTE" WHERE "AR_Ref" = ? AND "TQ_BorneSup" = 99', "BOUG-VANILLE")
    sent = len(shop.write_requests)
    again = _run(project, state, env, monkeypatch, "tier_prices_to_shop")
    assert (again["created"] + again["updated"], again["failed"]) == (1, 0)
    assert len(shop.write_requests) == sent + 1
    assert {k: v for k, v in _breaks(shop).items() if k[0] == "BOUG-VANILLE"} == {("BOUG-VANILLE", 10): Decimal("8.77")}
