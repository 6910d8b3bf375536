"""Mapping semantics of compiled flows: every construct of the spec language."""
from decimal import Decimal

import pytest

from engine.errors import RecordError
from engine.util.jsonout import dumps
from helpers import compile_flow, compile_text, flow_yaml


def test_paths_constants_nested_objects_and_key_order(tmp_path):
    flow = compile_flow(tmp_path, """
        __type: { value: "DocumentVente:http://www.proconsult.lu/WebServices100" }
        z_last_in_alphabet: { from: a.b }
        nested:
          inner: { from: c }
          konst: { value: { x: [1, 2] } }
        explicit: { map: { k: { value: 1 } } }
        missing: { from: no.such.path }
    """)
    out = flow.map({"a": {"b": Decimal("1.50")}, "c": "x"})
    assert list(out) == ["__type", "z_last_in_alphabet", "nested", "explicit", "missing"]
    assert out == {"__type": "DocumentVente:http://www.proconsult.lu/WebServices100",
                   "z_last_in_alphabet": Decimal("1.50"), "nested": {"inner": "x", "konst": {"x": [1, 2]}},
                   "explicit": {"k": 1}, "missing": None}


def test_constant_objects_are_not_shared_between_payloads(tmp_path):
    flow = compile_flow(tmp_path, "k: { value: { x: [1] } }")
    first, second = flow.map({}), flow.map({})
    first["k"]["x"].append(2)
    assert second["k"] == {"x": [1]}


def test_omit_versus_null(tmp_path):
    flow = compile_flow(tmp_path, """
        omitted: { when: "flag", value: 1 }
        sent_null: { when: "flag", value: 1, else: null }
        else_constant: { when: "flag", value: 1, else: 0 }
        else_field: { when: "flag", value: 1, else: { from: other } }
        null_from_path: { from: nothing }
        omit_null: { from: nothing, omit_null: true }
        kept: { from: other, omit_null: true }
    """)
    out = flow.map({"flag": False, "other": "o"})
    assert out == {"sent_null": None, "else_constant": 0, "else_field": "o", "null_from_path": None, "kept": "o"}
    assert flow.map({"flag": True, "other": "o"})["omitted"] == 1


@pytest.mark.parametrize("value, truth", [
    (None, False), (False, False), ("", False), ([], False), ({}, False), (0, False), (Decimal("0.00"), False),
    (True, True), ("x", True), ([0], True), (1, True), (Decimal("-0.01"), True),
])
def test_condition_truthiness(tmp_path, value, truth):
    flow = compile_flow(tmp_path, 'r: { when: "v", value: yes_, else: no_ }')
    assert flow.map({"v": value})["r"] == ("yes_" if truth else "no_")


@pytest.mark.parametrize("expr, record, expected", [
    ("a > `0`", {"a": Decimal("0.01")}, True),
    ("a > `0`", {"a": 0}, False),
    ("a > `0`", {}, False),
    ("a >= `2.5` && b < `1`", {"a": Decimal("2.5"), "b": 0}, True),
    ("a >= `2.5` && b < `1`", {"a": Decimal("2.5"), "b": 3}, False),
    ("a == `20` || !b", {"a": Decimal("20.000"), "b": True}, True),
    ("a != `20`", {"a": 19}, True),
    ("a == 'x'", {"a": "x"}, True),
    ("length(rows) > `1`", {"rows": [1, 2]}, True),
])
def test_inlined_conditions_match_jmespath(tmp_path, expr, record, expected):
    flow = compile_flow(tmp_path, f'r: {{ when: "{expr}", value: 1, else: 0 }}')
    assert flow.map(record)["r"] == (1 if expected else 0)


def test_text_compared_with_number_is_a_located_record_error(tmp_path):
    flow = compile_flow(tmp_path, 'r: { when: "total > `0`", value: 1 }')
    with pytest.raises(RecordError) as info:
        flow.map({"total": "12.5"})
    assert info.value.field == "r"
    assert info.value.loc.line > 1 and "not supported between" in info.value.reason


@pytest.mark.parametrize(("expr", "record", "said"), [
    ("length(gone)", {}, "length() takes a text, a list or an object, got null"),
    ("sum(rows)", {"rows": [1, "a"]}, "sum() takes a list of numbers, got 'a' (a text)"),
    ("abs(flag)", {"flag": True}, "abs() takes a number, got true (a boolean)"),
])
def test_a_function_given_the_wrong_kind_of_value_says_so_in_the_language(tmp_path, expr, record, said):
    # was: "In function length(), invalid type for value: None, expected one of: ['string', ...]"
    flow = compile_flow(tmp_path, f'r: {{ from: "{expr}" }}')
    with pytest.raises(RecordError) as info:
        flow.map(record)
    assert said in info.value.reason and "None" not in info.value.reason


