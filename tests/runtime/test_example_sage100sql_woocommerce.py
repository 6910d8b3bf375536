"""The Sage 100 SQL -> WooCommerce catalogue template (specs/examples/sage100sql-woocommerce/) run end to end
with ``passerelle run``: the seeded Sage 100c database read through the SQLite ODBC driver, the WooCommerce
simulator read back through its REST API after the first run (categories, simple and variable products,
variations, prices, promotions as dated sale prices, stock); a second run sends nothing; a changed price,
stock quantity, range stock, price tier and promotion date in Sage send exactly those changes."""
from __future__ import annotations

import hashlib
import re
import shutil
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from runtime_support import cli, woo_every
from support import ROOT

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "odbc"))  # the Sage databases of the ODBC tests
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sandbox"))
from odbc_support import _sage_templates, sage_database  # noqa: E402,F401 (fixtures)
from passerelle_sandbox import Sandbox  # noqa: E402
from passerelle_sandbox.sage100sql_media import write_media  # noqa: E402
from test_sandbox_woocommerce import woo_client  # noqa: E402

EXAMPLE = ROOT / "specs" / "examples" / "sage100sql-woocommerce"
FLOWS = ("categories_to_shop", "subcategories_to_shop", "products_to_shop", "variations_to_shop", "stock_to_shop", "category_prices_to_shop",
         "tier_prices_to_shop", "media_to_shop", "images_to_shop")
# the seeded articles' image files (AR_Photo first, then F_ARTICLEMEDIA pictures), under the media share
IMAGES = {"BOUG-VANILLE": ["articles/bougie-vanille.png"],
          "THEIERE-08": ["articles/theiere-fonte-08.jpg", "articles/theiere-fonte-08-dos.jpg"],
          "TS01": ["articles/tshirt-bio.png", "articles/tshirt-bio-rouge.png"], "NAPPE-LIN": ["articles/nappe-lin.jpg"]}
RANGES = ("TS01", "NAPPE-LIN")  # the Sage range articles (the simulator's own variable products are left out)
WRITES = ("POST", "PUT", "PATCH", "DELETE")
SUMMARY = re.compile(r"^(?P<flow>\w+): (?P<read>\d+) read, (?P<created>\d+) created, (?P<updated>\d+) updated, "
                     r"(?P<skipped>\d+) skipped, (?P<failed>\d+) failed", re.M)


@pytest.fixture()
def running(sage_database, tmp_path):
    db = sage_database("sqlite")
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".passerelle"))
    write_media(project / "images")  # the Sage media share (\\SAGE-SRV\Medias\) as the project's images/
    with Sandbox(systems=("woocommerce",), seed=1, orders=1) as sb:
        creds = sb.credentials("woocommerce")
        env = {"ACME_SAGE_ODBC": db.connection_string, "ACME_SAGE_DIALECT": "sqlite",
               "ACME_WC_URL": sb.url("woocommerce"), "ACME_WC_KEY": creds["consumer_key"],
               "ACME_WC_SECRET": creds["consumer_secret"], "ACME_WP_USER": creds["wp_user"],
               "ACME_WP_APP_PASSWORD": creds["wp_application_password"]}
        yield db, sb, project, str(tmp_path / "state"), env


def _run(project: Path, state: str, env: dict, monkeypatch, flow: str) -> dict:
    got, _, err = cli(["run", str(project), "--state", state, "--flow", flow], env, monkeypatch)
    assert got == 0, err
    (match,) = [m for m in SUMMARY.finditer(err) if m["flow"] == flow]
    return {k: int(v) for k, v in match.groupdict().items() if k != "flow"}


def _writes(sim) -> list[tuple[str, str]]:
    return [(method, path.split("?")[0]) for method, path, _ in sim.requests if method in WRITES]


def _read_back(wc: httpx.Client) -> dict:
    """The catalogue as WooCommerce's API serves it: categories by slug, products and variations by SKU."""
    def every(path: str) -> list[dict]:
        return woo_every(wc, path)
    categories = {c["slug"]: c for c in every("products/categories")}
    products = {p["sku"]: p for p in every("products")}
    variations = {v["sku"]: v for p in products.values() if p["type"] == "variable" and p["sku"] in RANGES
                  for v in every(f"products/{p['id']}/variations")}
    return {"categories": categories, "products": products, "variations": variations}


