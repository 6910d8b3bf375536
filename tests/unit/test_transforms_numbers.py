"""Arithmetic transforms: exact Decimal results, {from: PATH} operands, rounding, tax."""
from __future__ import annotations

from decimal import Decimal

import pytest

from engine.lang.context import SimpleContext
from engine.errors import TransformError
from engine.lang.registry import ArgError, Registry
from engine.lang.transforms import register_all
from engine.lang.transforms._common import parse_number, to_number

REG = Registry()
register_all(REG)
D = Decimal
LINE = {"quantity": 3, "price": "12.500000", "rate": D("5.5"), "zero": 0, "none": None, "text": "N/A"}


def make(name, arg=None):
    spec = REG.get("transform", name)
    fn = spec.factory(arg, SimpleContext())
    return (lambda value, scope=LINE: fn(value, scope)) if spec.needs_scope else fn


def check(result, expected):
    assert result == expected and type(result) is type(expected), (result, expected)


@pytest.mark.parametrize(("name", "arg", "value", "expected"), [
    ("add", 1, 1041, 1042),
    ("add", D("0.10"), D("0.20"), D("0.30")),
    ("add", 1, "1041", 1042),
    ("add", D("1.5"), "1", D("2.5")),
    ("add", {"from": "quantity"}, 2, 5),
    ("add", {"from": "price"}, 1, D("13.500000")),
    ("subtract", 1, 1043, 1042),
    ("subtract", D("0.1"), D("0.3"), D("0.2")),
    ("subtract", {"from": "rate"}, 10, D("4.5")),
    ("multiply", 3, 4, 12),
    ("multiply", {"from": "quantity"}, "12.500000", D("37.500000")),
    ("multiply", D("0.1"), 3, D("0.3")),
    ("divide", 2, 4, D("2")),
    ("divide", 1, 3, D("3")),
    ("divide", 3, 10, D("3.333333333333333333333333333")),
    ("divide", {"from": "quantity"}, D("37.50"), D("12.5")),
    ("negate", None, D("0.00"), D("0.00")),
    ("negate", None, "12", -12),
    ("abs", None, "-12.5", D("12.5")),
    ("sum", None, [1, None, 2], 3),
    ("sum", None, [1, D("0.5"), "0.25"], D("1.75")),
    ("sum", None, [None], 0),
    ("tax_excl", 20, 15, D("12.5")),
    ("tax_excl", D("5.5"), D("10.55"), D("10")),
    ("tax_excl", 0, D("9.90"), D("9.90")),
    ("tax_excl", {"from": "rate"}, D("21.10"), D("20")),
    ("tax_incl", 20, D("12.5"), D("15")),
    ("tax_incl", {"from": "rate"}, 20, D("21.1")),
])
def test_arithmetic(name, arg, value, expected):
    check(make(name, arg)(value), expected)


def test_int_arithmetic_stays_int_and_divide_is_always_decimal():
    check(make("multiply", 2)(21), 42)
    check(make("divide", 2)(84), D("42"))


def test_no_float_sneaks_in():
    # floats (which the loader never produces) are converted through repr: 0.1 stays 0.1
    check(make("add", 0)(0.1), D("0.1"))
    check(to_number(1.1), D("1.1"))


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "tax_excl", "tax_incl"])
def test_null_operand_from_the_record_gives_null(name):
    assert make(name, {"from": "none"})(10) is None
    assert make(name, {"from": "missing.path"})(10) is None
    assert make(name, {"from": "quantity"})(None) is None


@pytest.mark.parametrize(("name", "arg", "value", "message"), [
    ("divide", 0, 10, "division by zero"),
    ("divide", {"from": "zero"}, 10, r"division by zero \(10 / 0\)"),
    ("add", 1, True, "expected a number for add, got true"),
    ("add", 1, "abc", "got 'abc'"),
    ("add", 1, "", "empty string"),
    ("add", 1, "1,5", "decimal comma"),
    ("add", 1, "1_000", "got '1_000'"),
    ("add", 1, "Infinity", "got 'Infinity'"),
    ("add", 1, D("NaN"), "expected a number"),
    ("multiply", {"from": "text"}, 2, r"multiply \(from: text\), got 'N/A'"),
    ("tax_excl", {"from": "minus"}, 2, "-100"),
    ("sum", None, "12", "sum expects a list"),
    ("sum", None, [1, "x"], "got 'x'"),
    ("negate", None, [1], "expected a number"),
])
def test_number_errors(name, arg, value, message):
    with pytest.raises(TransformError, match=message):
        make(name, arg)(value, {**LINE, "minus": -100}) if REG.get("transform", name).needs_scope \
            else make(name, arg)(value)


def test_bad_from_expression_is_located():
    with pytest.raises(ArgError) as info:
        make("multiply", {"from": "quantity *"})
    assert info.value.at == ("from",)
    assert info.value.offset > 0


@pytest.mark.parametrize(("places", "value", "expected"), [
    (2, D("2.345"), D("2.35")),
    (2, D("2.344"), D("2.34")),
    (2, D("-2.345"), D("-2.35")),   # half away from zero on negatives, as Sage does
    (0, D("2.5"), D("3")),
    (0, D("-2.5"), D("-3")),
    (0, D("3.5"), D("4")),          # not banker's rounding
    (0, 7, D("7")),
    (2, 7, D("7.00")),
    (2, "12.500000", D("12.50")),
    (3, D("0.0005"), D("0.001")),
    (12, D("1"), D("1.000000000000")),
])
def test_round_half_up(places, value, expected):
    result = make("round", places)(value)
    check(result, expected)
    assert result.as_tuple().exponent == -places


def test_round_too_many_digits():
    with pytest.raises(TransformError, match="too many digits"):
        make("round", 12)(D("1E+20"))


@pytest.mark.parametrize(("text", "expected"), [
    ("12", 12), (" 12 ", 12), ("+12", 12), ("-0", 0), ("12.500000", D("12.500000")), (".5", D("0.5")),
    ("1e3", D("1E+3")), ("abc", None), ("", None), ("1_000", None), ("nan", None), ("0x10", None),
    (True, None), (None, None), (D("Infinity"), None), (float("nan"), None),
])
def test_parse_number(text, expected):
    result = parse_number(text)
    assert result == expected and type(result) is type(expected)


def test_inputs_are_not_mutated():
    items = [D("1.5"), None, 2]
    make("sum")(items)
    assert items == [D("1.5"), None, 2]
