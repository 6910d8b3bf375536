"""``docs/connectors.md``, generated from the shipped connector definitions (never edited by hand):
each connector's settings, resources (with the filters they accept), operations, and the contract of
each write operation as a table — what the target accepts, field by field.

``passerelle schema --write`` rewrites it with the schemas; ``--check`` (and a test) fails when stale.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.connectors.base import ConnectorPlan, FilterSupport, OperationPlan
from engine.connectors.compile import compile_connector
from engine.connectors.contract import object_schemas
from engine.spec.yamlsrc import load_file
from engine.util.resources import schemas_dir, shipped_connectors_dir

HEADER = ("<!-- GENERATED from specs/connectors/*.yaml by `passerelle schema --write`; do not edit. -->\n"
          "# Shipped connectors\n\n"
          "The connector definitions shipped with Passerelle (`specs/connectors/`), what a project names with "
          "`use:`. For each: its settings, the resources a flow reads (`read:`, with the filters the "
          "system accepts), the operations it writes (`write:`), and, for every write, **what the target "
          "accepts**: its contract, checked by `validate` against the map and by `dry-run` and `run` "
          "against every payload before sending (see [spec-language.md §9.12]"
          "(spec-language.md#912-target-contracts)).\n")


def docs_path() -> Path | None:
    """``docs/connectors.md`` of the checkout (None in an installed wheel, which has no docs)."""
    docs = schemas_dir().resolve().parent / "docs"
    return docs / "connectors.md" if docs.is_dir() else None


def shipped_plans() -> list[ConnectorPlan]:
    plans = []
    for path in sorted(shipped_connectors_dir().glob("*.yaml")):
        data = load_file(path).data
        definition = data.get("connector") if isinstance(data, dict) else None
        if isinstance(definition, dict):
            plan, _ = compile_connector(definition, lambda where: None)
            if plan is not None:
                plans.append(plan)
    return plans


def _cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|") if text not in (None, "") else ""


def _code(value: Any) -> str:
    if value is None:
        return "`null`"
    if value == "":
        return '`""`'
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    return f"`{value}`"


def _filters(name: str, support: FilterSupport | None) -> str | None:
    if support is None:
        return None
    return f"{name} ({', '.join(f'`{f}`' for f in sorted(support.fields))})" if support.fields else f"{name} (any field)"


def _types(schema: Mapping) -> str:
    kinds = schema.get("type")
    names = kinds if isinstance(kinds, list) else [kinds] if kinds else []
    words = {"string": "text", "integer": "whole number", "number": "number", "boolean": "true/false",
             "object": "object", "array": "list", "null": "null"}
    if not names and "const" in schema:
        return "constant"
    if not names and "enum" in schema:
        return "one of"
    return " or ".join(words.get(str(n), str(n)) for n in names) or "any"


def _allowed(schema: Mapping) -> str:
    if "const" in schema:
        return _code(schema["const"])
    if "enum" in schema:
        return ", ".join(_code(v) for v in schema["enum"])
    parts = []
    if "pattern" in schema:
        parts.append(f"form `{schema['pattern']}`")
    if "minimum" in schema:
        parts.append(f"≥ {schema['minimum']}")
    if "maximum" in schema:
        parts.append(f"≤ {schema['maximum']}")
    if "maxItems" in schema:
        parts.append(f"at most {schema['maxItems']} entries")
    return "; ".join(parts)


def _rows(schema: Any, prefix: str, out: list[str], depth: int = 0) -> None:
    """One table row per field, nested objects and list items flattened as ``doc.X`` / ``lignes[].X``;
    line kinds (``oneOf``) each under their own title."""
    if depth > 8:
        return
    shapes = list(object_schemas(schema))
    if len(shapes) > 1:
        for shape in shapes:
            out.append(f"| *{_cell(shape.get('title') or 'kind')}* ({prefix or 'payload'}) | | | | | "
                       f"{_cell(shape.get('description'))} |")
            _fields(shape, prefix, out, depth)
        return
    for shape in shapes:
        _fields(shape, prefix, out, depth)


def _fields(shape: Mapping, prefix: str, out: list[str], depth: int) -> None:
    required = set(shape.get("required") or ())
    for name, sub in (shape.get("properties") or {}).items():
        sub = sub if isinstance(sub, dict) else {}
        path = f"{prefix}.{name}" if prefix else name
        length = sub.get("maxLength", "")
        out.append(f"| `{path}` | {_types(sub)} | {length} | {'yes' if name in required else ''} | "
                   f"{_cell(_allowed(sub))} | {_cell(sub.get('description'))} |")
        if isinstance(sub.get("items"), dict):
            _rows(sub["items"], f"{path}[]", out, depth + 1)
        elif any(k in sub for k in ("properties", "oneOf", "allOf")):
            _rows(sub, path, out, depth + 1)
    if shape.get("additionalProperties") is False:
        where = f"`{prefix}`" if prefix else "the payload"
        out.append(f"| *(any other field of {where})* | | | | refused | |")


def _contract(plan: ConnectorPlan, op: OperationPlan) -> list[str]:
    schema = op.contract.schema
    title = schema.get("title") or op.name
    lines = [f"#### What {op.contract.system} accepts in {title} (`{op.name}`)", ""]
    if schema.get("description"):
        text = _cell(schema["description"])
        lines += [text[:1].upper() + text[1:] + ".", ""]
    lines += ["| field | type | max length | required | allowed values | description |",
              "|---|---|---|---|---|---|"]
    rows: list[str] = []
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        rows.append(f"| *(the payload is a list)* | list | | | {_cell(_allowed(schema))} | |")
        _rows(schema["items"], "[]", rows)
    else:
        _rows(schema, "", rows)
    return lines + rows + [""]


def connector_section(plan: ConnectorPlan) -> list[str]:
    lines = [f"## `{plan.name}`", "", f"{_cell(plan.summary)} (protocol `{plan.protocol}`).", ""]
    if plan.settings:
        lines += ["**Settings**", "", "| setting | required | secret | default | description |",
                  "|---|---|---|---|---|"]
        for decl in plan.settings.values():
            default = _code(decl.default) if decl.has_default else ""
            lines.append(f"| `{decl.name}` | {'yes' if decl.required else ''} | {'yes' if decl.secret else ''} | "
                         f"{default} | {_cell(decl.description)} |")
        lines.append("")
    if plan.resources:
        lines += ["**Resources** (`read:`)", "", "| resource | key | filters | description |", "|---|---|---|---|"]
        for res in plan.resources.values():
            filters = [f for f in (_filters("`where`", res.where), _filters("`since`", res.since),
                                   _filters("`keys`", res.keys)) if f]
            description = plan.source.get("resources", {}).get(res.name, {}).get("description") \
                if isinstance(plan.source.get("resources"), dict) else None
            lines.append(f"| `{res.name}` | {_code(res.key) if res.key else ''} | {'; '.join(filters) or 'none'} | "
                         f"{_cell(description)} |")
        lines.append("")
    if plan.operations:
        lines += ["**Operations** (`write:`)", "", "| operation | kind | needs (`with`) | description |",
                  "|---|---|---|---|"]
        for op in plan.operations.values():
            kind = "creates" if op.creates else "look-up" if op.contract is None and not op.idempotent and \
                any(other.find == op.name for other in plan.operations.values()) else \
                "idempotent" if op.idempotent else "write"
            needs = ", ".join(f"`{n}`" for n in sorted(op.needs - {"reference"}))
            lines.append(f"| `{op.name}` | {kind} | {needs} | {_cell(op.description)} |")
        lines.append("")
        for op in plan.operations.values():
            if op.contract is not None:
                lines += _contract(plan, op)
    return lines


def render_connectors_doc() -> str:
    plans = shipped_plans()
    out = [HEADER, "| connector | system | resources | operations |", "|---|---|---|---|"]
    for plan in plans:
        out.append(f"| [`{plan.name}`](#{plan.name}) | {_cell(plan.summary)} | "
                   f"{', '.join(f'`{r}`' for r in plan.resources)} | {', '.join(f'`{o}`' for o in plan.operations)} |")
    out.append("")
    for plan in plans:
        out += connector_section(plan)
    return "\n".join(out).rstrip() + "\n"


__all__ = ["docs_path", "render_connectors_doc", "shipped_plans"]
