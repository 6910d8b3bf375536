"""What hot reload compares before a new plan goes live: the settle period, the diff between the live
plan and the new one, and the reloads held back as suspicious.

A reload is *suspicious* when, compared with the live plan, it

* removes a flow (``reload-removes-flow``) — a flow file emptied, deleted or renamed;
* empties a lookup table, removes it, or removes more than half of its keys (``reload-empties-lookup``)
  — a CSV saved with its header only, a table cut short;
* removes more than half of the leaf fields a flow's ``map`` sets (``reload-removes-fields``);
* removes a whole item of a list a flow's ``map`` writes — a shipping or a discount line
  (``reload-removes-items``): a file cut short after its first lines compiles, and would send every
  order without its last lines.

Such a reload is held back with a located warning until it is confirmed (see ``watch``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.errors import Diagnostic
from engine.plan.acks import ack_blocks, identity
from engine.plan.model import Plan

DEFAULT_SETTLE = 1.0  # seconds of quiet before a change is built
SETTLE_BOUND = 5  # `run` waits at most settle x this for the project's files to be quiet
_SETTLE = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s)\Z")
# keys that make a mapping a field spec rather than a nested object of fields (the schema's rule)
_SPEC_KEYS = frozenset({"from", "value", "map", "each", "when", "transform", "else", "required", "omit_null"})
_SHOWN = 6  # names listed in a message before "…"


def parse_settle(value: Any) -> float | None:
    """``1s``, ``500ms``, ``2.5s`` or a number of seconds -> seconds; None when not a duration."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return float(value) if value >= 0 else None
    match = _SETTLE.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    number = float(match.group(1))
    return number / 1000 if match.group(2) == "ms" else number


def settle_of(plan: Plan) -> float | None:
    """The project's ``project: { reload: { settle: … } }``, in seconds (None when not set)."""
    reload = plan.settings.get("reload")
    return parse_settle(reload.get("settle")) if isinstance(reload, dict) else None


def lookup_files(plan: Plan) -> set[Path]:
    """The CSV files the plan's lookup tables were read from (resolved)."""
    files = set()
    for name, table in plan.lookups.items():
        item = plan.project.lookups.get(name)
        if item is not None and table.source != "map":
            files.add((item.base_dir / table.source).resolve())
    return files


def map_fields(entries: Any, prefix: str = "") -> dict[str, Any]:
    """The leaf fields a ``map`` sets, by path (``doc.Date``, ``lignes[1].RefArticle``) -> spec."""
    fields: dict[str, Any] = {}
    if not isinstance(entries, dict):
        return fields
    for name, entry in entries.items():
        path = f"{prefix}{name}"
        if isinstance(entry, list):
            for index, item in enumerate(entry):
                _field(item, f"{path}[{index}]", fields)
        else:
            _field(entry, path, fields)
    return fields


def list_items(fields: dict[str, Any]) -> set[str]:
    """The list items the fields belong to: ``lignes[1].RefArticle`` -> ``lignes[1]`` (nested too)."""
    items = set()
    for path in fields:
        end = path.find("]")
        while end != -1:
            items.add(path[:end + 1])
            end = path.find("]", end + 1)
    return items


def _field(entry: Any, path: str, fields: dict[str, Any]) -> None:
    if isinstance(entry, dict) and not _SPEC_KEYS.intersection(entry):
        fields.update(map_fields(entry, path + "."))
    elif isinstance(entry, dict) and isinstance(entry.get("map"), dict):
        fields.update(map_fields(entry["map"], path + "."))
    else:
        fields[path] = entry


