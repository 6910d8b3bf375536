"""The shipped connector ``specs/connectors/sage100-sql.yaml`` read and written through ``open_connector``
against the seeded Sage 100c database, on SQLite (SQLite ODBC driver) and PostgreSQL (psqlODBC) alike:
every resource gives the seeded facts (``sandbox/passerelle_sandbox/sage100sql_seed.py``) with exact
numbers, an incremental read after an UPDATE gives just that row, ``insert_order`` numbers pieces from
``F_DOCCURRENTPIECE`` under a lock (two writers at once: BC00042 and BC00043) and rolls everything back
when a line fails. Nothing of pyodbc or the drivers is mocked."""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest
import yaml

from engine.connectors.compile import open_connector
from engine.connectors.errors import EndpointError
from engine.spec.env import Secret
from support import ROOT

pytestmark = pytest.mark.slow  # starts the session's PostgreSQL cluster

DEFINITION = yaml.safe_load((ROOT / "specs" / "connectors" / "sage100-sql.yaml").read_text("utf-8"))["connector"]
DEFAULTS = {name: decl["default"] for name, decl in DEFINITION["settings"].items() if "default" in decl}
SEEDED = "2024-01-15T09:30:00+01:00"  # every seeded row's cbModification (09:30 in Paris, winter)
AFTER_SEED = "2024-01-15T09:30:01+01:00"


def opened(db, **settings):
    return open_connector("sage", DEFINITION, {**DEFAULTS, "dialect": db.engine, **settings,
                                               "connection": Secret(db.connection_string)})


@pytest.fixture
def db(sage_engine, sage_database):
    # psqlODBC streams a result set only with UseDeclareFetch (else it is read whole into memory)
    return sage_database(sage_engine, options=";UseDeclareFetch=1;Fetch=50" if sage_engine == "postgresql" else "")


@pytest.fixture
def sage(db):
    endpoint = opened(db)
    yield endpoint
    endpoint.close()


def read(endpoint, resource: str, **kwargs) -> list[dict]:
    return [r for page in endpoint.read(resource, **kwargs) for r in page]


def by(rows: list[dict], *fields: str) -> dict:
    return {tuple(r[f] for f in fields) if len(fields) > 1 else r[fields[0]]: r for r in rows}


def test_articles_with_price_weight_family_dormant_flag_and_barcode(sage):
    articles = by(read(sage, "articles"), "AR_Ref")
    assert len(articles) == 40
    teapot = articles["THEIERE-08"]
    assert (teapot["AR_Design"], teapot["AR_PrixVen"], teapot["AR_PrixTTC"], teapot["AR_PoidsNet"],
            teapot["FA_CodeFamille"], teapot["AR_Sommeil"], teapot["AR_CodeBarre"]) == \
        ("Théière fonte 0,8 L", Decimal("45.9"), 0, Decimal("1.4"), "TABLE", 0, "3760123400008")
    assert teapot["cbModification"] == SEEDED
    assert {ref for ref, a in articles.items() if a["AR_Sommeil"]} == {"BOUG-NOEL", "MUG-NOEL", "RIDEAU-2014"}
    assert (articles["TS01"]["AR_Gamme1"], articles["TS01"]["AR_Gamme2"]) == (1, 2)
    assert not any(isinstance(v, float) for a in articles.values() for v in a.values())
    assert [r["AR_Ref"] for r in read(sage, "articles", where={"FA_CodeFamille": "CADEAU"})] == \
        ["CARTE-100", "CARTE-25", "CARTE-50"]  # ordered by cbModification then AR_Ref (code points)


