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

:func:`frozen_heap` keeps what existed before a run (the plan, the modules, the endpoints' clients)
out of the collector's walks while the run lasts (``gc.freeze``), for every flow: a full collection
during a run of 1,000 orders walked that whole heap twice for nothing (~30 ms each), since it is all
alive. Nothing is kept longer: at the end of the last run in the process these objects go back to the
collector (``gc.unfreeze``), so garbage among them (an old plan after a reload) is collected as before.

A one-shot file dry-run freezes its plan and related index for good once they are built
(:func:`freeze_for_good`: the process ends with them), and its mapper processes are forked with
everything frozen (:func:`frozen_for_fork`: a child's collections then leave the shared objects, and
their memory, alone); the fork gives them back to the collector only where nothing froze them for
longer. Given back, the index was walked by two full collections at 10,000 orders (~140 ms).
"""
from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_runs = [0]  # runs of this process inside frozen_heap (serve runs several flows at once)
_for_good = [False]  # frozen until the process ends (freeze_for_good)


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


@contextmanager
def frozen_heap() -> Iterator[None]:
    """The objects alive when the first of the process's current runs began are left out of the
    collector's walks until the last of them ends; objects the runs make are collected as usual."""
    with _lock:
        _runs[0] += 1
        if _runs[0] == 1:
            gc.freeze()
    try:
        yield
    finally:
        with _lock:
            _runs[0] -= 1
            if _runs[0] == 0:
                gc.unfreeze()


def freeze_for_good() -> None:
    """Everything alive now is left out of the collector's walks until the process ends (a one-shot
    file dry-run once its plan is compiled and its related records indexed: all alive to the end)."""
    gc.freeze()
    _for_good[0] = True


@contextmanager
def frozen_for_fork() -> Iterator[None]:
    """Everything alive is frozen while the block forks a child: the child's collections leave those
    objects, and so their memory, shared (not copied page by page as a collection visits them). Here they
    go back to the collector afterwards, unless they were frozen already for longer (:func:`freeze_for_good`,
    :func:`frozen_heap`): then the new ones stay frozen with them. (``gc.get_freeze_count`` cannot say
    so cheaply: it walks the frozen objects, ~4 ms after a dry-run's compile.)"""
    gc.freeze()
    try:
        yield
    finally:
        with _lock:
            if not _for_good[0] and not _runs[0]:
                gc.unfreeze()


__all__ = ["freeze_for_good", "frozen_for_fork", "frozen_heap", "paused_collector"]
