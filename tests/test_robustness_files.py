"""Robustness of the file formats: random and mutated `format` blocks in a connector definition
never end in a traceback or an internal error (always located diagnostics, or a plan), and random
bytes read as CSV or fixed width never end in anything but records, record errors naming the file
and line, or one InputError for the whole file; a written CSV reads back as written."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings, strategies as st

from engine.connectors.base import IncompleteRecord
from engine.connectors.codecs.csvfile import CsvWriter
from engine.connectors.codecs.records import InputError
from engine.connectors.codecs.textformat import Column, TextFormat, text_of
from engine.connectors.codecs.textread import text_records
from engine.connectors.compile import compile_connector
from engine.connectors.errors import EncodeError

SETTINGS = settings(max_examples=120, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

scalar = st.one_of(st.none(), st.booleans(), st.integers(-5, 40), st.text(max_size=6),
                   st.sampled_from([";", ",", '"', "cp1252", "utf-8-sig", "klingon", "", ".", "0"]))
column = st.one_of(st.text(max_size=5), scalar, st.fixed_dictionaries(
    {"name": st.sampled_from(["a", "b", "c", "ref"])},
    optional={"start": st.one_of(st.integers(-2, 30), scalar), "width": st.one_of(st.integers(-1, 12), scalar), "align": st.sampled_from(["left", "right", "x"]),
              "pad": st.sampled_from([" ", "0", "", "ab"]), "truncate": st.booleans()}))
fmt = st.fixed_dictionaries({"type": st.sampled_from(["csv", "fixed", "json", "xml", "tsv"])}, optional={
    "delimiter": scalar, "quote": scalar, "encoding": scalar, "decimal": scalar, "header": scalar,
    "newline": st.sampled_from(["crlf", "lf", "cr"]), "columns": st.one_of(scalar, st.lists(column, max_size=4))})


def test_format_mistakes_the_schema_also_refuses_are_diagnostics_not_crashes():
    for block in ({"type": "csv", "newline": "cr"}, {"type": "fixed", "columns": [{"name": "a", "start": "x"}]},
                  {"type": "fixed", "columns": [{"name": "a", "start": 1, "width": 2, "align": "centre"}]},
                  {"type": "csv", "columns": [None]}, {"type": "csv", "columns": "abc"}):
        definition = {"name": "x", "protocol": "file", "settings": {"dir": {}},
                      "resources": {"r": {"path": "a/*", "format": block}}}
        _, diags = compile_connector(definition, lambda path: None)
        assert [d.code for d in diags] == ["bad-format"], (block, diags)


@SETTINGS
@given(fmt, st.sampled_from(["resource", "operation"]), st.booleans())
def test_random_formats_give_a_plan_or_located_diagnostics(block, where, batch):
    definition = {"name": "x", "protocol": "file", "settings": {"dir": {}}}
    if where == "resource":
        definition["resources"] = {"r": {"path": "a/*", "format": block, "types": {"b": "decimal"}}}
    else:
        definition["operations"] = {"w": {"path": "o/{date}.txt", "timezone": "Europe/Paris", "format": block,
                                          **({"mode": "batch"} if batch else {})}}
    plan, diags = compile_connector(definition, lambda path: None)
    for diag in diags:
        assert diag.code != "internal-error" and diag.path.startswith("connector."), diag
        assert diag.message


@SETTINGS
@given(st.binary(max_size=300), st.sampled_from(["csv", "fixed"]), st.sampled_from(["utf-8", "cp1252", "latin-1"]),
       st.sampled_from([".", ","]), st.booleans())
def test_random_bytes_read_as_records_record_errors_or_one_input_error(tmp_path_factory, data, kind, encoding,
                                                                         decimal, header):
    path = tmp_path_factory.mktemp("r") / "f.txt"
    path.write_bytes(data)
    columns = (Column("a", 0, 3), Column("b", 3, 5, "right", "0")) if kind == "fixed" or not header else ()
    text = TextFormat(kind, encoding, ";", '"', decimal, header and kind == "csv", columns, "\r\n", {"b": "decimal"})
    try:
        for record in text_records(path, text, "f.txt", "a"):
            assert isinstance(record, dict)
            if isinstance(record, IncompleteRecord):
                assert record.reason.startswith("f.txt:") and record["a"] not in (None, "")
            elif "b" in record and record["b"] is not None:
                assert isinstance(record["b"], Decimal)
    except InputError as exc:
        assert exc.message


cell = st.one_of(st.text(alphabet=st.characters(codec="cp1252", exclude_characters="\x00"), max_size=8),
                 st.decimals(allow_nan=False, allow_infinity=False, places=2), st.integers(-10**6, 10**6))


@SETTINGS
@given(st.lists(st.fixed_dictionaries({"a": cell, "b": cell}), min_size=1, max_size=5), st.sampled_from([";", ","]),
       st.sampled_from([".", ","]))
def test_a_written_csv_reads_back_as_written(tmp_path_factory, rows, delimiter, decimal):
    if delimiter == decimal:
        decimal = "."
    text = TextFormat("csv", "cp1252", delimiter, '"', decimal, True, (), "\r\n", {})
    writer = CsvWriter(text)
    try:
        data = writer.header(("a", "b")) + writer.lines(rows, ("a", "b"))
    except (EncodeError, ValueError) as exc:
        assert str(exc)
        return
    path = tmp_path_factory.mktemp("w") / "f.csv"
    path.write_bytes(data)
    back = list(text_records(path, text, "f.csv", None))
    expected = [{k: text_of(v, decimal) for k, v in row.items()} for row in rows]
    assert [dict(r) for r in back] == expected and not any(isinstance(r, IncompleteRecord) for r in back)
