"""Mapping a file dry-run's source pages in two processes (two cores), the output unchanged.

Once the related files are indexed, typing, joining, mapping and encoding the source records is most
of a file dry-run's CPU, and each page of records needs only the index, the plan and the page. So
:func:`split_pages` forks a child then: this process works the even pages (0, 2, 4...), the child the
odd ones, and this process hands out every page's outcomes in order - its own, and the child's as
they arrive through a pipe (for each record: its key and its payload's JSON text, its error, or that
the filter skipped it; pickled). Both read the same source file, each from its own copy of the
unstarted reader; a page the other process works is parsed but its records are not decoded
(``xmlstream.Skip``: handed out as ``None``), only counted.

The same outcomes in the same order, the same errors at the same place: the child works its pages
until anything goes wrong (a reader error, a record the pipe cannot carry faithfully, any exception);
it then says so instead of sending that page and stops, and this process works that page and every
later one itself, from its own reader - which stands just before that page - so that it meets the
error itself, after the same outcomes, with its own file, line and column. A reader error in one of
this process's pages is met here first. The child holds at most ``AHEAD`` pages of outcomes this
process has not read; it is stopped (killed and reaped) however this process stops reading.

The outcomes of the child's pages carry the key and the JSON text shown, not the payload object
(``payload`` is None): for ``passerelle dry-run``, which prints the text. Used where forking exists
and a core is free (``dryrun.py`` decides), for a flow that maps record by record (no ``group``) with no
state store bound (``xref``: a database connection is not carried across a fork).
"""
from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

from engine.connectors.codecs.xmlstream import Skip
from engine.runtime.decodeworker import DONE, FAILED, HEADER, dumped, loaded, message_size, open_pipe, reap, start_writer
from engine.runtime.heap import frozen_for_fork
from engine.runtime.pipeline import Outcome

Work = Callable[[list], list[Outcome]]  # a page of source records -> its outcomes (payload_json set when ok)


def split_pages(rows: Iterator[Any], skip: Skip, size: int, work: Work,
                reopen: Callable[[], None] | None = None) -> Iterator[tuple[int, list[Outcome]]]:
    """``(records read, outcomes)`` of each page of ``size`` records of ``rows``, in order; the odd pages
    worked by a child forked at the first ``next`` (``reopen``: what the child does first, such as
    opening its own connection to a database). ``rows`` must not have been started."""
    read_end, write_end = open_pipe()
    with frozen_for_fork():  # the objects made so far (the related index...): shared with the child
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the forked child (its coverage is not collected); never returns
            os.close(read_end)
            _child(rows, skip, size, work, reopen, write_end)
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb", buffering=1 << 16) as pipe:
            read_end = -1
            index, alone = 0, False
            while True:
                if index & 1 and not alone:  # the child's page
                    found = read_message(pipe)
                    if found is DONE:
                        return
                    if found is not None:
                        skip.on = True  # ours parsed past, not decoded
                        try:
                            count = sum(1 for _ in islice(rows, size))
                        finally:
                            skip.on = False
                        yield count, [from_wire(item) for item in found]
                        index += 1
                        continue
                    alone = True  # the child stopped before this page: it is worked here, as are the rest
                    reap(pid, kill=True)
                    pid = 0
                page = list(islice(rows, size))
                if not page:
                    return
                yield len(page), work(page)
                index += 1
    finally:
        skip.on = False
        if read_end >= 0:
            os.close(read_end)
        if pid:
            reap(pid, kill=True)


def read_message(pipe: Any) -> Any:
    """The child's next page (its wire outcomes), DONE, or None when it stopped (failed or gone)."""
    size = message_size(pipe)
    if size == DONE:
        return DONE
    if size < 0:
        return None
    body = pipe.read(size)
    if len(body) != size:
        return None  # the child died mid-message
    return loaded(body)


def from_wire(item: tuple) -> Outcome:
    kind, key, value = item
    if kind == "o":
        return Outcome(key, None, payload_json=value)
    if kind == "s":
        return Outcome(key, None, skipped=True)
    return Outcome(key, None, error=value)


def to_wire(outcome: Outcome) -> tuple:
    """An outcome as it crosses the pipe: ("o", key, JSON text), ("s", key, None) or ("e", key, error).
    An error that would not read back the same (an exception class pickle cannot rebuild) raises."""
    if outcome.error is not None:
        error = outcome.error
        error.__traceback__ = None
        back = pickle.loads(pickle.dumps(error, pickle.HIGHEST_PROTOCOL))  # noqa: S301 - just made
        if type(back) is not type(error) or back.line() != error.line():
            raise ValueError("an error that does not cross the pipe")
        return "e", outcome.key, error
    if outcome.skipped:
        return "s", outcome.key, None
    return "o", outcome.key, outcome.payload_json


def _child(rows: Iterator[Any], skip: Skip, size: int, work: Work, reopen: Callable[[], None] | None,
           fd: int) -> None:  # pragma: no cover - runs in the forked child
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent decides (and kills this one)
    pages, writer = start_writer(fd)
    try:
        if reopen is not None:
            reopen()
        index = 0
        while True:
            mine = bool(index & 1)
            skip.on = not mine
            page = list(islice(rows, size))
            if not page:
                pages.put(HEADER.pack(DONE))
                break
            if mine:
                body = dumped([to_wire(outcome) for outcome in work(page)])
                pages.put(HEADER.pack(len(body)) + body)
            index += 1
    except BaseException:  # noqa: BLE001 - the parent works this page itself and meets it again, located
        pages.put(HEADER.pack(FAILED))
    writer.join()
    os._exit(0)
