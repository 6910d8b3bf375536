"""Fusing consecutive transforms of a pipeline into one function, and writing a transform's common
case into the generated code, where a transform offers it.

A transform closure may carry a ``fuse(next_name, next_fn)`` attribute returning one function that
does both steps (same results, same errors: a fused function falls back to ``next_fn(fn(value))``
for anything its fast path does not take), or None. ``parse_date`` with an ISO-shaped format and a
time zone followed by ``ms_json_date`` is one (engine/lang/transforms/_datefast.py): the code
generator then calls one function instead of two and no aware date is built in between.

A transform closure may also carry ``inline = (pattern, constants)``: an expression of its common case
in which ``{v}`` is the value (a variable), ``{F}`` the closure itself (the general case) and ``{0}``,
``{1}``... the constants, bound as arguments of the generated factory like every other value (no
spec value enters the code text). E.g. ``prefix``: ``{0} + {v} if {v}.__class__ is str else {F}({v})``.
The pattern must give what the closure gives for every value: its general case is the closure.
"""
from __future__ import annotations

from typing import Any, Callable

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


def inline_call(inline: tuple[str, tuple], value: str, fn: str, bind: Callable[[Any], str]) -> str:
    """The expression of ``inline`` applied to the variable ``value`` (``fn``: the closure's name)."""
    pattern, constants = inline
    return "(" + pattern.format(*[bind(c) for c in constants], v=value, F=fn) + ")"
