"""Reading an input file in a second process while this one maps (a file dry-run on several cores).

Parsing and decoding a file's records (lxml's parse, elements -> dicts) is about half of a file
dry-run's CPU; it needs nothing of the mapping. :func:`decoded_elsewhere` runs a record iterator in a
forked child process that sends the records to this one page by page through a pipe (:func:`dumped`: plain
dicts of texts), so that the file is read while the records before are typed, joined and mapped.
Same records in the same order: the child iterates the very iterator this process would have
iterated (a fork's copy of it, not started yet). Errors stay exactly those of the reader, at the same
place: when the child meets any exception it sends the records before it and stops, and this process
then iterates its own copy of the iterator, skipping the records already received, so that it meets
the error itself - with its file, line and column - after the same records. The pipe holds a page or
two: the child never runs far ahead (memory stays bounded), and stops when this process stops reading.

Used where ``os.fork`` exists and the machine has more than one core; the CPU time is the same or a
little more (the records written to the pipe and read back), the wall time lower when a core is free.
"""
from __future__ import annotations

import marshal
import os
import pickle
import queue
import signal
import struct
import threading
from collections.abc import Iterator
from typing import Any

PAGE = 100  # records per message: a dry-run maps pages of 100 (1k orders: 3 % less wall time than 256, 3 x 25 rounds)
AHEAD = 160  # messages the child may hold while the parent does not read (~16,000 records)
HEADER = struct.Struct("!q")
DONE, FAILED = -1, -2
_PIPE_BYTES = 1 << 20  # Linux's F_SETPIPE_SZ (the default is 64 KiB: a page or less)
# a reader whose records are needed last runs at the lowest priority: 1k-order dry-runs ~3 % faster at nice 19
# than at 10 (less CPU time too: the processes needed first contend less with it), alternated 2 x 25 rounds
SPARE_NICE = 19


def available() -> bool:
    """Whether records can be decoded in a forked child here."""
    return hasattr(os, "fork") and (os.cpu_count() or 1) > 1


