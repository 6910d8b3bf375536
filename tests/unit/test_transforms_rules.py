"""Discount rules of Sage lines: flag_if_positive and if_positive."""
from __future__ import annotations

from decimal import Decimal

import pytest

from engine.lang.context import SimpleContext
from engine.errors import TransformError
from engine.lang.registry import Registry
from engine.lang.transforms import register_all

REG = Registry()
register_all(REG)
D = Decimal


def make(name):
    return REG.get("transform", name).factory(None, SimpleContext())


@pytest.mark.parametrize(("value", "flag", "rate"), [
    (D("10.000000"), 1, D("10.000000")),
    ("10.000000", 1, D("10.000000")),
    (5, 1, 5),
    (D("0.01"), 1, D("0.01")),
    (0, None, None),
    (D("0.000000"), None, None),
    ("0", None, None),
    (D("-0.00"), None, None),
    (-5, None, None),
    ("-0.5", None, None),
    (None, None, None),
])
def test_discount_rules(value, flag, rate):
    assert make("flag_if_positive")(value) == flag
    result = make("if_positive")(value)
    assert result == rate and type(result) is type(rate)


@pytest.mark.parametrize("name", ["flag_if_positive", "if_positive"])
@pytest.mark.parametrize("value", ["aucune", True, "", [1]])
def test_non_numbers_are_errors(name, value):
    with pytest.raises(TransformError, match="expected a number"):
        make(name)(value)
