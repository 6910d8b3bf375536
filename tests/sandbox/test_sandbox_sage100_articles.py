"""Sage 100 simulator articles: range variants and quantity tiers (Passerelle's working contract), read
through the shipped `sage100-ws` connector definition."""
from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import httpx

from engine.connectors.compile import open_connector
from engine.spec.env import Secret
from passerelle_sandbox import Sandbox
from passerelle_sandbox.sage_checks import NS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "connectors"))
from profiles import connector  # noqa: E402


def _read(sb: Sandbox, **kwargs) -> list[dict]:
    settings = {"base_url": sb.url("sage100"), "token": Secret(sb.credentials("sage100")["token"])}
    with open_connector("sage100-ws", connector("sage100-ws"), settings) as ep:
        return [a for page in ep.read("articles", **kwargs) for a in page]


def test_range_variants_carry_their_range_and_values(sage: httpx.Client, fresh: Sandbox) -> None:
    variants = _read(fresh, where={"Gamme": "TSHIRT"})
    refs = [a["Reference"] for a in variants]
    assert len(refs) == 9 and "TSHIRT-BLU-M" in refs and all(r.startswith("TSHIRT-") for r in refs)
    tee = next(a for a in variants if a["Reference"] == "TSHIRT-BLU-M")
    assert tee["__type"] == f"ArticleGamme:{NS}" and tee["TypeArticle"] == 1
    assert tee["IntituleGamme"] == "T-shirt"
    assert tee["Gammes"] == [{"Intitule": "Color", "Valeurs": ["Blue", "Red", "White"]},
                             {"Intitule": "Size", "Valeurs": ["S", "M", "L"]}]
    assert tee["Enumeres"] == [{"Intitule": "Color", "Enumere": "Blue"}, {"Intitule": "Size", "Enumere": "M"}]
    assert {a["Gamme"] for a in _read(fresh, where={"TypeArticle": 1})} >= {"TSHIRT", "SWEAT-001"}
    mug = sage.get("ArticleService/rest/Articles/MUG-CLASSIC").json()
    assert mug["Gamme"] is None and mug["Gammes"] == [] and mug["__type"] == f"ArticleStandard:{NS}"


def test_ranges_are_the_shops_variants(fresh: Sandbox) -> None:
    """Same references as the data set's combinations (the Shopify simulator's variant SKUs)."""
    by_range: dict = {}
    for article in _read(fresh, where={"TypeArticle": 1}):
        by_range.setdefault(article["Gamme"], set()).add(article["Reference"])
    combos = {p.reference: {c.reference for c in p.combinations} for p in fresh.dataset.products if p.combinations}
    assert by_range == combos


def test_quantity_tiers_are_typed_lists(fresh: Sandbox) -> None:
    mug = next(a for a in _read(fresh) if a["Reference"] == "MUG-CLASSIC")
    assert [(t["QteMin"], t["BorneSup"], t["PrixNet"]) for t in mug["TarifsQuantite"]] == [
        (1, Decimal(9), Decimal("8.00")), (10, Decimal(49), Decimal("7.60")), (50, Decimal(999999), Decimal("7.20"))]
    assert all(isinstance(t["PrixNet"], Decimal) and t["Categorie"] == "a01" for t in mug["TarifsQuantite"])
    tiered = {a["Reference"].split("-")[0] for a in _read(fresh) if a["TarifsQuantite"]}
    assert tiered == {"CAFE", "THE", "MUG"}


def test_unknown_article_filter_is_refused(sage: httpx.Client) -> None:
    answer = sage.get("ArticleService/rest/Articles", params={"Couleur": "Blue"})
    assert answer.status_code == 400 and answer.json()["Code"] == "UnknownProperty"
    assert len(sage.get("ArticleService/rest/Articles", params={"gamme": "tshirt"}).json()) == 9
