"""Inbox folders (``inbox: {path: "in/*.csv", done: "done/", failed: "failed/"}``): each file is
read once, then moved out of the inbox.

A read notes the files it read whole, and those it could not read at all (wrong encoding
throughout, not a CSV...) with why. Nothing moves while reading (a dry-run reads the same way). When
the run has processed its records, the runner says which of them are not final (their positions in
the read): each file read whose records are all final (written, found, skipped or set aside) moves
to ``done/``; a file holding a record left open stays, and the next run reads it again (the ledger
skips the records already written) until all are final. A run cut short (``--max-records``, a stop)
moves no file read. A file
that cannot be read goes to ``failed/`` with ``NAME.reason`` beside it. A crash before the move
leaves the file in the inbox: the next run reads it again and writes nothing twice. A file that
changed since its read began (the ERP still writing it, or replacing it) stays in the inbox too: the
next run reads it whole.
"""
from __future__ import annotations

import os
from bisect import bisect_left
from dataclasses import dataclass, field
from pathlib import Path

from engine.connectors.file_write import fsync_dir, replace_atomically
from engine.util.records import frozen


@frozen
class Inbox:
    done: str
    failed: str


@dataclass
class InboxRun:
    """What one read of an inbox found: files read whole, and files refused with why."""

    read: list[tuple[Path, int, int]] = field(default_factory=list)  # (file, first position, end position)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    position: int = 0  # records handed out so far
    seen: dict[Path, tuple | None] = field(default_factory=dict)  # file -> its signature when its read began

    def begin(self, path: Path) -> None:
        """Note the file's signature before reading it (:func:`signature`)."""
        self.seen[path] = signature(path)


def signature(path: Path) -> tuple | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def _unchanged(run: InboxRun, path: Path) -> bool:
    """Whether the file is still the one read: the ERP writing it during the run (a half-written
    file read) or replacing it leaves it in the inbox, to be read again whole by the next run."""
    return path not in run.seen or signature(path) == run.seen[path]


def settle(folder: Path, inbox: Inbox, run: InboxRun, all_final: bool, open_at: set[int] | None = None) -> list[str]:
    """Move the files of ``run``: refused ones to ``failed/`` (always), read ones to ``done/`` when
    ``all_final``, or (``open_at`` given) each one none of whose positions is open. Returns what
    moved, for the log."""
    moved = []
    for path, reason in run.failed:
        if os.path.lexists(path) and _unchanged(run, path):
            target = _move(path, folder, inbox.failed)
            replace_atomically(target.with_name(target.name + ".reason"), (reason + "\n").encode("utf-8"))
            moved.append(f"{path.name} -> {inbox.failed}")
    held = sorted(open_at or ())
    for path, start, end in run.read:
        if all_final or (open_at is not None and not _any_within(held, start, end)):
            if path.exists() and _unchanged(run, path):
                _move(path, folder, inbox.done)
                moved.append(f"{path.name} -> {inbox.done}")
    run.read.clear()
    run.failed.clear()
    run.seen.clear()
    run.position = 0
    return moved


def _any_within(held: list[int], start: int, end: int) -> bool:
    at = bisect_left(held, start)
    return at < len(held) and held[at] < end


def _move(path: Path, folder: Path, to: str) -> Path:
    """Move ``path`` into ``folder/to``; an OSError names the file and where it was going."""
    try:
        return _move_into(path, folder / to)
    except OSError as exc:
        shown = path.relative_to(folder).as_posix() if path.is_relative_to(folder) else path.name
        raise OSError(exc.errno, f"{shown} -> {to}: {exc.strerror or exc}") from None


def _move_into(path: Path, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    target = into / path.name
    if target.exists():  # a file of the same name done before: keep both
        stem, number = target.name, 1
        while target.exists():
            target = into / f"{stem}.{number}"
            number += 1
    os.replace(path, target)
    fsync_dir(into)
    fsync_dir(path.parent)
    return target
