"""A project's files read once: the bytes a reload hashes are the bytes it builds from.

The project's files are the YAML files directly in the project folder and in ``connectors/``, the CSV
files beside them, and ``extra`` files (those the lookups of the live plan are read from, wherever
they are). Sub-folders are not read: a file connector writing exports under the project folder must
not keep the project from ever being quiet.
"""
from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from engine.util.fileio import FileTooLarge, NotRegularFile, read_limited

WATCHED = (".yaml", ".yml", ".csv")
MAX_FILE_BYTES = 5_000_000  # larger files are not pinned: the build reports them


@dataclass
class Snapshot:
    """The project's files read once: their bytes, one hash over them, the newest modification time."""

    files: dict[Path, bytes]  # the files read (pinned for the build)
    paths: set[Path]  # every project file seen, read or not (too large)
    digest: str
    newest: float  # epoch seconds
    newest_file: str

    def age(self) -> float:
        """Seconds since the newest file was modified (a file dated in the future counts as old)."""
        age = time.time() - self.newest
        return age if age >= 0 else float("inf")


def project_paths(root: Path, extra: Collection[Path] = ()) -> list[Path]:
    paths = set(extra)
    for folder in (root, root / "connectors"):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        paths.update(Path(e.path) for e in entries if e.name.endswith(WATCHED))
    return sorted(paths)


def read_snapshot(root: Path, extra: Collection[Path] = ()) -> Snapshot:
    digest = hashlib.sha256()
    files: dict[Path, bytes] = {}
    paths: set[Path] = set()
    newest, newest_file = 0.0, ""
    for path in project_paths(root, extra):
        try:
            mtime = path.stat().st_mtime
            data = read_limited(path, MAX_FILE_BYTES)
        except FileTooLarge as exc:
            data = f"<{exc.size} bytes>".encode()
        except (OSError, NotRegularFile):
            continue  # gone, a dangling link, not a file: not part of the project now
        else:
            files[path] = data
        paths.add(path)
        if mtime > newest:
            newest, newest_file = mtime, path.name
        digest.update(_name(root, path).encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    return Snapshot(files, paths, digest.hexdigest()[:12], newest, newest_file)


def _name(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def content_hash(root: Path, extra: Collection[Path] = ()) -> str:
    return read_snapshot(root, extra).digest
