"""The cyclic garbage collector while a grouping flow maps its whole read.

A grouping flow holds its whole read at once (every member of every group, typed and joined: 60,000
catalogue variants are millions of objects), and then makes every group's payload. Python's cyclic
collector walks all the objects of a generation each time it collects it, so while that heap grows it
walks the read and the payloads made so far again and again: on a catalogue resync that sends nothing,
about a fifth of the run's time. What such a page makes are trees of dicts and lists, which refcounting
frees; :func:`paused_collector` turns the cyclic collector off while the page is typed, joined, grouped
and mapped (no request is sent meanwhile), and back on before the writes (whatever cycle the mapping
left, e.g. an exception's traceback, is collected then). The pause is bounded by the page, which the
flow holds in memory whole anyway.
"""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_collector(whole_read: bool) -> Iterator[None]:
    """No cyclic collection while the block runs, when it processes a whole read (else nothing changes).
    A collector already off (a caller's own pause) stays off."""
    if not whole_read or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


__all__ = ["paused_collector"]
