"""Fan-out and grouping: items and groups with their own keys and scopes, errors located at the spec,
and validation of the two constructs (engine/plan/expand.py, engine/runtime/expansion.py)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from engine.runtime.pipeline import Joiner, records

from helpers import compile_text

# the payloads here are small made-up objects: the targets' contracts are off (tested in test_contracts)
ENDPOINTS = """
endpoints:
  shop: { use: prestashop, settings: { base_url: "http://shop.test", key: "${env:PS_KEY}" }, override: { operations: { add_specific_price: { accepts: null }, update_specific_price: { accepts: null } } } }
  shopify: { use: shopify, settings: { base_url: "http://shopify.test", access_token: "${env:SHOP_TOKEN}" }, override: { operations: { set_product: { accepts: null } } } }
  sage: { use: sage100-ws, settings: { base_url: "http://sage.test", token: "${env:SAGE_TOKEN}" }, override: { operations: { insert_document: { accepts: null } } } }
"""

FAN_OUT = ENDPOINTS + """
flows:
  tiers:
    source: { endpoint: sage, read: articles }
    fan_out: { each: TarifsQuantite, as: tier, key: "{Reference}/{tier.Seuil}" }
    target: { endpoint: shop, write: add_specific_price, update: update_specific_price }
    map:
      ref: { from: Reference }
      qty: { from: tier.Seuil }
      index: { from: _index }
      position: { from: _position }
      key: { from: _key }
"""

GROUP = ENDPOINTS + """
flows:
  ranges:
    source: { endpoint: sage, read: articles }
    group: { by: Gamme, order: Reference, as: variants }
    target: { endpoint: shopify, write: set_product }
    map:
      title: { from: Designation }
      key: { from: _key }
      skus: { from: "variants[].Reference" }
      prices: { from: "variants[].PrixVente" }
