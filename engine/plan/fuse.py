"""Fusing consecutive transforms of a pipeline into one function, where a transform offers it.

A transform closure may carry a ``fuse(next_name, next_fn)`` attribute returning one function that
does both steps (same results, same errors: a fused function falls back to ``next_fn(fn(value))``
for anything its fast path does not take), or None. ``parse_date`` with an ISO-shaped format and a
time zone followed by ``ms_json_date`` is one (engine/lang/transforms/_datefast.py): the code
generator then calls one function instead of two and no aware date is built in between.
"""
from __future__ import annotations

from engine.plan.mapping import Transform


def fuse_steps(steps: list[Transform]) -> list[Transform]:
    out: list[Transform] = []
    for step in steps:
        last = out[-1] if out else None
        if last is not None and not last.needs_scope and not step.needs_scope:
            fuse = getattr(last.fn, "fuse", None)
            fused = fuse(step.name, step.fn) if fuse is not None else None
            if fused is not None:
                out[-1] = Transform(f"{last.name}+{step.name}", fused, False)
                continue
        out.append(step)
    return out
