"""Typing through generated code (engine/plan/coerce_gen.py) gives exactly what the closures of
engine/plan/coerce.py give: the same typed record, or the same failure naming the same path."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import TransformError
from engine.plan import coerce

_TYPES = st.sampled_from(coerce.TYPES)
_NAMES = st.sampled_from(["id", "a", "b", "c", "rows", "taxes", "x-y", "_z"])
_PATHS = st.lists(st.tuples(_NAMES, st.integers(0, 2)), min_size=1, max_size=3).map(
    lambda segments: ".".join(name + "[]" * depth for name, depth in segments))
_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
    st.decimals(allow_nan=True, allow_infinity=True), st.sampled_from(["", " 12 ", "0042", "12.500000", "-0", "1e5", "8.000000", "100001",
                                                                       "٣", "true", "False", "abc", "1_000"]),
    st.from_regex(r"-?[0-9]{1,22}(\.[0-9]{0,22})?", fullmatch=True), st.text(max_size=5))
_VALUES = st.recursive(_LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(_NAMES, inner, max_size=4)), max_leaves=12)


def _closures(types: dict) -> object:
    """compile_types as it was: the closure tree alone."""
    tree: dict = {}
    for path, type_name in types.items():
        segments, _ = coerce._parse_path(path)
        coerce._insert(tree, segments or [], type_name)
    convert = coerce._compile_node(("dict", tree))

    def apply(record):
        try:
            return ("ok", convert(record))
        except coerce._Fail as fail:
            return ("fail", fail.message())
    return apply


def _generated(types: dict):
    apply = coerce.compile_types(types)

    def run(record):
        try:
            return ("ok", apply(record))
        except TransformError as exc:
            return ("fail", str(exc))
    return run


def _same(left, right) -> bool:
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return list(left) == list(right) and all(_same(left[k], right[k]) for k in left)
    if isinstance(left, (list, tuple)):
        return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right))
    if isinstance(left, Decimal):
        return str(left) == str(right)
    return left == right or (left != left and right != right)  # NaN


def _shaped(data, path: str) -> dict:
    """A record reaching ``path``'s leaf (lists of one or two items where it says ``[]``)."""
    def build(segments: list[str]):
        if not segments:
            return data.draw(_LEAVES)
        name, depth = segments[0].rstrip("[]"), segments[0].count("[]")
        value = build(segments[1:])
        for _ in range(depth):
            value = [value, data.draw(_LEAVES)] if data.draw(st.booleans()) else [value]
        return {name: value}
    return build(path.split("."))


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(_PATHS, _TYPES, min_size=1, max_size=5), st.dictionaries(_NAMES, _VALUES, max_size=5))
def test_generated_typing_matches_the_closures(types, record):
    if coerce.check_types(types):
        return  # conflicting declarations: refused before any code is written
    assert _same(_generated(types)(record), _closures(types)(record))


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(_PATHS, _TYPES, min_size=1, max_size=4), st.data())
def test_records_shaped_as_declared_type_alike(types, data):
    if coerce.check_types(types):
        return
    for path in types:
        record = _shaped(data, path)
        assert _same(_generated(types)(record), _closures(types)(record))


def test_the_failing_index_is_named_from_a_list_of_items():
    apply = coerce.compile_types({"rows[].q": "int", "ids[]": "int"})
    record = {"rows": [{"q": "1"}, {"q": "x"}]}
    try:
        apply(record)
    except TransformError as exc:
        assert str(exc) == "field rows[1].q: cannot read 'x' as int"
    else:
        raise AssertionError("no failure")
    assert record == {"rows": [{"q": "1"}, {"q": "x"}]}  # the input is never changed
    assert apply({"ids": ["7", 8, None, ""]}) == {"ids": [7, 8, None, None]}


def test_typical_values_type_alike():
    types = {"id": "int", "total": "decimal", "rows[].q": "int", "rows[].price": "decimal", "flag": "bool"}
    record = {"id": "12", "total": "12.500000", "rows": [{"q": "3", "price": "-0.50"}, {"q": 4}], "flag": "1"}
    assert _same(_generated(types)(record), _closures(types)(record))
    assert str(_generated(types)(record)[1]["total"]) == "12.500000"
