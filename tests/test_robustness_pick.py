"""Robustness of the `pick` transform: on any record shape (lists, objects, texts, numbers, nulls where a
list of objects is expected) and any value, it gives a result or a TransformError naming itself — never
another exception; a match it gives really matches, and `all` finds exactly what a plain loop finds."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings, strategies as st

from engine.errors import TransformError
from engine.lang.context import SimpleContext
from engine.lang.registry import Registry
from engine.lang.transforms import register_all

REG = Registry()
register_all(REG)
PICK = REG.get("transform", "pick")
FIRST = PICK.factory({"from": "lines", "match": "sku", "take": "id"}, SimpleContext())
EVERY = PICK.factory({"from": "lines", "match": "sku", "all": True}, SimpleContext())

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(["1", "01", "1.0", "A", " a", ""]),
                    st.decimals(-5, 5, places=2, allow_nan=False), st.text(max_size=3))
items = st.one_of(scalars, st.dictionaries(st.sampled_from(["sku", "id", "x"]), scalars, max_size=3))
scopes = st.one_of(scalars, st.fixed_dictionaries({"lines": st.one_of(scalars, st.lists(items, max_size=6),
                                                                      st.dictionaries(st.text(max_size=2), items))}))


def _same(a, b) -> bool:
    def norm(v):
        if isinstance(v, bool):
            return ("bool", v)
        if v is None:
            return v
        try:
            return Decimal(str(v).strip()).normalize() if str(v).strip() else v
        except ArithmeticError:
            return v
    return norm(a) == norm(b)


@settings(max_examples=400, derandomize=True, deadline=None)
@given(value=scalars, scope=scopes)
def test_pick_gives_a_result_or_its_own_error(value, scope):
    try:
        first, every = FIRST(value, scope), EVERY(value, scope)
    except TransformError as exc:
        assert "pick (from: lines)" in str(exc)
        return
    lines = scope.get("lines") if isinstance(scope, dict) else None
    if value is None or not isinstance(lines, list):
        assert first is None and every == []
        return
    expected = [item for item in lines if isinstance(item, dict) and _same(item.get("sku"), value)]
    assert every == expected
    assert first == (expected[0].get("id") if expected else None)
