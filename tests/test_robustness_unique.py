"""The JMESPath function `unique(list)`: on any list (scalars, numbers as int/decimal/float, booleans,
nested lists and objects, nulls) it gives the values without repeats, each where it first appears —
what a plain loop gives — and on anything that is not a list a TransformError naming the function,
never another exception. A spec using it validates and maps; a misspelt name is a located error."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from engine.errors import TransformError
from engine.lang.expr import ExprError, compile_expression

UNIQUE = compile_expression("unique(values)")


def _reference(values: list) -> list:
    out: list = []
    for value in values:
        if not any(value == kept and isinstance(value, bool) == isinstance(kept, bool) for kept in out):
            out.append(value)
    return out


scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["A", "a", "1", "", "6A001"]),
                    st.decimals(-3, 3, places=1, allow_nan=False, allow_infinity=False),
                    st.sampled_from([0.5, 1.0, 2.0]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.sampled_from("xy"), inner, max_size=2)),
                      max_leaves=6)


@pytest.mark.parametrize("given_, expected", [
    (["6A001", "6A002", "6A001", "6A002", "6A003"], ["6A001", "6A002", "6A003"]),
    ([2, Decimal("2.0"), 2.0, "2"], [2, "2"]),
    ([True, 1, False, 0, True], [True, 1, False, 0]),
    ([{"a": 1}, {"a": 1}, [1], [1], None, None], [{"a": 1}, [1], None]),
    ([], []),
    (None, []),
])
def test_unique_examples(given_, expected):
    got = UNIQUE.search({"values": given_})
    assert got == expected and [type(v) for v in got] == [type(v) for v in expected]


def test_unique_of_a_text_is_an_error_naming_the_function():
    with pytest.raises(TransformError, match=r"unique\(\) takes a list or null, got"):
        UNIQUE.search({"values": "6A001"})


def test_a_misspelt_unique_is_a_located_error():
    with pytest.raises(ExprError, match=r"unknown function 'uniq\(\)'.*unique") as caught:
        compile_expression("uniq(Lignes[].NumeroColis)")
    assert caught.value.offset == 0


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.lists(values, max_size=8), values))
def test_unique_is_a_plain_loop_or_a_transform_error(given_):
    try:
        got = UNIQUE.search({"values": given_})
    except TransformError as exc:
        assert not isinstance(given_, list) and given_ is not None and "unique()" in str(exc)
        return
    assert isinstance(given_, list) or given_ is None
    assert got == _reference(given_ or [])
    assert all(any(g is v for v in (given_ or [])) for g in got)  # the values themselves, first occurrences
