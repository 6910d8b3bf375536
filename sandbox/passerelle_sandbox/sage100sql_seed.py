"""A seeded, realistic Sage 100c catalogue for the schema of :mod:`passerelle_sandbox.sage100sql`.

``seed(target, size=0)`` writes the same rows on every engine, in the same order (so ``cbMarq`` values
match too), deterministically: families, 40 articles with cp1252-era accents ("Bougie parfumée vanille",
"Théière fonte 0,8 L", "Torchon lin brodé œillet", "Carte cadeau 50 €"), three dormant ones, a range
article (``TS01``: Taille × Couleur, nine enumerated refs, one dormant, stock per variant in
``F_GAMSTOCK``) and a single-range one (``NAPPE-LIN``: ``AG_No2 = 0``), two depots with physical,
reserved and on-order stock, tax codes (20 %, 5.5 %, exempt) with ``F_ARTCOMPTA`` per article except
``THE-EARLGREY`` (its family's ``F_FAMCOMPTA`` applies), tariff categories with category prices,
customer-specific prices of three customers (``F_ARTCLIENT`` rows with ``CT_Num``: net prices and a
coefficient), quantity tiers, customers with delivery addresses, carriers in
``P_EXPEDITION`` with blank unused slots, payment modes in ``P_REGLEMENT``, and ``F_DOCCURRENTPIECE`` at
``BC00042``; what the shops' catalogues need besides (families as a tree, the catalogue tree, translations,
images and a PDF, variant prices, promotions, a third depot) is described in
:mod:`passerelle_sandbox.sage100sql_catalogue`. ``size`` adds that
many generated articles (``ART000001``…) with stock in both depots: :func:`generate` gives them alone
(benchmarks).

``target`` is a DB-API connection whose parameters are ``?`` (``sqlite3``, ``pyodbc``; committed at the
end) or a callable ``executemany(sql, rows)``. Identifiers are double-quoted: the same INSERTs serve
SQLite and PostgreSQL (and SQL Server). Amounts are ``Decimal``, dates ``datetime``; for ``sqlite3``
(no ``Decimal`` binding) they are passed as text, which SQLite's ``NUMERIC``/``DATETIME`` affinities
store as the ODBC driver does.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from decimal import Decimal as D
from typing import Any

from passerelle_sandbox.sage100sql_catalogue import (ARTICLE_EXTRA_COLUMNS, CENTRAL, FAMILY_PARENT, SHOP_DEPOT,
                                                     SHOP_STOCK, article_extras, extra_rows)

__all__ = ["CATALOGUE", "SEEDED_AT", "catalogue", "generate", "insert_sql", "seed"]

SEEDED_AT = datetime(2024, 1, 15, 9, 30)  # cbModification of every seeded row

Rows = tuple[str, tuple[str, ...], list[tuple]]  # (table, columns, rows)

_FAMILIES = [("BOUGIES", "Bougies & senteurs", "C20"), ("TABLE", "Art de la table", "C20"),
             ("LINGE", "Linge de maison", "C20"), ("THE", "Thés & infusions", "C05"),
             ("CADEAU", "Cartes cadeaux", "EXO")]

# ref, designation, family, purchase price, sale price, net weight (kg), dormant
_ARTICLES = [
    ("BOUG-VANILLE", "Bougie parfumée vanille", "BOUGIES", "4.2", "12.9", "0.35", 0),
    ("BOUG-FIGUE", "Bougie parfumée figue", "BOUGIES", "4.2", "12.9", "0.35", 0),
    ("BOUG-AMBRE", "Bougie parfumée ambre", "BOUGIES", "4.5", "13.5", "0.35", 0),
    ("BOUG-PILIER", "Bougie pilier blanc cassé", "BOUGIES", "2.1", "6.5", "0.6", 0),
    ("DIFF-ROTIN", "Diffuseur bâtonnets rotin", "BOUGIES", "6.8", "19.9", "0.25", 0),
    ("DIFF-RECH", "Recharge diffuseur fleur d'oranger", "BOUGIES", "4.1", "11.5", "0.2", 0),
    ("ENCENS-SANTAL", "Encens santal (boîte de 20)", "BOUGIES", "1.9", "5.9", "0.05", 0),
    ("BOUG-NOEL", "Bougie « Noël » édition 2019", "BOUGIES", "3.0", "9.9", "0.3", 1),
    ("THEIERE-08", "Théière fonte 0,8 L", "TABLE", "18.5", "45.9", "1.4", 0),
    ("THEIERE-12", "Théière fonte 1,2 L", "TABLE", "22.0", "54.9", "1.9", 0),
    ("TASSE-GRES", "Tasse grès émaillé 25 cl", "TABLE", "2.4", "7.5", "0.3", 0),
    ("BOL-CERAM", "Bol céramique « café au lait »", "TABLE", "3.1", "9.9", "0.4", 0),
    ("ASSIETTE-26", "Assiette plate Ø 26 cm", "TABLE", "3.6", "11.9", "0.6", 0),
    ("VERRE-SOUFF", "Verre soufflé bouche 30 cl", "TABLE", "2.9", "8.9", "0.25", 0),
    ("CARAFE-1L", "Carafe verre recyclé 1 L", "TABLE", "6.2", "18.5", "0.8", 0),
    ("PLATEAU-CHENE", "Plateau chêne huilé 40×25", "TABLE", "14.0", "39.0", "1.1", 0),
    ("SUCRIER-INOX", "Sucrier inox brossé", "TABLE", "5.0", "14.9", "0.3", 0),
    ("COUTEAUX-6", "Coffret 6 couteaux à steak", "TABLE", "16.5", "49.0", "0.9", 0),
    ("MUG-NOEL", "Mug « Joyeux Noël » 2018", "TABLE", "2.0", "6.9", "0.35", 1),
    ("TORCHON-LIN", "Torchon lin brodé œillet", "LINGE", "3.8", "12.5", "0.15", 0),
    ("NAPPE-LIN", "Nappe lin lavé 160×250", "LINGE", "28.0", "79.0", "1.2", 0),
    ("PLAID-MERINOS", "Plaid laine mérinos 130×170", "LINGE", "38.0", "99.0", "1.3", 0),
    ("COUSSIN-VELOURS", "Housse de coussin velours côtelé", "LINGE", "6.5", "22.0", "0.3", 0),
    ("TABLIER-CHANVRE", "Tablier chanvre écru", "LINGE", "9.0", "27.5", "0.3", 0),
    ("SERVIETTE-NID", "Serviette nid d'abeille", "LINGE", "4.4", "13.9", "0.2", 0),
    ("GANT-FOUR", "Gant de four coton « Provence »", "LINGE", "3.2", "9.5", "0.1", 0),
    ("TS01", "T-shirt coton bio", "LINGE", "6.0", "24.9", "0.18", 0),
    ("RIDEAU-2014", "Rideau voilage (ancienne collection)", "LINGE", "5.0", "15.0", "0.5", 1),
    ("THE-EARLGREY", "Thé noir Earl Grey 100 g", "THE", "3.4", "8.9", "0.1", 0),
    ("THE-SENCHA", "Thé vert Sencha 100 g", "THE", "4.1", "9.9", "0.1", 0),
    ("THE-MATCHA", "Thé Matcha cérémonie 30 g", "THE", "9.5", "24.0", "0.03", 0),
    ("ROOIBOS-AGRUM", "Rooibos agrumes 100 g", "THE", "3.0", "7.9", "0.1", 0),
    ("INFUS-VERVEINE", "Infusion verveine-menthe", "THE", "2.8", "6.9", "0.05", 0),
    ("CHAI-EPICES", "Chaï aux épices 80 g", "THE", "3.6", "9.5", "0.08", 0),
    ("BOITE-THE", "Boîte à thé métal 200 g", "THE", "3.9", "11.9", "0.15", 0),
    ("FILTRE-THE", "Filtres à thé (lot de 100)", "THE", "0.9", "3.5", "0.05", 0),
    ("COFFRET-DEGUST", "Coffret dégustation « Noël » 12 thés", "THE", "14.0", "39.9", "0.5", 0),
    ("CARTE-25", "Carte cadeau 25 €", "CADEAU", "0", "25", "0", 0),
    ("CARTE-50", "Carte cadeau 50 €", "CADEAU", "0", "50", "0", 0),
    ("CARTE-100", "Carte cadeau 100 €", "CADEAU", "0", "100", "0", 0),
]
_NO_STOCK = {"CARTE-25", "CARTE-50", "CARTE-100"}
_NO_ARTCOMPTA = "THE-EARLGREY"  # its family's F_FAMCOMPTA applies
_OWN_TAX = {"BOITE-THE": "C20", "FILTRE-THE": "C20", "COFFRET-DEGUST": "C20"}  # not food: 20 % in family THE

_SIZES, _COLOURS = ("S", "M", "L"), ("Bleu", "Rouge", "Écru")
_CUSTOMERS = [
    # CT_Num, name, type, city, postcode, category, carrier, dormant
    ("CL-DUPONT", "Maison Dupont SARL", 0, "Lyon", "69002", 2, 1, 0),
    ("WEB000056", "Martin Émilie", 0, "Besançon", "25000", 1, 2, 0),
    ("CL-ETOILE", "Brasserie de l'Étoile", 0, "Reims", "51100", 3, 1, 0),
    ("CL-LEFEVRE", "Lefèvre Françoise", 0, "Nantes", "44000", 1, 3, 0),
    ("CL-ANCIEN", "Boutique Cœur d'Alène (fermée)", 0, "Tours", "37000", 2, 1, 1),
    ("FR-CIREBIO", "Cirerie bio du Périgord", 1, "Sarlat-la-Canéda", "24200", 1, 1, 0),
]


def _q(name: str) -> str:
    return f'"{name}"'


def insert_sql(table: str, columns: Iterable[str]) -> str:
    """``INSERT INTO "T" ("a", "b") VALUES (?, ?)``: portable (quoted identifiers, ``?`` parameters)."""
    columns = tuple(columns)
    return (f"INSERT INTO {_q(table)} ({', '.join(map(_q, columns))}, \"cbModification\") "
            f"VALUES ({', '.join('?' for _ in columns)}, ?)")


def _stock(index: int) -> tuple[D, D, D]:
    """Physical, reserved and on-order quantities of the index-th stocked article in a depot."""
    return D((index * 7) % 23 + 2), D((index * 3) % 5), D((index * 5) % 4 * 6)


def catalogue() -> list[Rows]:
    """Every table's rows of the realistic catalogue, in insertion order (parents first)."""
    out: list[Rows] = []
    add = lambda table, columns, rows: out.append((table, tuple(columns.split()), list(rows)))  # noqa: E731
    add("P_CATTARIF", "cbIndice CT_Intitule CT_PrixTTC",
        [(1, "Particuliers", 1), (2, "Revendeurs", 0), (3, "Hôtellerie-restauration", 0), (4, "", 0)])
    add("P_EXPEDITION", "cbIndice E_Intitule E_Mode",
        [(1, "Colissimo", 0), (2, "Chronopost 13h", 0), (3, "Retrait en boutique", 0),
         (4, "", 0), (5, "", 0), (6, "", 0)])
    # payment modes (P_REGLEMENT, referenced by F_DOCREGL.N_Reglement through cbIndice)
    add("P_REGLEMENT", "cbIndice R_Intitule R_Code",
        [(1, "Chèque", "CHQ"), (2, "Virement", "VIR"), (3, "Carte bancaire", "CB"), (4, "PayPal", "PPL"),
         (5, "", None)])
    add("P_GAMME", "cbIndice G_Intitule G_Type", [(1, "Taille", 0), (2, "Couleur", 0), (3, "Quantité", 1)])
    add("F_ENUMGAMME", "EG_Champ EG_Ligne EG_Enumere EG_BorneSup",
        [(1, i + 1, v, D(0)) for i, v in enumerate(_SIZES)] + [(2, i + 1, v, D(0)) for i, v in enumerate(_COLOURS)]
        + [(3, 1, "1 à 9", D(9)), (3, 2, "10 à 99", D(99)), (3, 3, "100 et plus", D(999999))])
    add("F_TAXE", "TA_No TA_Code TA_Intitule TA_Taux CG_Num",
        [(1, "C20", "TVA collectée 20 %", D("20"), "445711"), (2, "C05", "TVA collectée 5,5 %", D("5.5"), "445712"),
         (3, "EXO", "Exonéré (bons d'achat)", D("0"), "445700")])
    add("F_FAMILLE", "FA_CodeFamille FA_Intitule FA_Type FA_Central FA_Publie",
        [(code, name, 0, FAMILY_PARENT.get(code), 1) for code, name, _ in _FAMILIES]
        + [(code, name, 2, None, 1) for code, name in CENTRAL])  # centralisers: the tree's roots
    add("F_FAMCOMPTA", "FA_CodeFamille FCP_Type FCP_Champ FCP_ComptaCPT_CompteG FCP_ComptaCPT_Taxe1",
        [(code, 0, 1, "707000", tax) for code, _, tax in _FAMILIES])
    articles: list[tuple] = []
    for ref, design, family, buy, sell, weight, dormant in _ARTICLES:
        ranges = (1, 2) if ref == "TS01" else (2, 0) if ref == "NAPPE-LIN" else (0, 0)
        articles.append((ref, design, family, D(buy), D(sell), D(weight), D(weight) + D("0.05"), dormant,
                         0 if dormant else 1, ranges[0], ranges[1], 1 if ranges[0] else 0,
                         f"37601234{len(articles):05d}", datetime(2019, 3, 1 + len(articles) % 28),
                         *article_extras(ref, family)))
    add("F_ARTICLE", "AR_Ref AR_Design FA_CodeFamille AR_PrixAch AR_PrixVen AR_PoidsNet AR_PoidsBrut AR_Sommeil "
        "AR_Publie AR_Gamme1 AR_Gamme2 AR_Type AR_CodeBarre AR_DateCreation " + ARTICLE_EXTRA_COLUMNS, articles)
    taxes = {code: tax for code, _, tax in _FAMILIES}
    add("F_ARTCOMPTA", "AR_Ref ACP_Type ACP_Champ ACP_ComptaCPT_CompteG ACP_ComptaCPT_Taxe1",
        [(a[0], 0, 1, "707000", _OWN_TAX.get(a[0], taxes[a[2]])) for a in _ARTICLES if a[0] != _NO_ARTCOMPTA])
    add("F_DEPOT", "DE_No DE_Intitule DE_Code DE_Adresse DE_CodePostal DE_Ville DE_Principal",
        [(1, "Dépôt principal", "PRINC", "12 rue de la Pépinière", "69007", "Lyon", 1),
         (2, "Entrepôt Saint-Étienne", "STE", "3 allée des Forgerons", "42000", "Saint-Étienne", 0), SHOP_DEPOT])
    stocked = [a for a in _ARTICLES if a[0] not in _NO_STOCK]
    stock_rows = []
    variants, gamstock = _variants()
    for index, article in enumerate(stocked):
        for depot in (1, 2):
            if article[0] in gamstock:  # the article's row holds the total of its variants
                sto, res, com = (sum((g[depot][i] for g in gamstock[article[0]]), D(0)) for i in range(3))
            elif article[0] == "BOUG-VANILLE" and depot == 1:
                sto, res, com = D(10), D(3), D(5)  # the reference figures: forward stock 12
            else:
                sto, res, com = _stock(index * 2 + depot)
            stock_rows.append((article[0], depot, sto, res, com, 1 if depot == 1 else 0,
                               sto * D(article[3])))
    shop = dict(SHOP_STOCK)  # the shop's depot, after the others (the earlier rows keep their cbMarq)
    for ref, rows in gamstock.items():  # a range article's row holds the total of its variants there too
        if any(3 in g for g in rows):
            shop[ref] = tuple(sum((g[3][i] for g in rows if 3 in g), D(0)) for i in range(3))
    cost = {a[0]: D(a[3]) for a in _ARTICLES}
    stock_rows += [(ref, 3, sto, res, com, 0, sto * cost[ref]) for ref, (sto, res, com) in shop.items()]
    add("F_ARTSTOCK", "AR_Ref DE_No AS_QteSto AS_QteRes AS_QteCom AS_Principal AS_MontSto", stock_rows)
    out += variants
    later = extra_rows(variants[0][2])
    add("F_COMPTET", "CT_Num CT_Intitule CT_Type CT_Ville CT_CodePostal CT_Pays N_CatTarif N_Expedition "
        "CT_Sommeil CT_EMail", [(c[0], c[1], c[2], c[3], c[4], "France", c[5], c[6], c[7],
                                  f"{c[0].lower()}@exemple.fr") for c in _CUSTOMERS])
    add("F_LIVRAISON", "LI_No CT_Num LI_Intitule LI_Adresse LI_CodePostal LI_Ville LI_Pays N_Expedition "
        "LI_Principal", [
            (1, "CL-DUPONT", "Siège", "8 place Bellecour", "69002", "Lyon", "France", 1, 1),
            (2, "CL-DUPONT", "Boutique Croix-Rousse", "41 boulevard de la Croix-Rousse", "69004", "Lyon",
             "France", 2, 0),
            (3, "WEB000056", "Domicile", "5 rue des Granges", "25000", "Besançon", "France", 2, 1),
            (4, "CL-ETOILE", "Livraisons (quai)", "2 rue de l'Étape", "51100", "Reims", "France", 1, 1),
            (5, "CL-LEFEVRE", "Domicile", "17 quai de la Fosse", "44000", "Nantes", "France", 3, 1)])
    # category 2 (revendeurs) at 80 % of the sale price, category 3 by coefficient on the purchase price
    prices: list[tuple] = [(a[0], 2, None, (D(a[4]) * D("0.8")).quantize(D("0.01")), D(0), 0, 1 if a[0] == "BOUG-VANILLE" else 0,
               None) for a in _ARTICLES if a[2] != "CADEAU"]
    prices += [(a[0], 3, None, D(0), D("2.2"), 0, 0, None) for a in _ARTICLES if a[2] == "TABLE"]
    prices.append(("THEIERE-08", 0, "CL-DUPONT", D("39.9"), D(0), 0, 0, "DUP-TH08"))
    # customers' own prices ("tarif client", AC_Categorie 0): a net price, a coefficient on the purchase price
    prices += [("BOUG-VANILLE", 0, "CL-DUPONT", D("9.9"), D(0), 0, 0, "DUP-BV"),
               ("TASSE-GRES", 0, "CL-ETOILE", D(0), D("1.9"), 0, 0, None),
               ("PLAID-MERINOS", 0, "CL-LEFEVRE", D("84"), D(0), 0, 0, None)]
    add("F_ARTCLIENT", "AR_Ref AC_Categorie CT_Num AC_PrixVen AC_Coef AC_PrixTTC AC_QteMont AC_RefClient", prices)
    add("F_TARIFQTE", "AR_Ref TQ_RefCF TQ_BorneSup TQ_Remise01REM_Valeur TQ_Remise01REM_Type TQ_PrixNet", [
        ("BOUG-VANILLE", "a02", D(9), D(0), 1, D(0)), ("BOUG-VANILLE", "a02", D(99), D(10), 1, D(0)),
        ("BOUG-VANILLE", "a02", D(999999), D(15), 1, D(0)),
        ("TASSE-GRES", "CL-ETOILE", D(47), D(0), 0, D("5.6")), ("TASSE-GRES", "CL-ETOILE", D(999999), D(0), 0, D("4.9"))])
    add("F_DOCCURRENTPIECE", "DC_Domaine DC_IdCol DC_Souche DC_Piece",
        [(0, col, 0, piece) for col, piece in enumerate(
            ("DE00017", "BC00042", "PL00031", "BL00108", "BR00004", "BA00002", "FA00231"))])
    add("F_DOCENTETE", "DO_Domaine DO_Type DO_Piece DO_Date DO_Ref DO_Tiers DE_No LI_No DO_Expedit DO_Tarif "
        "DO_TotalHT DO_TotalHTNet DO_TotalTTC DO_NetAPayer",
        [(0, 1, "BC00041", datetime(2024, 1, 12), "CDE-4471", "CL-DUPONT", 1, 2, 1, 2,
          D("256.60"), D("256.60"), D("307.92"), D("307.92"))])
    add("F_DOCLIGNE", "DL_No DO_Domaine DO_Type DO_Piece CT_Num DO_Date DL_Ligne AR_Ref DL_Design DL_Qte "
        "DL_PrixUnitaire DL_Taxe1 DL_CodeTaxe1 DL_MontantHT DL_MontantTTC DE_No DL_PieceBC", [
            (1, 0, 1, "BC00041", "CL-DUPONT", datetime(2024, 1, 12), 1000, "BOUG-VANILLE",
             "Bougie parfumée vanille", D(12), D("10.32"), D(20), "C20", D("123.84"), D("148.608"), 1, "BC00041"),
            (2, 0, 1, "BC00041", "CL-DUPONT", datetime(2024, 1, 12), 2000, "THEIERE-08", "Théière fonte 0,8 L",
             D(4), D("33.19"), D(20), "C20", D("132.76"), D("159.312"), 1, "BC00041")])
    return out + later


