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
