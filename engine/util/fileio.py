"""Reading a user-named file safely: regular files only, never more than a bound.

A device (``/dev/zero``), a FIFO or a file that grows while read must end in a clear error, not an
exhausted machine or a hang.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path


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