"""


def _flow(tmp_path, text, name):
    plan, diags = compile_text(tmp_path, text)
    assert plan is not None, "\n".join(d.format_text() for d in diags)
    return plan.flows[name]


def _outcomes(flow, rows):
    return list(records(flow, [rows], Joiner(preloaded=None)))


def _codes(tmp_path, text):
    _, diags = compile_text(tmp_path, text)
    return [(d.code, d.path) for d in diags if d.is_error]


# -- fan-out ---------------------------------------------------------------------------------------

def test_one_item_per_element_with_its_own_key_and_positions(tmp_path):
    flow = _flow(tmp_path, FAN_OUT, "tiers")
    rows = [{"Reference": "ART-1", "TarifsQuantite": [{"Seuil": 10}, {"Seuil": Decimal("50")}]}]
    out = _outcomes(flow, rows)
    assert [o.key for o in out] == ["ART-1/10", "ART-1/50"]
    assert [o.payload for o in out] == [
        {"ref": "ART-1", "qty": 10, "index": 0, "position": 1, "key": "ART-1/10"},
        {"ref": "ART-1", "qty": 50, "index": 1, "position": 2, "key": "ART-1/50"}]
    assert all(o.raw is rows[0] for o in out)  # the cursor follows the source record
    assert "tier" not in rows[0]  # the record itself is never changed


def test_default_name_is_item(tmp_path):
    text = FAN_OUT.replace("as: tier, ", "").replace("tier.", "item.")
    flow = _flow(tmp_path, text, "tiers")
    out = _outcomes(flow, [{"Reference": "A", "TarifsQuantite": [{"Seuil": 1}]}])
    assert [(o.key, o.payload["qty"]) for o in out] == [("A/1", 1)]


@pytest.mark.parametrize("tiers", [[], None])
def test_an_empty_or_null_list_gives_no_item_and_counts_as_skipped(tmp_path, tiers):
    flow = _flow(tmp_path, FAN_OUT, "tiers")
    (outcome,) = _outcomes(flow, [{"Reference": "ART-2", "TarifsQuantite": tiers}])
    assert outcome.skipped and outcome.error is None and outcome.key == "ART-2"


@pytest.mark.parametrize("tiers, reason", [
    ("10", "`each` gave '10', not a list"),
    ([{"Seuil": 10}, {"Seuil": 10}], "items 1 and 2 both have the key 'ART-3/10'"),
    ([{"Seuil": 10}, {"Seuil": None}], "item 2: key placeholder {tier.Seuil} gave null"),
    ([{"Seuil": ""}], "item 1: key placeholder {tier.Seuil} is an empty text"),
    ([{"Seuil": [1]}], "item 1: key placeholder {tier.Seuil} gave [1]"),
])
def test_a_bad_list_or_key_fails_the_whole_record_located_at_fan_out(tmp_path, tiers, reason):
    flow = _flow(tmp_path, FAN_OUT, "tiers")
    rows = [{"Reference": "ART-3", "TarifsQuantite": tiers}, {"Reference": "OK", "TarifsQuantite": [{"Seuil": 1}]}]
    bad, good = _outcomes(flow, rows)
    assert bad.key == "ART-3" and reason in bad.error.reason
    assert bad.error.field.startswith("fan_out.") and bad.error.loc.line == 10
    assert good.ok and good.key == "OK/1"


def test_filter_and_map_errors_are_per_item(tmp_path):
    text = FAN_OUT.replace("    map:\n      ref:", "    filter: \"tier.Seuil != `0`\"\n    map:\n      ref:").replace(
        "qty: { from: tier.Seuil }", "qty: { from: tier.Seuil, required: true }\n      p: { from: tier.Prix, transform: { cast: decimal } }")
    flow = _flow(tmp_path, text, "tiers")
    rows = [{"Reference": "A", "TarifsQuantite": [{"Seuil": 0}, {"Seuil": 5, "Prix": "x"}, {"Seuil": 9, "Prix": "2"}]}]
    skipped, failed, ok = _outcomes(flow, rows)
    assert skipped.skipped and skipped.key == "A/0"
    assert failed.error is not None and failed.error.key == "A/5"
    assert ok.ok and ok.payload["p"] == Decimal("2")


# -- grouping --------------------------------------------------------------------------------------

ARTICLES = [
    {"Reference": "TSHIRT-BLU-M", "Gamme": "TSHIRT-BLU", "Designation": "T-shirt bleu", "PrixVente": "19.90"},
    {"Reference": "MUG", "Gamme": None, "Designation": "Mug", "PrixVente": "5"},
    {"Reference": "TSHIRT-BLU-L", "Gamme": "TSHIRT-BLU", "Designation": "T-shirt bleu", "PrixVente": "21.90"},
    {"Reference": "CAP-1", "Gamme": 7, "Designation": "Cap", "PrixVente": "9"},
]


def test_records_are_grouped_ordered_and_keyed_by_the_group_key(tmp_path):
    flow = _flow(tmp_path, GROUP, "ranges")
    groups = [o for o in _outcomes(flow, ARTICLES) if o.ok]
    assert [o.key for o in groups] == ["TSHIRT-BLU", "7"]  # first-read order; the key as text
    assert groups[0].payload == {"title": "T-shirt bleu", "key": "TSHIRT-BLU",
                                 "skus": ["TSHIRT-BLU-L", "TSHIRT-BLU-M"],
                                 "prices": [Decimal("21.90"), Decimal("19.90")]}
    assert groups[1].payload["skus"] == ["CAP-1"]


def test_a_null_group_key_sets_the_record_aside_alone(tmp_path):
    flow = _flow(tmp_path, GROUP, "ranges")
    (mug,) = [o for o in _outcomes(flow, ARTICLES) if o.error is not None]
    assert mug.key == "MUG" and mug.error.field == "group.by" and "null" in mug.error.reason


def test_an_empty_group_key_is_not_called_null(tmp_path):
    # was: "its group key (`group.by`) is null" for a record whose Gamme is ""
    flow = _flow(tmp_path, GROUP, "ranges")
    (empty,) = _outcomes(flow, [dict(ARTICLES[0], Gamme="")])
    assert empty.error.field == "group.by" and "is null or empty" in empty.error.reason


def test_a_failed_member_fails_its_whole_group_naming_it(tmp_path):
    flow = _flow(tmp_path, GROUP, "ranges")
    rows = [dict(ARTICLES[0]), dict(ARTICLES[2], PrixVente="abc"), dict(ARTICLES[3])]
    bad, cap = _outcomes(flow, rows)
    assert bad.key == "TSHIRT-BLU" and bad.error.field == "group"
    assert "member TSHIRT-BLU-L failed: field PrixVente: cannot read 'abc' as decimal" in bad.error.reason
    assert cap.ok


def test_members_of_mixed_order_values_still_sort(tmp_path):
    flow = _flow(tmp_path, GROUP.replace("order: Reference", "order: Rang"), "ranges")
    rows = [dict(ARTICLES[0], Rang="b"), dict(ARTICLES[2], Rang=1), dict(ARTICLES[0], Reference="X", Rang=None)]
    (group,) = _outcomes(flow, rows)
    assert group.payload["skus"] == ["TSHIRT-BLU-L", "TSHIRT-BLU-M", "X"]  # as text; nulls last


def test_grouping_reads_every_page_before_grouping(tmp_path):
    flow = _flow(tmp_path, GROUP, "ranges")
    out = list(records(flow, [[ARTICLES[0]], [ARTICLES[2]]], Joiner(preloaded=None)))
    assert [(o.key, o.payload["skus"]) for o in out] == [("TSHIRT-BLU", ["TSHIRT-BLU-L", "TSHIRT-BLU-M"])]


# -- validation ------------------------------------------------------------------------------------

def test_fan_out_and_group_together_conflict(tmp_path):
    text = FAN_OUT.replace("    fan_out:", "    group: { by: Gamme }\n    fan_out:")
    assert ("conflicting-keys", "flows.tiers.group") in _codes(tmp_path, text)


def test_group_with_since_needs_a_full_read(tmp_path):
    text = GROUP.replace("read: articles }", "read: articles, since: DateModif }")
    _, diags = compile_text(tmp_path, text)
    (diag,) = [d for d in diags if d.code == "group-needs-full-read"]
    assert diag.path == "flows.ranges.source.since" and "payload hash" in diag.hint


@pytest.mark.parametrize("key, code", [
    ("ART", "bad-template"), ("{Reference", "bad-template"), ("{Reference}}/x}", "bad-template"),
    ("{Reference}/{tier.[}", "bad-expression"),
])
def test_bad_key_templates_are_located(tmp_path, key, code):
    text = FAN_OUT.replace('key: "{Reference}/{tier.Seuil}"', f"key: {key!r}")
    _, diags = compile_text(tmp_path, text)
    (diag,) = [d for d in diags if d.is_error]
    assert (diag.code, diag.path) == (code, "flows.tiers.fan_out.key") and diag.loc.line == 10


@pytest.mark.parametrize("key, said", [
    ("{Reference}/{_idx}", "unknown name `_idx`"), ("{Reference}/{_key}", "`_key` is not available here"),
])
def test_unknown_names_in_key_placeholders_are_located(tmp_path, key, said):
    # was: unreported; each item's key placeholder gave null at run time
    text = FAN_OUT.replace('key: "{Reference}/{tier.Seuil}"', f'key: "{key}"')
    _, diags = compile_text(tmp_path, text)
    (diag,) = [d for d in diags if d.is_error]
    assert (diag.code, diag.path) == ("unknown-name", "flows.tiers.fan_out.key") and said in diag.message
    assert text.splitlines()[diag.loc.line - 1][diag.loc.col - 1:].startswith(key[13:])
    assert _codes(tmp_path, FAN_OUT.replace("{tier.Seuil}", "{tier.Seuil}/{_position}")) == []


def test_bad_expressions_in_each_by_and_order(tmp_path):
    assert ("bad-expression", "flows.tiers.fan_out.each") in _codes(tmp_path, FAN_OUT.replace(
        "each: TarifsQuantite", "each: 'TarifsQuantite[?'"))
    codes = _codes(tmp_path, GROUP.replace("by: Gamme, order: Reference", "by: 'Gamme[', order: 'Ref]'"))
    assert ("bad-expression", "flows.ranges.group.by") in codes
    assert ("bad-expression", "flows.ranges.group.order") in codes


def test_unknown_keys_and_bad_names_are_schema_errors(tmp_path):
    codes = _codes(tmp_path, FAN_OUT.replace("as: tier", "as: _tier, eachh: x"))
    assert sorted(codes) == [("bad-value", "flows.tiers.fan_out.as"), ("unknown-key", "flows.tiers.fan_out.eachh")]


def test_key_placeholders_of_any_kind_and_values_of_any_scalar_type(tmp_path):
    text = FAN_OUT.replace('key: "{Reference}/{tier.Seuil}"', 'key: "{tier.Seuil}-{Reference}-{length(tier.x)}{{}}"')
    flow = _flow(tmp_path, text, "tiers")
    rows = [{"Reference": "A", "TarifsQuantite": [{"Seuil": Decimal("10.5"), "x": "ab"}, {"Seuil": True, "x": ""},
                                                  {"Seuil": "7", "x": "abc"}]}]
    assert [o.key for o in _outcomes(flow, rows)] == ["10.5-A-2{}", "true-A-0{}", "7-A-3{}"]


def test_reserved_names_the_flow_does_not_name_stay_out_of_the_scope(tmp_path):
    text = FAN_OUT.replace("      index: { from: _index }\n      position: { from: _position }\n      key: { from: _key }\n", "")
    flow = _flow(tmp_path, text, "tiers")
    (item,) = _outcomes(flow, [{"Reference": "A", "TarifsQuantite": [{"Seuil": 1}]}])
    assert item.key == "A/1" and set(item.enriched) == {"Reference", "TarifsQuantite", "tier"}
