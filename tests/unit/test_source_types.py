"""Typing string-valued source records from path -> type declarations."""
from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from engine.connectors.codecs.xmlcodec import XmlOptions, xml_to_records
from engine.errors import TransformError
from engine.plan.coerce import check_types, compile_types
from engine.lang.values import show

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "prestashop"
PS = XmlOptions(root="prestashop", list_attribute="nodeType", list_containers=("associations",),
                i18n_element="language")

ORDER_TYPES = {
    "id": "int",
    "id_customer": "int",
    "current_state": "int",
    "valid": "bool",
    "gift": "bool",
    "total_paid_tax_incl": "decimal",
    "total_paid_tax_excl": "decimal",
    "carrier_tax_rate": "decimal",
    "reference": "string",
    "associations.order_rows[].id": "int",
    "associations.order_rows[].product_quantity": "int",
    "associations.order_rows[].product_attribute_id": "int",
    "associations.order_rows[].unit_price_tax_excl": "decimal",
    "associations.order_rows[].product_ean13": "string",
}


def load(name: str) -> list[dict]:
    return xml_to_records((FIXTURES / name).read_bytes(), PS)[1]


def test_types_a_prestashop_order_from_xml():
    order = load("orders.xml")[0]
    before = copy.deepcopy(order)
    typed = compile_types(ORDER_TYPES)(order)
    assert order == before  # the input is never mutated
    assert (typed["id"], typed["id_customer"], typed["current_state"]) == (1042, 56, 2)
    assert typed["valid"] is True and typed["gift"] is False
    assert typed["total_paid_tax_incl"] == Decimal("42.000000")
    assert str(typed["total_paid_tax_incl"]) == "42.000000"  # exact digits kept
    assert str(typed["carrier_tax_rate"]) == "20.000"
    assert typed["reference"] == "LJHRTGKQE"
    assert typed["total_products"] == "33.000000"  # undeclared: untouched string
    rows = typed["associations"]["order_rows"]
    assert [(r["id"], r["product_quantity"], r["product_attribute_id"]) for r in rows] == [
        (2201, 2, 34), (2202, 1, 0)]
    assert [str(r["unit_price_tax_excl"]) for r in rows] == ["12.500000", "8.000000"]
    assert rows[0]["product_ean13"] == "3760000000012" and rows[0]["product_isbn"] == ""


def test_json_rendering_with_native_ints_gives_the_same_typed_record():
    json_order = json.loads((FIXTURES / "order_1042.json").read_text(), parse_float=Decimal)["order"]
    convert = compile_types(ORDER_TYPES)
    from_xml, from_json = convert(load("order_1042.xml")[0]), convert(json_order)
    for path in ("id", "id_customer", "current_state", "valid", "gift", "total_paid_tax_incl",
                 "carrier_tax_rate", "reference"):
        assert from_xml[path] == from_json[path]
    row_fields = ("id", "product_quantity", "product_attribute_id", "unit_price_tax_excl",
                  "product_ean13")

    def rows(order):
        return [{k: r[k] for k in row_fields} for r in order["associations"]["order_rows"]]
    assert rows(from_xml) == rows(from_json) == [
        {"id": 2201, "product_quantity": 2, "product_attribute_id": 34,
         "unit_price_tax_excl": Decimal("12.500000"), "product_ean13": "3760000000012"},
        {"id": 2202, "product_quantity": 1, "product_attribute_id": 0,
         "unit_price_tax_excl": Decimal("8.000000"), "product_ean13": "3760000000029"}]


def test_order_details_tax_ids_and_reduction_percent():
    convert = compile_types({"id": "int", "reduction_percent": "decimal",
                             "associations.taxes[].id": "int"})
    details = [convert(d) for d in load("order_details.xml")]
    assert [(d["id"], d["reduction_percent"], d["associations"]["taxes"]) for d in details] == [
        (2201, Decimal("0.00"), [{"id": 1}]), (2202, Decimal("0.00"), [{"id": 1}])]


