"""Robustness of ``fan_out`` and ``group`` (property-based, derandomized).

1. Mutated specs — any value of any type in `each`/`as`/`key`/`by`/`order`, both blocks at once,
   `since` with `group` — compile to located diagnostics or a plan: never an exception, never an
   ``internal-error``, every error pointing at a line and column of the spec.
2. Random records through a compiled fan-out or grouping flow never raise: each gives outcomes with
   a key, and a failure is a RecordError located at the spec with the flow's name.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import RecordError
from engine.plan.compile import compile_project
from engine.project.load import load_project
from engine.runtime.pipeline import Joiner, records
from support import without_contracts

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
ENDPOINTS = {
    "shop": {"use": "prestashop", "settings": {"base_url": "http://shop.test", "key": "${env:PS_KEY}"},
             "override": without_contracts("add_specific_price", "update_specific_price")},
    "sage": {"use": "sage100-ws", "settings": {"base_url": "http://sage.test", "token": "${env:SAGE_TOKEN}"},
             "override": without_contracts("insert_document")},
}
FRAGMENTS = ["{", "}", "{{", "}}", "Reference", "tier.QteMin", "item", "[", "]", "'", '"', "`", "|", "||",
             "_key", "_index", "@", ".", "length(@)", "?", "/", " ", "é", "\\", "members[0]", "Gamme", "*"]
texts = st.lists(st.sampled_from(FRAGMENTS), max_size=8).map("".join)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**20), texts,
                    st.lists(st.integers(0, 3), max_size=2), st.dictionaries(texts, st.integers(0, 3), max_size=2))
fan_outs = st.fixed_dictionaries({}, optional={"each": scalars, "as": scalars, "key": scalars, "other": scalars})
groups = st.fixed_dictionaries({}, optional={"by": scalars, "order": scalars, "as": scalars})


def _compile(flow_extra: dict):
    flow = {"source": {"endpoint": "sage", "read": "articles"},
            "target": {"endpoint": "shop", "write": "add_specific_price"},
            "map": {"ref": {"from": "Reference"}}, **flow_extra}
    folder = Path(tempfile.mkdtemp(prefix="h4-expand-"))
    try:
        (folder / "spec.yaml").write_text(yaml.safe_dump({"endpoints": ENDPOINTS, "flows": {"f": flow}},
                                                         allow_unicode=True), encoding="utf-8")
        lines = (folder / "spec.yaml").read_text(encoding="utf-8").count("\n") + 1
        plan, diags = compile_project(load_project(folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return plan, diags, lines


def _check(plan, diags, lines):
    errors = [d for d in diags if d.is_error]
    assert not any(d.code == "internal-error" for d in diags), [d.format_text() for d in diags]
    assert (plan is None) == bool(errors)
    for d in errors:
        assert d.loc is not None and 1 <= d.loc.line <= lines and d.loc.col >= 1, d.format_text()
        assert d.path.startswith("flows.f"), d.format_text()


@SETTINGS
@given(fan_out=st.one_of(fan_outs, scalars))
def test_any_fan_out_gives_a_plan_or_located_diagnostics(fan_out):
    _check(*_compile({"fan_out": fan_out}))


@SETTINGS
@given(group=st.one_of(groups, scalars), since=st.booleans(), both=st.booleans())
def test_any_group_gives_a_plan_or_located_diagnostics(group, since, both):
    extra: dict = {"group": group}
    if both:
        extra["fan_out"] = {"each": "TarifsQuantite", "key": "{Reference}/{_index}"}
    plan, diags, lines = _compile(extra)
    if since:
        extra["source"] = {"endpoint": "sage", "read": "articles", "since": "DateModif"}
        plan, diags, lines = _compile(extra)
    _check(plan, diags, lines)
    if both and isinstance(group, dict):
        assert any(d.code == "conflicting-keys" for d in diags)


values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["", "a", "10", "x/y"]),
                                st.decimals(allow_nan=False, allow_infinity=False, places=2)),
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["QteMin", "n"]),
                                                                                  inner, max_size=2), max_leaves=6)
rows = st.lists(st.fixed_dictionaries({"Reference": st.sampled_from(["A", "B", "C", ""]), "Tiers": values,
                                       "Gamme": values, "Rang": values}), max_size=6)


def _outcomes(extra: dict, data: list) -> list:
    plan, diags, _ = _compile({**extra, "map": {"ref": {"from": "Reference"}, "k": {"from": "_key"}}})
    assert plan is not None, [d.format_text() for d in diags]
    return list(records(plan.flows["f"], [data], Joiner(preloaded=None)))


def _record_failures_are_located(outcomes):
    for outcome in outcomes:
        assert isinstance(outcome.key, str)
        if outcome.error is not None:
            assert isinstance(outcome.error, RecordError) and outcome.error.flow == "f"
            assert outcome.error.loc is not None and outcome.error.loc.line >= 1
            json.dumps(outcome.error.to_json(), default=str)
        elif not outcome.skipped:
            assert outcome.payload["k"] == outcome.key


@SETTINGS
@given(data=rows)
def test_random_records_through_a_fan_out_never_raise(data):
    outcomes = _outcomes({"fan_out": {"each": "Tiers", "as": "tier", "key": "{Reference}/{tier.QteMin}"}}, data)
    _record_failures_are_located(outcomes)
    done = [o.key for o in outcomes if o.ok]
    assert len(done) == len(set(done))  # never two items under one key


@SETTINGS
@given(data=rows)
def test_random_records_through_a_grouping_never_raise(data):
    outcomes = _outcomes({"group": {"by": "Gamme", "order": "Rang"}}, data)
    _record_failures_are_located(outcomes)
    groups = [o.key for o in outcomes if o.ok]
    assert len(groups) == len(set(groups))
    assert all(isinstance(o.enriched["members"], list) for o in outcomes if o.ok)
