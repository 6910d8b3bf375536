"""CSV and fixed-width files through the file connector's endpoint, on real files in a tmp folder:
formats declared in YAML, encodings, decimal comma, record errors naming file and line, atomic and
batch writes, names from templates, inbox moves."""
from __future__ import annotations

import os
from decimal import Decimal

import pytest

from engine.connectors.base import IncompleteRecord
from engine.connectors.compile import compile_connector, open_connector
from engine.connectors.errors import EncodeError

FIXED = [{"name": "ref", "start": 1, "width": 10},
         {"name": "qty", "start": 11, "width": 8, "align": "right", "pad": "0"},
         {"name": "label", "start": 19, "width": 6, "truncate": True}]
SAGE_CSV = {"type": "csv", "delimiter": ";", "encoding": "cp1252", "decimal": ","}

DEFINITION = {
    "name": "erp", "protocol": "file", "settings": {"dir": {"required": True}},
    "resources": {
        "articles": {"path": "art/*.csv", "key": "ref", "types": {"price": "decimal", "qty": "int"},
                     "format": SAGE_CSV},
        "positional": {"path": "pos/*.csv", "key": "ref", "types": {"price": "decimal"},
                       "format": {"type": "csv", "header": False, "columns": ["ref", "qty", "price"]}},
        "bom": {"path": "bom/*.csv", "key": "ref", "format": {"type": "csv"}},
        "stock": {"path": "fx/*.txt", "key": "ref", "types": {"qty": "int"},
                  "format": {"type": "fixed", "columns": FIXED}},
        "inbox": {"inbox": {"path": "in/*.csv"}, "key": "ref", "types": {"price": "decimal"},
                  "format": {"type": "csv", "columns": ["ref", "price"]}},
    },
    "operations": {
        "order": {"path": "out/CMD_{reference}_{date}.csv", "timezone": "Europe/Paris",
                  "format": {**SAGE_CSV, "columns": ["ref", "qty", "price"]}},
        "find_order": {"path": "out/CMD_{reference}_{date}.csv", "timezone": "Europe/Paris",
                       "format": {"type": "csv"}},
        "bom_out": {"path": "b/{reference}.csv", "format": {"type": "csv", "encoding": "utf-8-sig"}},
        "stock_out": {"path": "fxout/stock_{timestamp}.txt", "timezone": "UTC", "mode": "batch",
                      "format": {"type": "fixed", "columns": FIXED, "newline": "lf"}},
    },
}


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "exchange"


@pytest.fixture
def erp(folder):
    folder.mkdir()
    with open_connector("erp", DEFINITION, {"dir": str(folder)}) as endpoint:
        yield endpoint


