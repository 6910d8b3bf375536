"""Reading a user-named file safely: regular files only, never more than a bound.

A device (``/dev/zero``), a FIFO or a file that grows while read must end in a clear error, not an
exhausted machine or a hang.

:func:`pinned` lets a caller that has already read a set of files (hot reload hashes a project's
files, then builds from them) make every read of those files, inside the ``with`` block and in that
thread, return the very bytes it hashed: the build never sees a later state of a file being written.
"""
from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

_PINNED: ContextVar[Mapping[str, bytes] | None] = ContextVar("passerelle_pinned_files", default=None)


@contextmanager
def pinned(files: Mapping[Path, bytes]) -> Iterator[None]:
    """Within the block (in this thread), reading one of ``files`` returns the given bytes."""
    token = _PINNED.set({os.path.realpath(path): data for path, data in files.items()})
    try:
        yield
    finally:
        _PINNED.reset(token)


def _pinned_bytes(path: str | Path) -> bytes | None:
    files = _PINNED.get()
    return files.get(os.path.realpath(path)) if files else None


def read_bytes(path: str | Path) -> bytes:
    """The bytes of a file (the pinned ones inside :func:`pinned`)."""
    data = _pinned_bytes(path)
    return data if data is not None else Path(path).read_bytes()


class FileTooLarge(Exception):
    def __init__(self, size: int, limit: int):
        super().__init__(f"the file is larger than {limit} bytes")
        self.size, self.limit = size, limit


class NotRegularFile(Exception):
    def __init__(self, kind: str):
        super().__init__(f"is {kind}, not a regular file")
        self.kind = kind


def read_limited(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (OSError subclasses propagate)."""
    data = _pinned_bytes(path)
    if data is not None:
        if len(data) > limit:
            raise FileTooLarge(len(data), limit)
        return data
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "a device or pipe"
            raise NotRegularFile(kind)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            total += len(chunk)
            if total > limit:
                raise FileTooLarge(total, limit)
            chunks.append(chunk)
    finally:
        os.close(fd)