def test_copies_only_along_typed_paths():
    record = {"id": "1", "meta": {"x": "1"},
              "associations": {"order_rows": [{"q": "2"}], "other": [{"y": "3"}]}}
    typed = compile_types({"id": "int", "associations.order_rows[].q": "int"})(record)
    assert typed is not record and typed["meta"] is record["meta"]
    assert typed["associations"] is not record["associations"]
    assert typed["associations"]["order_rows"] is not record["associations"]["order_rows"]
    assert typed["associations"]["other"] is record["associations"]["other"]
    assert record == {"id": "1", "meta": {"x": "1"},
                      "associations": {"order_rows": [{"q": "2"}], "other": [{"y": "3"}]}}
    assert typed == {"id": 1, "meta": {"x": "1"},
                     "associations": {"order_rows": [{"q": 2}], "other": [{"y": "3"}]}}


def test_empty_values_missing_keys_and_shapes_left_alone():
    convert = compile_types({"a": "int", "b": "decimal", "c": "bool", "d": "string",
                             "missing": "int", "assoc.rows[].q": "int", "x.y": "int"})
    # <associations></associations> reads as "", a list path meeting a dict is left alone too.
    assert convert({"a": "", "b": "", "c": "", "d": "", "assoc": "", "x": ["1"]}) == {
        "a": None, "b": None, "c": None, "d": "", "assoc": "", "x": ["1"]}
    assert convert({"a": None, "assoc": {"rows": {"q": "1"}}}) == {
        "a": None, "assoc": {"rows": {"q": "1"}}}
    assert convert({}) == {}


@pytest.mark.parametrize(("value", "expected"), [
    ("12", 12), ("-3", -3), ("+7", 7), (" 12 ", 12), ("0", 0), (42, 42), (Decimal("12"), 12),
])
def test_int_accepts(value, expected):
    result = compile_types({"v": "int"})({"v": value})["v"]
    assert result == expected and type(result) is int


@pytest.mark.parametrize("value", [
    "12.000", "abc", "1_000", "١٢", "1e3", True, 12.0, Decimal("12.0"), Decimal("NaN"), [], {},
])
def test_int_refuses(value):
    with pytest.raises(TransformError) as info:
        compile_types({"v": "int"})({"v": value})
    assert str(info.value) == f"field v: cannot read {show(value, 60)} as int"


@pytest.mark.parametrize(("value", "expected"), [
    ("12.500000", "12.500000"), ("-3.60", "-3.60"), ("1e3", "1E+3"), (".5", "0.5"), ("7", "7"),
    (5, "5"), (Decimal("0.700000"), "0.700000"), (0.1, "0.1"), (1.5e-7, "1.5E-7"),
])
def test_decimal_accepts(value, expected):
    result = compile_types({"v": "decimal"})({"v": value})["v"]
    assert type(result) is Decimal and str(result) == expected


@pytest.mark.parametrize("value", ["abc", "NaN", "Infinity", "1_000", "1.2.3", "1,5", True,
                                   float("inf"), Decimal("sNaN")])
def test_decimal_refuses(value):
    with pytest.raises(TransformError) as info:
        compile_types({"v": "decimal"})({"v": value})
    assert str(info.value) == f"field v: cannot read {show(value, 60)} as decimal"


@pytest.mark.parametrize(("value", "expected"), [
    ("1", True), ("0", False), ("true", True), ("FALSE", False), (1, True), (0, False),
    (True, True), (False, False),
])
def test_bool_accepts(value, expected):
    assert compile_types({"v": "bool"})({"v": value})["v"] is expected


@pytest.mark.parametrize("value", ["2", "yes", 2, -1, Decimal("1"), 1.0])
def test_bool_refuses(value):
    with pytest.raises(TransformError, match=r"as bool$"):
        compile_types({"v": "bool"})({"v": value})


def test_refused_values_read_as_the_input_wrote_them():
    # was: "cannot read Decimal('1.5') as int", Python's spelling, in a consultant's error message
    convert = compile_types({"v": "int"})
    for value, shown in ((Decimal("1.5"), "1.5"), (Decimal("1E+5000"), "1E+5000"), (True, "true"),
                         ("1}0", "'1}0'")):
        with pytest.raises(TransformError) as info:
            convert({"v": value})
        assert str(info.value) == f"field v: cannot read {shown} as int"