def test_the_whole_catalogue_once_then_nothing_then_only_the_changes(running, monkeypatch):
    db, sb, project, state, env = running
    sim = sb.sim("woocommerce")
    first = {flow: _run(project, state, env, monkeypatch, flow) for flow in FLOWS}
    assert all(s["failed"] == 0 for s in first.values()), first
    wc = woo_client(sb)
    shop = _read_back(wc)

    # categories: one per Sage family, found by slug or created, as the families' tree: the centralisers and
    # the families under none at the top, the others under their centraliser's category
    assert {s: shop["categories"][s]["name"] for s in ("bougies", "the", "cadeau")} == \
        {"bougies": "Bougies & senteurs", "the": "Thés & infusions", "cadeau": "Cartes cadeaux"}
    families = db.rows('SELECT f."FA_CodeFamille", p."FA_CodeFamille" FROM "F_FAMILLE" f LEFT JOIN "F_FAMILLE" p '
                       'ON p."FA_CodeFamille" = f."FA_Central" AND p."FA_CodeFamille" <> f."FA_CodeFamille"')
    assert {code.lower(): shop["categories"][code.lower()]["parent"] for code, _ in families} == \
        {code.lower(): shop["categories"][parent.lower()]["id"] if parent else 0 for code, parent in families}
    assert (first["categories_to_shop"]["created"], first["subcategories_to_shop"]["created"]) == (3, 4)
    # simple products: every Sage article, name, price excluding tax, tax class, weight, EAN, category
    vanilla = shop["products"]["BOUG-VANILLE"]
    assert (vanilla["name"], vanilla["regular_price"], vanilla["tax_class"], vanilla["weight"], vanilla["status"]) == \
        ("Bougie parfumée vanille", "12.90", "", "0.35", "publish")
    assert vanilla["global_unique_id"] == "3760123400000"
    assert [c["slug"] for c in vanilla["categories"]] == ["bougies"]
    assert shop["products"]["THE-SENCHA"]["tax_class"] == "reduced-rate"
    assert shop["products"]["CARTE-50"]["tax_class"] == "zero-rate"
    assert shop["products"]["BOUG-NOEL"]["status"] == "draft"  # dormant in Sage: hidden, not deleted
    assert first["products_to_shop"]["created"] == 40
    # stock: forward, summed over both depots (BOUG-VANILLE: 10 + 5 - 3 in depot 1, 16 + 12 - 1 in 2)
    assert vanilla["stock_quantity"] == 12 + 27
    # the range articles: variable products with their axes, one variation per enumerated reference
    tshirt = shop["products"]["TS01"]
    assert tshirt["type"] == "variable"
    assert [(a["name"], a["options"]) for a in tshirt["attributes"]] == \
        [("Taille", ["S", "M", "L"]), ("Couleur", ["Bleu", "Rouge", "Écru"])]
    assert [(a["name"], a["options"]) for a in shop["products"]["NAPPE-LIN"]["attributes"]] == \
        [("Couleur", ["Bleu", "Rouge", "Écru"])]
    ts_variations = {sku: v for sku, v in shop["variations"].items() if sku.startswith("TS01-")}
    assert len(ts_variations) == 9 and len(shop["variations"]) == 12
    small_blue = shop["variations"]["TS01-S-BL"]
    assert [(a["name"], a["option"]) for a in small_blue["attributes"]] == [("Taille", "S"), ("Couleur", "Bleu")]
    assert (small_blue["regular_price"], small_blue["status"], small_blue["manage_stock"]) == ("24.90", "publish", True)
    expected = dict(db.rows('SELECT e."AE_Ref", SUM(s."GS_QteSto" + s."GS_QteCom" - s."GS_QteRes") FROM "F_ARTENUMREF" e '
                            'JOIN "F_GAMSTOCK" s ON s."AR_Ref" = e."AR_Ref" AND s."AG_No1" = e."AG_No1" '
                            'AND s."AG_No2" = e."AG_No2" GROUP BY e."AE_Ref"'))
    assert {sku: v["stock_quantity"] for sku, v in shop["variations"].items()} == \
        {sku: int(q) for sku, q in expected.items()}
    assert shop["variations"]["TS01-L-EC"]["status"] == "private"  # AE_Sommeil 1: disabled
    # prices per tariff category: the Wholesale Prices extension's meta, one role per category
    assert _meta(vanilla, "wholesale_customer_wholesale_price") == "10.32"  # category 2: AC_PrixVen
    assert _meta(vanilla, "wholesale_customer_have_wholesale_price") == "yes"
    assert _meta(shop["products"]["THEIERE-08"], "chr_customer_wholesale_price") == "40.70"  # 18.50 × AC_Coef 2.2
    # quantity tiers of category 2: Wholesale Prices Premium's rules (BOUG-VANILLE: 0 %, 10 % from 10, 15 % from 100)
    assert _meta(vanilla, "wwpp_post_meta_enable_quantity_discount_rule") == "yes"
    assert _tiers(vanilla) == [("wholesale_customer", "1", "9", "percent-price", "0.00"),
                               ("wholesale_customer", "10", "99", "percent-price", "10.00"),
                               ("wholesale_customer", "100", "", "percent-price", "15.00")]
    assert _meta(shop["products"]["TASSE-GRES"], "wwpp_post_meta_quantity_discount_rule_mapping") is None  # customer tiers
    # promotions: each article's dated Sage scheme (its own or its family's) as a sale price with its dates in UTC
    prices = {ref: Decimal(str(p)) for ref, p in db.rows('SELECT "AR_Ref", "AR_PrixVen" FROM "F_ARTICLE"')}

    def off(ref: str, percent: int) -> str:
        return str((prices[ref] * (100 - percent) / 100).quantize(Decimal("0.01")))

    def regular(ref: str) -> str:
        return str(prices[ref].quantize(Decimal("0.01")))

    candles = [ref for (ref,) in db.rows('SELECT "AR_Ref" FROM "F_ARTICLE" WHERE "FA_CodeFamille" = ?', "BOUGIES")]
    assert len(candles) > 2
    winter = ("2023-01-10T23:00:00", "2023-02-07T22:59:59")  # 2023-01-11 00:00 to 2023-02-07 23:59:59 in Paris
    assert {sku: _sale(p) for sku, p in shop["products"].items() if p["sale_price"]} == {
        # winter sales 2023, 20 %: the teapot and the BOUGIES family; ended, so not on sale
        **{ref: (off(ref, 20), *winter, False, regular(ref))
           for ref in ("THEIERE-08", *candles)},
        # green teas -10 % for tariff category 1 (the public), from 2024 to the end of 2099: on sale now
        **{ref: (off(ref, 10), "2023-12-31T23:00:00", "2099-12-31T22:59:59", True, off(ref, 10))
           for ref in ("THE-SENCHA", "THE-MATCHA")},
        # the throw's launch offer, 25 % in 2099: not started
        "PLAID-MERINOS": (off("PLAID-MERINOS", 25), "2098-12-31T23:00:00", "2099-03-31T21:59:59", False,
                          regular("PLAID-MERINOS"))}
    assert {v["sale_price"] for v in shop["variations"].values()} == {""}  # no scheme on a range yet

    # images: each file uploaded once to the media library, the product's images in Sage's order (the photo
    # first: the featured image), each served with the bytes of its file
    media = project / "images"
    assert {sku: [_sha(sb, i["src"]) for i in p["images"]] for sku, p in shop["products"].items() if p.get("images")} == \
        {sku: [hashlib.sha256((media / f).read_bytes()).hexdigest() for f in files] for sku, files in IMAGES.items()}
    assert len(sim.wp.attachments) == 6 and first["media_to_shop"]["created"] == 6

    # a second run sends nothing at all
    sim.requests.clear()
    for flow in FLOWS:
        again = _run(project, state, env, monkeypatch, flow)
        assert (again["created"], again["updated"], again["failed"]) == (0, 0, 0), (flow, again)
    assert _writes(sim) == []
    assert _read_back(wc) == shop

    # a price, a stock quantity, a variant's stock and a price tier change in Sage: exactly those are sent
    with db.connect() as conn:
        conn.execute('UPDATE "F_TARIFQTE" SET "TQ_Remise01REM_Valeur" = 12 WHERE "AR_Ref" = ? AND "TQ_BorneSup" = 99',
                     "BOUG-VANILLE")
        conn.execute('UPDATE "F_ARTICLE" SET "AR_PrixVen" = 13.5, "cbModification" = CURRENT_TIMESTAMP '
                     'WHERE "AR_Ref" = ?', "BOUG-FIGUE")
        conn.execute('UPDATE "F_ARTSTOCK" SET "AS_QteSto" = "AS_QteSto" + 5, "cbModification" = CURRENT_TIMESTAMP '
                     'WHERE "AR_Ref" = ? AND "DE_No" = 2', "TASSE-GRES")
        conn.execute('UPDATE "F_GAMSTOCK" SET "GS_QteSto" = "GS_QteSto" + 2 WHERE "AR_Ref" = ? AND "DE_No" = 1 '
                     'AND "AG_No1" = (SELECT "AG_No1" FROM "F_ARTENUMREF" WHERE "AE_Ref" = ?) '
                     'AND "AG_No2" = (SELECT "AG_No2" FROM "F_ARTENUMREF" WHERE "AE_Ref" = ?)',
                     "TS01", "TS01-M-RO", "TS01-M-RO")
        # one promotion date: the throw's launch offer ends a month later
        conn.execute('UPDATE "F_TARIF" SET "TF_Fin" = ?, "cbModification" = CURRENT_TIMESTAMP WHERE "TF_No" = 3',
                     datetime(2099, 4, 30))
    photo = media / IMAGES["THEIERE-08"][0]  # one image: the teapot's photo (the JPEG's last bytes)
    photo.write_bytes(photo.read_bytes()[:-2] + b"\x00\x01\xff\xd9")
    sim.requests.clear()
    for flow in FLOWS:
        _run(project, state, env, monkeypatch, flow)
    ids = {sku: r["id"] for sku, r in {**shop["products"], **shop["variations"]}.items()}
    assert sorted(_writes(sim)) == sorted([
        ("PUT", f"/wp-json/wc/v3/products/{ids['BOUG-FIGUE']}"),
        ("PUT", f"/wp-json/wc/v3/products/{ids['BOUG-VANILLE']}"),
        ("PUT", f"/wp-json/wc/v3/products/{ids['PLAID-MERINOS']}"),
        ("POST", "/wp-json/wp/v2/media"), ("PUT", f"/wp-json/wc/v3/products/{ids['THEIERE-08']}"),
        ("PUT", f"/wp-json/wc/v3/products/{ids['TASSE-GRES']}"),
        ("PUT", f"/wp-json/wc/v3/products/{ids['TS01']}/variations/{ids['TS01-M-RO']}")])
    after = _read_back(wc)
    assert after["products"]["BOUG-FIGUE"]["regular_price"] == "13.50"
    assert after["products"]["TASSE-GRES"]["stock_quantity"] == shop["products"]["TASSE-GRES"]["stock_quantity"] + 5
    assert after["variations"]["TS01-M-RO"]["stock_quantity"] == shop["variations"]["TS01-M-RO"]["stock_quantity"] + 2
    assert _tiers(after["products"]["BOUG-VANILLE"])[1] == ("wholesale_customer", "10", "99", "percent-price", "12.00")
    assert _sale(after["products"]["PLAID-MERINOS"])[1:3] == ("2098-12-31T23:00:00", "2099-04-30T21:59:59")
    # the changed photo replaces the old one in place: a new attachment first, the back view unchanged
    old, new = shop["products"]["THEIERE-08"]["images"], after["products"]["THEIERE-08"]["images"]
    assert len(new) == 2 and new[0]["id"] != old[0]["id"] and new[1]["id"] == old[1]["id"]
    assert _sha(sb, new[0]["src"]) == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert {sku: p.get("images") for sku, p in after["products"].items() if sku != "THEIERE-08"} == \
        {sku: p.get("images") for sku, p in shop["products"].items() if sku != "THEIERE-08"}


