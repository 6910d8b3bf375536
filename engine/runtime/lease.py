"""Leases on a project's state: one process at a time runs a flow, one ``serve`` at a time serves a project.

A lease is an exclusive OS file lock (``flock``) on a small file in the state folder. The kernel
drops it when the holder exits, however it exits (SIGKILL included), so a killed process never
leaves a stale lock behind. The file also says who holds it (pid, host, command, since), so a
refused process can name the holder.

* ``serve`` holds the project's serve lease for its whole life (a second ``serve`` is refused), and a
  flow's lease only while that flow runs (between runs the flow is free);
* ``run`` and ``replay`` take each flow's lease while they work on it: a ``run --flow X`` beside a
  ``serve`` waits for, or is refused during, the few seconds the serve spends on X — never both at once.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


class Busy(Exception):
    """The lease is held by another process; ``holder`` says who (as far as its lock file tells)."""

    def __init__(self, what: str, path: Path | str, holder: dict, place: str = "lock file"):
        self.what, self.path, self.holder = what, path, holder
        who = holder.get("command") or "another process"
        details = ", ".join(f"{k} {holder[k]}" for k in ("pid", "host", "since") if holder.get(k))
        self.serving = " serve " in f" {who} "  # a serve lets go of a flow at the end of its run
        super().__init__(f"{what} is in use by `{who}`" + (f" ({details})" if details else "")
                         + f"; {place} {path}")


class Held(Protocol):
    """A held lease, whatever keeps it (a file lock here, an advisory lock in PostgreSQL)."""

    def release(self) -> None: ...
    def __enter__(self) -> "Held": ...
    def __exit__(self, *exc) -> None: ...


@dataclass
class Lease:
    """A held lease; release it with :meth:`release` (or use the ``with`` form)."""

    path: Path
    fd: int | None

    def release(self) -> None:
        if self.fd is not None:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            finally:
                os.close(self.fd)
                self.fd = None

    def __enter__(self) -> "Lease":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def command_line() -> str:
    return " ".join(["passerelle", *sys.argv[1:]])[:200]


def acquire(folder: Path, name: str, what: str, wait: float = 0.0, poll: float = 0.2) -> Lease:
    """Take the lease ``name`` in ``folder`` (``what`` names it in messages). With ``wait`` > 0, try
    again until it is free or ``wait`` seconds have passed; then raise :class:`Busy`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_SAFE.sub('_', name)}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + max(0.0, wait)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Busy(what, path, _holder(path)) from None
                time.sleep(poll)
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "command": command_line(),
                  "since": time.strftime("%Y-%m-%d %H:%M:%S %z")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
    except BaseException:
        os.close(fd)
        raise
    return Lease(path, fd)


def _holder(path: Path) -> dict:
    try:
        found = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):  # being written by the holder, or not ours
        return {}
    return found if isinstance(found, dict) else {}