def test_string_conversion():
    convert = compile_types({"a": "string", "b": "string", "c": "string", "d": "string"})
    assert convert({"a": 1042, "b": Decimal("1.50"), "c": None, "d": "x"}) == {
        "a": "1042", "b": "1.50", "c": None, "d": "x"}
    with pytest.raises(TransformError, match=r"field a: cannot read \{'k': 1\} as string"):
        convert({"a": {"k": 1}})
    with pytest.raises(TransformError, match=r"field a: cannot read true as string"):
        convert({"a": True})


def test_error_message_names_the_concrete_index():
    convert = compile_types(ORDER_TYPES)
    order = load("orders.xml")[0]
    order["associations"]["order_rows"][1]["product_quantity"] = "abc"
    with pytest.raises(TransformError) as info:
        convert(order)
    assert str(info.value) == ("field associations.order_rows[1].product_quantity: "
                               "cannot read 'abc' as int")
    assert isinstance(info.value, ValueError)


def test_nested_lists_and_list_of_scalars():
    convert = compile_types({"matrix[][]": "int", "tags[]": "string", "groups[].ids[]": "int"})
    assert convert({"matrix": [["1", "2"], ["3"]], "tags": [1, "x"],
                    "groups": [{"ids": ["4", ""]}]}) == {
        "matrix": [[1, 2], [3]], "tags": ["1", "x"], "groups": [{"ids": [4, None]}]}
    with pytest.raises(TransformError, match=r"^field matrix\[1\]\[0\]: cannot read 'x' as int$"):
        convert({"matrix": [["1"], ["x"]]})
    with pytest.raises(TransformError, match=r"^field groups\[0\]\.ids\[2\]: cannot read '1\.5' as int$"):
        convert({"groups": [{"ids": ["1", "2", "1.5"]}]})


def test_long_values_are_shortened_in_messages():
    with pytest.raises(TransformError) as info:
        compile_types({"v": "int"})({"v": "x" * 200})
    assert str(info.value) == "field v: cannot read '" + "x" * 58 + "… as int"
    with pytest.raises(TransformError) as info:
        compile_types({"v": "int"})({"v": Decimal("9" * 200 + ".5")})
    assert str(info.value) == "field v: cannot read " + "9" * 59 + "… as int"


def test_record_must_be_a_dict():
    with pytest.raises(TransformError, match="a record must be a dict, not list"):
        compile_types({"v": "int"})([1])  # type: ignore[arg-type]


def test_check_types_reports_every_problem():
    assert check_types(ORDER_TYPES) == []
    assert check_types({
        "a": "integer", "b": "date", "c": "Int", "d": None,
        "e.": "int", ".e": "int", "f[0]": "int", "g h": "int", "": "int", 5: "int",
        "k": "int", "k.x": "int", "l[]": "int", "l.y": "int", "m.n": "int", "m[]": "int",
    }) == [
        ("a", "unknown type 'integer'; did you mean 'int'? (known types: int, decimal, string, bool)"),
        ("b", "unknown type 'date' (known types: int, decimal, string, bool)"),
        ("c", "unknown type 'Int'; did you mean 'int'? (known types: int, decimal, string, bool)"),
        ("d", "unknown type None (known types: int, decimal, string, bool)"),
        ("e.", "empty segment (two dots, or a dot at an end)"),
        (".e", "empty segment (two dots, or a dot at an end)"),
        ("f[0]", "'f[0]': use [] for each element of a list, not an index"),
        ("g h", "'g h' is not a field name (letters, digits, '_' or '-', optionally followed by [])"),
        ("", "a path must be a non-empty string"),
        ("5", "a path must be a non-empty string"),
        ("k.x", "conflicts with another declaration of the same field"),
        ("l.y", "conflicts with another declaration of the same field"),
        ("m[]", "conflicts with another declaration of the same field"),
    ]
    assert check_types(["id"]) == [("", "types must be a mapping of field path to type")]


def test_compile_types_refuses_invalid_declarations():
    with pytest.raises(ValueError, match=r"invalid source types: a: unknown type 'integer'; "
                                         r"did you mean 'int'\?"):
        compile_types({"a": "integer"})
