"""jsonschema-rs, imported when a check first needs it, and its "valid" answers remembered by
``passerelle validate``'s cache (engine/spec/yamlcache.py).

The spec schemas, the ``accepts:`` contracts (their meta-schema check, the constants a mapping gives)
and the transforms' ``args`` are all checked by jsonschema-rs first. Under ``validate`` with its
cache, a check that passed in an earlier run is remembered — keyed by the pickled schema and value
and by jsonschema-rs's installed files — so a warm ``validate`` of unchanged specs neither repeats it
nor even imports jsonschema-rs (with what it loads, ~10 ms of each start). A check that failed is
never remembered: the reference validator explains it every time, as before.
"""
from __future__ import annotations

import pickle
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from engine.spec import yamlcache
from engine.util.digest import blake2b


@lru_cache(maxsize=1)
def rs() -> Any:
    """The jsonschema_rs module, or None where its wheel is missing (the reference validates)."""
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - the wheel is a dependency
        return None
    return jsonschema_rs


def stamp(kind: str) -> bytes:
    """What a jsonschema-rs verdict depends on besides what is checked: its installed files."""
    return f"jsonschema-rs {kind}|{yamlcache.package_stamp('jsonschema_rs')}".encode()


def passes(kind: str, subject: Any, check: Callable[[], bool]) -> bool:
    """``check()`` (jsonschema-rs says ``subject`` is valid; False when it refuses or cannot read a
    value), or True at once when it said so for the same ``subject`` in an earlier ``validate``."""
    cache = yamlcache.active()
    if cache is None:
        return _asked(check)
    try:
        digest = blake2b(pickle.dumps(subject, protocol=pickle.HIGHEST_PROTOCOL),
                                 digest_size=32).hexdigest()
    except Exception:  # noqa: BLE001 - a value pickle cannot take: checked, not remembered
        return _asked(check)
    if cache.knows_valid(digest, stamp(kind)):
        return True
    valid = _asked(check)
    if valid:
        cache.remember_valid(digest, stamp(kind))
    return valid


def _asked(check: Callable[[], bool]) -> bool:
    if rs() is None:
        return False
    try:
        return bool(check())
    except Exception:  # noqa: BLE001 - a value the accelerator cannot read: the reference decides
        return False


__all__ = ["passes", "rs", "stamp"]
