"""Reading dry-run input files: format detection, JSON shapes, JSON Lines, XML, errors."""
from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from engine.connectors.codecs import records as inputs
from engine.connectors.codecs.xmlcodec import XmlOptions
from engine.connectors.codecs.records import InputError, read_input

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "prestashop"
PS = XmlOptions(root="prestashop", list_attribute="nodeType", list_containers=("associations",),
                i18n_element="language", list_item_names={"taxes": "tax"})


def read(path: Path, **kwargs):
    kwargs.setdefault("default_resource", "orders")
    kwargs.setdefault("xml_options", PS)
    return read_input(path, **kwargs)


def write(tmp_path: Path, text: str | bytes, name: str = "input") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


# ---------------------------------------------------------------------------------------------
# XML

def test_xml_list_file():
    [(resource, records)] = read(FIXTURES / "orders.xml")
    assert resource == "orders" and [r["id"] for r in records] == ["1042", "1043"]
    assert records[0]["total_paid_tax_incl"] == "42.000000"
    assert records[0]["associations"]["order_rows"][1]["product_reference"] == "MUG-CLASSIC"


def test_xml_single_object_keeps_its_singular_name():
    [(resource, records)] = read(FIXTURES / "order_1042.xml")
    assert resource == "order" and len(records) == 1 and records[0]["reference"] == "LJHRTGKQE"


def test_xml_with_explicit_name_and_leading_whitespace(tmp_path):
    text = (FIXTURES / "taxes.xml").read_text(encoding="utf-8").split("\n", 1)[1]  # no declaration
    [(resource, records)] = read(write(tmp_path, "\n\n  " + text), name="vat_rates")
    assert resource == "vat_rates" and [t["rate"] for t in records] == ["20.000", "10.000", "5.500"]


def test_xml_declaration_must_come_first(tmp_path):
    path = write(tmp_path, '\n\n<?xml version="1.0"?><orders/>')
    with pytest.raises(InputError, match="XML declaration allowed only at the start") as info:
        read(path, xml_options=None)
    assert info.value.line == 3


def test_xml_without_options_has_no_envelope(tmp_path):
    path = write(tmp_path, "<orders><order><id>1</id></order><order><id>2</id></order></orders>")
    assert read(path, xml_options=None) == [("orders", [{"id": "1"}, {"id": "2"}])]


def test_xml_errors_carry_file_line_and_column(tmp_path):
    path = write(tmp_path, "<prestashop>\n<orders>\n<order><id>1</id></orders>\n</prestashop>")
    with pytest.raises(InputError) as info:
        read(path)
    error = info.value
    assert (error.file, error.line, error.col) == (str(path), 3, 27)
    assert str(error) == (f"{path}:3:27: malformed XML: Opening and ending tag mismatch: "
                          "order line 3 and orders")


def test_xml_enveloped_file_read_without_options_reports_the_repeated_element():
    with pytest.raises(InputError, match=r"element <order_row> appears more than once inside "
                                         r"<order_rows>; mark <order_rows> as a list") as info:
        read(FIXTURES / "orders.xml", xml_options=None)
    assert info.value.line == 69  # the second <order_row> of the first order


def test_xml_refuses_entities(tmp_path):
    with pytest.raises(InputError, match="DOCTYPE and ENTITY declarations are not allowed") as info:
        read(FIXTURES / "billion_laughs.xml")
    assert (info.value.line, info.value.col) == (2, 1)


# ---------------------------------------------------------------------------------------------
# JSON shapes

def test_json_list_wrapper():
    [(resource, records)] = read(FIXTURES / "orders.json", default_resource="unused")
    assert resource == "orders" and [r["id"] for r in records] == [1042, 1043]
    first = records[0]
    assert first["total_paid"] == "42.000000" and first["valid"] == "1" and first["round_mode"] == 2
    assert first["associations"]["order_rows"][0]["product_quantity"] == 2


def test_json_single_object_wrapper():
    [(resource, records)] = read(FIXTURES / "order_1042.json")
    assert resource == "order" and len(records) == 1 and records[0]["id"] == 1042


def test_json_empty_list_quirk():
    assert read(FIXTURES / "orders_empty.json", default_resource="orders") == [("orders", [])]
    assert read(FIXTURES / "orders_empty.json", default_resource="products") == [("products", [])]


def test_json_several_resources(tmp_path):
    path = write(tmp_path, '{"orders": [{"id": 1}], "customers": [{"id": 56}, {"id": 57}], "taxes": []}')
    assert read(path) == [("orders", [{"id": 1}]), ("customers", [{"id": 56}, {"id": 57}]),
                          ("taxes", [])]


def test_json_bare_list_and_bare_record(tmp_path):
    assert read(write(tmp_path, '[{"id": 1}, {"id": 2}]', "a.json"),
                default_resource="order_details") == [("order_details", [{"id": 1}, {"id": 2}])]
    assert read(write(tmp_path, '{"id": 1, "reference": "X"}', "b.json")) == [
        ("orders", [{"id": 1, "reference": "X"}])]


def test_json_name_override_merges_every_record_set(tmp_path):
    path = write(tmp_path, '{"a": [{"id": 1}], "b": [{"id": 2}]}')
    assert read(path, name="orders") == [("orders", [{"id": 1}, {"id": 2}])]
    assert read(FIXTURES / "orders_empty.json", name="orders") == [("orders", [])]


def test_json_numbers_are_decimal_never_float(tmp_path):
    path = write(tmp_path, '{"orders": [{"id": 1, "total": 42.10, "rate": 2e1, "qty": 3}]}')
    [(_, [record])] = read(path)
    assert type(record["total"]) is Decimal and str(record["total"]) == "42.10"
    assert record["rate"] == Decimal("2E+1") and type(record["rate"]) is Decimal
    assert type(record["qty"]) is int and record["qty"] == 3