@dataclass
class FlowChange:
    parts: list[str]  # top-level keys of the flow that changed (source, target, map, schedule, …)
    fields_added: list[str] = field(default_factory=list)
    fields_removed: list[str] = field(default_factory=list)
    fields_changed: list[str] = field(default_factory=list)
    acks_added: list[str] = field(default_factory=list)  # acknowledgements by identity (engine.plan.acks)
    acks_removed: list[str] = field(default_factory=list)

    def text(self) -> str:
        out = []
        for part in self.parts:
            if part == "acknowledge" and (self.acks_added or self.acks_removed):
                signed = [f"{sign}{name}" for sign, names in (("+", self.acks_added), ("-", self.acks_removed))
                          for name in names]
                out.append(f"acknowledge ({'; '.join(signed)})")
                continue
            if part != "map":
                out.append(part)
                continue
            counts = [f"{sign}{len(names)} field(s) {_names(names)}" for sign, names in
                      (("+", self.fields_added), ("-", self.fields_removed), ("~", self.fields_changed)) if names]
            out.append(f"map ({'; '.join(counts)})" if counts else "map")
        return ", ".join(out)


@dataclass
class PlanDiff:
    flows_added: list[str] = field(default_factory=list)
    flows_removed: list[str] = field(default_factory=list)
    flows_changed: dict[str, FlowChange] = field(default_factory=dict)
    lookups_added: list[str] = field(default_factory=list)
    lookups_removed: list[str] = field(default_factory=list)
    lookups_changed: list[str] = field(default_factory=list)
    endpoints_changed: list[str] = field(default_factory=list)

    def text(self) -> str:
        """One readable line: ``flows changed: orders_to_sage (map (-6 field(s) …)); lookups changed: …``."""
        parts = []
        for label, names in (("flows added", self.flows_added), ("flows removed", self.flows_removed)):
            if names:
                parts.append(f"{label}: {', '.join(names)}")
        if self.flows_changed:
            parts.append("flows changed: " + ", ".join(f"{name} ({change.text()})"
                                                       for name, change in self.flows_changed.items()))
        for label, names in (("lookups added", self.lookups_added), ("lookups removed", self.lookups_removed),
                             ("lookups changed", self.lookups_changed),
                             ("endpoints changed", self.endpoints_changed)):
            if names:
                parts.append(f"{label}: {', '.join(names)}")
        return "; ".join(parts) or "no change to flows, lookups or endpoints"

    def fields(self) -> dict:
        """The diff as log fields (JSON logs)."""
        return {"flows_added": self.flows_added, "flows_removed": self.flows_removed,
                "flows_changed": {name: {"parts": c.parts, "fields_added": c.fields_added,
                                         "fields_removed": c.fields_removed, "fields_changed": c.fields_changed,
                                         **({"acks_added": c.acks_added, "acks_removed": c.acks_removed}
                                            if c.acks_added or c.acks_removed else {})}
                                  for name, c in self.flows_changed.items()},
                "lookups_added": self.lookups_added, "lookups_removed": self.lookups_removed,
                "lookups_changed": self.lookups_changed, "endpoints_changed": self.endpoints_changed}


def plan_diff(old: Plan | None, new: Plan) -> PlanDiff:
    """What ``new`` changes compared with ``old`` (everything is added when there is no old plan)."""
    diff = PlanDiff()
    old_flows = old.project.flows if old is not None else {}
    new_flows = new.project.flows
    diff.flows_added = [name for name in new.flows if name not in (old.flows if old is not None else {})]
    diff.flows_removed = [name for name in (old.flows if old is not None else {}) if name not in new.flows]
    for name in new.flows:
        if old is not None and name in old.flows:
            change = _flow_change(old_flows[name].data, new_flows[name].data)
            if change is not None:
                diff.flows_changed[name] = change
    old_lookups = old.lookups if old is not None else {}
    diff.lookups_added = [name for name in new.lookups if name not in old_lookups]
    diff.lookups_removed = [name for name in old_lookups if name not in new.lookups]
    diff.lookups_changed = [name for name, table in new.lookups.items()
                            if name in old_lookups and _table(old_lookups[name]) != _table(table)]
    old_endpoints = old.project.endpoints if old is not None else {}
    diff.endpoints_changed = [name for name, item in new.project.endpoints.items()
                              if name in old_endpoints and old_endpoints[name].data != item.data]
    return diff


