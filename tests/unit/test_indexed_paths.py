"""Paths of fields and literal indexes (`associations.taxes[0].id`) skip the JMESPath interpreter
(engine/lang/indexpath.py): on random values they give what the interpreter gives."""
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.lang.expr import _INTERPRETER, compile_expression
from engine.lang.indexpath import indexed_path_of

NAMES = ["a", "b", "taxes", "id"]
values = st.recursive(st.one_of(st.none(), st.integers(-2, 2), st.text(max_size=2), st.booleans()),
                      lambda inner: st.one_of(st.lists(inner, max_size=3),
                                              st.dictionaries(st.sampled_from(NAMES), inner, max_size=3)),
                      max_leaves=10)
steps = st.lists(st.one_of(st.sampled_from(NAMES), st.integers(-3, 3)), min_size=1, max_size=5)


def _text(path):
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


@settings(max_examples=500, deadline=None)
@given(steps, values)
def test_same_as_the_interpreter(path, value):
    text = _text(path)
    expr = compile_expression(text)
    assert indexed_path_of(expr.tree) == tuple(path)
    assert expr.search(value) == _INTERPRETER.visit(expr.tree, value)


def test_the_reference_join_key_is_read_without_the_interpreter():
    expr = compile_expression("associations.taxes[0].id")
    assert indexed_path_of(expr.tree) == ("associations", "taxes", 0, "id")
    assert expr.search({"associations": {"taxes": [{"id": 1}, {"id": 2}]}}) == 1
    assert expr.search({"associations": {"taxes": {"0": {"id": 1}}}}) is None  # an index needs a list
    assert expr.search({"associations": {"taxes": []}}) is None


def test_other_forms_keep_the_interpreter():
    for text in ("a[0:1]", "a[*].b", "a[]", "a[?b]", "length(a)", "a.b"):
        assert indexed_path_of(compile_expression(text).tree) in (None, ("a", "b"))


values_and_numbers = st.recursive(st.one_of(st.none(), st.integers(-2, 2), st.text(max_size=2), st.booleans(),
                                            st.decimals(-1, 1, places=1), st.floats(-1, 1)),
                                  lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                          st.dictionaries(st.sampled_from(NAMES), inner, max_size=3)),
                                  max_leaves=10)


@settings(max_examples=500, deadline=None)
@given(steps, values_and_numbers, st.booleans())
def test_a_negated_path_is_the_interpreter_s_not(path, value, parens):
    text = f"!({_text(path)})" if parens else f"!{_text(path)}"
    expr = compile_expression(text)
    assert expr.search(value) is _INTERPRETER.visit(expr.tree, value)


def test_the_tax_exempt_test_of_the_reference_flow_skips_the_interpreter():
    expr = compile_expression("!(detail.associations.taxes[0])")
    assert expr._search.__qualname__.startswith("_negated")
    assert expr.search({"detail": {"associations": {"taxes": []}}}) is True
    assert expr.search({"detail": {"associations": {"taxes": [{"id": "1"}]}}}) is False
    assert expr.search({"detail": {"associations": {"taxes": [0]}}}) is True  # zero is false, as everywhere


@settings(max_examples=500, deadline=None)
@given(steps, st.one_of(steps.map(lambda p: ("path", p)),
                        st.lists(st.tuples(st.sampled_from(["k", "name"]), steps), min_size=1, max_size=3)
                        .map(lambda pairs: ("hash", pairs))),
       st.sampled_from(["[]", "[*]"]), values)
def test_a_projection_of_paths_is_the_interpreter_s(path, right, star, value):
    kind, inner = right
    shown = ("" if isinstance(inner[0], int) else ".") + _text(inner) if kind == "path" else \
        ".{" + ", ".join(f"{k}: {_text(p)}" for k, p in inner) + "}"
    expr = compile_expression(_text(path) + star + shown)
    assert expr.search(value) == _INTERPRETER.visit(expr.tree, value)


def test_the_option_values_of_a_product():
    expr = compile_expression("variants[].{name: value1}")
    scope = {"variants": [{"value1": "S"}, [{"value1": "M"}], None, "L", {"other": 1}]}
    assert expr.search(scope) == [{"name": "S"}, {"name": "M"}, {"name": None}, {"name": None}]
    assert expr.search({"variants": {"value1": "S"}}) is None  # a projection needs a list
    assert compile_expression("variants[*].value1").search(scope) == ["S"]  # no flatten, None left out
