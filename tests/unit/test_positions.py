"""Positions inside a map `- each:` item (`_index`, `_position`), the `line_number` transform, and the
guarantee that a mapping not naming them generates the same code as before."""
from decimal import Decimal

import pytest

from engine.errors import RecordError
from helpers import compile_flow, compile_text, flow_yaml

ROWS = {"id": 7, "rows": [{"ref": "A", "opts": ["x", "y"]}, {"ref": "B", "opts": []}, {"ref": "C", "opts": ["z"]}]}


def test_index_and_position_in_from_when_and_jmespath(tmp_path):
    flow = compile_flow(tmp_path, """
        lines:
          - each: rows
            map:
              i: { from: _index }
              p: { from: _position }
              n: { from: _position, transform: { line_number: { step: 1000 } } }
              first: { value: true, when: "_index == `0`", else: false }
              label: { from: "join('/', [ref, to_string(_position)])" }
              scaled: { value: 5, transform: { multiply: { from: _position } } }
    """)
    out = flow.map(ROWS)["lines"]
    assert [line["i"] for line in out] == [0, 1, 2]
    assert [line["p"] for line in out] == [1, 2, 3]
    assert [line["n"] for line in out] == [1000, 2000, 3000]
    assert [line["first"] for line in out] == [True, False, False]
    assert [line["label"] for line in out] == ["A/1", "B/2", "C/3"]
    assert [line["scaled"] for line in out] == [5, 10, 15]


def test_each_level_has_its_own_position_and_parent_gives_the_enclosing_one(tmp_path):
    flow = compile_flow(tmp_path, """
        lines:
          - each: rows
            map:
              subs:
                - each: opts
                  map:
                    name: { from: "@" }
                    inner: { from: _position }
                    outer: { from: _parent._position }
                    both: { from: "[_parent._index, _index]" }
                    order: { from: _parent._parent.id }
    """)
    out = flow.map(ROWS)["lines"]
    assert out[0]["subs"] == [{"name": "x", "inner": 1, "outer": 1, "both": [0, 0], "order": 7},
                              {"name": "y", "inner": 2, "outer": 1, "both": [0, 1], "order": 7}]
    assert out[1]["subs"] == []
    assert out[2]["subs"] == [{"name": "z", "inner": 1, "outer": 3, "both": [2, 0], "order": 7}]


def test_positions_count_elements_even_when_an_item_is_left_out(tmp_path):
    flow = compile_flow(tmp_path, """
        lines:
          - each: rows
            when: "ref != 'B'"
            map: { ref: { from: ref }, p: { from: _position } }
          - map: { ref: { value: PORT } }
    """)
    assert flow.map(ROWS)["lines"] == [{"ref": "A", "p": 1}, {"ref": "C", "p": 3}, {"ref": "PORT"}]


def test_a_mapping_without_positions_generates_no_counter(tmp_path):
    plain = compile_flow(tmp_path, """
        lines:
          - each: rows
            map: { ref: { from: ref }, order: { from: _parent.id } }
    """)
    assert "enumerate(" not in plain.source_code and "WITH_POS(" not in plain.source_code
    (tmp_path / "b").mkdir()
    numbered = compile_flow(tmp_path / "b", """
        lines:
          - each: rows
            map: { ref: { from: ref }, p: { from: _position } }
    """)
    assert "enumerate(" in numbered.source_code


def test_the_reference_flow_has_no_counter():
    from support import ROOT
    from engine.plan.load import load_plan
    plan = load_plan(ROOT / "specs" / "examples" / "prestashop-sage100")
    assert "enumerate(" not in plan.flows["orders_to_sage"].source_code


def test_line_number_failures_are_located(tmp_path):
    flow = compile_flow(tmp_path, """
        lines:
          - each: rows
            map: { n: { from: _index, transform: { line_number: { step: 1000 } } } }
    """)
    with pytest.raises(RecordError) as caught:
        flow.map(ROWS)
    assert "expected a 1-based position" in str(caught.value) and "_index" in str(caught.value)
    assert caught.value.field == "lines[0].n"


@pytest.mark.parametrize("args, position, expected", [
    ({"step": 1000}, 1, 1000), ({"step": 1000}, 2, 2000), ({"step": 10, "start": 0}, 3, 20),
    ({"step": 1, "start": 1}, 5, 5), ({"step": 1000}, None, None),
])
def test_line_number(args, position, expected):
    from engine.lang.builtins import default_registry
    fn = default_registry().get("transform", "line_number").factory(args, None)
    assert fn(position) == expected


@pytest.mark.parametrize("bad", [0, -1, "1", Decimal("1"), 1.0, True])
def test_line_number_refuses_what_is_not_a_position(bad):
    from engine.errors import TransformError
    from engine.lang.builtins import default_registry
    fn = default_registry().get("transform", "line_number").factory({"step": 1000}, None)
    with pytest.raises(TransformError, match="expected a 1-based position"):
        fn(bad)


def test_line_number_arguments_are_checked(tmp_path):
    _, diags = compile_text(tmp_path, flow_yaml("n: { value: 1, transform: { line_number: { step: 0 } } }"))
    assert [d.code for d in diags] == ["bad-argument"]
    _, diags = compile_text(tmp_path, flow_yaml("n: { value: 1, transform: line_number }"))
    assert [d.code for d in diags] == ["missing-argument"]