def test_stock_per_depot_and_aggregated_forward_by_default(sage):
    depot = by(read(sage, "stock_by_depot", where={"DE_No": 1}), "AR_Ref")
    vanilla = depot["BOUG-VANILLE"]
    assert (vanilla["AS_QteSto"], vanilla["AS_QteRes"], vanilla["AS_QteCom"], vanilla["stock"]) == (10, 3, 5, 12)
    assert vanilla["DE_Intitule"] == "Dépôt principal" and len(depot) == 37  # the gift cards hold no stock
    total = by(read(sage, "stock"), "AR_Ref")
    assert (total["BOUG-VANILLE"]["stock"], total["BOUG-VANILLE"]["physical"]) == (12 + 27, 10 + 16)
    assert by(read(sage, "stock", where={"DE_No": 1}), "AR_Ref")["BOUG-VANILLE"]["stock"] == 12
    assert "CARTE-25" not in total and len(total) == 37


def test_the_stock_formula_is_a_setting(db):
    with opened(db, stock_formula="physical") as sage:
        assert by(read(sage, "stock", where={"DE_No": 1}), "AR_Ref")["BOUG-VANILLE"]["stock"] == 10
    with db.connect() as conn:
        conn.execute('UPDATE "F_ARTSTOCK" SET "AS_QtePrepa" = 2 WHERE "AR_Ref" = ? AND "DE_No" = 1', "BOUG-VANILLE")
    with opened(db, subtract_preparing="yes") as sage:
        assert by(read(sage, "stock_by_depot", where={"DE_No": 1}), "AR_Ref")["BOUG-VANILLE"]["stock"] == 10
    with opened(db) as sage:  # not subtracted by default
        assert by(read(sage, "stock_by_depot", where={"DE_No": 1}), "AR_Ref")["BOUG-VANILLE"]["stock"] == 12
    with opened(db, stock_formula="forwrd") as sage:  # a typo gives no stock, never a wrong one
        assert by(read(sage, "stock", where={"DE_No": 1}), "AR_Ref")["BOUG-VANILLE"]["stock"] is None


def test_category_and_customer_prices_and_quantity_tiers(sage):
    prices = by(read(sage, "category_prices"), "AR_Ref", "AC_Categorie")
    assert prices["BOUG-VANILLE", 2]["price"] == Decimal("10.32")  # 80 % of 12.90, AC_PrixVen
    assert prices["BOUG-VANILLE", 2]["AC_QteMont"] == 1 and prices["BOUG-VANILLE", 2]["CT_Intitule"] == "Revendeurs"
    assert prices["THEIERE-08", 3]["price"] == Decimal("40.7")  # no AC_PrixVen: AR_PrixAch 18.50 × AC_Coef 2.2
    assert len(prices) == 37 + 11 and not any(ref.startswith("CARTE") for ref, _ in prices)
    assert sorted(r["AR_Ref"] for r in read(sage, "category_prices", where={"AC_Categorie": 3})) == sorted(
        ref for ref, cat in prices if cat == 3)
    own = sorted((r["AR_Ref"], r["CT_Num"], r["price"], r["AC_RefClient"], r["CT_EMail"], r["CT_Sommeil"])
                 for r in read(sage, "customer_prices"))
    assert own == [("BOUG-VANILLE", "CL-DUPONT", Decimal("9.9"), "DUP-BV", "cl-dupont@exemple.fr", 0),
                   ("PLAID-MERINOS", "CL-LEFEVRE", Decimal("84"), None, "cl-lefevre@exemple.fr", 0),
                   ("TASSE-GRES", "CL-ETOILE", Decimal("4.56"), None, "cl-etoile@exemple.fr", 0),  # 2.40 × 1.9
                   ("THEIERE-08", "CL-DUPONT", Decimal("39.9"), "DUP-TH08", "cl-dupont@exemple.fr", 0)]
    assert [r["AR_Ref"] for r in read(sage, "customer_prices", where={"CT_Num": "CL-ETOILE"})] == ["TASSE-GRES"]
    tiers = [(t["AR_Ref"], t["TQ_RefCF"], t["min_quantity"], t["TQ_BorneSup"], t["TQ_Remise01REM_Valeur"],
              t["TQ_Remise01REM_Type"], t["TQ_PrixNet"]) for t in read(sage, "quantity_tiers")]
    assert sorted(tiers) == [
        ("BOUG-VANILLE", "a02", 1, 9, 0, 1, 0), ("BOUG-VANILLE", "a02", 10, 99, 10, 1, 0),
        ("BOUG-VANILLE", "a02", 100, 999999, 15, 1, 0),
        ("TASSE-GRES", "CL-ETOILE", 1, 47, 0, 0, Decimal("5.6")),
        ("TASSE-GRES", "CL-ETOILE", 48, 999999, 0, 0, Decimal("4.9"))]


