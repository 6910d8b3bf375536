"""Reading a user-named file safely: regular files only, never more than a bound, and a file a spec
names only inside the folder it belongs to.

A device (``/dev/zero``), a FIFO or a file that grows while read must end in a clear error, not an
exhausted machine or a hang. A path written in a spec is untrusted: :func:`confine` resolves it
(symbolic links followed) and refuses anything that ends outside its folder — an absolute path, a
way up with ``..``, a link out — before a byte is read; :func:`read_limited` with ``inside_of`` then
opens the file without following a link swapped in since, and checks again where the open file is.

:func:`pinned` lets a caller that has already read a set of files (hot reload hashes a project's
files, then builds from them) make every read of those files, inside the ``with`` block and in that
thread, return the very bytes it hashed: the build never sees a later state of a file being written.
"""
from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from engine.util import readlog

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


class OutsideFolder(Exception):
    """A path that leads outside the folder it must stay in (after symbolic links are followed)."""

    def __init__(self, why: str = "leads outside the folder"):
        super().__init__(why)
        self.why = why


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or below it (both already resolved)."""
    return path == folder or path.is_relative_to(folder)


def confine(folder: Path, relative: str | Path) -> Path:
    """The real path (links followed) of ``relative`` taken from ``folder``; OutsideFolder when it is
    not inside ``folder`` (itself resolved first). Nothing is opened: a path outside is refused
    whether or not it exists. The answer depends on the links on disk: it is noted in the log of
    reads, if one is kept (engine/util/readlog.py)."""
    log = readlog.active()
    if log is None:
        return _confine(folder, relative)
    answer = confine_answer(folder, relative)
    log.note_confine(str(folder), str(relative), answer)
    return _confine(folder, relative)


def confine_answer(folder: Path, relative: str | Path) -> str:
    """:func:`confine`'s answer as text: the real path, or why it refused."""
    try:
        return str(_confine(folder, relative))
    except OutsideFolder as exc:
        return f"outside: {exc.why}"
    except OSError as exc:
        return f"error: {exc.errno}"


def _confine(folder: Path, relative: str | Path) -> Path:
    if "\x00" in str(relative):
        raise OutsideFolder("holds a NUL character")
    try:
        base = Path(folder).resolve()
        real = (base / relative).resolve()
    except RuntimeError:  # a symbolic link loop (Python < 3.13)
        raise OSError(errno.ELOOP, "too many levels of symbolic links") from None
    if not inside(real, base):
        raise OutsideFolder()
    return real


def _opened_path(fd: int) -> Path | None:
    """Where an open file really is (Linux: /proc/self/fd), or None when the system cannot tell."""
    try:
        return Path(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        return None


def read_limited(path: Path, limit: int, inside_of: Path | None = None) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (OSError subclasses propagate). With
    ``inside_of`` (a resolved folder), ``path`` must be a real path in it: a link is not followed, and
    the opened file must still be in the folder (OutsideFolder otherwise). Inside :func:`pinned`, a
    pinned file's bytes are returned instead (they were read, and confined, when they were pinned)."""
    data = _pinned_bytes(path)
    if data is not None:
        if len(data) > limit:
            raise FileTooLarge(len(data), limit)
        return data
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    if inside_of is not None:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if inside_of is not None and exc.errno == errno.ELOOP:  # a link swapped in since confine()
            raise OutsideFolder() from None
        raise
    try:
        if inside_of is not None:
            opened = _opened_path(fd)
            if opened is not None and not inside(opened, inside_of):
                raise OutsideFolder()
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