def put(path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def records(erp, resource):
    return [record for page in erp.read(resource) for record in page]


def test_cp1252_semicolon_decimal_comma_read_into_exact_decimals(erp, folder):
    put(folder / "art" / "a.csv", "ref;label;qty;price\r\nBAAR01;Bague argent é;2;12,50\r\n".encode("cp1252"))
    assert records(erp, "articles") == [{"ref": "BAAR01", "label": "Bague argent é", "qty": 2,
                                         "price": Decimal("12.50")}]


def test_malformed_lines_are_record_errors_naming_file_and_line_and_the_rest_goes_on(erp, folder):
    put(folder / "art" / "a.csv", ("ref;label;qty;price\n"
                                   "A1;ok;1;1,00\n"
                                   "A2;too;many;1;2\n"        # wrong column count
                                   "A3;bad number;1;1.234,5\n"
                                   "A4;ok;2;2,00\n").encode("cp1252") + b"A5;\x81;1;1\n"  # byte cp1252 lacks
        + b'A6;"never closed;1;1\n')
    found = records(erp, "articles")
    assert [r["ref"] for r in found] == ["A1", "art/a.csv:3", "A3", "A4", "art/a.csv:6", "art/a.csv:7"]
    bad = [r for r in found if isinstance(r, IncompleteRecord)]
    assert [r.reason for r in bad] == [
        "art/a.csv:3: 5 columns, expected 4",
        "art/a.csv:4: price: '1.234,5' is not a number with the decimal comma declared (no '.' expected)",
        "art/a.csv:6: byte 0x81 is not valid cp1252",
        "art/a.csv:7: malformed CSV line: unexpected end of data"]
    assert bad[1].field == "price"


def test_positional_columns_without_header(erp, folder):
    put(folder / "pos" / "p.csv", b"A,1,2.5\nB,2,3\n")
    assert records(erp, "positional") == [{"ref": "A", "qty": "1", "price": Decimal("2.5")},
                                          {"ref": "B", "qty": "2", "price": Decimal("3")}]


def test_utf8_bom_is_stripped_on_read_and_written_when_declared(erp, folder):
    put(folder / "bom" / "a.csv", "\ufeffref,name\nX,Ünï\n".encode("utf-8"))
    assert records(erp, "bom") == [{"ref": "X", "name": "Ünï"}]
    erp.write("bom_out", {"ref": "X", "name": "Ünï"}, {"reference": "X"})
    assert (folder / "b" / "X.csv").read_bytes() == "\ufeffref,name\r\nX,Ünï\r\n".encode("utf-8")


def test_fixed_width_read(erp, folder):
    put(folder / "fx" / "s.txt", b"BAAR01    00000012Bague \r\nMUG       -0000003\r\nTOO LONG  0000000100abcdefgh\n")
    found = records(erp, "stock")
    assert found[:2] == [{"ref": "BAAR01", "qty": 12, "label": "Bague"}, {"ref": "MUG", "qty": -3, "label": ""}]
    assert found[2].reason == "fx/s.txt:3: the line is 28 characters, longer than the record (24)"


def test_csv_write_decimal_comma_cp1252_atomic_name_from_template(erp, folder):
    result = erp.write("order", [{"ref": "Clé", "qty": 2, "price": Decimal("12.50")},
                                 {"ref": "B;x", "qty": 1, "price": Decimal("-0.5")}], {"reference": "R1"})
    name = result.result
    assert name.startswith("out/CMD_R1_2") and name.endswith(".csv")
    assert (folder / name).read_bytes() == 'ref;qty;price\r\nClé;2;12,50\r\n"B;x";1;-0,5\r\n'.encode("cp1252")
    assert os.listdir(folder / "out") == [name.split("/")[1]]  # no temporary file left
    assert erp.find("find_order", {"reference": "R1"}) == [{"path": name}]
    assert erp.find("find_order", {"reference": "R2"}) == []


def test_a_character_the_encoding_lacks_is_a_record_error_never_a_question_mark(erp, folder):
    with pytest.raises(EncodeError, match=r"field 'ref': character 'Ł' \(U\+0141\) cannot be written in cp1252"):
        erp.write("order", {"ref": "Łódź", "qty": 1, "price": Decimal("1")}, {"reference": "R3"})
    with pytest.raises(EncodeError, match="binary float"):
        erp.write("order", {"ref": "A", "qty": 1, "price": 1.5}, {"reference": "R4"})
    assert not (folder / "out").exists() or not os.listdir(folder / "out")


def test_fixed_width_write_pads_aligns_and_refuses_values_too_long(erp, folder):
    with pytest.raises(EncodeError, match=r"field 'ref': 'ABCDEFGHIJK' is 11 characters, longer than its column \(10\)"):
        erp.write("stock_out", {"ref": "ABCDEFGHIJK", "qty": 1}, {})
    erp.write("stock_out", {"ref": "BAAR01", "qty": 12, "label": "Bague argent"}, {})  # label: truncate
    erp.write("stock_out", [{"ref": "MUG", "qty": -3}], {})
    assert not [p for p in os.listdir(folder / "fxout") if not p.startswith(".")]  # batch: not yet
    erp.close()
    (written,) = os.listdir(folder / "fxout")
    assert (folder / "fxout" / written).read_bytes() == b"BAAR01    00000012Bague \nMUG       -0000003      \n"


def test_inbox_moves_read_files_to_done_and_unreadable_ones_to_failed_with_a_reason(erp, folder):
    put(folder / "in" / "a.csv", b"ref,price\nA,1.5\nB,x\n")
    put(folder / "in" / "b.csv", "ref,price\n".encode() + "Été,1\n".encode("cp1252") * 3)
    put(folder / "in" / ".a.csv.123.tmp", b"half")
    found = records(erp, "inbox")
    assert [r["ref"] for r in found] == ["A", "B"]
    assert sorted(os.listdir(folder / "in")) == [".a.csv.123.tmp", "a.csv", "b.csv"]  # reading moves nothing
    erp.settled("inbox", all_final=False)  # a record still pending: the read files stay
    assert sorted(os.listdir(folder / "in")) == [".a.csv.123.tmp", "a.csv"]
    assert (folder / "failed" / "b.csv.reason").read_text().startswith("in/b.csv: no line of the file can be read")
    records(erp, "inbox")
    erp.settled("inbox", all_final=True)
    assert os.listdir(folder / "done") == ["a.csv"]


@pytest.mark.parametrize("fmt, message", [
    ({"type": "csv", "encoding": "klingon"}, "unknown encoding 'klingon'"),
    ({"type": "csv", "header": False}, "needs `columns`"),
    ({"type": "csv", "delimiter": ",", "decimal": ","}, "cannot be the delimiter"),
    ({"type": "fixed", "columns": [{"name": "a", "start": 1, "width": 5}, {"name": "b", "start": 3, "width": 2}]},
     "overlap"),
    ({"type": "fixed", "columns": ["a"]}, "needs `start` and `width`"),
])
def test_format_mistakes_are_located_diagnostics(fmt, message):
    definition = {"name": "x", "protocol": "file", "settings": {"dir": {}},
                  "resources": {"r": {"path": "a/*.csv", "format": fmt}}}
    _, diags = compile_connector(definition, lambda path: None)
    assert any(d.code == "bad-format" and message in d.message and "resources.r.format" in d.path for d in diags), diags


def test_clock_in_a_name_needs_a_time_zone():
    definition = {"name": "x", "protocol": "file", "settings": {"dir": {}},
                  "operations": {"w": {"path": "o/{date}.csv", "format": {"type": "csv"}}}}
    _, diags = compile_connector(definition, lambda path: None)
    assert [d.code for d in diags] == ["missing-key"] and "timezone" in diags[0].message


@pytest.mark.parametrize("zone", ["Europe", "Europe/Pariss", "../etc"])
def test_a_time_zone_that_is_no_zone_is_bad_timezone(zone):
    """`Europe` names a folder of the zone database: ZoneInfo raises IsADirectoryError (was an internal error)."""
    definition = {"name": "x", "protocol": "file", "settings": {"dir": {}},
                  "operations": {"w": {"path": "o/{date}.csv", "timezone": zone, "format": {"type": "csv"}}}}
    _, diags = compile_connector(definition, lambda path: None)
    assert [(d.code, d.path) for d in diags] == [("bad-timezone", "connector.operations.w.timezone")]