def _variants() -> tuple[list[Rows], dict[str, list[dict[int, tuple[D, D, D]]]]]:
    """F_ARTGAMME, F_ARTENUMREF, F_GAMSTOCK rows of TS01 (size × colour) and NAPPE-LIN (colour only), and
    each article's per-variant stock per depot (for its F_ARTSTOCK totals)."""
    values: list[tuple] = []
    enumref: list[tuple] = []
    gamstock: list[tuple] = []
    totals: dict[str, list[dict[int, tuple[D, D, D]]]] = {}
    number = 0
    for ref, axes in (("TS01", (_SIZES, _COLOURS)), ("NAPPE-LIN", (_COLOURS,))):
        ids: list[list[int]] = []
        for kind, axis in enumerate(axes):
            ids.append([])
            for value in axis:
                number += 1
                values.append((number, ref, value, kind))
                ids[-1].append(number)
        combos = [(a, b) for a in ids[0] for b in ids[1]] if len(ids) == 2 else [(a, 0) for a in ids[0]]
        labels = {v[0]: v[2] for v in values}
        for index, (first, second) in enumerate(combos):
            suffix = "-".join(labels[n][:2].upper().replace("É", "E") for n in (first, second) if n)
            dormant = 1 if (ref, index) == ("TS01", 8) else 0  # L-Écru is no longer made
            enumref.append((ref, first, second, f"{ref}-{suffix}", f"37609876{len(enumref):05d}", D("6.0"), dormant))
            per_depot = {}
            for depot in (1, 2):
                sto, res, com = _stock(index + depot * 5)
                gamstock.append((ref, first, second, depot, sto, res, com))
                per_depot[depot] = (sto, res, com)
            totals.setdefault(ref, []).append(per_depot)
    for index, (ref, first, second, *_rest) in enumerate(enumref):
        if ref == "TS01" and index % 3 != 2:  # the shop holds the blue and red ones
            sto = D(index % 4 + 1)
            gamstock.append((ref, first, second, 3, sto, D(0), D(0)))
            totals[ref][index][3] = (sto, D(0), D(0))
    return [("F_ARTGAMME", ("AG_No", "AR_Ref", "EG_Enumere", "AG_Type"), values),
            ("F_ARTENUMREF", ("AR_Ref", "AG_No1", "AG_No2", "AE_Ref", "AE_CodeBarre", "AE_PrixAch", "AE_Sommeil"),
             enumref),
            ("F_GAMSTOCK", ("AR_Ref", "AG_No1", "AG_No2", "DE_No", "GS_QteSto", "GS_QteRes", "GS_QteCom"),
             gamstock)], totals


