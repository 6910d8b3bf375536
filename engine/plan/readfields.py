"""The top-level fields of a resource's records that a flow may read, for readers that can skip the
others (a file dry-run decodes only those XML elements: engine/connectors/codecs/xmlprune.py).

The sets come from :mod:`engine.plan.usage` (``FlowPlan.source_fields``, ``FlowPlan.related_fields``),
which already holds every name written in the flow; the fields records are found by - the flow's key,
``since``, ``where``, each join's field on the related side - are added again here so that a reader
never drops them, whatever the analysis becomes. ``None``: every field (a resource read whole, one the
flow does not know, the source's resource also joined as a related one).
"""
from __future__ import annotations

import re

from engine.plan.model import FlowPlan

_FIRST = re.compile(r"[^.\[|]+")  # the top-level field a path starts with


def _first(path: object) -> set[str]:
    found = _FIRST.match(path.strip()) if isinstance(path, str) else None
    return {found.group(0).strip()} if found else set()


def fields_read(flow: FlowPlan, resource: str) -> frozenset[str] | None:
    """The top-level fields of ``resource``'s records ``flow`` may read; ``None`` for all of them."""
    joins = [spec for spec in flow.related if spec.resource == resource]
    if resource == flow.source_resource:
        if joins or flow.source_fields is None:
            return None
        kept = set(flow.source_fields) | _first(flow.since) | {str(name) for name in flow.where}
        if flow.key_path:
            kept.add(str(flow.key_path[0]))
        return frozenset(kept)
    used = flow.related_fields.get(resource)
    if used is None:
        return None
    return frozenset(used).union(*(_first(name) for spec in joins for name in spec.fields))


__all__ = ["fields_read"]
