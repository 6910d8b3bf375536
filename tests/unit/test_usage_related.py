"""Related resources typed only on the fields a flow may read (engine/plan/usage.py `whole_related`,
`related_types`), unless the flow may read one of their records whole."""
from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.plan.load import load_plan
from engine.plan.usage import whole_related

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "specs" / "examples" / "prestashop-sage100"

RELATED = {
    "customer": {"read": "customers", "match": {"id": "id_customer"}},
    "detail": {"at": "associations.order_rows", "read": "order_details", "match": {"id": "id"}},
    "tax": {"at": "associations.order_rows.detail", "read": "taxes", "match": {"id": "associations.taxes[0].id"}},
}


def _flow(**extra):
    flow = {"source": {"endpoint": "shop", "read": "orders", "related": copy.deepcopy(RELATED)},
            "map": {"A": {"from": "customer.firstname"},
                    "L": [{"each": "associations.order_rows",
                           "map": {"R": {"from": "detail.tax.rate"}, "Q": {"from": "detail.product_quantity"}}}]}}
    flow.update(extra)
    return flow


def _top(plan, flow, resource):
    """The top-level field names its connector declares types for."""
    return {path.split(".")[0].split("[")[0] for path in plan.connectors[flow.source_endpoint].resources[resource].types}


def test_the_reference_flow_types_three_related_resources_on_its_names():
    plan = load_plan(EXAMPLE)
    flow = plan.flows["orders_to_sage"]
    for resource in ("order_details", "carriers", "taxes"):  # read through `detail.x`, `carrier.name`...
        assert set(flow.types[resource].fields) < _top(plan, flow, resource), resource
    details = set(flow.types["order_details"].fields)
    assert {"id", "reduction_percent", "associations"} <= details  # the join fields and what the map reads
    assert len(_top(plan, flow, "order_details")) >= 20 and len(details) <= 8
    # `from: customer` with a template transform reads the customer whole: every declaration kept
    assert set(flow.types["customers"].fields) == _top(plan, flow, "customers")
    row = {"id": "2201", "reduction_percent": "10.000", "product_weight": "not a number"}
    typed = flow.types["order_details"](row)
    assert typed["reduction_percent"] == Decimal("10.000") and typed["product_weight"] == "not a number"


def test_nothing_read_whole_in_the_plain_flow():
    assert whole_related(_flow()) == frozenset()


@pytest.mark.parametrize("expression, whole", [
    ("detail", {"detail", "tax"}),  # the record itself (tax is attached inside it)
    ("keys(detail)", {"detail", "tax"}),
    ("values(customer)", {"customer"}),
    ("to_string(customer)", {"customer"}),
    ("merge(customer, `{}`)", {"customer"}),
    ("customer.*", {"customer"}),
    ("detail[0]", {"detail", "tax"}),
    ("customer | firstname", {"customer"}),
    ("customer || `null`", {"customer"}),
    ("associations.order_rows", {"detail", "tax"}),  # a list holding the joined records
    ("associations", {"detail", "tax"}),
    ("associations.order_rows[]", {"detail", "tax"}),
    ("associations.order_rows[].detail", {"detail", "tax"}),
    ("associations.order_rows[0].detail", {"detail", "tax"}),
    ("associations.order_rows[?detail]", {"detail", "tax"}),
    ("detail.tax", {"tax"}),
    ("length(customer)", {"customer"}),
])
def test_a_record_read_whole_keeps_every_declaration(expression, whole):
    assert whole_related(_flow(map={"X": {"from": expression}})) == frozenset(whole)
    assert whole_related(_flow(filter=expression)) == frozenset(whole)
    assert whole_related(_flow(let={"v": expression})) == frozenset(whole)


@pytest.mark.parametrize("flow", [
    _flow(map={"X": {"from": "customer", "transform": [{"template": "{firstname}"}]}}),  # passed whole
    _flow(map={"X": {"from": "id", "transform": [{"template": "{customer}"}]}}),  # a template placeholder
    _flow(reject=[{"when": "id", "reason": "bad {customer}"}]),
    _flow(acknowledge={"endpoint": "shop", "write": "w", "with": {"c": "customer"}}),
    _flow(target={"endpoint": "x", "write": "y", "with": {"c": "customer"}}),
    _flow(map={"X": {"from": "id", "transform": [{"max": {"from": "customer"}}]}}),  # a transform argument
])
def test_other_places_that_read_a_record_whole(flow):
    assert "customer" in (whole_related(flow) or {"customer"})


@pytest.mark.parametrize("flow", [
    _flow(map={"X": {"from": "@"}}),
    _flow(map={"X": {"from": "to_string(@)"}}),
    _flow(map={"X": {"from": "*"}}),
    _flow(map={"X": [{"each": "associations.order_rows", "from": "@"}]}),  # an element whole
    _flow(map={"X": [{"each": "associations.order_rows", "map": {"Y": {"from": "_parent"}}}]}),
    _flow(fan_out={"each": "associations.order_rows", "key": "id", "as": "row"}),
    _flow(group={"by": "id_customer"}),
])
def test_the_source_read_whole_reads_every_related_record_whole(flow):
    assert whole_related(flow) is None


@pytest.mark.parametrize("flow", [
    _flow(map={"X": [{"each": "associations.order_rows", "map": {"Y": {"from": "_parent.customer"}}}]}),
    _flow(map={"X": [{"each": "associations.order_rows", "map": {"Y": {"from": "detail"}}}]}),
])
def test_nested_scopes(flow):
    assert whole_related(flow), flow