def test_each_with_parent_and_conditional_extra_items(tmp_path):
    flow = compile_flow(tmp_path, """
        lignes:
          - each: rows
            map:
              ref: { from: sku }
              order: { from: _parent.id }
              order_ref: { from: _parent.id, transform: [{ prefix: PS_ }] }
              big: { when: "qty > `1` && _parent.vip", value: true, else: false }
          - when: "shipping > `0`"
            map: { ref: { value: PORT }, price: { from: shipping } }
          - when: "discount > `0`"
            map: { ref: { value: REMISE }, price: { from: discount, transform: [negate] } }
        tags:
          - each: rows
            from: sku
          - value: web
    """)
    record = {"id": 7, "vip": True, "shipping": Decimal("5"), "discount": 0,
              "rows": [{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1}]}
    out = flow.map(record)
    assert out["lignes"] == [
        {"ref": "A", "order": 7, "order_ref": "PS_7", "big": True},
        {"ref": "B", "order": 7, "order_ref": "PS_7", "big": False},
        {"ref": "PORT", "price": Decimal("5")},
    ]
    assert out["tags"] == ["A", "B", "web"]
    assert flow.map({"rows": None, "shipping": 0, "discount": Decimal("3")})["lignes"] == [
        {"ref": "REMISE", "price": Decimal("-3")}]


def test_each_over_a_non_list_fails_the_record(tmp_path):
    flow = compile_flow(tmp_path, "l: [{ each: rows, from: x }]")
    with pytest.raises(RecordError, match="expected a list"):
        flow.map({"rows": "oops"})
    for value, said in (("oops", "got 'oops' (a text)"), ({"a": 1}, "(an object)"), (7, "got 7 (a number)")):
        with pytest.raises(RecordError) as info:  # was: "got str", Python's name of the type
            flow.map({"rows": value})
        assert said in info.value.reason


def test_runtime_error_names_the_output_position(tmp_path):
    flow = compile_flow(tmp_path, """
        lignes:
          - each: rows
            map: { code: { from: rate, transform: [{ lookup: taxes }] } }
    """, extra="lookups:\n  taxes: { map: { 20: S_20 } }\n")
    with pytest.raises(RecordError) as info:
        flow.map({"rows": [{"rate": Decimal("20.000")}, {"rate": Decimal("19.6")}]})
    assert info.value.field == "lignes[1].code"
    assert "no entry for 19.6 in lookup 'taxes'" in info.value.reason


def test_required_fails_on_null(tmp_path):
    flow = compile_flow(tmp_path, "ref: { from: sku, required: true }")
    assert flow.map({"sku": "A"}) == {"ref": "A"}
    with pytest.raises(RecordError, match="required value is null"):
        flow.map({})


def test_complex_expressions_with_parent(tmp_path):
    flow = compile_flow(tmp_path, """
        l:
          - each: rows
            map:
              n: { from: "length(_parent.rows)" }
              total: { from: "sum(_parent.rows[].qty)" }
    """)
    assert flow.map({"rows": [{"qty": Decimal("1.5")}, {"qty": 2}]})["l"][0] == {"n": 2, "total": Decimal("3.5")}


def test_spec_values_never_enter_the_generated_code(tmp_path):
    hostile = '__import__("os").system("echo pwned")'
    flow = compile_flow(tmp_path, f"""
        '{hostile}': {{ value: '{hostile}' }}
        x: {{ from: a, transform: [{{ prefix: '{hostile}' }}] }}
    """)
    assert "__import__" not in flow.source_code and "system" not in flow.source_code
    assert flow.map({"a": 1}) == {hostile: hostile, "x": hostile + "1"}


def test_compiling_never_mutates_the_spec(tmp_path):
    import copy
    from engine.plan.compile import compile_project
    from engine.project.load import load_project
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "s.yaml").write_text(flow_yaml("a: { from: b, transform: [upper] }"))
    project = load_project(folder)
    before = copy.deepcopy([d.data for d in project.docs])
    compile_project(project)
    assert [d.data for d in project.docs] == before


def test_payload_json_is_exact(tmp_path):
    flow = compile_flow(tmp_path, "p: { from: price }\nq: { value: 1 }")
    assert dumps(flow.map({"price": Decimal("12.500000")})) == '{"p":12.5,"q":1}'


def test_all_errors_at_once(tmp_path):
    plan, diags = compile_text(tmp_path, flow_yaml("""
        a: { from: "x[", transform: [uper] }
        b: { from: y, transform: [{ lookup: nope }] }
        c: { valeu: 1 }
    """))
    assert plan is None
    assert sorted(d.code for d in diags) == ["bad-argument", "bad-expression", "unknown-transform", "wrong-type"]
    assert "did you mean 'value'" in [d for d in diags if d.code == "wrong-type"][0].hint
