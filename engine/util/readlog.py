"""What a piece of work read from the file system, to tell later whether it would read the same.

``passerelle validate`` keeps a project's outcome (engine/plan/resultcache.py) only with the
state of everything validating it read: the spec files, the connector definitions, the lookup CSV
files a spec names, the folders it listed, and the answers to "is this path inside that folder,
links followed" (:func:`engine.util.fileio.confine` notes those). Rather than list these by hand
(and miss the next kind of file a spec may name), :func:`logging_reads` notes them as they
happen, through Python's audit events (``open`` for reading, ``os.listdir``, ``os.scandir``): any
code reading a file is seen, whatever module it is in.

A file's state is taken when it is opened (before its reader sees a byte) and again when the work
is over: a file that changed in between makes the log :attr:`ReadLog.unsteady`, and its outcome is
not kept. States are plain tuples: ``("file", real path, digest of the bytes)``, ``("missing",)``,
``("dir", real path)``, ``("error", errno)``...; folders are listed as names with their kind (and
where a link leads). Files under ``ignore`` (the interpreter, the libraries, the engine's own code:
the caller keys those otherwise) are not noted. An audit hook cannot be removed: it is installed
once, and does nothing outside :func:`logging_reads`.
"""
from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from engine.util.digest import blake2b

State = tuple
MAX_BYTES = 64 << 20  # a larger file is not digested: the work that read it is not kept
_WATCHED = frozenset({"open", "os.listdir", "os.scandir"})
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO is not waited for
_WRITING = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


class ReadLog:
    """The files, folders and confinement answers one piece of work relied on, with their states."""

    def __init__(self, ignore: tuple[str, ...]):
        self.ignore = ignore
        self.files: dict[str, State] = {}
        self.folders: dict[str, State] = {}
        self.confined: dict[tuple[str, str], str] = {}
        self.unsteady = False  # a state could not be taken (too large) or changed during the work

    def note_open(self, path: str) -> None:
        if path not in self.files and not path.startswith(self.ignore) and "__pycache__" not in path:
            self.files[path] = file_state(path)

    def note_listing(self, path: str) -> None:
        if path not in self.folders and not path.startswith(self.ignore):
            self.folders[path] = folder_state(path)

    def note_confine(self, folder: str, relative: str, answer: str) -> None:
        self.confined.setdefault((folder, relative), answer)

    def settle(self) -> None:
        """Take every state again: any difference (or a file too large to digest) makes the log
        unsteady."""
        if any(state[0] == "large" for state in self.files.values()):
            self.unsteady = True
        elif any(file_state(path) != state for path, state in self.files.items()) or \
                any(folder_state(path) != state for path, state in self.folders.items()):
            self.unsteady = True


_active: ReadLog | None = None
_busy = False  # taking a state opens and lists too: those are not the work's reads
_installed = False


def active() -> ReadLog | None:
    return _active


@contextmanager
def logging_reads(ignore: tuple[str, ...] = ()) -> Iterator[ReadLog]:
    """Within the block (this thread's work: validate runs no thread), reads are noted in a new log,
    settled when the block ends."""
    global _active, _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True
    log, previous = ReadLog(tuple(ignore)), _active
    _active = log
    try:
        yield log
    finally:
        _active = previous
    log.settle()


def _hook(event: str, args: tuple) -> None:
    global _busy
    if event not in _WATCHED or _active is None or _busy:
        return
    where = args[0] if args else None
    if isinstance(where, int) or (event == "open" and isinstance(args[2], int) and args[2] & _WRITING):
        return  # an open file descriptor, or a file opened to be written
    _busy = True
    try:
        path = os.path.abspath(os.fsdecode(os.fspath(where if where is not None else ".")))
        if event == "open":
            _active.note_open(path)
        else:
            _active.note_listing(path)
    except Exception:  # noqa: BLE001 - a hook must not break the work: unknown read, not kept
        _active.unsteady = True
    finally:
        _busy = False


def file_state(path: str) -> State:
    try:
        fd = os.open(path, os.O_RDONLY | _NONBLOCK)
    except (FileNotFoundError, NotADirectoryError):
        return ("missing",)
    except OSError as exc:
        return ("error", exc.errno)
    try:
        info = os.fstat(fd)
        real = _real(fd, path)
        if stat.S_ISDIR(info.st_mode):
            return ("dir", real)
        if not stat.S_ISREG(info.st_mode):
            return ("other", real)
        if info.st_size > MAX_BYTES:
            return ("large", real)
        digest = blake2b(digest_size=32)
        while chunk := os.read(fd, 1 << 20):
            digest.update(chunk)
        return ("file", real, digest.digest())
    except OSError as exc:
        return ("error", exc.errno)
    finally:
        os.close(fd)


def folder_state(path: str) -> State:
    """The names in folder ``path`` with their kind (links followed) and where a link leads."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except (FileNotFoundError, NotADirectoryError):
        return ("missing",)
    except OSError as exc:
        return ("error", exc.errno)
    try:
        found: list[tuple[str, ...]] = [("folder", _real(fd, path))]
        with os.scandir(path) as scan:
            for entry in sorted(scan, key=lambda entry: entry.name):
                kind = "file" if entry.is_file() else "dir" if entry.is_dir() else "other"
                found.append((entry.name, kind, os.path.realpath(entry.path) if entry.is_symlink() else ""))
    except OSError as exc:
        return ("error", exc.errno)
    finally:
        os.close(fd)
    return ("listing", blake2b(repr(found).encode("utf-8", "surrogatepass"), digest_size=32).digest())


def real_path(path: str) -> str:
    """Where ``path`` really is, links followed (one open instead of one look-up per part)."""
    try:
        fd = os.open(path, os.O_RDONLY | _NONBLOCK)
    except OSError:
        return os.path.realpath(path)
    try:
        return _real(fd, path)
    finally:
        os.close(fd)


def _real(fd: int, path: str) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")  # Linux: where the open file is
    except OSError:
        return os.path.realpath(path)


__all__ = ["ReadLog", "active", "file_state", "folder_state", "logging_reads", "real_path"]
