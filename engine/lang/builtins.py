"""The registry of built-in transforms, built on first use (nothing is registered at import time)."""
from __future__ import annotations

from engine.lang.registry import Registry
from engine.lang.transforms import register_all

_DEFAULT: Registry | None = None


def default_registry() -> Registry:
    """Every built-in transform, registered once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        registry = Registry()
        register_all(registry)
        _DEFAULT = registry
    return _DEFAULT