def test_json_with_utf8_bom(tmp_path):
    path = write(tmp_path, b'\xef\xbb\xbf  {"orders": [{"name": "L\xc3\xa9a"}]}')
    assert read(path) == [("orders", [{"name": "Léa"}])]


# ---------------------------------------------------------------------------------------------
# JSON Lines

def test_jsonl_one_record_per_non_empty_line(tmp_path):
    path = write(tmp_path, '{"id": 1, "total": 1.50}\n\n{"id": 2}\n  {"id": 3}\n')
    assert read(path, default_resource="lines") == [
        ("lines", [{"id": 1, "total": Decimal("1.50")}, {"id": 2}, {"id": 3}])]
    assert read(path, name="orders")[0][0] == "orders"


def test_jsonl_error_names_the_line(tmp_path):
    path = write(tmp_path, '{"a": 1}\n{"b": 2}\n\n{"c": }\n')
    with pytest.raises(InputError) as info:
        read(path)
    assert (info.value.line, info.value.col) == (4, 7)
    assert info.value.message == "invalid JSON Lines record: Expecting value"


def test_jsonl_records_must_be_objects(tmp_path):
    path = write(tmp_path, '{"a": 1}\n  [1, 2]\n')
    with pytest.raises(InputError, match="a JSON Lines record must be an object, found a list") as info:
        read(path)
    assert (info.value.line, info.value.col) == (2, 3)


def test_jsonl_duplicate_key_on_first_line(tmp_path):
    path = write(tmp_path, '{"a": 1, "a": 2}\n{"b": 2}\n')
    with pytest.raises(InputError, match="duplicate key 'a' in an object") as info:
        read(path)
    assert info.value.line == 1


# ---------------------------------------------------------------------------------------------
# Errors

def test_invalid_json_reports_line_and_column(tmp_path):
    path = write(tmp_path, '{"orders": [\n  {"id": 1,}\n]}')
    with pytest.raises(InputError) as info:
        read(path)
    assert (info.value.line, info.value.col) == (2, 12)
    assert str(info.value) == (f"{path}:2:12: invalid JSON: "
                               "Expecting property name enclosed in double quotes")


@pytest.mark.parametrize(("text", "message"), [
    ('{"orders": [1, 2]}', r"orders\[0\]: a record must be an object, found a number"),
    ('[{"id": 1}, "x"]', r"orders\[1\]: a record must be an object, found a string"),
    ('[null]', r"orders\[0\]: a record must be an object, found null"),
    ('42', r"expected records \(an object or a list\), found a number"),
    ('"orders"', r"expected records \(an object or a list\), found a string"),
    ('{}', r"the file holds an empty object; expected records"),
    ('{"orders": [{"total": NaN}]}', r"invalid JSON: NaN is not a valid number here"),
    ('{"orders": [{"id": 1, "id": 2}]}', r"invalid JSON: duplicate key 'id' in an object"),
])
def test_shapes_that_are_not_records(tmp_path, text, message):
    with pytest.raises(InputError, match=message) as info:
        read(write(tmp_path, text))
    assert info.value.file == str(tmp_path / "input")


def test_file_not_found_directory_and_empty(tmp_path):
    with pytest.raises(InputError) as info:
        read(tmp_path / "missing.json")
    assert str(info.value) == f"{tmp_path / 'missing.json'}: file not found"
    assert info.value.line is None and info.value.col is None
    with pytest.raises(InputError, match="is a directory, not a file"):
        read(tmp_path)
    with pytest.raises(InputError, match=r"the file is empty \(expected JSON, JSON Lines or XML\)"):
        read(write(tmp_path, " \n\t\n"))


def test_not_utf8(tmp_path):
    path = write(tmp_path, b'{"orders": [\n{"name": "L\xe9a"}]}')
    with pytest.raises(InputError) as info:
        read(path)
    assert info.value.message == "the file is not valid UTF-8 (byte 0xe9)"
    assert (info.value.line, info.value.col) == (2, 12)


def test_unreadable_file(tmp_path, monkeypatch):
    path = write(tmp_path, "[]")

    def denied(path, limit):
        raise PermissionError(13, "Permission denied", str(path))
    monkeypatch.setattr("engine.util.fileio.read_limited", denied)  # chmod 0 does not stop root
    with pytest.raises(InputError) as info:
        read(path)
    assert str(info.value) == f"{path}: permission denied: cannot read the file"


def test_os_error_while_reading(tmp_path, monkeypatch):
    path = write(tmp_path, "[]")

    def failing(path, limit):
        raise OSError(5, "Input/output error")
    monkeypatch.setattr("engine.util.fileio.read_limited", failing)
    with pytest.raises(InputError, match="cannot read the file: Input/output error"):
        read(path)


def test_size_limit(tmp_path, monkeypatch):
    path = write(tmp_path, '[{"id": 1}]')
    monkeypatch.setattr(inputs, "MAX_INPUT_BYTES", 5)
    with pytest.raises(InputError, match=r"the file is above the limit of 5 bytes"):
        read(path)


def test_fixture_copy_keeps_working(tmp_path):
    # Format detection never depends on the file name or extension.
    copy = tmp_path / "data.txt"
    shutil.copy(FIXTURES / "customers.xml", copy)
    [(resource, records)] = read(copy)
    assert resource == "customers" and [c["id"] for c in records] == ["56", "57"]


def test_jsonl_line_separator_characters_inside_strings(tmp_path):
    path = write(tmp_path, '{"note": "a\u2028b"}\r\n{"note": "c"}\r\n')
    assert read(path) == [("orders", [{"note": "a\u2028b"}, {"note": "c"}])]
