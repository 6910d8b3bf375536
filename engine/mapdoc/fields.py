"""A flow's ``map`` as rows of the field table: target field, where its value comes from, what is done
to it (each transform in words, from the registry's words templates), and when it is sent.

The rows follow the compiled plan's spec (the flow's ``map`` exactly as validated) and the target's
contract (``accepts:``): a field the target requires or limits in length says so.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.connectors.contract import object_schemas
from engine.lang.lookups import LookupTable
from engine.lang.registry import Registry
from engine.lang.transforms.words import show
from engine.mapdoc.exprwords import condition, source
from engine.schema.validate import FIELD_SPEC_KEYS

MAX_PAIRS = 4  # a lookup's first pairs shown inline in the field table (all rows are in its own table)


@dataclass
class Row:
    target: str
    source: str
    words: str
    when: str = ""
    rule: str = ""  # what the target's contract says of the field
    group: str = ""  # the list item the row belongs to ("" for the document's own fields)


@dataclass
class FieldWalker:
    registry: Registry
    lookups: Mapping[str, LookupTable]
    rows: list[Row] = field(default_factory=list)
    undescribed: list[str] = field(default_factory=list)  # transforms with no words template
    tables: set[str] = field(default_factory=set)  # lookup tables the map uses

    # -- the map -------------------------------------------------------------------------------
    def walk(self, spec: Any, prefix: str = "", schema: Any = None, group: str = "", when: str = "") -> None:
        if not isinstance(spec, dict):
            return
        consts = {k: v["value"] for k, v in spec.items() if isinstance(v, dict) and "value" in v}
        props = _properties(schema, consts)
        required = _required(schema, consts)
        for name, entry in spec.items():
            path = f"{prefix}.{name}" if prefix else str(name)
            sub = props.get(name)
            if isinstance(entry, list):
                self.walk_list(entry, path, sub, when)
            elif isinstance(entry, dict) and any(k in entry for k in FIELD_SPEC_KEYS):
                if "map" in entry:
                    inner = when + (" and " if when and "when" in entry else "")
                    inner += f"only when {condition(entry['when'])}" if "when" in entry else ""
                    self.walk(entry["map"], path, sub, group, inner)
                else:
                    self.value(entry, path, sub, name in required, group, when)
            elif isinstance(entry, dict):
                self.walk(entry, path, sub, group, when)

    def walk_list(self, entries: list, path: str, schema: Any, when: str) -> None:
        items = schema.get("items") if isinstance(schema, dict) else None
        for index, entry in enumerate(entries, 1):
            if not isinstance(entry, dict):
                continue
            if "each" in entry:
                group = f"{path}: one item per element of {source(entry['each'])}"
            else:
                group = f"{path}: item {index}"
            cond = when
            if "when" in entry:  # said once, in the item's heading
                group += f", only when {condition(entry['when'])}"
            if "map" in entry:
                self.walk(entry["map"], f"{path}[]", items, group, cond)
            else:
                self.value({k: v for k, v in entry.items() if k not in ("each", "when")}, f"{path}[]",
                           items, False, group, cond)

    # -- one value -------------------------------------------------------------------------------
    def value(self, entry: dict, path: str, schema: Any, required: bool, group: str, when: str) -> None:
        origin, words = self.origin(entry)
        conds = [when] if when else []
        if "when" in entry:
            conds.append(f"only when {condition(entry['when'])}")
            if "else" in entry:
                other = entry["else"]
                if isinstance(other, dict) and any(k in other for k in ("from", "value")):
                    alt, alt_words = self.origin(other)
                    conds.append(f"otherwise {alt}" + (f", {alt_words}" if alt_words else ""))
                else:
                    conds.append(f"otherwise {show(other)}")
        if entry.get("required") is True:
            conds.append("required: a record without it is rejected")
        if entry.get("omit_null") is True:
            conds.append("left out when empty")
        self.rows.append(Row(path, origin, words, "; ".join(c for c in conds if c),
                             _rule(schema, required), group))

    def origin(self, entry: dict) -> tuple[str, str]:
        if "from" in entry:
            origin = source(entry["from"])
        elif "value" in entry:
            origin = f"fixed: {show(entry['value'])}"
        else:
            origin = ""
        return origin, self.transforms(entry.get("transform"))

    def transforms(self, steps: Any) -> str:
        if steps is None:
            return ""
        out = []
        for step in steps if isinstance(steps, list) else [steps]:
            if not isinstance(step, str) and not (isinstance(step, dict) and len(step) == 1):
                continue  # not a transform (a compiled plan has none such)
            name, arg = (step, None) if isinstance(step, str) else next(iter(step.items()))
            text = self.registry.describe(name, arg)
            if text is None:
                self.undescribed.append(name)
                text = f"`{name}`"
            if name == "lookup":
                text += self.pairs(arg)
            out.append(text)
        return ", then ".join(out)

    def pairs(self, arg: Any) -> str:
        name = arg if isinstance(arg, str) else arg.get("table") if isinstance(arg, dict) else None
        table = self.lookups.get(name) if isinstance(name, str) else None
        if table is None:
            return ""
        self.tables.add(str(name))
        keys = table.keys()
        shown = ", ".join(f"{k} → {table.get(k)[1]}" for k in keys[:MAX_PAIRS])
        more = ", …" if len(keys) > MAX_PAIRS else ""
        return f" ({shown}{more})" if shown else ""


def _properties(schema: Any, consts: dict) -> dict:
    props: dict = {}
    for shape in object_schemas(schema, consts):
        for name, sub in (shape.get("properties") or {}).items():
            props.setdefault(name, sub)
    return props


def _required(schema: Any, consts: dict) -> set:
    names: set = set()
    for shape in object_schemas(schema, consts):
        names.update(shape.get("required") or ())
    return names


def _rule(schema: Any, required: bool) -> str:
    parts = ["required"] if required else []
    if isinstance(schema, dict):
        if "maxLength" in schema:
            parts.append(f"at most {schema['maxLength']} characters")
        if "enum" in schema:
            parts.append("one of " + ", ".join(show(v) for v in schema["enum"] if v is not None))
        elif "const" in schema:
            parts.append(f"always {show(schema['const'])}")
    return "; ".join(parts)
