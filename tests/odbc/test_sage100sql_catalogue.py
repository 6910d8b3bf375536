"""The catalogue resources of ``specs/connectors/sage100-sql.yaml`` (what the shop templates read: variants
with their price impact and stock per depot, variant prices, families and the catalogue as trees,
promotions with dates, translations, images and documents) read through ``open_connector`` from the
seeded Sage 100c database on SQLite (SQLite ODBC driver) and PostgreSQL (psqlODBC): each gives the seeded
facts (``sandbox/passerelle_sandbox/sage100sql_catalogue.py``), and an incremental read after a change
gives just what changed. Nothing of pyodbc or the drivers is mocked."""
from __future__ import annotations

from decimal import Decimal

import pytest

from test_sage100sql_connector import AFTER_SEED, by, opened, read

from passerelle_sandbox.sage100sql_media import MEDIA_ROOT, media_files, write_media

pytestmark = pytest.mark.slow  # starts the session's PostgreSQL cluster


@pytest.fixture
def db(sage_engine, sage_database):
    return sage_database(sage_engine)


@pytest.fixture
def sage(db):
    endpoint = opened(db, media_root=MEDIA_ROOT)
    yield endpoint
    endpoint.close()


def _int(value):
    return None if value is None else int(value)  # SQLite's driver gives an expression's integers as text


def test_variants_carry_their_price_impact_and_stock_per_depot(sage, db):
    variants = by(read(sage, "variants", keys=("AR_Ref", ["TS01"])), "AE_Ref")
    assert {ref: (v["price"], v["price_impact"]) for ref, v in variants.items() if v["price_impact"]} == {
        "TS01-L-BL": (Decimal("26.9"), 2), "TS01-L-RO": (Decimal("26.9"), 2), "TS01-L-EC": (Decimal("26.9"), 2)}
    assert variants["TS01-S-BL"]["price"] == Decimal("24.9")  # no variant price: the article's
    cloth = by(read(sage, "variants", where={"AR_Ref": "NAPPE-LIN"}), "AE_Ref")
    assert cloth["NAPPE-LIN-EC"]["price_impact"] == 5 and cloth["NAPPE-LIN-BL"]["price_impact"] == 0
    with opened(db, variant_tariff="a02") as resellers:  # the tariff is a setting
        prices = by(read(resellers, "variants", keys=("AR_Ref", ["TS01"])), "AE_Ref")
    assert prices["TS01-L-BL"]["price_impact"] == Decimal("-3.4") and prices["TS01-L-RO"]["price_impact"] == 0

    stock = read(sage, "variant_stock", where={"AR_Ref": "TS01"})
    assert len(stock) == 9 * 2 + 6  # every variant in depots 1 and 2, the blue and red ones in the shop too
    shop = {s["AE_Ref"]: (s["DE_Code"], s["GS_QteSto"], s["stock"]) for s in stock if s["DE_No"] == 3}
    assert shop == {"TS01-S-BL": ("BVL", 1, 1), "TS01-S-RO": ("BVL", 2, 2), "TS01-M-BL": ("BVL", 4, 4),
                    "TS01-M-RO": ("BVL", 1, 1), "TS01-L-BL": ("BVL", 3, 3), "TS01-L-RO": ("BVL", 4, 4)}
    one = by([s for s in stock if s["DE_No"] == 1], "AE_Ref")["TS01-S-RO"]
    assert one["stock"] == one["GS_QteSto"] + one["GS_QteCom"] - one["GS_QteRes"]  # forward by default
    depots = {r["DE_No"] for r in read(sage, "stock_by_depot")}
    assert depots == {1, 2, 3}
    # the article's F_ARTSTOCK row in the shop holds its variants' total there
    assert by(read(sage, "stock_by_depot", where={"DE_No": 3}), "AR_Ref")["TS01"]["AS_QteSto"] == 15
    assert sum(v["stock"] for v in variants.values()) == by(read(sage, "stock"), "AR_Ref")["TS01"]["stock"]


