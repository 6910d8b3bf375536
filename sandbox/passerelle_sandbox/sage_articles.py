"""Articles of the Sage 100 simulator: standard articles, range (gamme) variants and quantity tiers.

Sage facts (Sage 100 tables ``F_ARTICLE``, ``F_ARTENUMREF``, ``F_ARTGAMME``; WebServices100 JSON):

* a range article (``F_ARTICLE.AR_Gamme1/2``) has one variant per combination (``F_ARTENUMREF``, its
  own reference ``AE_Ref`` and bar code), each pointing at one value per range axis (``F_ARTGAMME``,
  ``AG_Type`` 0 = first axis, 1 = second; the axis title is ``P_GAMME.G_Intitule``);
* quantity tiers (``F_TARIFQTE``) are rows read in order, keyed by ``TQ_RefCF`` (``a01`` = tariff
  category 1), each covering (previous ``TQ_BorneSup`` + 1) … its own ``TQ_BorneSup``, with up to three
  cascaded discounts (``REM_Type`` 0 amount, 1 percent, 2 per unit) or a net price;
* WebServices100 objects carry ``"__type": "ArticleStandard:…"`` or ``"ArticleGamme:…"`` and French
  PascalCase names (``TypeArticle`` 0 standard, 1 gamme).

The REST shape of variants and tiers is not public: what follows is **Passerelle's working contract**
(the ``sage100-ws`` connector names these fields, so a client whose server differs edits YAML).
Every sellable reference is one record of ``ArticleService/rest/Articles`` (order lines name the
variant's reference, ``TSHIRT-BLU-M``); a range variant adds:

``Gamme``          the range's code, i.e. the parent article's reference (``TSHIRT``); null otherwise
``IntituleGamme``  the parent article's designation (``T-shirt``)
``Gammes``         the range's axes and the values the range uses, in display order:
                   ``[{"Intitule": "Color", "Valeurs": ["Blue", "Red", "White"]}, {"Intitule": "Size", …}]``
``Enumeres``       this variant's value on each axis: ``[{"Intitule": "Color", "Enumere": "Blue"}, …]``

and every article carries ``TarifsQuantite`` (``[]`` when it has none), one item per ``F_TARIFQTE`` row
of category 1: ``{"Categorie": "a01", "QteMin": 10, "BorneSup": 49, "TypeRemise": 1, "Remise": 5,
"PrixNet": 14.25}`` — ``QteMin`` (previous bound + 1) and ``PrixNet`` (the unit price the tier gives,
``PrixVente`` less the percentage, half-up to 2 places) are computed by the server for the web, the
other members mirror the table. Tiers are Sage-only data: articles of the families ``TIERED_FAMILIES``
get the grid ``TIERS`` whatever the seed.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

from passerelle_sandbox.dataset import Dataset, q2
from passerelle_sandbox.sage_checks import NS

__all__ = ["TIERED_FAMILIES", "TIERS", "build_articles"]

TIERED_FAMILIES = ("CAFE", "THE", "MUG")
# (TQ_BorneSup, percent discount): 1-9 at the base price, 10-49 less 5 %, 50 and more less 10 %
TIERS = ((Decimal(9), Decimal(0)), (Decimal(49), Decimal(5)), (Decimal(999999), Decimal(10)))


def tiers(price: Decimal) -> list[dict[str, Any]]:
    out, low = [], 1
    for bound, percent in TIERS:
        out.append({"Categorie": "a01", "QteMin": low, "BorneSup": bound, "TypeRemise": 1, "Remise": percent,
                    "PrixNet": q2(price * (Decimal(1) - percent / Decimal(100)))})
        low = int(bound) + 1
    return out


def build_articles(ds: Dataset, codes: dict[int, str], special: tuple[str, ...],
                   stamp: Callable[[str], str]) -> dict[str, dict[str, Any]]:
    """Reference → article dict for the data set's articles plus the special ones (PORT, REMISE)."""
    products = {p.id: p for p in ds.products}
    combos = {c.id: c for p in ds.products for c in p.combinations}
    modified = stamp("2024-01-02 08:00:00")
    out: dict[str, dict[str, Any]] = {}
    for a in ds.articles:
        article = _article(a.erp_reference, a.name, a.family[:10], a.price, codes[a.tax_id], a.stock_sage, a.ean13,
                           True, modified)
        product, combo = products.get(a.product_id), combos.get(a.attribute_id)
        if product is not None and combo is not None:
            axes = [name for name, _ in product.combinations[0].attributes]
            article.update({
                "__type": f"ArticleGamme:{NS}", "TypeArticle": 1, "Gamme": product.reference,
                "IntituleGamme": product.name_en,
                "Gammes": [{"Intitule": axis, "Valeurs": _values(product, index)} for index, axis in enumerate(axes)],
                "Enumeres": [{"Intitule": name, "Enumere": value} for name, value in combo.attributes],
            })
        if a.family in TIERED_FAMILIES or a.reference.split("-")[0] in TIERED_FAMILIES:
            article["TarifsQuantite"] = tiers(a.price)
        out[a.erp_reference] = article  # a shop SKU too long for Sage has its own Sage reference
    for ref in special:
        label = {"PORT": "Frais de port", "REMISE": "Remise", "EMBALLAGE": "Emballage cadeau"}.get(ref, ref)
        out[ref] = _article(ref, label, "DIVERS", Decimal("0.00"), "S_20", 0, "", False, modified)
    return out


def _values(product: Any, index: int) -> list[str]:
    seen: list[str] = []
    for combo in product.combinations:
        value = combo.attributes[index][1]
        if value not in seen:
            seen.append(value)
    return seen


def _article(ref: str, name: str, family: str, price: Decimal, tax: str, stock: int, ean: str, stocked: bool,
             modified: str) -> dict[str, Any]:
    return {
        "__type": f"ArticleStandard:{NS}", "Reference": ref, "Intitule": name, "CodeFamille": family,
        "TypeArticle": 0, "PrixAchat": q2(price * Decimal("0.45")), "PrixVente": price, "EstEnPrixTTTC": False,
        "CodeTaxe": tax, "PoidsNet": Decimal("0.300"), "UnitePoids": 3, "TypeSuiviStock": 2 if stocked else 0,
        "EstEnSommeil": False, "Publie": stocked, "CodeBarres": ean, "QteStock": Decimal(stock),
        "DateModification": modified, "Gamme": None, "IntituleGamme": None, "Gammes": [], "Enumeres": [],
        "TarifsQuantite": [],
    }
