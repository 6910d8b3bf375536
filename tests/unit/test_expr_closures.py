"""Expressions evaluated through closures of the interpreter's steps (engine/lang/closures.py) give what
the JMESPath interpreter gives, errors included, on random expressions and random values."""
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import TransformError
from engine.lang.closures import closure_of
from jmespath.visitor import TreeInterpreter

from engine.lang.expr import _INTERPRETER, OPTIONS, CompiledExpr, compile_expression

NAMES = ["a", "b", "ref", "id"]
scalars = st.one_of(st.none(), st.integers(-2, 2), st.sampled_from(["", "x", "ab", "1"]), st.booleans(),
                    st.decimals(-2, 2, places=1), st.floats(-1, 1))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.sampled_from(NAMES), inner, max_size=3)),
                      max_leaves=12)
LITERALS = ["`0`", "`1`", "`19`", "`2.5`", "'x'", "`true`", "`null`", "`[]`", "'1'"]


def expressions():
    path = st.lists(st.one_of(st.sampled_from(NAMES).map(lambda n: "." + n),
                              st.integers(-2, 2).map(lambda i: f"[{i}]")), min_size=1, max_size=3).map(
        lambda steps: "@" + "".join(steps))
    atom = st.one_of(path, st.sampled_from(LITERALS), st.sampled_from(NAMES))

    def extend(inner):
        return st.one_of(
            st.tuples(inner, st.sampled_from(["==", "!=", "<", ">", "<=", ">="]), inner).map(" ".join),
            st.tuples(inner, st.sampled_from(["&&", "||"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda e: f"!({e})"),
            st.tuples(st.sampled_from(NAMES), inner, inner).map(lambda t: f"{t[0]}[?{t[1]}].{{v: {t[2]}}}"),
            st.tuples(st.sampled_from(NAMES), inner).map(lambda t: f"{t[0]}[?{t[1]}]"),
            st.tuples(st.sampled_from(NAMES), st.sampled_from(NAMES)).map(lambda t: f"{t[0]}[*].{t[1]}"),
            st.tuples(inner, st.sampled_from(["[0]", "@", "length(@)", "[]"])).map(lambda t: f"({t[0]}) | {t[1]}"),
            inner.map(lambda e: f"length({e})"),
            inner.map(lambda e: f"to_string({e})"),
        )
    return st.recursive(atom, extend, max_leaves=6)


def _outcome(evaluate, value):
    try:
        return "value", evaluate(value)
    except Exception as exc:  # the same exception class and text either way
        return "error", type(exc).__name__, str(exc)


def _same(left, right) -> bool:
    """Equal, and of the same types (True is not 1), NaN equal to itself."""
    if isinstance(left, float) and isinstance(right, float) and left != left:
        return right != right
    if type(left) is not type(right):
        return False
    if isinstance(left, (list, tuple)):
        return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(_same(left[k], right[k]) for k in left)
    return left == right


@settings(max_examples=600, deadline=None)
@given(expressions(), values)
def test_closures_give_the_interpreter_s_result(text, value):
    tree = CompiledExpr(text).tree
    ours = _outcome(closure_of(tree, _INTERPRETER), value)
    theirs = _outcome(lambda v: _INTERPRETER.visit(tree, v), value)
    assert _same(ours, theirs), (text, value, ours, theirs)


def test_the_reference_long_sku_let():
    expr = compile_expression(
        "associations.order_rows[?product_reference && length(product_reference) > `19`].product_reference | [0]")
    short = {"product_reference": "A" * 19}
    order = {"associations": {"order_rows": [short, {"product_reference": None}, {"product_reference": "B" * 20},
                                             {"product_reference": "C" * 21}]}}
    assert expr.search(order) == "B" * 20
    assert expr.search({"associations": {"order_rows": [short]}}) is None
    assert expr.search({"associations": {"order_rows": "not a list"}}) is None
    assert expr._search.__qualname__.endswith("<lambda>")  # the closures replaced the first evaluation


def test_errors_are_the_interpreter_s():
    expr = compile_expression("length(a) > `1`")
    try:
        expr.search({"a": 5})
    except TransformError as exc:
        assert "length() takes" in str(exc) and "got 5" in str(exc)
    else:
        raise AssertionError("length(5) must fail")
    try:  # a text against a number: the interpreter's TypeError, located
        compile_expression("a < `1`").search({"a": "x"})
    except TransformError as exc:
        assert "compare numbers with numbers" in str(exc)
    else:
        raise AssertionError("'x' < 1 must fail")


def test_numbers_compare_exactly_and_booleans_are_not_numbers():
    assert compile_expression("a == `1`").search({"a": True}) is False
    assert compile_expression("a != `0`").search({"a": False}) is True
    assert compile_expression("a == `2.1`").search({"a": Decimal("2.10")}) is True
    assert compile_expression("a > `0`").search({"a": Decimal("0.01")}) is True
    assert compile_expression("a > `0`").search({"a": None}) is None


class _PlainTruth(TreeInterpreter):
    """JMESPath's own truth (zero is true), its ``_is_true`` redefined: the closures follow it too."""

    def _is_true(self, value):
        return not self._is_false(value)


@settings(max_examples=300, deadline=None)
@given(expressions(), values)
def test_closures_follow_another_interpreter_s_truth(text, value):
    interpreter = _PlainTruth(OPTIONS)
    tree = CompiledExpr(text).tree
    ours = _outcome(closure_of(tree, interpreter), value)
    theirs = _outcome(lambda v: interpreter.visit(tree, v), value)
    assert _same(ours, theirs), (text, value, ours, theirs)


def test_the_engine_s_truth_zero_and_empty_are_false():
    kept = compile_expression("a[?@]")
    assert kept.search({"a": [0, 1, "", "x", [], [0], {}, {"k": 0}, None, False, True, Decimal("0.0"), 0.0, 2.5]}) == \
        [1, "x", [0], {"k": 0}, True, 2.5]