def test_variant_prices_keep_their_decimals_whatever_the_first_row(sage, db):
    # the SQLite ODBC driver types an expression's column from the first row it reads: the variants of
    # NAPPE-LIN come first, at 79 (an integer in SQLite); a variant price of 12.35 after it must stay 12.35
    with db.connect() as conn:
        conn.execute('UPDATE "F_TARIFGAM" SET "TG_Prix" = 12.35 WHERE "AR_Ref" = ? AND "TG_RefCF" = ?', "TS01", "a01")
        conn.commit()
    variants = read(sage, "variants", keys=("AR_Ref", ["NAPPE-LIN", "TS01"]))
    if db.engine == "sqlite":  # the case this is about (PostgreSQL gives its rows in another order)
        assert variants[0]["AR_Ref"] == "NAPPE-LIN" and variants[0]["price"] == 79
    prices = {v["AE_Ref"]: (v["price"], v["price_impact"]) for v in variants if v["AR_Ref"] == "TS01"}
    assert prices["TS01-L-BL"] == (Decimal("12.35"), Decimal("-12.55")) and prices["TS01-S-BL"][0] == Decimal("24.9")
    assert all(isinstance(price, (Decimal, int)) for price, _ in prices.values())
    tariff = {(p["AE_Ref"], p["TG_RefCF"]): p["TG_Prix"] for p in read(sage, "variant_prices")}
    assert tariff[("TS01-L-BL", "a01")] == Decimal("12.35")


def test_variant_prices_per_tariff(sage):
    prices = {(p["AE_Ref"], p["TG_RefCF"]): (p["TG_Prix"], p["price_impact"]) for p in read(sage, "variant_prices")}
    assert prices == {("TS01-L-BL", "a01"): (Decimal("26.9"), 2), ("TS01-L-RO", "a01"): (Decimal("26.9"), 2),
                      ("TS01-L-EC", "a01"): (Decimal("26.9"), 2), ("NAPPE-LIN-EC", "a01"): (84, 5),
                      ("TS01-L-BL", "a02"): (Decimal("21.5"), Decimal("-3.4"))}
    assert [p["AE_Ref"] for p in read(sage, "variant_prices", where={"TG_RefCF": "a02"})] == ["TS01-L-BL"]


def test_families_and_the_catalogue_as_trees(sage):
    tree = {f["FA_CodeFamille"]: (f["parent"], _int(f["level"]), f["FA_Type"]) for f in read(sage, "family_tree")}
    assert tree == {"MAISON": (None, 0, 2), "EPICERIE": (None, 0, 2), "CADEAU": (None, 0, 0),
                    "BOUGIES": ("MAISON", 1, 0), "TABLE": ("MAISON", 1, 0), "LINGE": ("MAISON", 1, 0),
                    "THE": ("EPICERIE", 1, 0)}
    assert sorted(f["FA_CodeFamille"] for f in read(sage, "family_tree", where={"level": 0})) == [
        "CADEAU", "EPICERIE", "MAISON"]
    assert by(read(sage, "families"), "FA_CodeFamille")["THE"]["FA_Central"] == "EPICERIE"
    nodes = {n["CL_No"]: (n["CL_Intitule"], _int(n["parent"]), n["CL_Niveau"]) for n in read(sage, "catalogue_tree")}
    assert nodes[6] == ("Thés verts", 5, 2) and nodes[5] == ("Thés", 4, 1) and nodes[4] == ("Épicerie fine", None, 0)
    assert [n["CL_No"] for n in read(sage, "catalogue_tree", where={"CL_Niveau": 0})] == [1, 4]
    sencha = by(read(sage, "articles", keys=("AR_Ref", ["THE-SENCHA", "CARTE-50"])), "AR_Ref")
    assert [sencha["THE-SENCHA"][f"CL_No{i}"] for i in (1, 2, 3, 4)] == [4, 5, 6, 0]
    assert [sencha["CARTE-50"][f"CL_No{i}"] for i in (1, 2, 3, 4)] == [0, 0, 0, 0]


