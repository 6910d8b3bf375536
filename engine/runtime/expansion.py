"""The expand step of the one record pipeline (between ``prepare`` and ``evaluate``): a fan-out
record becomes one outcome per item, records of a grouping flow one outcome per group. Each outcome
has its own key (the ledger's) and its own scope (``enriched``), so the runner's exactly-once,
update, dead-letter and replay rules apply to it as to any record. Without ``fan_out``/``group`` the
step is the identity.

* fan-out: a record whose list is null or empty gives one *skipped* outcome under the record's key
  (counted, and the incremental cursor may pass it); a record whose list or keys are wrong fails as a
  whole, under the record's key, located at ``fan_out``;
* grouping: groups come out in the order their first member was read; a member that failed (typing,
  join) fails its whole group, naming the member; a record whose group key is null is set aside alone.

Outcomes are derived by copying (:func:`_derived`) so this module needs nothing of the pipeline.
"""
from __future__ import annotations

from collections.abc import Iterable
from copy import copy
from typing import Any

from engine.errors import RecordError
from engine.plan.model import FlowPlan


def whole(flow: FlowPlan, pages: Iterable[list]) -> Iterable[list]:
    """The pages to prepare: a grouping flow maps its whole read at once (a group needs every member)."""
    if flow.group is None:
        return pages
    rows = [row for page in pages for row in page]
    return [rows] if rows else []


def expand(flow: FlowPlan, outcomes: list) -> list:
    """Items or groups of one prepared page (the outcomes themselves without fan-out or grouping)."""
    if flow.fan_out is not None:
        return _fan_out(flow, outcomes)
    if flow.group is not None:
        return _groups(flow, outcomes)
    return outcomes


def _located(flow: FlowPlan, key: str, exc: RecordError) -> RecordError:
    exc.flow, exc.key = flow.name, key
    return exc


def _fan_out(flow: FlowPlan, outcomes: list) -> list:
    items_of = flow.fan_out.items  # type: ignore[union-attr]
    out: list = []
    for outcome in outcomes:
        if outcome.error is not None:
            out.append(outcome)
            continue
        try:
            items = items_of(outcome.enriched)
        except RecordError as exc:
            outcome.error = _located(flow, outcome.key, exc)
            out.append(outcome)
            continue
        if not items:  # nothing to write for this record: skipped, so the cursor may pass it
            outcome.skipped = True
            out.append(outcome)
            continue
        for key, scope in items:
            out.append(_derived(outcome, key=key, record=scope, enriched=scope))
    return out


def _groups(flow: FlowPlan, outcomes: list) -> list:
    grouping = flow.group
    assert grouping is not None
    groups: dict[str, list] = {}
    out: list = []
    for outcome in outcomes:
        basis: Any = outcome.enriched if outcome.enriched is not None else outcome.raw
        try:
            key = grouping.key(basis)
        except RecordError as exc:
            if outcome.error is None:
                outcome.error = _located(flow, outcome.key, exc)
            out.append(outcome)
            continue
        if key is None:
            if outcome.error is None:
                outcome.error = RecordError("its group key (`group.by`) is null or empty: it belongs to no group",
                                            flow.name, outcome.key, "group.by", flow.item.loc("group", "by"))
            out.append(outcome)
            continue
        groups.setdefault(key, []).append(outcome)
    for key, members in groups.items():
        out.append(_group(flow, key, members))
    return out


def _group(flow: FlowPlan, key: str, members: list) -> Any:
    first = members[0]
    raws = [member.raw for member in members]
    bad = next((member for member in members if member.error is not None), None)
    if bad is not None:
        error = RecordError(f"member {bad.key} failed: {bad.error.detail}", flow.name, key, "group",
                            bad.error.loc)
        return _derived(first, key=key, raw=raws, record=None, enriched=None, error=error)
    try:
        scope = flow.group.scope(key, [member.enriched for member in members])  # type: ignore[union-attr]
    except RecordError as exc:
        return _derived(first, key=key, raw=raws, record=None, enriched=None, error=_located(flow, key, exc))
    return _derived(first, key=key, raw=raws, record=scope, enriched=scope)


def _derived(outcome: Any, **changes: Any) -> Any:
    """A copy of ``outcome`` with ``changes`` (what :func:`dataclasses.replace` gives, without running
    ``__init__`` again: one group per product of a catalogue)."""
    new = copy(outcome)
    for name, value in changes.items():
        setattr(new, name, value)
    return new


__all__ = ["expand", "whole"]
