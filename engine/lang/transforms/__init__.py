"""The built-in transform library.

Nothing is registered at import time: :func:`register_all` adds every built-in transform to the
registry it is given (see :func:`engine.lang.registry.default_registry`). The modules are imported inside
it, so ``engine.lang.lookups`` can use the shared helpers of ``_common`` without an import cycle.
"""
from __future__ import annotations

from engine.lang.registry import Registry


def register_all(registry: Registry) -> None:
    from engine.lang.transforms import dates, lookup, numbers, rules, text

    text.register(registry)
    numbers.register(registry)
    dates.register(registry)
    rules.register(registry)
    lookup.register(registry)
