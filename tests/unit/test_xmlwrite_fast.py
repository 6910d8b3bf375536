"""The direct XML writer against the lxml writer (the reference): same bytes, same errors."""
from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.connectors.codecs import xmlwrite
from engine.connectors.codecs.xmlcodec import XmlError, XmlOptions
from engine.connectors.codecs.xmlwrite import records_to_xml

PS = XmlOptions(root="prestashop", list_attribute="nodeType", list_containers=("associations",),
                i18n_element="language", list_item_names={"taxes": "tax", "data": "datum"})
OPTIONS = [PS, XmlOptions(), XmlOptions(root="r", i18n_element="lang")]

PLAIN_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,8}", fullmatch=True)
ODD_NAMES = st.sampled_from(["1bad", "a:b", "é", "{urn:x}a", "a b", "", "-a", "ab\u00b7", "xmlns",
                             "taxes", "data", "x"])
# Every class of character: markup, quotes, whitespace lxml escapes, controls and NUL it refuses,
# non-characters, a lone surrogate, non-ASCII of every UTF-8 length.
SPECIALS = st.sampled_from(list("&<>\"'\r\n\t]") + ["]]>", "\x00", "\x01", "\x0b", "\x1f", "\x7f",
                                                   "\x85", "\u2028", "\ufffe", "\uffff", "\ud800",
                                                   "é", "€", "\U0001f600"])
TEXTS = st.lists(st.one_of(SPECIALS, st.text(max_size=4)), max_size=6).map("".join)
SAFE_TEXTS = st.text(st.characters(blacklist_categories=("Cs", "Cc")).filter(
    lambda c: c not in "\ufffe\uffff") | st.sampled_from(list("&<>\"'\r\n\t")), max_size=12)
DECIMALS = st.decimals(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [Decimal("12.500000"), Decimal("1E+2"), Decimal("-0"), Decimal("1E-7")])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), DECIMALS, st.floats(), TEXTS,
                    st.just(datetime.date(2024, 5, 14)))
SAFE_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), SAFE_TEXTS,
                         st.decimals(allow_nan=False, allow_infinity=False),
                         st.floats(allow_nan=False, allow_infinity=False))


def _pairs(ids, values):
    return st.lists(st.fixed_dictionaries({"id": ids, "value": values}), min_size=1, max_size=3)


def _records(names, scalars, ids):
    def extend(children):
        return st.one_of(st.dictionaries(names, children, max_size=4),
                         st.lists(children, max_size=3), _pairs(ids, scalars))
    values = st.recursive(scalars, extend, max_leaves=12)
    return st.dictionaries(names, values, max_size=5)


def _outcome(write, *args):
    try:
        return write(*args)
    except Exception as exc:  # noqa: BLE001 - the comparison is of the errors themselves
        return type(exc), str(exc)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(OPTIONS), PLAIN_NAMES | ODD_NAMES,
       _records(PLAIN_NAMES | ODD_NAMES, SCALARS, st.integers() | TEXTS))
def test_same_bytes_or_same_error_as_lxml(options, item, record):
    assert _outcome(records_to_xml, item, record, options) == _outcome(
        xmlwrite._lxml_xml, item, record, options)


# Plain names (a list's name ends in "s" so its items can be named) and writable text: the
# direct writer itself must write these, not hand them to lxml.
LIST_NAMES = PLAIN_NAMES.map(lambda n: n + "s")
PLAIN_RECORDS = st.recursive(
    SAFE_SCALARS,
    lambda children: st.one_of(
        st.dictionaries(PLAIN_NAMES, children, max_size=4),
        st.dictionaries(LIST_NAMES, st.lists(children, max_size=3), min_size=1, max_size=2),
        st.dictionaries(LIST_NAMES, _pairs(st.integers(0, 9) | SAFE_TEXTS, SAFE_SCALARS),
                        min_size=1, max_size=2)),
    max_leaves=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(OPTIONS), PLAIN_NAMES,
       st.dictionaries(PLAIN_NAMES, PLAIN_RECORDS, max_size=5))
def test_common_records_are_written_directly_as_lxml_writes_them(options, item, record):
    assert xmlwrite._fast_xml(item, record, options) == xmlwrite._lxml_xml(item, record, options)


def test_acknowledgement_body_is_written_directly():
    body = xmlwrite._fast_xml("order_history", {"id_order": 1042, "id_order_state": 14}, PS)
    assert body == (b'<?xml version="1.0" encoding="UTF-8"?>\n'
                    b'<prestashop xmlns:xlink="http://www.w3.org/1999/xlink"><order_history>'
                    b"<id_order>1042</id_order><id_order_state>14</id_order_state>"
                    b"</order_history></prestashop>")


@pytest.mark.parametrize("record, written", [
    ({"a": ""}, b"<x><a></a></x>"),
    ({"a": None}, b"<x><a></a></x>"),
    ({"a": {}}, b"<x><a/></x>"),
    ({"as": []}, b"<x><as/></x>"),
    ({"a": "&<>\"'\r\n\t"}, b"<x><a>&amp;&lt;&gt;\"'&#13;\n\t</a></x>"),
    ({"n": [{"id": "&<>\"'\r\n\t", "value": "v"}]},
     b'<x><n><lang id="&amp;&lt;&gt;&quot;\'&#13;&#10;&#9;">v</lang></n></x>'),
])
def test_empty_elements_and_escaping(record, written):
    options = XmlOptions(i18n_element="lang")
    body = xmlwrite._fast_xml("x", record, options)
    assert body == xmlwrite._lxml_xml("x", record, options)
    assert body.endswith(written)


@pytest.mark.parametrize("record", [
    {"1bad": 1}, {"{urn:x}a": 1}, {"é": 1}, {"a": "nul\x00"}, {"a": "\ud800"}, {"a": "\ufffe"},
    {"a": Decimal("NaN")}, {"thing": [1]}, {"n": [{"id": "\x01", "value": 1}]},
])
def test_unusual_records_are_left_to_lxml(record):
    with pytest.raises((xmlwrite._Unusual, XmlError)):
        xmlwrite._fast_xml("x", record, PS)
