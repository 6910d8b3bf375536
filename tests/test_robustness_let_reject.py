"""Robustness of `let`, `reject` and normalised `match` values (Hypothesis).

1. Random and mutated specs of the three constructs never raise and never give `internal-error`:
   validation returns located diagnostics (line and column inside the file), or a plan.
2. Random records through a compiled flow with lets and rejects never raise: each record is mapped,
   skipped, or fails with a RecordError naming the flow, the key and a `let.*`, `reject[*]` or map field.
3. Random related rows under random `their` pipelines never crash the index: a row whose
   normalisation fails is only left out.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.plan.compile import compile_project
from engine.plan.related import RelatedData
from engine.project.load import load_project
from engine.runtime.pipeline import Outcome, evaluate
from support import without_contracts

ENDPOINTS = {
    "shop": {"use": "woocommerce", "settings": {"base_url": "${env:WOO_URL}", "consumer_key": "${env:K}",
                                                 "consumer_secret": "${env:S}"},
             "override": without_contracts("update_order", "add_order_note")},
    "sage": {"use": "sage100-ws", "settings": {"base_url": "${env:SAGE_URL}", "token": "${env:T}"},
             "override": without_contracts("insert_document")},
}
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

NAMES = st.sampled_from(["b2b", "account", "ref", "_key", "_index", "short-ref", "total", "customer", "x1",
                         "", "9a", "a b", "é", "line_items"])
EXPRS = st.one_of(
    st.sampled_from(["b2b", "account || 'X'", "length(ref) > `3`", "ref", "(meta_data[?key=='b'].value | [0])",
                     "_index", "_key", "id ||", "length(", "`1`", "@", "line_items[0].sku", "!b2b",
                     "total > `10`", "customer.role == 'b2b'", "to_string(id)"]),
    st.text(max_size=20), st.integers(), st.none(), st.booleans(), st.lists(st.integers(), max_size=2))
REASONS = st.one_of(st.sampled_from(["ref {ref} too long", "{length(ref)}", "{", "}", "{{x}}", "{id ||}",
                                     "{line_items}", "ok", ""]), st.text(max_size=15), st.integers(), st.none())
STEPS = st.one_of(st.sampled_from(["trim", "lower", "upper", "nope", {"pad": {"width": 6, "char": "0"}},
                                   {"prefix": "WEB"}, {"cast": "int"}, {"truncate": -1}, {"pad": {}},
                                   {"prefix": 3}, 5, None]), st.text(max_size=6))
PIPELINES = st.one_of(STEPS, st.lists(STEPS, max_size=3))
MATCH_VALUES = st.one_of(
    EXPRS,
    st.fixed_dictionaries({"from": EXPRS}, optional={"transform": PIPELINES, "their": PIPELINES,
                                                      "tranform": PIPELINES}),
    st.dictionaries(st.sampled_from(["from", "transform", "their", "x"]), EXPRS, max_size=3))
LETS = st.one_of(st.dictionaries(NAMES, EXPRS, max_size=5), st.none(), st.integers(), st.lists(EXPRS, max_size=2))
RULES = st.one_of(st.lists(st.one_of(st.fixed_dictionaries({"when": EXPRS, "reason": REASONS}),
                                     st.dictionaries(st.sampled_from(["when", "reason", "why"]), EXPRS, max_size=3),
                                     EXPRS), max_size=3),
                  st.none(), st.dictionaries(st.text(max_size=3), EXPRS, max_size=2))


def _validate(flow: dict) -> list:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "spec.yaml"
        text = yaml.safe_dump({"endpoints": ENDPOINTS, "flows": {"f": flow}}, sort_keys=False, allow_unicode=True)
        path.write_text(text, encoding="utf-8")
        plan, diags = compile_project(load_project(Path(folder)))
        lines = text.count("\n") + 1
        for diag in diags:
            assert diag.code != "internal-error", diag.format_text()
            if diag.is_error:
                assert diag.loc is not None and 1 <= diag.loc.line <= lines and diag.loc.col >= 1, diag.format_text()
        assert plan is not None or any(d.is_error for d in diags)
        return diags


def _flow(lets=None, rules=None, related=None) -> dict:
    flow: dict = {"source": {"endpoint": "shop", "read": "orders"}}
    if related is not None:
        flow["source"]["related"] = related
    if lets is not None:
        flow["let"] = lets
    if rules is not None:
        flow["reject"] = rules
    flow["target"] = {"endpoint": "sage", "write": "insert_document"}
    flow["map"] = {"Reference": {"from": "id"}}
    return flow


@SETTINGS
@given(LETS, RULES)
def test_random_lets_and_rejects_give_located_diagnostics(lets, rules):
    _validate(_flow(lets, rules))


@SETTINGS
@given(st.dictionaries(st.sampled_from(["NumeroTiers", "Email", "Code"]), MATCH_VALUES, min_size=1, max_size=3),
       st.booleans())
def test_random_normalised_matches_give_located_diagnostics(match, reference):
    entry = {"endpoint": "sage", "read": "clients", "match": match}
    if reference:
        entry["reference"] = True
    _validate(_flow(related={"account": entry}))


VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 50), st.text(max_size=25),
                   st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-100, max_value=100),
                   st.lists(st.integers(), max_size=2), st.dictionaries(st.sampled_from(["key", "value"]),
                                                                        st.text(max_size=3), max_size=2))
RECORDS = st.fixed_dictionaries({"id": st.integers(1, 99)}, optional={
    "ref": VALUES, "total": VALUES, "b2b": VALUES, "line_items": st.one_of(VALUES, st.lists(
        st.fixed_dictionaries({}, optional={"sku": VALUES}), max_size=2)),
    "meta_data": st.one_of(VALUES, st.lists(st.fixed_dictionaries({"key": VALUES, "value": VALUES}), max_size=2))})

RUNTIME_FLOW = _flow(
    lets={"b2b": "(meta_data[?key=='b2b'].value | [0]) == 'yes' || b2b", "long": "length(ref) > `5`",
          "first": "line_items[0].sku", "amount": "total > `10`"},
    rules=[{"when": "long", "reason": "ref {ref} is {length(ref)} long"},
           {"when": "amount && !b2b", "reason": "{first} / {line_items}"}])


def _runtime_flow():
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "spec.yaml").write_text(yaml.safe_dump({"endpoints": ENDPOINTS, "flows": {"f": RUNTIME_FLOW}}))
        plan, diags = compile_project(load_project(Path(folder)))
        assert plan is not None, [d.format_text() for d in diags]
        return plan.flows["f"]


FLOW = _runtime_flow()


@SETTINGS
@given(RECORDS)
def test_random_records_are_mapped_skipped_or_fail_with_a_named_field(record):
    outcome = evaluate(FLOW, Outcome(str(record["id"]), record, record, record))
    if outcome.error is not None:
        assert outcome.error.flow == "f" and outcome.error.key == str(record["id"])
        assert outcome.error.field.startswith(("let.", "reject[", "map")) or outcome.error.field, outcome.error
        assert outcome.error.loc is not None
        if outcome.error.field.startswith("reject["):
            assert outcome.error.reason.startswith("rejected: ")
    else:
        assert outcome.payload == {"Reference": record["id"]}


def _their_flow(their):
    with tempfile.TemporaryDirectory() as folder:
        flow = _flow(related={"account": {"endpoint": "sage", "read": "clients", "reference": True,
                                          "match": {"Code": {"from": "id", "transform": their, "their": their}}}})
        (Path(folder) / "spec.yaml").write_text(yaml.safe_dump({"endpoints": ENDPOINTS, "flows": {"f": flow}}))
        plan, _ = compile_project(load_project(Path(folder)))
        return plan.flows["f"] if plan is not None else None


THEIRS = {name: _their_flow(steps) for name, steps in {
    "int": [{"cast": "int"}], "text": ["trim", "lower"], "pad": [{"pad": {"width": 4, "char": "0"}}, {"prefix": "C"}],
    "round": [{"round": 0}]}.items()}


@SETTINGS
@given(st.sampled_from(sorted(THEIRS)), st.lists(st.fixed_dictionaries({}, optional={"Code": VALUES}), max_size=6),
       st.one_of(st.integers(-3, 20), st.text(max_size=5), st.decimals(places=1, min_value=-5, max_value=5, allow_nan=False)))
def test_random_related_rows_never_crash_a_normalised_join(which, rows, ident):
    flow = THEIRS[which]
    assert flow is not None
    data = RelatedData({"clients": rows})
    spec = flow.related[0]
    index = data.index("clients", spec.fields, spec.theirs)
    assert sum(len(v) for v in index.values()) <= len(rows)
    try:
        flow.enrich({"id": ident}, data)
    except Exception as exc:  # only a located record error may come out (our own value failed its pipeline)
        from engine.errors import RecordError
        assert isinstance(exc, RecordError) and exc.field == "related.account", exc
