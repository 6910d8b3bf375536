"""What the seeded Sage 100c catalogue holds for the shops beyond articles, stock and tariffs.

Used by :mod:`passerelle_sandbox.sage100sql_seed`. Deterministic, as the rest of the seed:

- **families as a tree**: two centraliser families (``FA_Type`` 2), ``MAISON`` (over ``BOUGIES``, ``TABLE``,
  ``LINGE``) and ``EPICERIE`` (over ``THE``); ``CADEAU`` stays a root. Sage's catalogue tree
  ``F_CATALOGUE`` has three levels (Maison › Cuisine & table, Maison › Linge, Épicerie fine › Thés ›
  Thés verts), the articles point at it with ``CL_No1..3``;
- **translations**: ``AR_Langue1`` (English) and ``AR_Langue2`` (German) designations of some articles (not
  all: a shop gets the French name where there is none) and glossary descriptions (``F_GLOSSAIRE`` with
  ``GL_Langue`` 0, 1, 2, linked by ``F_ARTGLOSS``);
- **images and documents**: paths under :data:`~passerelle_sandbox.sage100sql_media.MEDIA_ROOT`, the photo in
  ``AR_Photo`` and further files in ``F_ARTICLEMEDIA`` (two images, one PDF notice);
- **variant prices** (``F_TARIFGAM``): size L of ``TS01`` costs 2.00 more in category 1 (``a01``), the
  Écru tablecloth 5.00 more, and one variant has a reseller price (``a02``);
- **promotions** (barèmes ``F_TARIF`` / ``F_TARIFSELECT`` / ``F_TARIFREMISE``): one past (winter sales 2023:
  the teapot and the whole family ``BOUGIES``, 20 %), one current (2024 to 2099: green teas, 10 % then
  15 % from 10 units, for tariff category 1), one future (from 2099: the merino throw, 25 %);
- **a third depot** (the shop in Vieux-Lyon) holding ``TS01`` variants and the teapot.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal as D

from passerelle_sandbox.sage100sql_media import sage_path

__all__ = ["ARTICLE_EXTRA_COLUMNS", "CENTRAL", "FAMILY_PARENT", "NODES", "PHOTOS", "SHOP_DEPOT", "SHOP_STOCK", "TRANSLATIONS",
           "article_extras", "extra_rows"]

# centraliser families (FA_Type 2) and the centraliser of each detail family
CENTRAL = [("MAISON", "Maison & décoration"), ("EPICERIE", "Épicerie fine")]
FAMILY_PARENT = {"BOUGIES": "MAISON", "TABLE": "MAISON", "LINGE": "MAISON", "THE": "EPICERIE"}

# F_CATALOGUE: CL_No, CL_Intitule, CL_Code, parent, level
NODES = [(1, "Maison", "MAI", 0, 0), (2, "Cuisine & table", "CUI", 1, 1), (3, "Linge", "LIN", 1, 1),
         (4, "Épicerie fine", "EPI", 0, 0), (5, "Thés", "THE", 4, 1), (6, "Thés verts", "TVE", 5, 2),
         (7, "Bougies & senteurs", "BOU", 1, 1)]
_FAMILY_NODES = {"BOUGIES": (1, 7), "TABLE": (1, 2), "LINGE": (1, 3), "THE": (4, 5)}
_GREEN_TEAS = ("THE-SENCHA", "THE-MATCHA")

# AR_Ref -> (English, German) designations (AR_Langue1, AR_Langue2); None: not translated
TRANSLATIONS = {
    "BOUG-VANILLE": ("Vanilla scented candle", "Duftkerze Vanille"),
    "BOUG-FIGUE": ("Fig scented candle", "Duftkerze Feige"),
    "THEIERE-08": ("Cast iron teapot 0.8 L", "Teekanne Gusseisen 0,8 L"),
    "TASSE-GRES": ("Glazed stoneware cup 25 cl", "Tasse Steinzeug glasiert 25 cl"),
    "NAPPE-LIN": ("Washed linen tablecloth 160×250", "Tischdecke Leinen gewaschen 160×250"),
    "TS01": ("Organic cotton T-shirt", "T-Shirt Bio-Baumwolle"),
    "THE-SENCHA": ("Sencha green tea 100 g", "Grüntee Sencha 100 g"),
    "THE-MATCHA": ("Ceremonial matcha tea 30 g", None),  # no German name: the shop keeps the French one
    "PLAID-MERINOS": ("Merino wool throw 130×170", "Plaid Merinowolle 130×170"),
}
# AR_Ref -> the photo (relative to the media folder)
PHOTOS = {"BOUG-VANILLE": "articles/bougie-vanille.png", "THEIERE-08": "articles/theiere-fonte-08.jpg",
          "TS01": "articles/tshirt-bio.png", "NAPPE-LIN": "articles/nappe-lin.jpg"}
# F_ARTICLEMEDIA: AR_Ref, comment, file
_MEDIA = [("THEIERE-08", "Vue de dos", "articles/theiere-fonte-08-dos.jpg"),
          ("THEIERE-08", "Notice d'entretien", "documents/theiere-fonte-notice.pdf"),
          ("TS01", "Coloris rouge", "articles/tshirt-bio-rouge.png")]
# F_GLOSSAIRE: GL_No, GL_Intitule, GL_Langue, text; then the articles each describes
_GLOSSARY = [
    (1, "Bougie vanille FR", 0, "Bougie en cire végétale parfumée à la vanille de Madagascar, 40 heures."),
    (2, "Bougie vanille EN", 1, "Plant wax candle scented with Madagascar vanilla, burns 40 hours."),
    (3, "Bougie vanille DE", 2, "Kerze aus Pflanzenwachs mit Madagaskar-Vanille, 40 Stunden Brenndauer."),
    (4, "Théière FR", 0, "Théière en fonte émaillée à l'intérieur, filtre inox amovible."),
    (5, "Théière EN", 1, "Cast iron teapot, enamelled inside, removable stainless steel infuser."),
    (6, "Théière DE", 2, "Teekanne aus Gusseisen, innen emailliert, herausnehmbares Edelstahlsieb."),
    (7, "T-shirt FR", 0, "T-shirt en coton biologique, coupe droite, col rond."),
    (8, "T-shirt EN", 1, "Organic cotton T-shirt, straight cut, round neck."),
]
_GLOSSARY_OF = {1: "BOUG-VANILLE", 2: "BOUG-VANILLE", 3: "BOUG-VANILLE", 4: "THEIERE-08", 5: "THEIERE-08",
                6: "THEIERE-08", 7: "TS01", 8: "TS01"}

SHOP_DEPOT = (3, "Boutique Vieux-Lyon", "BVL", "6 rue Saint-Jean", "69005", "Lyon", 0)
SHOP_STOCK = {"THEIERE-08": (D(3), D(1), D(0))}  # physical, reserved, on order in the shop


def article_extras(ref: str, family: str) -> tuple:
    """The columns an article row gains: AR_Photo, AR_Langue1, AR_Langue2, CL_No1, CL_No2, CL_No3."""
    english, german = TRANSLATIONS.get(ref, (None, None))
    photo = sage_path(PHOTOS[ref]) if ref in PHOTOS else None
    nodes = _FAMILY_NODES.get(family, (0, 0))
    third = 6 if ref in _GREEN_TEAS else 0
    return (photo, english, german, nodes[0], nodes[1], third)


ARTICLE_EXTRA_COLUMNS = "AR_Photo AR_Langue1 AR_Langue2 CL_No1 CL_No2 CL_No3"


def _promotions() -> list[tuple[str, tuple[str, ...], list[tuple]]]:
    # TF_No, label, start, end, customer; TS_Interes: 0 family, 1 article, 2 tariff category (integrators' codes)
    schemes = [(1, "Soldes d'hiver 2023", datetime(2023, 1, 11), datetime(2023, 2, 7)),
               (2, "Thés verts -10 %", datetime(2024, 1, 1), datetime(2099, 12, 31)),
               (3, "Plaid : lancement hiver", datetime(2099, 1, 1), datetime(2099, 3, 31))]
    selections = [(1, 1, "THEIERE-08"), (1, 0, "BOUGIES"), (2, 1, "THE-SENCHA"), (2, 1, "THE-MATCHA"),
                  (2, 2, "1"), (3, 1, "PLAID-MERINOS")]
    bands = [(1, D(999999999), D(20), 1), (2, D(9), D(10), 1), (2, D(999999999), D(15), 1),
             (3, D(999999999), D(25), 1)]
    return [("F_TARIF", ("TF_No", "TF_Intitule", "TF_Debut", "TF_Fin", "TF_Interes", "TF_Base", "TF_Calcul"),
             [(no, label, start, end, 0, 0, 0) for no, label, start, end in schemes]),
            ("F_TARIFSELECT", ("TF_No", "TS_Interes", "TS_Ref"), selections),
            ("F_TARIFREMISE", ("TF_No", "TR_BorneSup", "TR_Remise01REM_Valeur", "TR_Remise01REM_Type"), bands)]


def extra_rows(values: list[tuple]) -> list[tuple[str, tuple[str, ...], list[tuple]]]:
    """The rows of the catalogue tables (F_CATALOGUE, F_TARIFGAM, barèmes, media, glossaries), given the
    F_ARTGAMME rows (AG_No, AR_Ref, EG_Enumere, AG_Type) of the range articles."""
    ag = {(ref, label, kind): number for number, ref, label, kind in values}
    variant_prices = [("TS01", "a01", ag["TS01", "L", 0], ag["TS01", colour, 1], D("26.9"))
                      for colour in ("Bleu", "Rouge", "Écru")]
    variant_prices.append(("NAPPE-LIN", "a01", ag["NAPPE-LIN", "Écru", 0], 0, D("84")))
    variant_prices.append(("TS01", "a02", ag["TS01", "L", 0], ag["TS01", "Bleu", 1], D("21.5")))
    return [
        ("F_CATALOGUE", ("CL_No", "CL_Intitule", "CL_Code", "CL_NoParent", "CL_Niveau"), NODES),
        ("F_TARIFGAM", ("AR_Ref", "TG_RefCF", "AG_No1", "AG_No2", "TG_Prix"), variant_prices),
        *_promotions(),
        ("F_ARTICLEMEDIA", ("AR_Ref", "ME_Commentaire", "ME_Fichier"),
         [(ref, comment, sage_path(path)) for ref, comment, path in _MEDIA]),
        ("F_GLOSSAIRE", ("GL_No", "GL_Domaine", "GL_Intitule", "GL_Langue", "GL_Text"),
         [(no, 0, label, language, text) for no, label, language, text in _GLOSSARY]),
        ("F_ARTGLOSS", ("AR_Ref", "GL_No", "AGL_Num"), [(ref, no, no) for no, ref in _GLOSSARY_OF.items()]),
    ]
