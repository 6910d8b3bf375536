"""Reading an input file in a second process while this one maps (a file dry-run on several cores).

Parsing and decoding a file's records (lxml's parse, elements -> dicts) is about half of a file
dry-run's CPU; it needs nothing of the mapping. :func:`decoded_elsewhere` runs a record iterator in a
forked child process that sends the records to this one page by page through a pipe (pickled: plain
dicts of texts), so that the file is read while the records before are typed, joined and mapped.
Same records in the same order: the child iterates the very iterator this process would have
iterated (a fork's copy of it, not started yet). Errors stay exactly those of the reader, at the same
place: when the child meets any exception it sends the records before it and stops, and this process
then iterates its own copy of the iterator, skipping the records already received, so that it meets
the error itself - with its file, line and column - after the same records. The pipe holds a page or
two: the child never runs far ahead (memory stays bounded), and stops when this process stops reading.

Used where ``os.fork`` exists and the machine has more than one core; the CPU time is the same or a
little more (pickling the records), the wall time lower when a core is free.
"""
from __future__ import annotations

import os
import pickle
import signal
import struct
from collections.abc import Iterator
from typing import Any

PAGE = 256  # records per message
_HEADER = struct.Struct("!q")
_DONE, _FAILED = -1, -2
_PIPE_BYTES = 1 << 20  # Linux's F_SETPIPE_SZ (the default is 64 KiB: a page or less)


def available() -> bool:
    """Whether records can be decoded in a forked child here."""
    return hasattr(os, "fork") and (os.cpu_count() or 1) > 1


def decoded_elsewhere(rows: Iterator[Any]) -> Iterator[Any]:
    """``rows`` as they come, read by a child process (when forking is possible; else in this one)."""
    if not available():
        yield from rows
        return
    read_end, write_end = os.pipe()
    try:
        import fcntl
        fcntl.fcntl(write_end, getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_BYTES)
    except (ImportError, OSError):
        pass  # the default pipe size: less slack, same records
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child (its coverage is not collected); it never returns
        os.close(read_end)
        _child(rows, write_end)
    os.close(write_end)
    received = 0
    try:
        with os.fdopen(read_end, "rb", buffering=1 << 16) as pipe:
            while True:
                header = pipe.read(_HEADER.size)
                size = _HEADER.unpack(header)[0] if len(header) == _HEADER.size else _FAILED
                if size == _DONE:
                    _reap(pid, kill=False)
                    pid = 0
                    return
                if size < 0:  # the child met an exception (or died): meet it here, after the same records
                    break
                page = pickle.loads(pipe.read(size))  # noqa: S301 - our own child's records
                received += len(page)
                yield from page
        _reap(pid, kill=True)
        pid = 0
        for position, row in enumerate(rows):
            if position >= received:
                yield row
    finally:
        if pid:
            _reap(pid, kill=True)


def _child(rows: Iterator[Any], fd: int) -> None:  # pragma: no cover - runs in the forked child
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent decides (and kills this one)
    code = 0
    try:
        with os.fdopen(fd, "wb", buffering=1 << 16) as pipe:
            try:
                page: list = []
                for row in rows:
                    page.append(row)
                    if len(page) >= PAGE:
                        _send(pipe, page)
                        page = []
                _send(pipe, page)
                pipe.write(_HEADER.pack(_DONE))
            except BaseException:  # noqa: BLE001 - the parent meets it again itself, located
                _send(pipe, page)
                pipe.write(_HEADER.pack(_FAILED))
    except BaseException:  # noqa: BLE001 - the parent is gone or stopped reading
        code = 1
    os._exit(code)


def _send(pipe: Any, page: list) -> None:
    if page:
        body = pickle.dumps(page, pickle.HIGHEST_PROTOCOL)
        pipe.write(_HEADER.pack(len(body)))
        pipe.write(body)
        pipe.flush()


def _reap(pid: int, kill: bool) -> None:
    try:
        if kill:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ChildProcessError, ProcessLookupError):
        pass
