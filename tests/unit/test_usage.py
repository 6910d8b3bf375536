"""Which source fields a flow may read (engine/plan/usage.py), and typing restricted to them."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import TransformError
from engine.plan.load import load_plan
from engine.plan.usage import restrict_types, used_fields
from helpers import compile_flow

ROOT = Path(__file__).resolve().parents[2]


def test_the_reference_flow_reads_a_few_of_its_fields():
    flow = load_plan(ROOT / "specs" / "examples" / "prestashop-sage100").flows["orders_to_sage"]
    used = flow.source_fields
    assert used is not None
    # map, related match, since, where, key, acknowledgement, `at`
    assert {"id", "id_customer", "id_carrier", "date_add", "module", "total_paid_tax_incl", "date_upd",
            "current_state", "associations", "total_shipping_tax_excl", "carrier_tax_rate"} <= used
    assert not {"total_wrapping", "gift", "round_mode", "invoice_number", "total_paid_real"} & used
    typed = restrict_types(flow.source.types, used)
    assert "total_paid_tax_incl" in typed and "invoice_number" not in typed and "round_mode" not in typed
    assert "associations.order_rows[].product_quantity" in typed


@pytest.mark.parametrize("flow, expected", [
    ({"map": {"A": {"from": "a.b"}}, "filter": "c > `1`"}, {"a", "b", "c", "A", "from", "map", "filter"}),
    ({"map": {"A": {"from": "x", "transform": [{"template": "{first} {last}"}]}}}, {"first", "last", "x"}),
    ({"let": {"v": "join(' ', [firstName, lastName][?@])"}}, {"firstName", "lastName"}),
    ({"map": {"A": {"from": "rows[].{n: @}"}}}, {"rows", "n"}),
    ({"source": {"since": "date_upd", "where": {"state": [2]}}}, {"date_upd", "state"}),
    ({"acknowledge": {"with": {"id": "order_ref"}, "when": "paid"}}, {"order_ref", "paid"}),
    ({"map": {"A": {"from": '"odd-name".x'}}}, {"odd-name"}),
    ({"map": {"A": {"each": "rows", "map": {"B": {"from": "_parent.id"}}}}}, {"rows", "id"}),
])
def test_names_found(flow, expected):
    used = used_fields(flow)
    assert used is not None and expected <= used


def test_the_connector_key_counts():
    assert "ref" in (used_fields({"map": {}}, "ref") or set())


@pytest.mark.parametrize("flow", [
    {"map": {"A": {"from": "@"}}},
    {"map": {"A": {"from": "keys(@)"}}},
    {"let": {"all": "to_string(@)"}},
    {"filter": "length(@) > `3`"},
    {"map": {"A": {"from": "*"}}},
    {"map": {"A": {"from": "*.x"}}},
    {"map": {"A": {"from": "merge(@, {a: b})"}}},
    {"map": {"A": {"each": "rows", "map": {"B": {"from": "_parent"}}}}},
    {"fan_out": {"each": "rows"}, "map": {}},
    {"group": {"by": "ref"}, "map": {}},
])
def test_whole_record_reads_use_every_field(flow):
    assert used_fields(flow) is None


def test_restrict_types():
    types = {"id": "int", "total": "decimal", "rows[].qty": "int", "meta.a": "bool"}
    assert restrict_types(types, frozenset({"id", "rows"})) == {"id": "int", "rows[].qty": "int"}
    assert restrict_types(types, None) == types


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.recursive(st.text(max_size=20) | st.none() | st.integers(),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=12))
def test_any_spec_value_is_analysed_without_error(value):
    used = used_fields({"map": value, "let": value})
    assert used is None or isinstance(used, frozenset)


MAP = """
Ref: { from: reference }
Total: { from: total_paid_tax_incl }
"""


def test_typing_restricted_to_the_used_fields(tmp_path):
    flow = compile_flow(tmp_path, MAP)
    assert flow.source_fields is not None and "invoice_number" not in flow.source_fields
    coerce = flow.types[flow.source_resource]
    raw = {"id": "7", "reference": "R", "total_paid_tax_incl": "12.50", "invoice_number": "F-0042",
           "round_mode": "x"}
    typed = coerce(raw)
    assert typed == {"id": 7, "reference": "R", "total_paid_tax_incl": Decimal("12.50"),
                     "invoice_number": "F-0042", "round_mode": "x"}  # unread fields: as the decoder gave them
    assert flow.map(typed) == {"Ref": "R", "Total": Decimal("12.50")}
    with pytest.raises(TransformError, match="total_paid_tax_incl"):
        coerce({**raw, "total_paid_tax_incl": "12,50"})  # a field the flow reads is still checked


def test_a_whole_record_flow_types_every_field(tmp_path):
    flow = compile_flow(tmp_path, "All: { from: '@' }\n")
    assert flow.source_fields is None
    with pytest.raises(TransformError, match="invoice_number"):
        flow.types[flow.source_resource]({"id": "7", "invoice_number": "F-0042"})


def test_words_of_any_alphabet_and_hyphenated_names():
    used = used_fields({"map": {"A": {"from": "x", "transform": [{"template": "{Désignation} {ref}-{n°}"}]}},
                        "source": {"since": "date-upd"}})
    assert used is not None and {"Désignation", "ref", "date-upd", "date", "upd"} <= used