def test_tax_codes_fall_back_on_the_family(sage):
    taxes = by(read(sage, "tax_codes"), "AR_Ref")
    assert len(taxes) == 40
    earl_grey = taxes["THE-EARLGREY"]  # no F_ARTCOMPTA row: its family THE's F_FAMCOMPTA applies
    assert (earl_grey["TA_Code"], earl_grey["source"], earl_grey["TA_Taux"]) == ("C05", "family", Decimal("5.5"))
    assert (taxes["THE-SENCHA"]["TA_Code"], taxes["THE-SENCHA"]["source"]) == ("C05", "article")
    assert (taxes["BOITE-THE"]["TA_Code"], taxes["BOITE-THE"]["TA_Taux"]) == ("C20", 20)  # its own, not THE's
    assert (taxes["CARTE-50"]["TA_Code"], taxes["CARTE-50"]["TA_Taux"]) == ("EXO", 0)
    assert [r["TA_Code"] for r in read(sage, "tax_codes", keys=("AR_Ref", ["THE-EARLGREY"]))] == ["C05"]


def test_tax_codes_of_another_accounting_category_are_null(db):
    with opened(db, accounting_category=2) as sage:
        row = by(read(sage, "tax_codes"), "AR_Ref")["THE-EARLGREY"]
    assert (row["TA_Code"], row["source"], row["TA_Taux"]) == (None, None, None)


def test_families_variants_and_their_stock(sage, db):
    assert [f["FA_CodeFamille"] for f in read(sage, "families")] == [
        "BOUGIES", "CADEAU", "EPICERIE", "LINGE", "MAISON", "TABLE", "THE"]  # two centralisers (family_tree)
    variants = by(read(sage, "variants", keys=("AR_Ref", ["TS01"])), "AE_Ref")
    assert len(variants) == 9
    blue_s = variants["TS01-S-BL"]
    assert (blue_s["axis1"], blue_s["value1"], blue_s["axis2"], blue_s["value2"]) == ("Taille", "S", "Couleur", "Bleu")
    assert [ref for ref, v in variants.items() if v["AE_Sommeil"]] == ["TS01-L-EC"]  # L-Écru no longer made
    expected = dict(db.rows(
        'SELECT e."AE_Ref", SUM(s."GS_QteSto" + s."GS_QteCom" - s."GS_QteRes") FROM "F_ARTENUMREF" e '
        'JOIN "F_GAMSTOCK" s ON s."AR_Ref" = e."AR_Ref" AND s."AG_No1" = e."AG_No1" AND s."AG_No2" = e."AG_No2" '
        'WHERE e."AR_Ref" = ? GROUP BY e."AE_Ref"', "TS01"))
    assert {ref: v["stock"] for ref, v in variants.items()} == expected and len(set(expected.values())) > 1
    cloth = read(sage, "variants", where={"AR_Ref": "NAPPE-LIN"})
    assert [(v["value1"], v["axis2"], v["value2"]) for v in cloth] == [
        ("Bleu", None, None), ("Rouge", None, None), ("Écru", None, None)]


