from datetime import datetime, timezone
from decimal import Decimal

import pytest

from engine.util.jsonout import OutputError, dumps


@pytest.mark.parametrize("value, text", [
    (Decimal("12.500000"), "12.5"), (Decimal("42.000000"), "42"), (Decimal("1E+2"), "100"),
    (Decimal("-0.00"), "0"), (Decimal("0.1"), "0.1"), (Decimal("123456789012345678.123456789"),
                                                        "123456789012345678.123456789"),
    ("é\"\n", '"é\\"\\n"'), (None, "null"), (True, "true"), ({"b": 1, "a": [1, {}]}, '{"b":1,"a":[1,{}]}'),
])
def test_exact_numbers_and_order(value, text):
    assert dumps(value) == text


def test_dates_must_be_formatted_by_the_spec():
    with pytest.raises(OutputError, match="doc.Date is a date"):
        dumps({"doc": {"Date": datetime(2024, 5, 14, tzinfo=timezone.utc)}})


def test_indent():
    assert dumps({"a": [1]}, indent=2) == '{\n  "a": [\n    1\n  ]\n}'


@pytest.mark.parametrize("text", ["0", "-0", "-0.000", "0E-7", "1E-7", "0.000001", "0.0000001", "1.000E+3", "100",
                                  "100.00", "-12.50", "1E+2", "123456789012345678901234567890.10", "5E-30",
                                  "-1.00", "10.010"])
def test_a_number_is_written_as_the_general_formula_writes_it(text):
    from engine.util.jsonout import _number_text, number_text

    assert number_text(Decimal(text)) == _number_text(Decimal(text))


def test_any_finite_number_is_written_as_the_general_formula_writes_it():
    from hypothesis import given, settings, strategies as st

    from engine.util.jsonout import _number_text, number_text

    @settings(max_examples=2000, deadline=None)
    @given(st.decimals(allow_nan=False, allow_infinity=False))
    def check(value):
        assert number_text(value) == _number_text(value)

    check()


@pytest.mark.parametrize("text", ["NaN", "-Infinity", "sNaN", "NaN12"])
def test_a_number_with_no_json_form_is_refused(text):
    from engine.util.jsonout import number_text

    with pytest.raises(OutputError, match="not a JSON number"):
        number_text(Decimal(text))
