"""Robustness of a file operation's `rows: FIELD` (one CSV / fixed-width line per item of a payload
list): random `rows` values and formats compile to a plan or located diagnostics, never a traceback or
an internal error; random payloads written through `rows` give a file whose lines are exactly the
list's items, or one EncodeError for the record (nothing half written)."""
from __future__ import annotations

import os
from decimal import Decimal

from hypothesis import HealthCheck, given, settings, strategies as st

from engine.connectors.compile import compile_connector, open_connector
from engine.connectors.errors import EncodeError

SETTINGS = settings(max_examples=120, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

rows_value = st.one_of(st.sampled_from(["positions", "doc.lines", "a.b.c", "", ".", "x..y", "lines[0]", "_p"]),
                       st.text(max_size=8), st.none(), st.integers(), st.lists(st.text(max_size=3), max_size=2))
format_value = st.one_of(st.sampled_from(["json", "jsonl", "csv", "fixed", "xml"]), st.none(),
                         st.just({"type": "csv", "delimiter": ";", "columns": ["a", "b"]}),
                         st.just({"type": "fixed", "columns": [{"name": "a", "start": 1, "width": 4}]}))


@SETTINGS
@given(rows_value, format_value)
def test_random_rows_give_a_plan_or_located_diagnostics(rows, fmt):
    operation = {"path": "o/{reference}.csv", "rows": rows}
    if fmt is not None:
        operation["format"] = fmt
    definition = {"name": "x", "protocol": "file", "settings": {"dir": {}}, "operations": {"w": operation}}
    _, diags = compile_connector(definition, lambda path: None)
    for diag in diags:
        assert diag.code != "internal-error" and diag.path.startswith("connector."), diag
        assert diag.message


DEFINITION = {"name": "x", "protocol": "file", "settings": {"dir": {"required": True}},
              "file": {"dir": "{settings.dir}"},
              "operations": {"w": {"path": "o/{reference}.csv", "rows": "doc.lines",
                                   "format": {"type": "csv", "delimiter": ";", "encoding": "cp1252", "decimal": ",",
                                              "columns": ["a", "b"]}}}}
cell = st.one_of(st.none(), st.text(max_size=5), st.integers(-999, 999),
                 st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-1000, max_value=1000),
                 st.floats(allow_nan=False, width=16), st.sampled_from(["Weiß", "€ 5", "Łódź", "a;b", 'q"']))
item = st.one_of(st.fixed_dictionaries({}, optional={"a": cell, "b": cell}), cell, st.lists(cell, max_size=2))
payload = st.one_of(st.fixed_dictionaries({"doc": st.fixed_dictionaries({}, optional={
    "lines": st.one_of(st.lists(item, max_size=4), cell)})}, optional={"reference": cell}), cell, st.lists(item))


@SETTINGS
@given(payload)
def test_random_payloads_write_their_list_or_one_encode_error(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("rows")
    with open_connector("x", DEFINITION, {"dir": str(folder)}) as endpoint:
        try:
            name = endpoint.write("w", data, {"reference": "R1"}).result
        except EncodeError as exc:
            assert str(exc) and "Traceback" not in str(exc)
            assert not (folder / "o").exists() or not os.listdir(folder / "o")  # nothing written
            return
    lines = (folder / name).read_bytes().decode("cp1252").split("\r\n")
    items = data["doc"]["lines"]
    assert isinstance(items, list) and lines[0] == "a;b" and len(lines) == len(items) + 2 and lines[-1] == ""
    for item_, line in zip(items, lines[1:]):
        for value in item_.values():
            assert not isinstance(value, float)
            if isinstance(value, Decimal):
                assert format(value, "f").replace(".", ",") in line