def test_what_is_only_iterated_or_only_located_is_not_read_whole():
    flow = _flow(map={"X": [{"each": "associations.order_rows", "map": {"Y": {"from": "detail.id"}}}],
                      "Z": {"from": "associations.order_rows[].detail.id"},
                      "W": [{"each": "associations.order_rows[].detail", "map": {"Y": {"from": "id"}}}],
                      "C": {"from": "customer.firstname", "transform": [{"template": "{@}"}]}})
    assert whole_related(flow) is None  # the template's `{@}` reads its value whole: conservative
    flow["map"]["C"] = {"from": "customer.firstname"}
    assert whole_related(flow) == frozenset()


def _compiled(tmp_path, flow_text):
    import shutil
    shutil.copytree(EXAMPLE, tmp_path / "p")
    (tmp_path / "p" / "orders_to_sage.yaml").write_text(flow_text)
    return load_plan(tmp_path / "p")


def test_a_whole_read_keeps_the_types_of_that_resource(tmp_path):
    text = (EXAMPLE / "orders_to_sage.yaml").read_text()
    plan = _compiled(tmp_path, text.replace("Designation: { from: product_name }",
                                            'Designation: { from: detail, transform: [{ template: "{id}" }] }'))
    flow = plan.flows["orders_to_sage"]
    assert set(flow.types["order_details"].fields) == _top(plan, flow, "order_details")
    assert set(flow.types["taxes"].fields) == _top(plan, flow, "taxes")  # attached inside a detail
    assert set(flow.types["carriers"].fields) < _top(plan, flow, "carriers")


def test_types_are_per_flow(tmp_path):
    """Two flows reading the same related resource each get their own typing."""
    text = (EXAMPLE / "orders_to_sage.yaml").read_text()
    other = text.replace("orders_to_sage:", "orders_copy:", 1).replace(
        "Designation: { from: product_name }", 'Designation: { from: detail, transform: [{ template: "{id}" }] }').replace(
        "# yaml-language-server: $schema=../../../schemas/project.schema.json\n", "")
    plan = _compiled(tmp_path, text + other.replace("flows:\n", "", 1))
    first, second = plan.flows["orders_to_sage"], plan.flows["orders_copy"]
    assert first.types["order_details"] is not second.types["order_details"]
    assert len(first.types["order_details"].fields) < len(second.types["order_details"].fields)


def test_a_reference_list_is_typed_again_when_a_reloaded_plan_types_other_fields():
    """`run` reads a reference list once; a hot reload that reads another of its fields types it again."""
    from types import SimpleNamespace

    from engine.errors import Loc
    from engine.plan.coerce import compile_types
    from engine.plan.related import RelatedSpec
    from engine.runtime.pipeline import Joiner, Outcome

    spec = RelatedSpec("carrier", "carriers", "shop", (), ("id",), (lambda record: record.get("id_carrier"),),
                       ("id_carrier",), False, False, True, Loc("f.yaml", 1, 1))
    declared = {"id": "int", "rate": "decimal", "weight": "decimal"}
    reads = []

    def read_all(_spec):
        reads.append(1)
        return [[{"id": "3", "rate": "1.5", "weight": "2.0"}]]

    joiner = Joiner(read_all=read_all)

    def joined(used):
        flow = SimpleNamespace(name="f", related=(spec,), types={"carriers": compile_types(
            {k: v for k, v in declared.items() if k in used})})
        outcome = Outcome("1", {}, {"id_carrier": 3}, {"id_carrier": 3})
        joiner.join(flow, [outcome], lambda s: False)
        return outcome.enriched["carrier"]

    assert joined({"id", "rate"}) == {"id": 3, "rate": Decimal("1.5"), "weight": "2.0"}
    assert joined({"id", "rate"})["weight"] == "2.0" and len(reads) == 1  # read once while the plan is the same
    assert joined({"id", "rate", "weight"})["weight"] == Decimal("2.0") and len(reads) == 2


_TEXTS = ["detail", "detail.x", "keys(detail)", "associations.order_rows", "{detail}", "@", "a[0].b", "x[?y]", "(", "`1`",
          "rows[].detail", "_parent.detail", "", "detail |", "*"]
_specs = st.recursive(
    st.one_of(st.sampled_from(_TEXTS),
                                               st.integers(),
                                               st.none()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["map", "each", "from", "at", "related", "source",
                                                              "detail", "let", "fan_out", "match"]),
            inner, max_size=4)),
    max_leaves=15)


@settings(max_examples=300, deadline=None)
@given(_specs)
def test_any_spec_data_gives_an_answer(data):
    """Whatever the (possibly malformed) spec data, the analysis answers: never an exception."""
    flow = data if isinstance(data, dict) else {"map": data}
    result = whole_related(flow)
    assert result is None or isinstance(result, frozenset)


@pytest.mark.parametrize("related, expected", [
    ({"d": {"at": 5, "read": "x"}}, None),  # not a path: every related record typed whole
    ({"d": "x"}, frozenset()),
    ([1, 2], frozenset()),
    ({"d": {"at": "", "read": "x"}}, frozenset()),
])
def test_malformed_related_entries(related, expected):
    assert whole_related({"source": {"related": related}, "map": {"X": {"from": "id"}}}) == expected