CATALOGUE: list[Rows] = catalogue()


def generate(n_articles: int, start: int = 1) -> list[tuple[str, tuple[str, ...], Iterator[tuple]]]:
    """``n_articles`` bulk articles (``ART000001``…, family ``TABLE``) and their stock in both depots,
    as (table, columns, lazy rows): memory stays flat whatever ``n_articles``."""
    numbers = range(start, start + n_articles)
    articles = ((f"ART{i:06d}", f"Article généré n° {i}", "TABLE", D(i % 97) + D("0.5"), D(i % 89 * 2) + D("0.95"),
                 D(i % 7) / 4, 0, 1) for i in numbers)
    stock = ((f"ART{i:06d}", depot, *_stock(i * 2 + depot)) for i in numbers for depot in (1, 2))
    return [("F_ARTICLE", ("AR_Ref", "AR_Design", "FA_CodeFamille", "AR_PrixAch", "AR_PrixVen", "AR_PoidsNet",
                           "AR_Sommeil", "AR_Publie"), articles),
            ("F_ARTSTOCK", ("AR_Ref", "DE_No", "AS_QteSto", "AS_QteRes", "AS_QteCom"), stock)]


def _executor(target: Any) -> tuple[Callable[[str, list], None], Callable[[], None]]:
    if callable(getattr(target, "cursor", None)):
        plain = isinstance(target, sqlite3.Connection)

        def run(sql: str, rows: list) -> None:
            if plain:
                rows = [tuple(_plain(v) for v in row) for row in rows]
            cursor = target.cursor()
            try:
                cursor.executemany(sql, rows)
            finally:
                cursor.close()
        return run, target.commit
    if callable(target):
        return target, lambda: None
    raise TypeError(f"seed() needs a DB-API connection or an executemany(sql, rows) callable, not {target!r}")


def _plain(value: Any) -> Any:
    if isinstance(value, D):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return value


def seed(target: Any, size: int = 0, batch: int = 5000) -> dict[str, int]:
    """Write the catalogue (and ``size`` generated articles) into an empty schema; rows per table."""
    run, commit = _executor(target)
    counts: dict[str, int] = {}
    for table, columns, rows in [*CATALOGUE, *(generate(size) if size else ())]:
        sql = insert_sql(table, columns)
        chunk: list[tuple] = []
        count = 0
        for row in rows:
            count += 1
            chunk.append((*row, SEEDED_AT))
            if len(chunk) >= batch:
                run(sql, chunk)
                chunk = []
        if chunk:
            run(sql, chunk)
        counts[table] = counts.get(table, 0) + count
    commit()
    return counts