def test_customers_addresses_and_carriers(sage):
    customers = by(read(sage, "customers"), "CT_Num")
    assert sorted(customers) == ["CL-ANCIEN", "CL-DUPONT", "CL-ETOILE", "CL-LEFEVRE", "WEB000056"]  # no supplier
    assert (customers["CL-DUPONT"]["N_CatTarif"], customers["CL-DUPONT"]["tariff_name"]) == (2, "Revendeurs")
    assert customers["CL-ANCIEN"]["CT_Sommeil"] == 1
    addresses = read(sage, "delivery_addresses", keys=("CT_Num", ["CL-DUPONT"]))
    assert [(a["LI_No"], a["LI_Intitule"], a["LI_Principal"]) for a in addresses] == [
        (1, "Siège", 1), (2, "Boutique Croix-Rousse", 0)]
    assert [(c["cbIndice"], c["E_Intitule"]) for c in read(sage, "carriers")] == [
        (1, "Colissimo"), (2, "Chronopost 13h"), (3, "Retrait en boutique")]  # the blank slots left out


def test_an_incremental_read_after_an_update_returns_just_that_row(sage, db):
    for resource in ("articles", "stock", "stock_by_depot", "category_prices", "customers"):
        assert read(sage, resource, since=("cbModification", AFTER_SEED)) == [], resource
        assert len(read(sage, resource, since=("cbModification", SEEDED))) > 1, resource  # >=: equal stamps
    with db.connect() as conn:
        conn.execute('UPDATE "F_ARTICLE" SET "AR_PrixVen" = 13.5 WHERE "AR_Ref" = ?', "BOUG-FIGUE")
        conn.execute('UPDATE "F_ARTSTOCK" SET "AS_QteSto" = 40 WHERE "AR_Ref" = ? AND "DE_No" = 2', "BOUG-VANILLE")
        conn.execute('UPDATE "F_ARTCLIENT" SET "AC_PrixVen" = 9.9 WHERE "AR_Ref" = ? AND "AC_Categorie" = 2',
                     "BOUG-AMBRE")
    (article,) = read(sage, "articles", since=("cbModification", AFTER_SEED))
    assert (article["AR_Ref"], article["AR_PrixVen"]) == ("BOUG-FIGUE", Decimal("13.5"))
    (stock,) = read(sage, "stock", since=("cbModification", AFTER_SEED))
    assert (stock["AR_Ref"], stock["stock"]) == ("BOUG-VANILLE", 12 + 40 + 12 - 1)  # summed over both depots
    (row,) = read(sage, "stock_by_depot", since=("cbModification", AFTER_SEED))
    assert (row["AR_Ref"], row["DE_No"], row["stock"]) == ("BOUG-VANILLE", 2, 40 + 12 - 1)
    (price,) = read(sage, "category_prices", since=("cbModification", AFTER_SEED))
    assert (price["AR_Ref"], price["price"]) == ("BOUG-AMBRE", Decimal("9.9"))


ORDER = {"reference": "PS_1042", "date": "2024-05-14", "customer": "CL-DUPONT", "depot": None, "address": 2,
         "carrier": None, "total_ht": Decimal("91.50"), "total_ttc": Decimal("109.80"),
         "lines": [{"ref": "BOUG-VANILLE", "design": None, "qty": Decimal("4"), "price": Decimal("10.32"),
                    "discount": None, "tax_code": "C20", "tax_rate": Decimal("20"), "total_ht": Decimal("41.28"),
                    "total_ttc": Decimal("49.54")},
                   {"ref": "THEIERE-08", "design": "Théière fonte 0,8 L (cadeau)", "qty": Decimal("1"),
                    "price": Decimal("50.22"), "discount": Decimal("0"), "tax_code": "C20", "tax_rate": Decimal("20"),
                    "total_ht": Decimal("50.22"), "total_ttc": Decimal("60.26")}]}


