"""Robustness of XML files declared in YAML: random and mutated `format: {type: xml, ...}` blocks
never end in a traceback or an internal error (a plan, or located diagnostics); random records are
either refused with a record error naming the field, or written and read back as the text they hold;
random bytes read as an XML file give records, record errors with a line, or one InputError."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from engine.connectors.base import IncompleteRecord
from engine.connectors.codecs.csvfile import CellError
from engine.connectors.codecs.records import InputError
from engine.connectors.codecs.xmlfile import XmlFileFormat, XmlWriter, read_xml
from engine.connectors.compile import compile_connector

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

scalar = st.one_of(st.none(), st.booleans(), st.integers(-5, 40), st.text(max_size=6),
                   st.sampled_from(["Orders", "Order", "x y", "1a", "cp1252", "klingon", "", "urn:a", "{x}"]))
block = st.fixed_dictionaries({"type": st.sampled_from(["xml", "csv"])}, optional={
    "root": scalar, "record": scalar, "encoding": scalar, "namespace": scalar,
    "attributes": st.one_of(scalar, st.lists(scalar, max_size=3)),
    "lists": st.one_of(scalar, st.dictionaries(st.sampled_from(["lines", "id", "1x"]), scalar, max_size=2))})


@SETTINGS
@given(block, st.sampled_from(["resource", "operation"]), st.booleans())
def test_random_xml_formats_give_a_plan_or_located_diagnostics(fmt, where, batch):
    definition = {"name": "x", "protocol": "file", "settings": {"dir": {}}}
    if where == "resource":
        definition["resources"] = {"r": {"path": "a/*", "format": fmt}}
    else:
        definition["operations"] = {"w": {"path": "o/{id}.xml", "format": fmt, **({"mode": "batch"} if batch else {})}}
    plan, diags = compile_connector(definition, lambda path: None)
    for diag in diags:
        assert diag.code != "internal-error" and diag.path.startswith("connector."), diag
        assert diag.message


FORMAT = XmlFileFormat("Orders", "Order", frozenset({"id"}), {"lines": "Line"}, None, "cp1252")
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8)
leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), text,
                 st.decimals(allow_nan=False, allow_infinity=False, places=3), st.floats(allow_nan=False))
names = st.sampled_from(["a", "b", "ref", "x-y", "bad name", "lines"])
value = st.recursive(leaf, lambda inner: st.one_of(st.dictionaries(names, inner, max_size=3),
                                                   st.lists(inner, max_size=3)), max_leaves=8)
record = st.fixed_dictionaries({}, optional={"id": st.one_of(text, st.integers(0, 99)), "a": value,
                                             "lines": st.lists(value, max_size=3), "b": value})


def expected(item, path=""):
    """What a written value reads back as: text, null for empty, lists where declared (an empty
    element of a declared list reads back as an empty list: XML cannot tell null from [] there)."""
    if path in FORMAT.lists and item is None:
        return []
    if isinstance(item, dict):
        return {k: expected(v, k) for k, v in item.items()} or None
    if isinstance(item, list):
        return [expected(v) for v in item]
    if item is None or item == "":
        return None
    if isinstance(item, bool):
        return "1" if item else "0"
    if isinstance(item, Decimal):
        return format(item, "f")
    return str(item)


@SETTINGS
@given(st.lists(record, min_size=1, max_size=3))
def test_random_records_are_refused_naming_a_field_or_read_back_as_written(tmp_path_factory, rows):
    writer = XmlWriter(FORMAT)
    try:
        body = writer.lines(rows)
    except CellError as exc:
        assert exc.field and str(exc).startswith("field ")
        return
    path = Path(tmp_path_factory.mktemp("x")) / "a.xml"
    path.write_bytes(writer.header() + body + writer.trailer())
    back = [r for page in read_xml(path, FORMAT, "a.xml", "id") for r in page]
    want = []
    for row in rows:
        got = {k: expected(v, k) for k, v in row.items() if not (k == "id" and v is None)}
        if "id" in got:
            got["id"] = "" if row["id"] == "" else got["id"]  # an attribute keeps its empty text
        want.append(got)
    assert [dict(r) for r in back] == want


@SETTINGS
@given(st.binary(max_size=200), st.sampled_from([b"", b'<?xml version="1.0"?>', b"<Orders>", b"<Orders><Order>"]))
def test_random_bytes_give_records_record_errors_or_one_input_error(tmp_path_factory, data, head):
    path = Path(tmp_path_factory.mktemp("x")) / "a.xml"
    path.write_bytes(head + data)
    try:
        for page in read_xml(path, FORMAT, "a.xml", "id"):
            for item in page:
                assert isinstance(item, dict)
                if type(item) is IncompleteRecord:
                    assert item.reason.startswith("a.xml:")
    except InputError as exc:
        assert exc.message and exc.file == str(path)
