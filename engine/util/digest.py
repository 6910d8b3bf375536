"""BLAKE2b, the digest of validate's caches, without OpenSSL's start-up.

Importing ``hashlib`` loads OpenSSL's binding (``_hashlib``): ~3 ms of a ``validate`` whose outcomes
all come from its cache. ``hashlib.blake2b`` is CPython's own ``_blake2.blake2b`` anyway (hashlib
never takes BLAKE2 from OpenSSL), so it is taken from there when present, from hashlib otherwise:
the same function, the same digests.
"""
from __future__ import annotations

try:
    from _blake2 import blake2b
except ImportError:  # another Python implementation
    from hashlib import blake2b

__all__ = ["blake2b"]
