"""Human references generated from the transform registry (``passerelle transforms``, docs/transforms.md)."""
from __future__ import annotations

from engine.lang.builtins import default_registry
from engine.lang.registry import Registry
from engine.util.jsonout import dumps


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
