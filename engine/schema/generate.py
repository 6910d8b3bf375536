"""Schema fragments and reference docs generated from the plugin registry (one source of truth).

``schemas/transforms.schema.json`` lists every transform with its argument schema, so editors
complete and check transform arguments. It is generated, never edited: ``passerelle schema
--write`` rewrites it and a test fails when it is stale.
"""
from __future__ import annotations

from pathlib import Path

from engine.util.jsonout import dumps
from engine.lang.builtins import default_registry
from engine.lang.registry import Registry
from engine.util.resources import schemas_dir

TRANSFORMS_FILE = "transforms.schema.json"


def transforms_schema(registry: Registry | None = None) -> dict:
    registry = registry or default_registry()
    bare, with_args = [], {}
    for spec in registry.all("transform"):
        if spec.args_schema is None or spec.args_optional:
            bare.append(spec.name)
        if spec.args_schema is not None:
            with_args[spec.name] = {"description": spec.summary, **spec.args_schema}
        else:
            with_args[spec.name] = {"description": spec.summary + " (takes no argument: write the bare "
                                    "name)", "type": "null"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Passerelle transforms",
        "description": "GENERATED from the transform registry by `passerelle schema --write`; do not "
                       "edit. A pipeline is a list of transforms, each a bare name or a one-key "
                       "mapping {name: argument}.",
        "$defs": {
            "pipeline": {
                "description": "Transforms applied in order to the value.",
                "anyOf": [
                    {"type": "array", "items": {"$ref": "#/$defs/transform"}},
                    {"$ref": "#/$defs/transform"},
                ],
            },
            "transform": {
                "anyOf": [
                    {"enum": bare, "description": "A transform written as a bare name."},
                    {"type": "object", "minProperties": 1, "maxProperties": 1,
                     "properties": with_args, "additionalProperties": False},
                ],
            },
        },
    }


def render(registry: Registry | None = None) -> str:
    return dumps(transforms_schema(registry), indent=2) + "\n"


def write_transforms_schema(directory: Path | None = None) -> Path:
    directory = directory or schemas_dir()
    path = directory / TRANSFORMS_FILE
    path.write_text(render(), encoding="utf-8")
    return path


def check_transforms_schema(directory: Path | None = None) -> str | None:
    """None when the file matches the registry, else a message saying how to fix it."""
    directory = directory or schemas_dir()
    path = directory / TRANSFORMS_FILE
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if current != render():
        return (f"{path} is stale: it no longer matches the transform registry; run "
                "`passerelle schema --write` and commit the result")
    return None


def _show(value) -> str:
    """An example value as JSON, dates in ISO 8601 (they have no JSON form)."""
    from datetime import date

    def plain(v):
        if isinstance(v, date):
            return v.isoformat()
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, list):
            return [plain(x) for x in v]
        return v

    return dumps(plain(value))


def transforms_reference(registry: Registry | None = None, markdown: bool = False) -> str:
    """A human reference of every transform: summary, argument form and examples."""
    registry = registry or default_registry()
    lines: list[str] = []
    by_category: dict[str, list] = {}
    for spec in registry.all("transform"):
        by_category.setdefault(spec.category, []).append(spec)
    for category in sorted(by_category):
        lines.append(f"### {category}" if markdown else f"[{category}]")
        for spec in by_category[category]:
            form = spec.name if spec.args_schema is None else f"{{{spec.name}: ARG}}"
            if spec.args_optional:
                form = f"{spec.name} | {form}"
            if markdown:
                lines.append(f"- **`{spec.name}`** — {spec.summary} Form: `{form}`.")
                for example in spec.examples[:3]:
                    shown = f"raises “{example.raises}”" if example.raises else f"→ `{_show(example.output)}`"
                    args = "" if example.args is None else f" with `{_show(example.args)}`"
                    lines.append(f"  - `{_show(example.input)}`{args} {shown}")
            else:
                lines.append(f"  {spec.name:20} {spec.summary}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