def _flow_change(old: Any, new: Any) -> FlowChange | None:
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    parts = [key for key in dict.fromkeys([*old, *new]) if old.get(key) != new.get(key)]
    if not parts:
        return None
    change = FlowChange(parts)
    if "map" in parts:
        before, after = map_fields(old.get("map")), map_fields(new.get("map"))
        change.fields_added = [path for path in after if path not in before]
        change.fields_removed = [path for path in before if path not in after]
        change.fields_changed = [path for path in after if path in before and before[path] != after[path]]
    if "acknowledge" in parts:  # a new one applies to records confirmed from now on (engine.runtime.acks)
        was = [identity(block) for _, block in ack_blocks(old.get("acknowledge"))]
        now = [identity(block) for _, block in ack_blocks(new.get("acknowledge"))]
        change.acks_added = [name for name in now if name not in was]
        change.acks_removed = [name for name in was if name not in now]
    return change


def _table(table) -> tuple:
    return (table.match, table.has_default, table.default,
            tuple((key, table.get(key)[1]) for key in table.keys()))


def suspicious(old: Plan, new: Plan) -> list[Diagnostic]:
    """Located warnings for what ``new`` would make disappear (empty when nothing suspicious)."""
    warnings = []
    for name, flow in old.flows.items():
        if name not in new.flows:
            warnings.append(Diagnostic(
                "reload-removes-flow", f"the new content has no flow '{name}': it would stop running",
                flow.item.key_loc(), f"flows.{name}",
                "if the file was emptied, deleted or is still being written, restore it", "warning"))
            continue
        before = map_fields(flow.item.data.get("map") if isinstance(flow.item.data, dict) else None)
        item = new.flows[name].item
        after = map_fields(item.data.get("map") if isinstance(item.data, dict) else None)
        lost = [path for path in before if path not in after]
        if before and len(lost) * 2 > len(before):
            warnings.append(Diagnostic(
                "reload-removes-fields", f"flow '{name}' would lose {len(lost)} of its {len(before)} mapped "
                f"fields: {_names(lost)}", item.key_loc("map"), f"flows.{name}.map",
                "if the file is cut short or still being written, restore it", "warning"))
            continue
        gone = sorted(list_items(before) - list_items(after))
        if gone:
            warnings.append(Diagnostic(
                "reload-removes-items", f"flow '{name}' would no longer write {_names(gone)}: a whole item of "
                "a list (a shipping or a discount line…)", item.key_loc("map"), f"flows.{name}.map",
                "if the file is cut short or still being written, restore it", "warning"))
    for name, table in old.lookups.items():
        if not len(table):
            continue
        old_item = old.project.lookups.get(name)
        if name not in new.lookups:
            if old_item is not None:
                warnings.append(Diagnostic(
                    "reload-empties-lookup", f"the new content has no lookup '{name}' ({len(table)} keys)",
                    old_item.key_loc(), f"lookups.{name}", "restore the table if this is not intended", "warning"))
            continue
        new_table = new.lookups[name]
        new_item = new.project.lookups.get(name) or old_item
        kept = set(new_table.keys())
        lost = [key for key in table.keys() if key not in kept]
        if new_item is not None and (not len(new_table) or len(lost) * 2 > len(table)):
            where = new_item.loc("file") if new_table.source != "map" else new_item.key_loc("map")
            source = f" (file {new_table.source})" if new_table.source != "map" else ""
            warnings.append(Diagnostic(
                "reload-empties-lookup", f"lookup '{name}'{source} would lose {len(lost)} of its "
                f"{len(table)} keys: {_names([str(k) for k in lost])}", where, f"lookups.{name}",
                "if the file is cut short or still being written, restore it", "warning"))
    return warnings


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown + (f", … ({len(names) - _SHOWN} more)" if len(names) > _SHOWN else "")
