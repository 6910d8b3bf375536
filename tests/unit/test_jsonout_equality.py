"""The fast JSON path (orjson, engine/util/jsonout.py) writes byte for byte what the original pure-Python
encoder wrote, kept here unchanged as the oracle, and refuses what it refused with the same message."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.spec.env import Secret
from engine.util import jsonout
from engine.util.jsonout import OutputError, dumps, dumps_bytes


# -- the oracle: engine/util/jsonout.py as it was before orjson (do not "improve") -----------------

_str = json.JSONEncoder(ensure_ascii=False).encode
MAX_DEPTH = 100


def old_number_text(value: Decimal) -> str:
    if not value.is_finite():
        raise OutputError(f"{value} is not a JSON number")
    if value == 0:
        return "0"
    if value == value.to_integral_value():
        return format(value.to_integral_value(), "f")
    return format(value, "f").rstrip("0")  # corrected: normalize() rounded past 28 digits (test_odbc_review)


def old_dumps(value: Any, indent: int | None = None) -> str:
    parts: list[str] = []
    _write(value, parts, indent, 0, "")
    return "".join(parts)


def _write(value, out, indent, level, where):
    if level > MAX_DEPTH:
        raise OutputError(f"{where or 'value'} is nested more than {MAX_DEPTH} levels deep")
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_str(value))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, Decimal):
        out.append(old_number_text(value))
    elif isinstance(value, float):
        out.append(old_number_text(Decimal(repr(value))))
    elif isinstance(value, dict):
        _container(list(value.items()), "{", "}", out, indent, level, where, True)
    elif isinstance(value, (list, tuple)):
        _container(list(value), "[", "]", out, indent, level, where, False)
    elif callable(getattr(type(value), "__jsonout__", None)):
        _write(value.__jsonout__(), out, indent, level + 1, where)
    elif isinstance(value, (datetime, date)):
        raise OutputError(f"{where or 'value'} is a date ({value.isoformat()}); format it for the "
                          "target, e.g. with `ms_json_date` or `format_date`")
    else:
        raise OutputError(f"{where or 'value'} has no JSON form ({type(value).__name__})")


def _container(items, open_, close, out, indent, level, where, is_map):
    if not items:
        out.append(open_ + close)
        return
    out.append(open_)
    pad = "\n" + " " * (indent * (level + 1)) if indent is not None else ""
    sep = ": " if indent is not None else ":"
    for position, item in enumerate(items):
        if position:
            out.append(",")
        out.append(pad)
        if is_map:
            key, val = item
            out.append(_str(str(key)) + sep)
            _write(val, out, indent, level + 1, f"{where}.{key}" if where else str(key))
        else:
            _write(item, out, indent, level + 1, f"{where}[{position}]")
    if indent is not None:
        out.append("\n" + " " * (indent * level))
    out.append(close)


# -- the comparison ---------------------------------------------------------------------------------

def outcome(encode, value, **kw):
    try:
        return ("ok", encode(value, **kw))
    except OutputError as exc:
        return ("refused", str(exc))


def same(value):
    for indent in (None, 2, 4):
        assert outcome(dumps, value, indent=indent) == outcome(old_dumps, value, indent=indent), indent
    old = outcome(old_dumps, value)
    if old[0] == "ok":
        try:
            wanted: Any = ("ok", old[1].encode())
        except UnicodeEncodeError:
            wanted = "unencodable"
    else:
        wanted = old
    try:
        got: Any = ("ok", dumps_bytes(value))
    except OutputError as exc:
        got = ("refused", str(exc))
    except UnicodeEncodeError:
        got = "unencodable"
    assert got == wanted


class Tagged(str):
    pass


class Count(int):
    def __str__(self):
        return f"count {int(self)}"


@dataclass
class Point:
    x: int


decimals = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.builds(lambda digits, exp, sign: Decimal((sign, digits, exp)),
              st.tuples(*[st.integers(0, 9)] * 3), st.integers(-30, 30), st.integers(0, 1)),
    st.sampled_from([Decimal("-0"), Decimal("0E-10"), Decimal("-0E+5"), Decimal("1E+2"), Decimal("12.500000"),
                     Decimal("1E+400"), Decimal("1E-400"), Decimal("sNaN"), Decimal("-Infinity")]),
)
texts = st.one_of(st.text(), st.text(alphabet=st.characters(max_codepoint=0x7f)),
                  st.sampled_from(["\u2028\u2029", "\ud800", "a\udfffb", "\x00\x1f\x7f", "é\"\\/\n\t"]))
leaves = st.one_of(
    st.none(), st.booleans(), texts, decimals,
    st.integers(), st.integers(-2 ** 64 - 2, 2 ** 64 + 2), st.floats(), st.sampled_from([2.0, 1e16, 1e-7, -0.0]),
    st.sampled_from([datetime(2024, 5, 14, 8, 30), date(2024, 1, 2), Point(1), Tagged("t"), Count(3), b"x", {1, 2},
                     Secret("s3cr3t-value")]),
)
keys = st.one_of(texts, texts, st.integers(), st.sampled_from([None, True, Decimal("1.50"), 1.5, Tagged("k")]))
values = st.recursive(leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.lists(inner, max_size=3).map(tuple),
    st.dictionaries(keys, inner, max_size=5)), max_leaves=40)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values)
def test_fast_path_writes_what_the_reference_wrote(value):
    same(value)


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.one_of(st.none(), st.booleans(), st.text(), st.integers(-2 ** 63, 2 ** 63 - 1),
                              st.decimals(allow_nan=False, allow_infinity=False)),
                    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.text(), inner, max_size=5)),
                    max_leaves=60))
def test_plain_payloads_take_the_fast_path(value):
    # what the pipeline builds is written by orjson, not the reference (else the speed is lost silently)
    if not any(c in "\ud800\udfff" or 0xD800 <= ord(c) <= 0xDFFF for c in old_dumps(value)):
        assert jsonout._fast(value, False) is not None
    same(value)


def nested(depth: int, leaf: Any = 1, kind=list) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value] if kind is list else {"k": value}
    return value


@pytest.mark.parametrize("depth", [99, 100, 101, 102, 150, 300])
@pytest.mark.parametrize("leaf", [1, [], {}, Secret("s3cr3t-value"), Decimal("1.0")])
@pytest.mark.parametrize("kind", [list, dict])
def test_depth_limit_as_before(depth, leaf, kind):
    same(nested(depth, leaf, kind))


def test_a_cycle_is_refused_as_too_deep():
    loop: list = []
    loop.append(loop)
    same(loop)
    with pytest.raises(OutputError, match="nested more than 100 levels deep"):
        dumps(loop)


@pytest.mark.parametrize("value, text", [
    (Decimal("12.500000"), "12.5"), (Decimal("1E+2"), "100"), (Decimal("-0"), "0"), (Decimal("0E-10"), "0"),
    (Decimal("-0.000"), "0"), (Decimal("1E+30"), "1" + "0" * 30), (Decimal("1.0E-20"), "0." + "0" * 19 + "1"),
    (Decimal("-12.3400"), "-12.34"), (Decimal("99999999999999999999.99"), "99999999999999999999.99"),
])
def test_decimal_edge_cases(value, text):
    assert dumps(value) == dumps([value])[1:-1] == dumps({"v": value})[5:-1] == text
    assert jsonout._fast({"v": value}, False) is not None  # exact numbers on the fast path


def test_huge_exponents_are_written_whole():
    assert dumps({"v": Decimal("1E+5000")}) == '{"v":1' + "0" * 5000 + "}"
    assert dumps([Decimal("-1E-500")]) == "[-0." + "0" * 499 + "1]"


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("-sNaN"), Decimal("Infinity"), float("nan"),
                                   float("inf")])
def test_not_a_number_is_refused(value):
    with pytest.raises(OutputError, match="is not a JSON number"):
        dumps({"a": [value]})
    with pytest.raises(OutputError, match="is not a JSON number"):
        dumps_bytes({"a": [value]})


def test_floats_are_written_as_before_not_as_orjson_would():
    assert dumps({"q": 2.0, "big": 1e16, "small": 1e-7}) == '{"q":2,"big":10000000000000000,"small":0.0000001}'


def test_lone_surrogates_are_written_as_before():
    # orjson refuses them; the reference writes them as they are (a str; encoding it to UTF-8 fails)
    assert dumps({"a": "x\ud800"}) == '{"a":"x\ud800"}'
    with pytest.raises(UnicodeEncodeError):
        dumps_bytes({"a": "x\ud800"})


def test_non_str_keys_and_marks_as_before():
    assert dumps({1: "a", None: Secret("s3cr3t-value"), Decimal("1.50"): True}) == \
        '{"1":"a","None":"***","1.50":true}'


def test_dates_refused_with_their_path():
    with pytest.raises(OutputError, match=r"doc\.Lines\[1\]\.Date is a date \(2024-05-14\)"):
        dumps({"doc": {"Lines": [{}, {"Date": date(2024, 5, 14)}]}})