def test_promotions_past_current_and_future_with_their_dates(sage):
    promotions = read(sage, "promotions")
    rows = {(p["TF_No"], p["AR_Ref"] or p["FA_CodeFamille"]): p for p in promotions}
    assert sorted(rows) == [(1, "BOUGIES"), (1, "THEIERE-08"), (2, "THE-MATCHA"), (2, "THE-SENCHA"),
                            (3, "PLAID-MERINOS")]
    past, current, future = rows[1, "THEIERE-08"], rows[2, "THE-SENCHA"], rows[3, "PLAID-MERINOS"]
    assert (past["TF_Debut"], past["TF_Fin"]) == ("2023-01-11T00:00:00+01:00", "2023-02-07T00:00:00+01:00")
    assert (current["TF_Debut"], current["TF_Fin"]) == ("2024-01-01T00:00:00+01:00", "2099-12-31T00:00:00+01:00")
    assert future["TF_Debut"] == "2099-01-01T00:00:00+01:00"
    assert (past["TR_Remise01REM_Valeur"], past["TR_Remise01REM_Type"], past["bands"]) == (20, 1, 1)
    assert (current["TR_Remise01REM_Valeur"], current["TR_BorneSup"], current["bands"]) == (10, 9, 2)  # first band
    assert _int(current["AC_Categorie"]) == 1 and past["AC_Categorie"] is None  # category 1 only / everyone
    assert rows[1, "BOUGIES"]["AR_Ref"] is None and rows[1, "BOUGIES"]["TS_Interes"] == 0  # a family selection
    assert [p["AR_Ref"] for p in read(sage, "promotions", keys=("AR_Ref", ["PLAID-MERINOS"]))] == ["PLAID-MERINOS"]


def test_translations_of_designations_and_descriptions(sage, db):
    texts = by(read(sage, "translations"), "AR_Ref")
    assert len(texts) == 40
    candle = texts["BOUG-VANILLE"]
    assert (candle["language0"], candle["language1"], candle["language2"]) == ("fr", "en", "de")
    assert (candle["name0"], candle["name1"], candle["name2"]) == (
        "Bougie parfumée vanille", "Vanilla scented candle", "Duftkerze Vanille")
    assert candle["description2"].startswith("Kerze aus Pflanzenwachs") and "Madagascar" in candle["description0"]
    assert (texts["THE-MATCHA"]["name1"], texts["THE-MATCHA"]["name2"]) == ("Ceremonial matcha tea 30 g", None)
    assert (texts["TS01"]["description1"], texts["TS01"]["description2"]) == (
        "Organic cotton T-shirt, straight cut, round neck.", None)  # no German text
    assert (texts["BOL-CERAM"]["name1"], texts["BOL-CERAM"]["description0"]) == (None, None)
    with opened(db, language1="es") as spanish:  # what Sage's "langue 1" is, is the site's
        assert by(read(spanish, "translations", keys=("AR_Ref", ["TS01"])), "AR_Ref")["TS01"]["language1"] == "es"


def test_images_and_documents_name_files_of_the_media_folder(sage, tmp_path):
    images = read(sage, "images")
    assert sorted((i["AR_Ref"], _int(i["position"]), i["file"]) for i in images) == [
        ("BOUG-VANILLE", 0, "articles/bougie-vanille.png"), ("NAPPE-LIN", 0, "articles/nappe-lin.jpg"),
        ("THEIERE-08", 0, "articles/theiere-fonte-08.jpg"), ("THEIERE-08", 1, "articles/theiere-fonte-08-dos.jpg"),
        ("TS01", 0, "articles/tshirt-bio.png"), ("TS01", 1, "articles/tshirt-bio-rouge.png")]
    assert len({i["id"] for i in images}) == 6  # one key per file: minus the article's cbMarq for AR_Photo
    photo = by([i for i in images if _int(i["position"]) == 0], "AR_Ref")["BOUG-VANILLE"]
    assert photo["path"] == "\\\\SAGE-SRV\\Medias\\articles\\bougie-vanille.png"  # as Sage stores it
    (notice,) = read(sage, "documents")
    assert (notice["AR_Ref"], notice["file"], notice["label"]) == (
        "THEIERE-08", "documents/theiere-fonte-notice.pdf", "Notice d'entretien")
    written = write_media(tmp_path)
    files = {i["file"] for i in images} | {notice["file"]}
    assert files == set(media_files()) and all((tmp_path / f).is_file() for f in files) and len(written) == 7
    content = {f: (tmp_path / f).read_bytes() for f in files}
    assert content["articles/bougie-vanille.png"].startswith(b"\x89PNG\r\n\x1a\n")
    assert content["articles/nappe-lin.jpg"][:3] == b"\xff\xd8\xff" and content["articles/nappe-lin.jpg"][-2:] == b"\xff\xd9"
    assert content["documents/theiere-fonte-notice.pdf"].startswith(b"%PDF-1.4") and len(set(content.values())) == 7


