"""Where the ``xref`` transform finds the cross-reference store: a resolver bound for the run.

A transform is compiled once, without a state; the runner (and a dry-run) binds the store's resolver
in a :class:`contextvars.ContextVar` around the records it maps, so each call costs one dictionary
look-up (then one indexed query on a miss). Nothing bound: there is no store yet (a dry-run of a project
that never ran), and a strict ``xref`` fails the record saying so. ``lang`` never imports ``runtime``.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol


class XrefMissing(Exception):
    """No pair for the value (``flows``: the flows that record that type; ``others``: they recorded
    other values of it, so they ran), or ``detail`` says why not one."""

    def __init__(self, flows: list[str], detail: str | None = None, others: bool = False):
        super().__init__(detail or "no cross-reference")
        self.flows, self.detail, self.others = flows, detail, others


class XrefResolver(Protocol):
    def translate(self, system: str, type_: str, value: str, to: str | None, reverse: bool) -> str:
        """The id paired with ``value``; raises XrefMissing."""
        ...


_RESOLVER: ContextVar[XrefResolver | None] = ContextVar("passerelle_xref", default=None)


def current() -> XrefResolver | None:
    return _RESOLVER.get()


@contextmanager
def bound(resolver: XrefResolver | None) -> Iterator[None]:
    """``resolver`` answers every ``xref`` transform evaluated inside the block (this thread)."""
    token = _RESOLVER.set(resolver)
    try:
        yield
    finally:
        _RESOLVER.reset(token)


__all__ = ["XrefMissing", "XrefResolver", "bound", "current"]