def test_insert_order_writes_a_document_numbered_from_the_counter(sage, db):
    result = sage.write("insert_order", ORDER)
    assert result.result == "BC00042"
    assert db.rows('SELECT "DO_Type", "DO_Tiers", "DO_Ref", "DO_Tarif", "DO_Expedit", "DE_No", "LI_No" '
                   'FROM "F_DOCENTETE" WHERE "DO_Piece" = ?', "BC00042") == [(1, "CL-DUPONT", "PS_1042", 2, 1, 1, 2)]
    lines = db.rows('SELECT "DL_No", "DL_Ligne", "AR_Ref", "DL_Design", "DL_Qte", "CT_Num", "DL_PieceBC" '
                    'FROM "F_DOCLIGNE" WHERE "DO_Piece" = ? ORDER BY "DL_Ligne"', "BC00042")
    assert [(no, line, ref, design, Decimal(str(qty)), ct, bc) for no, line, ref, design, qty, ct, bc in lines] == [
        (3, 1000, "BOUG-VANILLE", "Bougie parfumée vanille", 4, "CL-DUPONT", "BC00042"),  # the article's design
        (4, 2000, "THEIERE-08", "Théière fonte 0,8 L (cadeau)", 1, "CL-DUPONT", "BC00042")]
    assert db.rows('SELECT "DC_Piece" FROM "F_DOCCURRENTPIECE" WHERE "DC_Domaine" = 0 AND "DC_IdCol" = 1') == \
        [("BC00043",)]
    assert sage.find("find_order", {"reference": "PS_1042"})[0]["DO_Piece"] == "BC00042"
    assert sage.find("find_order", {"reference": "PS_9999"}) == []


def test_two_orders_at_once_get_bc00042_and_bc00043(db):
    pieces: list = []
    errors: list = []
    start = threading.Barrier(2)

    def writer(reference: str) -> None:
        try:
            with opened(db) as sage:
                start.wait()
                pieces.append(sage.write("insert_order", {**ORDER, "reference": reference}).result)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(ref,)) for ref in ("PS_A", "PS_B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(pieces) == ["BC00042", "BC00043"]
    assert db.rows('SELECT COUNT(DISTINCT "DL_No"), COUNT(*) FROM "F_DOCLIGNE"') == [(6, 6)]
    assert sorted(db.rows('SELECT "DO_Piece", "DL_Ligne" FROM "F_DOCLIGNE" WHERE "DO_Piece" <> ?', "BC00041")) == [
        ("BC00042", 1000), ("BC00042", 2000), ("BC00043", 1000), ("BC00043", 2000)]


@pytest.mark.parametrize("broken", ["line", "customer"])
def test_a_failing_line_or_customer_rolls_back_everything(sage, db, broken):
    bad = ({**ORDER, "lines": [*ORDER["lines"], {**ORDER["lines"][0], "ref": "NO-SUCH-REF"}]} if broken == "line"
           else {**ORDER, "customer": "NOBODY"})
    with pytest.raises(EndpointError) as info:
        sage.write("insert_order", bad)
    assert not info.value.transient and not info.value.outcome_unknown  # refused: set aside, never retried
    assert "insert_order" in info.value.message
    assert db.rows('SELECT COUNT(*) FROM "F_DOCENTETE"') == [(1,)]  # the seeded BC00041 only
    assert db.rows('SELECT COUNT(*) FROM "F_DOCLIGNE"') == [(2,)]
    assert db.rows('SELECT "DC_Piece" FROM "F_DOCCURRENTPIECE" WHERE "DC_Domaine" = 0 AND "DC_IdCol" = 1') == \
        [("BC00042",)]
    assert sage.write("insert_order", ORDER).result == "BC00042"  # the piece was not spent


def test_the_sql_server_dialect_locks_the_counter_with_updlock(db):
    with opened(db, dialect="mssql") as sage:
        body = sage.describe_write("insert_order", ORDER)["body"]
    assert 'FROM "F_DOCCURRENTPIECE" WITH (UPDLOCK) WHERE' in body and "FOR UPDATE" not in body
    with opened(db, dialect="postgresql") as sage:
        assert "FOR UPDATE" in sage.describe_write("insert_order", ORDER)["body"]
