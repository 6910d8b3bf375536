"""Robustness of ``acknowledge`` (one or a list): random and mutated acknowledgement specs never crash
``validate`` — no traceback, no internal error, every error located in the file written — and a
valid list compiles to one acknowledgement per item, each with its own identity; a compiled
acknowledgement fed a random record either maps it or fails with a record error, nothing else.
"""
from __future__ import annotations

import io
import re
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli import main as cli
from engine.errors import RecordError, TransformError
from engine.plan.compile import compile_project
from engine.project.load import load_project
from engine.runtime.acks import scope_of
from support import without_contracts

ENDPOINTS = {
    "shop": {"use": "woocommerce", "settings": {"base_url": "http://shop.test", "consumer_key": "${env:K}",
                                                "consumer_secret": "${env:S}"},
             "override": without_contracts("update_order", "add_order_note", "mark_exported")},
    "sage": {"use": "sage100-ws", "settings": {"base_url": "http://sage.test", "token": "${env:T}"},
             "override": without_contracts("insert_document", "insert_client")},
}
LOCATED = re.compile(r"^(?P<file>[^\n]+?):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning)\[[a-z0-9-]+\] ",
                     re.MULTILINE)
BUG = re.compile(r"Traceback \(most recent call last\)|internal[ -]error")


def fuzz(n: int):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None, print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=12),
                    st.sampled_from(["id", "_target.id", "total >", "`1`", "[", "id == `3`", "{", ""]))
names = st.one_of(scalars, st.sampled_from(["note", "sage_number", "shop.add_order_note", "a b", "-x", "n"]))
endpoints = st.one_of(st.sampled_from(["shop", "sage", "nope"]), scalars)
writes = st.one_of(st.sampled_from(["update_order", "add_order_note", "mark_exported", "insert_document",
                                    "add_ordr_note"]), scalars)
fields = st.dictionaries(st.sampled_from(["note", "customer_note", "meta_data", "status", "_x"]),
                         st.one_of(st.fixed_dictionaries({"from": st.sampled_from(["id", "_target.id", "total",
                                                                                  "[", "_nope.x"])}),
                                   st.fixed_dictionaries({"value": scalars}), scalars), max_size=3)
withs = st.one_of(st.fixed_dictionaries({"id": st.sampled_from(["id", "number", "]["])}),
                  st.dictionaries(st.text(max_size=4), scalars, max_size=2), scalars)


@st.composite
def ack(draw) -> object:
    if draw(st.integers(0, 9)) == 0:
        return draw(scalars)  # not a mapping at all
    block: dict = {}
    for key, strategy in (("name", names), ("endpoint", endpoints), ("write", writes), ("map", fields),
                          ("with", withs), ("when", scalars), ("extra", scalars)):
        if draw(st.integers(0, 3)) > (2 if key == "extra" else 0):
            block[key] = draw(strategy)
    return block


acknowledgements = st.one_of(ack(), st.lists(ack(), max_size=5), scalars)


def write_project(folder: Path, given: object) -> Path:
    flow = {"source": {"endpoint": "shop", "read": "orders"},
            "target": {"endpoint": "sage", "write": "insert_document"},
            "map": {"doc": {"Reference": {"from": "id"}}}, "acknowledge": given}
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump({"endpoints": ENDPOINTS, "flows": {"f": flow}}, allow_unicode=True))
    return path


def validate(folder: Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["validate", str(folder)])
    return code, out.getvalue() + err.getvalue()


@fuzz(150)
@given(given=acknowledgements)
def test_random_acknowledgements_never_crash_validate(given):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = write_project(folder, given)
        code, text = validate(folder)
        assert not BUG.search(text), text
        assert code in (0, 1), text
        if code == 1:
            located = list(LOCATED.finditer(text))
            assert located, text
            lines = path.read_text().count("\n") + 1
            for match in located:
                assert match.group("file") == str(path) and 1 <= int(match.group("line")) <= lines, text
                assert int(match.group("col")) >= 1, text
        plan, diags = compile_project(load_project(folder))
        assert not any(d.code == "internal-error" for d in diags)
        assert all(d.loc is not None for d in diags if d.is_error)
        if plan is not None:  # a valid spec: one acknowledgement per item, identities unique
            acks = plan.flows["f"].acks
            items = given if isinstance(given, list) else [given]
            assert len(acks) == len(items) and len({a.name for a in acks}) == len(acks)


@fuzz(60)
@given(blocks=st.lists(st.fixed_dictionaries({
    "endpoint": st.just("shop"), "write": st.sampled_from(["update_order", "add_order_note", "mark_exported"]),
    "with": st.just({"id": "id"}),
    "map": st.dictionaries(st.sampled_from(["note", "status", "customer_note"]),
                           st.fixed_dictionaries({"from": st.sampled_from(["id", "_target.id", "total", "lines[0]"])}),
                           max_size=3)}), min_size=1, max_size=4),
       record=st.dictionaries(st.sampled_from(["id", "total", "lines", "status"]),
                              st.one_of(scalars, st.lists(scalars, max_size=3)), max_size=4),
       when=st.sampled_from([None, "id == `3`", "total > `1`", "length(lines) > `0`", "status"]))
def test_valid_lists_compile_and_map_or_fail_as_record_errors(blocks, record, when):
    for index, block in enumerate(blocks):
        block["name"] = f"ack_{index}"
        if when is not None:
            block["when"] = when
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_project(folder, blocks)
        plan, diags = compile_project(load_project(folder))
        assert plan is not None, [d.format_text() for d in diags]
        scope = scope_of(record, "BC00001")
        for compiled in plan.flows["f"].acks:
            try:
                if compiled.when is None or compiled.when(scope):
                    compiled.map(scope)
                    compiled.write_values(scope)
            except (RecordError, TransformError):
                pass  # a record error: the acknowledgement waits, the run goes on


@pytest.mark.parametrize("given, code", [
    ([{"endpoint": "shop", "write": "add_order_note", "with": {"id": "id"}}] * 2, "duplicate-name"),
    ([{"endpoint": "shop", "write": "add_order_note"}], "missing-value"),
    ([{"endpoint": "shop", "write": "add_note"}], "unknown-operation"),
    ([], "bad-value"),
    ("note", "wrong-type"),
])
def test_each_mistake_has_its_code(tmp_path, given, code):
    write_project(tmp_path, given)
    status, text = validate(tmp_path)
    assert status == 1 and f"error[{code}]" in text, text