def test_incremental_reads_return_what_changed(sage, db):
    resources = ("variant_stock", "variant_prices", "family_tree", "catalogue_tree", "promotions", "translations",
                 "images", "documents")
    for resource in resources:
        assert read(sage, resource, since=("cbModification", AFTER_SEED)) == [], resource
    with db.connect() as conn:
        conn.execute('UPDATE "F_GAMSTOCK" SET "GS_QteSto" = 50 WHERE "AR_Ref" = ? AND "DE_No" = 3 AND "AG_No1" = 1 '
                     'AND "AG_No2" = 4', "TS01")
        conn.execute('UPDATE "F_TARIFGAM" SET "TG_Prix" = 85 WHERE "AR_Ref" = ?', "NAPPE-LIN")
        conn.execute('UPDATE "F_FAMILLE" SET "FA_Intitule" = ? WHERE "FA_CodeFamille" = ?', "Thés du monde", "THE")
        conn.execute('UPDATE "F_CATALOGUE" SET "CL_Intitule" = ? WHERE "CL_No" = 6', "Thés verts du Japon")
        conn.execute('UPDATE "F_TARIFREMISE" SET "TR_Remise01REM_Valeur" = 30 WHERE "TF_No" = 3')  # a band only
        conn.execute('UPDATE "F_GLOSSAIRE" SET "GL_Text" = ? WHERE "GL_No" = 8', "Organic cotton tee.")
        conn.execute('UPDATE "F_ARTICLEMEDIA" SET "ME_Commentaire" = ? WHERE "ME_Fichier" LIKE ?', "Dos", "%dos.jpg")
        conn.execute('UPDATE "F_ARTICLEMEDIA" SET "ME_Commentaire" = ? WHERE "ME_Fichier" LIKE ?', "Notice", "%.pdf")
        conn.commit()
    changed = {resource: read(sage, resource, since=("cbModification", AFTER_SEED)) for resource in resources}
    assert [(s["AE_Ref"], s["DE_No"], s["GS_QteSto"]) for s in changed["variant_stock"]] == [("TS01-S-BL", 3, 50)]
    assert [(p["AE_Ref"], p["price_impact"]) for p in changed["variant_prices"]] == [("NAPPE-LIN-EC", 6)]
    assert [f["FA_CodeFamille"] for f in changed["family_tree"]] == ["THE"]
    assert [n["CL_Intitule"] for n in changed["catalogue_tree"]] == ["Thés verts du Japon"]
    assert [(p["AR_Ref"], p["TR_Remise01REM_Valeur"]) for p in changed["promotions"]] == [("PLAID-MERINOS", 30)]
    assert [(t["AR_Ref"], t["description1"]) for t in changed["translations"]] == [("TS01", "Organic cotton tee.")]
    # every image of the teapot, whose media row changed; none of the others
    assert sorted(((i["AR_Ref"], i["label"]) for i in changed["images"]), key=str) == [
        ("THEIERE-08", "Dos"), ("THEIERE-08", None)]
    assert [(d["AR_Ref"], d["label"]) for d in changed["documents"]] == [("THEIERE-08", "Notice")]
