"""Related records: joins by normalised keys, `at` paths through lists, many/required, no mutation."""
import copy
from decimal import Decimal

import pytest

from engine.errors import RecordError
from engine.plan.related import RelatedData, norm_key
from helpers import compile_text, flow_yaml

RELATED = """,
      related: {
        customer: { read: customers, match: { id: id_customer }, required: true },
        carrier: { read: carriers, match: { id: id_carrier }, reference: true },
        detail: { at: associations.order_rows, read: order_details, match: { id: id } },
        tax: { at: associations.order_rows.detail, read: taxes, match: { id: "associations.taxes[0].id" } },
        histories: { read: order_histories, match: { id_order: id }, many: true } }"""


@pytest.fixture
def flow(tmp_path):
    text = flow_yaml("x: { value: 1 }").replace("read: orders }", "read: orders" + RELATED + " }")
    plan, diags = compile_text(tmp_path, text)
    assert plan is not None, [d.format_text() for d in diags]
    return plan.flows["f"]


DATA = RelatedData({
    "customers": [{"id": 56, "firstname": "Claire"}],
    "carriers": [{"id": "3", "name": "DHL Express"}],
    "order_details": [{"id": 2201, "associations": {"taxes": [{"id": 1}]}}, {"id": 2202}],
    "taxes": [{"id": 1, "rate": Decimal("20.000")}],
    "order_histories": [{"id_order": 1042, "state": 2}, {"id_order": 1042, "state": 3}, {"id_order": 9}],
})


def test_joins_attach_records_in_order(flow):
    order = {"id": 1042, "id_customer": "56", "id_carrier": 3,
             "associations": {"order_rows": [{"id": 2201}, {"id": 2202}, {"id": 9999}]}}
    before = copy.deepcopy(order)
    enriched = flow.enrich(order, DATA)
    assert order == before  # never mutated
    assert enriched["customer"]["firstname"] == "Claire"  # "56" (text) matches 56 (number)
    assert enriched["carrier"]["name"] == "DHL Express"
    rows = enriched["associations"]["order_rows"]
    assert rows[0]["detail"]["tax"]["rate"] == Decimal("20.000")
    assert rows[1]["detail"] == {"id": 2202, "tax": None}
    assert rows[2]["detail"] is None
    assert [h["state"] for h in enriched["histories"]] == [2, 3]


def test_required_join_without_match_fails_the_record(flow):
    with pytest.raises(RecordError) as info:
        flow.enrich({"id": 1, "id_customer": 77}, DATA)
    assert "no 'customers' record with id = 77" in info.value.reason
    assert info.value.field == "related.customer" and info.value.loc.line > 1


@pytest.mark.parametrize("a, b", [(56, "56"), (Decimal("20.000"), "20"), ("5.50", Decimal("5.5")), (1.5, "1.5")])
def test_keys_compare_by_value(a, b):
    assert norm_key(a) == norm_key(b)


def test_index_is_built_once_per_resource_and_key():
    data = RelatedData({"carriers": [{"id": 1}]})
    assert data.index("carriers", ("id",)) is data.index("carriers", ("id",))
    data.add("carriers", [{"id": 2}])
    assert ("2",) in data.index("carriers", ("id",))
