"""Two related entries of one flow reading the same resource, one as a reference list (read whole once)
and one by key: each joins on its own rows. Before, the rows fetched by key for a page stood in for the
whole reference list when the entry by key came first, and every record whose reference was not among
them was set aside as "no record" (engine/runtime/pipeline.py, Joiner)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from engine.errors import Loc
from engine.plan.related import RelatedSpec
from engine.runtime.pipeline import Joiner, Outcome

ARTICLES = [{"ref": f"A{i}", "name": f"article {i}"} for i in range(10)]


def _spec(name: str, field: str, reference: bool, endpoint: str = "sage") -> RelatedSpec:
    return RelatedSpec(name, "articles", endpoint, (), ("ref",), (lambda record: record.get(field),), (field,),
                       False, True, reference, Loc("flow.yaml", 1, 1))


def _joined(joiner: Joiner, specs: tuple, records: list[dict]) -> list:
    flow = SimpleNamespace(name="f", related=specs, types={})
    outcomes = [Outcome(str(n), record, record, record) for n, record in enumerate(records)]
    joiner.join(flow, outcomes, lambda spec: True)
    return [o.error.detail if o.error else (o.enriched["article"]["name"], o.enriched["parent"]["name"])
            for o in outcomes]


@pytest.mark.parametrize("key_first", [True, False])
def test_a_reference_entry_and_an_entry_by_key_on_one_resource(key_first):
    reads, fetched = [], []

    def read_all(spec):
        reads.append(spec.name)
        return [list(ARTICLES)]

    def fetch(spec, values):
        fetched.append(list(values))
        return [[a for a in ARTICLES if a["ref"] in values]]

    article, parent = _spec("article", "ref", reference=True), _spec("parent", "parent", reference=False)
    specs = (parent, article) if key_first else (article, parent)
    joiner = Joiner(read_all=read_all, fetch=fetch)
    assert _joined(joiner, specs, [{"ref": "A1", "parent": "A0"}, {"ref": "A2", "parent": "A0"}]) == [
        ("article 1", "article 0"), ("article 2", "article 0")]
    assert _joined(joiner, specs, [{"ref": "A3", "parent": "A5"}]) == [("article 3", "article 5")]
    assert reads == ["article"] and fetched == []  # the list read whole once serves the entry by key too
    missing = _joined(joiner, specs, [{"ref": "A4", "parent": "Z9"}])
    assert missing == ["field related.parent: no 'articles' record with ref = Z9 (related 'parent' is required)"]


def test_an_entry_by_key_on_another_endpoint_is_fetched():
    fetched = []

    def fetch(spec, values):
        fetched.append((spec.endpoint, list(values)))
        return [[{"ref": v, "name": f"shop {v}"} for v in values]]

    specs = (_spec("article", "ref", reference=True), _spec("parent", "parent", reference=False, endpoint="shop"))
    joiner = Joiner(read_all=lambda spec: [list(ARTICLES)], fetch=fetch)
    assert _joined(joiner, specs, [{"ref": "A1", "parent": "A0"}]) == [("article 1", "shop A0")]
    assert fetched == [("shop", ["A0"])]
