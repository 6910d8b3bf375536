"""The built-in transform library.

Nothing is registered at import time: :func:`register_all` adds every built-in transform to the
registry it is given (see :func:`engine.lang.builtins.default_registry`).
"""
from __future__ import annotations

from engine.lang.registry import Registry
from engine.lang.transforms import counters, dates, lookup, numbers, pick, rules, text, words, xref


def register_all(registry: Registry) -> None:
    text.register(registry)
    numbers.register(registry)
    dates.register(registry)
    rules.register(registry)
    lookup.register(registry)
    xref.register(registry)
    pick.register(registry)
    counters.register(registry)
    words.register(registry)
