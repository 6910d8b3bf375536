"""Joins on normalised keys: `match: {FIELD: {from, transform, their}}`."""
from __future__ import annotations

from engine.plan.related import BadRow, RelatedData, join_values
from helpers import compile_text, flow_yaml

RELATED = """,
      related: {
        account: { endpoint: sage, read: clients, reference: true,
                   match: { NumeroTiers: { from: id_customer, transform: [{ pad: { width: 6, char: "0" } }, { prefix: WEB }] } } },
        by_mail: { endpoint: sage, read: clients, reference: true, many: true,
                   match: { Email: { from: email, transform: [trim, lower], their: [trim, lower] } } } }"""


def _flow(tmp_path, related=RELATED):
    text = flow_yaml("x: { value: 1 }").replace("read: orders }", "read: orders" + related + " }")
    plan, diags = compile_text(tmp_path, text)
    return plan, diags


def test_both_sides_are_normalised(tmp_path):
    plan, diags = _flow(tmp_path)
    assert plan is not None, [d.format_text() for d in diags]
    flow = plan.flows["f"]
    data = RelatedData({"clients": [{"NumeroTiers": "WEB000056", "Email": " Claire@Example.FR "},
                                    {"NumeroTiers": "WEB000057", "Email": "claire@example.fr"},
                                    {"NumeroTiers": "56", "Email": "other@example.fr"}]})
    enriched = flow.enrich({"id": 1, "id_customer": 56, "email": "CLAIRE@example.fr"}, data)
    assert enriched["account"]["NumeroTiers"] == "WEB000056"
    assert [c["NumeroTiers"] for c in enriched["by_mail"]] == ["WEB000056", "WEB000057"]


def test_the_normalised_value_is_the_key_sent_to_the_source(tmp_path):
    plan, _ = _flow(tmp_path)
    spec = plan.flows["f"].related[0]
    assert join_values({"id_customer": "7"}, spec) == ["WEB000007"]


def test_a_row_whose_normalisation_fails_is_unjoinable_not_a_crash(tmp_path):
    related = RELATED.replace("their: [trim, lower]", "their: [{ cast: int }]").replace(
        "transform: [trim, lower]", "transform: [{ cast: int }]")
    plan, diags = _flow(tmp_path, related)
    assert plan is not None, [d.format_text() for d in diags]
    flow = plan.flows["f"]
    data = RelatedData({"clients": [{"NumeroTiers": "A", "Email": "not a number"},
                                    {"NumeroTiers": "B", "Email": "12"},
                                    BadRow({"NumeroTiers": "C", "Email": "12"}, "unreadable")]})
    index = data.index("clients", ("Email",), flow.related[1].theirs)
    assert sorted(index) == [("12",)] and len(index[("12",)]) == 2  # "not a number" is left out
    assert data.index("clients", ("Email",)) is not index  # another normalisation, another index


def test_their_needs_reference(tmp_path):
    plan, diags = _flow(tmp_path, RELATED.replace("reference: true, many: true", "many: true"))
    assert plan is None
    found = [d for d in diags if d.code == "unsupported-filter" and d.path.endswith("Email.their")]
    assert found and "reference: true" in found[0].hint


def test_transform_arguments_are_checked_and_located(tmp_path):
    plan, diags = _flow(tmp_path, RELATED.replace("{ prefix: WEB }", "{ prefix: 3 }, nope"))
    assert plan is None
    codes = {d.code: d for d in diags}
    assert "bad-argument" in codes and "unknown-transform" in codes
    assert codes["bad-argument"].path.endswith("NumeroTiers.transform[1].prefix")
    assert codes["unknown-transform"].loc.line == codes["bad-argument"].loc.line