def test_a_range_in_a_promotion_puts_its_variations_on_sale_and_a_removed_one_ends_it(running, monkeypatch):
    db, sb, project, state, env = running
    for flow in ("categories_to_shop", "subcategories_to_shop", "products_to_shop", "variations_to_shop"):
        _run(project, state, env, monkeypatch, flow)
    with db.connect() as conn:  # the T-shirt joins the green teas' scheme (-10 %, 2024 to 2099)
        conn.execute('INSERT INTO "F_TARIFSELECT" ("TF_No", "TS_Interes", "TS_Ref") VALUES (2, 1, ?)', "TS01")
    sim = sb.sim("woocommerce")
    sim.requests.clear()
    again = {flow: _run(project, state, env, monkeypatch, flow) for flow in ("products_to_shop", "variations_to_shop")}
    assert (again["products_to_shop"]["updated"], again["variations_to_shop"]["updated"]) == (0, 9)
    with woo_client(sb) as wc:
        shop = _read_back(wc)
    assert {_sale(v) for sku, v in shop["variations"].items() if sku.startswith("TS01-")} == \
        {("22.41", "2023-12-31T23:00:00", "2099-12-31T22:59:59", True, "22.41")}  # 24.90 less 10 %
    with db.connect() as conn:  # the scheme loses the T-shirt again: its sale ends (sale_price "")
        conn.execute('DELETE FROM "F_TARIFSELECT" WHERE "TF_No" = 2 AND "TS_Ref" = ?', "TS01")
    assert _run(project, state, env, monkeypatch, "variations_to_shop")["updated"] == 9
    with woo_client(sb) as wc:
        shop = _read_back(wc)
    assert {_sale(v) for sku, v in shop["variations"].items() if sku.startswith("TS01-")} == \
        {("", None, None, False, "24.90")}


