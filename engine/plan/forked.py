"""Half of a one-shot ``passerelle validate`` done by a forked child on the machine's other core.

Projects are validated independently once the connector files are loaded: ``validate`` loads
those first, then (when asked, on a system with ``fork`` and more than one core) forks; the child
validates the second half of the projects with a copy of everything loaded so far and sends its
report back pickled through a pipe, while this process validates the first half. The report is
the same as one process would give: the diagnostics are sorted after merging, and if the child
fails for any reason (killed, out of memory, a result that does not unpickle, no answer within
``WAIT_SECONDS``) its half is validated here. Only the console's one-shot ``validate`` asks for it (``engine/cli/oneshot.py``):
a process that runs threads or many commands (tests, ``serve``) never forks.
"""
from __future__ import annotations

import os
import pickle
import select
import signal
import sys
import time
from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")
WAIT_SECONDS = 120.0  # a child that has not answered by then is killed and its work done here


def can_fork() -> bool:
    return hasattr(os, "fork") and (os.cpu_count() or 1) > 1


def in_child(work: Callable[[], _T]) -> Callable[[], _T]:
    """Start ``work`` in a forked child; returns the function that gives its result (waiting for the
    child), or does ``work`` here when the child could not."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()  # what is buffered is written once, by this process
        except (OSError, ValueError):
            pass
    read, write = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # no memory for a copy, too many processes: one process does it all
        os.close(read)
        os.close(write)
        return work
    if pid == 0:  # the child: its result down the pipe, then gone without running any exit code
        code = 1
        try:
            os.close(read)
            data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write, "wb") as out:
                out.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write)

    def result() -> _T:
        data, deadline = bytearray(), time.monotonic() + WAIT_SECONDS
        while True:  # read as the child writes (a result larger than the pipe's buffer)
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read], [], [], left)[0]:
                os.kill(pid, signal.SIGKILL)  # stuck: its half is done here
                data = bytearray()
                break
            chunk = os.read(read, 1 << 16)
            if not chunk:
                break
            data += chunk
        os.close(read)
        _, status = os.waitpid(pid, 0)
        if status == 0 and data:
            try:
                return pickle.loads(data)
            except Exception:  # noqa: BLE001 - a truncated result: do the work here
                pass
        return work()

    return result


__all__ = ["can_fork", "in_child"]
