"""Mapping a file dry-run's source pages in two processes when the source is read by a child already.

With the related rows in memory the source file is read ahead by a reader child (decodeworker.py), and
by the time the related files are indexed many of its pages are decoded: what is left is typing, joining,
mapping and encoding them, in this process alone. :func:`fed_pages` forks a mapper child then and
hands it every other page's records through a pipe (decodeworker.dumped: the records as the reader decoded them);
the child sends back each record's key and JSON text, its error or that the filter skipped it (as
splitmap.py's child does), and this process hands out every page's outcomes in order. Unlike
splitmap.py, the source file is parsed once: this process holds every page, so a page the child
cannot work (a record or an error that does not cross the pipe, any exception, the child gone) is
worked here, and so is every later page - the same outcomes and the same errors as in one process. A
reader error met reading a page ends the pages after the outcomes of every page before it, as in one
process. One page at most is in the child's hands: neither pipe can fill while the other waits.
"""
from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from itertools import islice
from typing import Any

from engine.runtime.decodeworker import DONE, HEADER, dumped, loaded, message_size, open_pipe, reap
from engine.runtime.heap import frozen_for_fork
from engine.runtime.splitmap import Work, from_wire, read_message, to_wire


def fed_pages(rows: Iterator[Any], size: int, work: Work) -> Iterator[tuple[int, list]]:
    """``(records read, outcomes)`` of each page of ``size`` records of ``rows``, in order; every other
    page worked by a child forked at the first ``next``, fed their records from here. (Forked before
    the first page is worked: each process builds the join indexes, at the same time.)"""
    to_child, from_here = open_pipe()
    from_child, to_here = open_pipe()
    with frozen_for_fork():  # the related index and the plan: left shared with the child
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the forked child; never returns
            os.close(from_here)
            os.close(from_child)
            _child(to_child, to_here, work)
    os.close(to_child)
    os.close(to_here)
    try:
        with os.fdopen(from_child, "rb", buffering=1 << 16) as pipe:
            from_child = -1
            while True:
                page = list(islice(rows, size))
                if not page:
                    return
                if pid:
                    pid = _sent(pid, from_here, page)
                if not pid:
                    yield len(page), work(page)
                    continue
                sent = page  # the child's page; the next one is worked here meanwhile
                try:
                    page = list(islice(rows, size))
                    ours = work(page) if page else []
                except BaseException:
                    back = _back(pipe)  # the page before the error first
                    yield len(sent), work(sent) if back is None else back
                    raise
                back = _back(pipe)
                if back is None:  # the child could not work it: stopped, its page and the rest worked here
                    reap(pid, kill=True)
                    pid = 0
                    back = work(sent)
                yield len(sent), back
                if not page:
                    return
                yield len(page), ours
    finally:
        os.close(from_here)
        if from_child >= 0:
            os.close(from_child)
        if pid:
            reap(pid, kill=True)


def _sent(pid: int, fd: int, page: list) -> int:
    """Hands ``page`` to the child; its pid, or 0 when it cannot take it (it is then stopped)."""
    try:
        body = dumped(page)
        _write(fd, HEADER.pack(len(body)) + body)
        return pid
    except Exception:  # noqa: BLE001 - a record pickle cannot carry, the child gone: worked here
        reap(pid, kill=True)
        return 0


def _back(pipe: Any) -> list | None:
    """The outcomes of the page in the child's hands, None when the child cannot say them."""
    found = read_message(pipe)
    if found is None or found is DONE:
        return None
    return [from_wire(item) for item in found]


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _child(fd_in: int, fd_out: int, work: Work) -> None:  # pragma: no cover - runs in the forked child
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent decides (and kills this one)
    try:
        with os.fdopen(fd_in, "rb", buffering=1 << 16) as pipe:
            while True:
                size = message_size(pipe)
                if size < 0:
                    break  # this process is done with the child (its pipe closed)
                body = pipe.read(size)
                if len(body) != size:
                    break
                answer = dumped([to_wire(outcome) for outcome in work(loaded(body))])
                _write(fd_out, HEADER.pack(len(answer)) + answer)
    except BaseException:  # noqa: BLE001 - the parent works the page itself and meets it again
        pass
    os._exit(0)