def core_free() -> bool:
    """Whether a second process would find a core to run on now: the load of the last minute is below
    the number of cores, and so are the tasks runnable at this instant besides this one (Linux's
    /proc/loadavg; where the system does not say, yes). On a machine with no free core a second
    process costs more CPU time (the records cross a pipe) and saves no wall time."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        if os.getloadavg()[0] >= cores:  # a benchmark alternating runs on an idle machine: about 1-1.7
            return False
        with open("/proc/loadavg", encoding="ascii") as handle:
            running = int(handle.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError, AttributeError):
        return True
    return running - 1 < cores


def decoded_elsewhere(rows: Iterator[Any], spare: bool = False) -> Iterator[Any]:
    """``rows`` as they come, read by a child process forked now (when forking is possible; else in
    this one): it reads ahead - up to AHEAD pages - while this process is still busy elsewhere (the
    source file is read while the related files are indexed). ``spare``: the child runs at a lower
    priority (nice 19), on the CPU time the processes reading what is needed first leave."""
    if not available():
        return rows
    return received(*forked_reader(rows, spare), rows)


def forked_reader(rows: Iterator[Any], spare: bool) -> tuple[int, int]:
    """``(pid, read end)``: a child forked now iterating ``rows`` (a fork's copy of it; a generator not
    started yet runs its first line there) and sending the records through the pipe."""
    read_end, write_end = open_pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child (its coverage is not collected); it never returns
        os.close(read_end)
        _child(rows, write_end, spare)
    os.close(write_end)
    return pid, read_end


def received(pid: int, read_end: int, rows: Iterator[Any]) -> Iterator[Any]:
    """The records the reader child ``pid`` sends through ``read_end``; when it met an exception (or
    died), ``rows`` - this process's own copy of what the child iterated - after the records received,
    so that the error is met here, after the same records. However the iterator ends (exhausted,
    closed, collected), the child is reaped."""
    found = _received(pid, read_end, rows)
    next(found)  # started: its `finally` reaps the child even if nothing more is read
    return found


def _received(pid: int, read_end: int, rows: Iterator[Any]) -> Iterator[Any]:
    received = 0
    try:
        yield None  # started (see received())
        with os.fdopen(read_end, "rb", buffering=1 << 16) as pipe:
            read_end = -1
            while True:
                size = message_size(pipe)
                if size == DONE:
                    reap(pid, kill=False)
                    pid = 0
                    return
                if size < 0:  # the child met an exception (or died): meet it here, after the same records
                    break
                page = loaded(pipe.read(size))
                received += len(page)
                yield from page
        reap(pid, kill=True)
        pid = 0
        for position, row in enumerate(rows):
            if position >= received:
                yield row
    finally:
        if read_end >= 0:
            os.close(read_end)
        if pid:
            reap(pid, kill=True)


def open_pipe() -> tuple[int, int]:
    """``(read end, write end)`` of a pipe holding about a megabyte (where the system allows)."""
    read_end, write_end = os.pipe()
    try:
        import fcntl
        fcntl.fcntl(write_end, getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_BYTES)
    except (ImportError, OSError):
        pass  # the default pipe size: less slack, same records
    return read_end, write_end


def message_size(pipe: Any) -> int:
    """The size of the next message's body read from ``pipe``; DONE, or FAILED (also when the child
    is gone: nothing more to read)."""
    header = pipe.read(HEADER.size)
    return HEADER.unpack(header)[0] if len(header) == HEADER.size else FAILED


def start_writer(fd: int) -> tuple[queue.Queue, threading.Thread]:
    """In a child: a thread writing the messages put in the queue (up to AHEAD waiting) to ``fd``,
    up to and including the DONE or FAILED header."""
    pages: queue.Queue = queue.Queue(maxsize=AHEAD)
    writer = threading.Thread(target=_writer, args=(pages, fd), daemon=True)
    writer.start()
    return pages, writer


def _child(rows: Iterator[Any], fd: int, spare: bool) -> None:  # pragma: no cover - the forked child
    """Reads ``rows`` into pickled pages; a thread writes them to the pipe, so that reading goes on,
    up to AHEAD pages, while the parent does not read yet."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent decides (and kills this one)
    if spare:
        try:
            os.nice(SPARE_NICE)
        except OSError:
            pass
    pages, writer = start_writer(fd)
    page: list = []
    try:
        for row in rows:
            page.append(row)
            if len(page) >= PAGE:
                pages.put(packed(page))
                page = []
        pages.put(packed(page))
        pages.put(HEADER.pack(DONE))
    except BaseException:  # noqa: BLE001 - the parent meets it again itself, located
        try:
            pages.put(packed(page))
        except BaseException:  # noqa: BLE001 - a record the pipe cannot carry: the parent reads it
            pass
        pages.put(HEADER.pack(FAILED))
    writer.join()
    os._exit(0)


def _writer(pages: queue.Queue, fd: int) -> None:  # pragma: no cover - runs in the forked child
    try:
        with os.fdopen(fd, "wb", buffering=0) as pipe:
            while True:
                message = pages.get()
                pipe.write(message)
                if len(message) == HEADER.size and HEADER.unpack(message)[0] < 0:
                    return  # done, or failed: the parent takes it from here
    except BaseException:  # noqa: BLE001 - the parent is gone or stopped reading
        os._exit(1)


def packed(page: list) -> bytes:
    """A page as one message: its size, then its :func:`dumped` bytes (nothing for an empty page)."""
    if not page:
        return b""
    body = dumped(page)
    return HEADER.pack(len(body)) + body


def dumped(value: Any) -> bytes:
    """``value`` as the body of a message to a forked process of the same interpreter: marshal's when it
    takes every value (it keeps every type exactly and refuses any other - a subclass, a Decimal, a
    date: ValueError; records of texts ~3x faster to write than pickle's, ~20 % faster to read), else
    pickle's. The first byte says which."""
    try:
        return b"M" + marshal.dumps(value)
    except ValueError:
        return b"P" + pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def loaded(body: bytes) -> Any:
    """What :func:`dumped` wrote (a message of this process's own child)."""
    view = memoryview(body)[1:]
    return marshal.loads(view) if body[:1] == b"M" else pickle.loads(view)  # noqa: S301 - our own child's


def reap(pid: int, kill: bool) -> None:
    try:
        if kill:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ChildProcessError, ProcessLookupError):
        pass
