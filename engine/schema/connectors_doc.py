"""``docs/connectors.md`` and ``docs/connectors/<name>.md``, generated from the shipped connector
definitions (never edited by hand): the index lists every connector with its resources and operations;
each connector's page gives how an endpoint uses it, its settings (required, secret, default), its
resources (key, the filters they accept, the fields they type), its operations, and the contract of
each write operation as a table — what the target accepts, field by field, required ones, max lengths.

``passerelle schema --write`` rewrites them with the schemas; ``--check`` (and a test) fails when one
is stale, missing, or left over from a connector no longer shipped.
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

GENERATED = "<!-- GENERATED from specs/connectors/*.yaml by `passerelle schema --write`; do not edit. -->\n"
HEADER = (GENERATED + "# Shipped connectors\n\n"
          "The connector definitions shipped with Passerelle (`specs/connectors/`), what a project names with "
          "`use:`. Each has its own page: how an endpoint uses it, its settings, the resources a flow reads "
          "(`read:`, with the filters the system accepts and the fields it types), the operations it writes "
          "(`write:`), and, for every write, **what the target accepts**: its contract, checked by "
          "`validate` against the map and by `dry-run` and `run` against every payload before sending (see "
          "[spec-language.md §9.12](spec-language.md#912-target-contracts)).\n")


def docs_path() -> Path | None:
    """``docs/connectors.md`` of the checkout (None in an installed wheel, which has no docs)."""
    docs = schemas_dir().resolve().parent / "docs"
    return docs / "connectors.md" if docs.is_dir() else None


def generated_docs() -> dict[Path, str]:
    """Every generated page of the checkout's docs and its text: the index and one page per connector
    (empty in an installed wheel)."""
    index = docs_path()
    if index is None:
        return {}
    plans = shipped_plans()
    pages = {index.parent / "connectors" / f"{plan.name}.md": render_connector_page(plan) for plan in plans}
    return {index: render_connectors_doc(plans), **pages}


def stale_docs() -> list[str]:
    """One message per generated page that is stale or missing, or left over from a connector no longer
    shipped (empty: all current)."""
    files = generated_docs()
    if not files:
        return []
    messages = [f"{path} is stale: it no longer matches the shipped connector definitions; run `passerelle "
                "schema --write` and commit the result" for path, text in files.items()
                if not path.exists() or path.read_text(encoding="utf-8") != text]
    folder = next(iter(files)).parent / "connectors"
    messages += [f"{path} is left over: no shipped connector '{path.stem}'; delete it (`passerelle schema "
                 "--write` does)" for path in sorted(folder.glob("*.md")) if path not in files]
    return messages


def write_docs() -> list[Path]:
    """Write every generated page (and delete the pages of connectors no longer shipped)."""
    files = generated_docs()
    if not files:
        return []
    folder = next(iter(files)).parent / "connectors"
    folder.mkdir(exist_ok=True)
    for path in folder.glob("*.md"):
        if path not in files:
            path.unlink()
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return list(files)


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
    lines = [f"### What {op.contract.system} accepts in {title} (`{op.name}`)", ""]
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


def _details(plan: ConnectorPlan) -> list[str]:
    """Settings, resources, operations and contracts, each under its own title."""
    lines: list[str] = []
    if plan.settings:
        lines += ["## Settings", "", "| setting | required | secret | default | description |",
                  "|---|---|---|---|---|"]
        for decl in plan.settings.values():
            default = _code(decl.default) if decl.has_default else ""
            lines.append(f"| `{decl.name}` | {'yes' if decl.required else ''} | {'yes' if decl.secret else ''} | "
                         f"{default} | {_cell(decl.description)} |")
        lines.append("")
    if plan.resources:
        lines += ["## Resources (`read:`)", "", "| resource | key | filters | description |", "|---|---|---|---|"]
        for res in plan.resources.values():
            filters = [f for f in (_filters("`where`", res.where), _filters("`since`", res.since),
                                   _filters("`keys`", res.keys)) if f]
            description = plan.source.get("resources", {}).get(res.name, {}).get("description") \
                if isinstance(plan.source.get("resources"), dict) else None
            lines.append(f"| `{res.name}` | {_code(res.key) if res.key else ''} | {'; '.join(filters) or 'none'} | "
                         f"{_cell(description)} |")
        lines.append("")
    if plan.operations:
        lines += ["## Operations (`write:`)", "", "| operation | kind | needs (`with`) | description |",
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


def _usage(plan: ConnectorPlan) -> list[str]:
    """An endpoint using the connector, its required settings from the environment."""
    prefix = plan.name.upper().replace("-", "_")
    needed = [d for d in plan.settings.values() if d.required]
    lines = ["```yaml", "endpoints:", f"  {plan.name.split('-')[0]}:", f"    use: {plan.name}"]
    if needed:
        lines.append("    settings:")
        lines += [f'      {d.name}: "${{env:{prefix}_{d.name.upper()}}}"' for d in needed]
    lines.append("```")
    optional = [f"`{d.name}`" for d in plan.settings.values() if not d.required]
    text = "Its required settings, each here from an environment variable (a secret one must be: a secret " \
           "written in a spec is an error)"
    return lines + ["", text + (f"; optional: {', '.join(optional)}." if optional else ".")]


def _types_of(plan: ConnectorPlan) -> list[str]:
    """The fields each resource types (what a flow reads as numbers, decimals, dates, true/false)."""
    typed = [res for res in plan.resources.values() if res.types]
    if not typed:
        return []
    lines = ["## Typed fields", "", "The fields each resource reads as something else than text (every other "
             "field is text), as `filter`, `map` and the contracts see them.", "",
             "| resource | field | type |", "|---|---|---|"]
    for res in typed:
        lines += [f"| `{res.name}` | `{_cell(name)}` | {_cell(kind)} |" for name, kind in res.types.items()]
    return lines + [""]


def render_connector_page(plan: ConnectorPlan) -> str:
    system = plan.source.get("system") if isinstance(plan.source, Mapping) else None
    lines = [GENERATED.rstrip("\n"), f"# `{plan.name}`", "", f"{_cell(plan.summary)}.", "",
             f"System: {_cell(system) or plan.name} · protocol `{plan.protocol}` · definition "
             f"[`specs/connectors/{plan.name}.yaml`](../../specs/connectors/{plan.name}.yaml) · "
             "[all shipped connectors](../connectors.md)", "", "## Using it", ""]
    lines += _usage(plan) + [""] + _details(plan) + _types_of(plan)
    return "\n".join(lines).rstrip() + "\n"


def render_connectors_doc(plans: list[ConnectorPlan] | None = None) -> str:
    """The index: a table of the connectors, then a short section each, linking to its page."""
    plans = shipped_plans() if plans is None else plans
    out = [HEADER, f"{len(plans)} connectors are shipped:", "",
           "| connector | system | resources | operations |", "|---|---|---|---|"]
    for plan in plans:
        out.append(f"| [`{plan.name}`](connectors/{plan.name}.md) | {_cell(plan.summary)} | "
                   f"{', '.join(f'`{r}`' for r in plan.resources)} | {', '.join(f'`{o}`' for o in plan.operations)} |")
    out.append("")
    for plan in plans:
        settings = ", ".join(f"`{d.name}`" + (" (secret)" if d.secret else "")
                             for d in plan.settings.values() if d.required)
        contracts = [f"`{op.name}`" for op in plan.operations.values() if op.contract is not None]
        out += [f"## `{plan.name}`", "", f"{_cell(plan.summary)} (protocol `{plan.protocol}`).", "",
                f"Required settings: {settings or 'none'}. Writes with a contract (what the target accepts, "
                f"field by field): {', '.join(contracts) or 'none'}. Everything about it: "
                f"[connectors/{plan.name}.md](connectors/{plan.name}.md).", ""]
    return "\n".join(out).rstrip() + "\n"


__all__ = ["docs_path", "generated_docs", "render_connector_page", "render_connectors_doc", "shipped_plans",
           "stale_docs", "write_docs"]