def _sha(sb, url: str) -> str:
    """The SHA-256 of a media file as the site serves it at its ``source_url``."""
    got = httpx.get(url, timeout=10)
    assert got.status_code == 200 and got.headers["content-type"].startswith("image/")
    return hashlib.sha256(got.content).hexdigest()


def _sale(record: dict) -> tuple:
    return (record["sale_price"], record["date_on_sale_from_gmt"], record["date_on_sale_to_gmt"], record["on_sale"],
            record["price"])


def test_a_tier_removed_in_sage_is_removed_in_the_shop(running, monkeypatch):
    db, sb, project, state, env = running
    for flow in ("categories_to_shop", "subcategories_to_shop", "products_to_shop", "tier_prices_to_shop"):
        _run(project, state, env, monkeypatch, flow)
    with db.connect() as conn:
        conn.execute('DELETE FROM "F_TARIFQTE" WHERE "AR_Ref" = ? AND "TQ_BorneSup" = 99', "BOUG-VANILLE")
    again = _run(project, state, env, monkeypatch, "tier_prices_to_shop")
    assert (again["created"] + again["updated"], again["failed"]) == (1, 0)
    with woo_client(sb) as wc:
        (vanilla,) = wc.get("products", params={"sku": "BOUG-VANILLE"}).json()
    # the tiers are recomputed from what is left: the 100+ tier now starts after the 1-9 one
    assert _tiers(vanilla) == [("wholesale_customer", "1", "9", "percent-price", "0.00"),
                               ("wholesale_customer", "10", "", "percent-price", "15.00")]


def _meta(record: dict, key: str):
    return next((m["value"] for m in record["meta_data"] if m["key"] == key), None)


def _tiers(record: dict) -> list[tuple]:
    return [(r["wholesale_role"], r["start_qty"], r["end_qty"], r["price_type"], r["wholesale_price"])
            for r in _meta(record, "wwpp_post_meta_quantity_discount_rule_mapping") or []]


def test_validate_passes(running, monkeypatch):
    _, _, project, _, env = running
    code, out, err = cli(["validate", str(project)], env, monkeypatch)
    assert code == 0, out + err
