"""How the file protocol puts bytes on disk so that the ERP never reads half a file.

* :func:`replace_atomically`: a temporary dot-file in the same folder (``.NAME.XXXX.tmp``), written,
  flushed and ``fsync``-ed, renamed over ``NAME``, then the folder ``fsync``-ed: a reader sees the old
  file or the new one, never a part. Temporary files left by a crash are removed before the same
  name is written again (:func:`clean_stale`); readers skip dot-files.
* :class:`BatchFiles` (``mode: batch``): every record of a run is appended (one ``write`` call each, cut
  back on a short write or an error: no half record) to a hidden ``.NAME.PID.partial`` beside the
  target; when the run ends the file is ``fsync``-ed and renamed to ``NAME`` at once, never over an existing ``NAME`` (then ``NAME-1.ext``...:
  :func:`publish_as`). A partial left by a crashed run (its process gone) is published at the next
  close: the records in it are those the ledger counts as written; one already linked to its
  published name (killed between the link and the partial's removal) is only removed. The target path of a batch file
  is resolved (links followed, checked inside ``dir``) once per run, when its partial is opened; the
  records go to that open descriptor, and the folder is checked again before publishing.

``{date}`` (``YYYYMMDD``) and ``{timestamp}`` (``YYYYMMDD-HHMMSS``) in a file name are the time the
endpoint was opened (the run), in the operation's declared ``timezone``; a look-up (``find``) matches
them with any value, so a file written by an earlier run is found.
"""
from __future__ import annotations

import errno
import glob
import os
from datetime import datetime
from pathlib import Path

CLOCK_NAMES = ("date", "timestamp")
PARTIAL = ".partial"


def clock_values(now: datetime) -> dict[str, str]:
    return {"date": now.strftime("%Y%m%d"), "timestamp": now.strftime("%Y%m%d-%H%M%S")}


def any_clock() -> dict[str, str]:
    return {"date": "*", "timestamp": "*"}


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # a system without directory handles: the rename is what there is
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def clean_stale(real: Path) -> None:
    """Remove the temporary files an interrupted write of ``real`` left beside it."""
    for name in glob.glob(glob.escape(str(real.parent / f".{real.name}.")) + "*.tmp"):
        try:
            os.unlink(name)
        except OSError:
            pass


def replace_atomically(real: Path, data: bytes) -> None:
    """Write ``data`` to ``real`` through a temporary file renamed over it (OSError on a failure)."""
    import tempfile  # with shutil, bz2 and lzma: ~2 ms a `validate` (which writes nothing) does not pay

    real.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(real)
    fd, temp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, real)
        temp = ""
        fsync_dir(real.parent)
    finally:
        if temp:
            try:
                os.unlink(temp)
            except OSError:
                pass


def append_durably(real: Path, data: bytes) -> None:
    real.parent.mkdir(parents=True, exist_ok=True)
    with open(real, "ab") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


class BatchFiles:
    """The batch files of one run: appended record by record, published together at the end."""

    def __init__(self) -> None:
        self.open: dict[Path, int] = {}  # target -> descriptor of its partial
        self.folders: dict[Path, dict[str, bytes]] = {}  # folder -> file suffix -> trailer (XML: the closing tag)
        self.trailers: dict[Path, bytes] = {}

    def partial(self, real: Path) -> Path:
        return real.parent / f".{real.name}.{os.getpid()}{PARTIAL}"

    def append(self, real: Path, header: bytes, data: bytes, trailer: bytes = b"") -> None:
        fd = self.open.get(real)
        if fd is None:
            real.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.partial(real), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            self.open[real] = fd
            self.folders.setdefault(real.parent, {})[real.suffix] = trailer
            self.trailers[real] = trailer
            if os.fstat(fd).st_size == 0 and header:
                write_whole(fd, header)
        write_whole(fd, data)  # one call: a killed process leaves whole records

    def is_open(self, real: Path) -> bool:
        return real in self.open

    def publish(self) -> list[str]:
        """Every partial of this run renamed into place, and those of dead runs; the names published.

        The records went to descriptors opened once the target was checked inside the folder; the
        folder is checked again here (it resolves to the same real path), so a folder swapped for a
        link during the run is refused rather than followed by the rename."""
        done, moved = [], []
        for real, fd in self.open.items():
            try:
                if self.trailers.get(real):
                    os.write(fd, self.trailers[real])
                os.fsync(fd)
            finally:
                os.close(fd)
            if real.parent.resolve() != real.parent:
                moved.append(real.name)
                continue
            done.append(publish_as(self.partial(real), real))
        for folder, trailers in self.folders.items():
            done.extend(publish_leftovers(folder, trailers))
            fsync_dir(folder)
        self.open.clear()
        self.trailers.clear()
        if moved:
            raise OSError(f"the folder of {', '.join(moved)} was replaced (by a link?) during the run: not published, "
                          "its records are in the hidden partial file of the original folder")
        return done


def write_whole(fd: int, data: bytes) -> None:
    """Append ``data`` whole or not at all: a short write (the disk full) or an error cuts the file
    back to its size before, so a record retried later is never preceded by half of itself."""
    start = os.lseek(fd, 0, os.SEEK_END)
    try:
        if os.write(fd, data) != len(data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    except OSError:
        os.ftruncate(fd, start)
        raise


def publish_as(partial: Path, real: Path) -> str:
    """Rename ``partial`` to ``real``, never over an existing file: a file of that name already there
    (an earlier run's, the ERP not having taken it yet) is kept, and this one is published as
    ``NAME-1.ext``, ``NAME-2.ext``... (a hard link made then the partial removed: no check-then-rename
    race; a file system without hard links gets the check and a rename). Returns the name used."""
    target, number = real, 0
    while True:
        try:
            os.link(partial, target)
        except FileExistsError:
            number += 1
            target = real.with_name(f"{real.stem}-{number}{real.suffix}")
            continue
        except OSError:  # no hard links here
            while target.exists():
                number += 1
                target = real.with_name(f"{real.stem}-{number}{real.suffix}")
            os.replace(partial, target)
            return target.name
        os.unlink(partial)
        return target.name


def publish_leftovers(folder: Path, trailers: dict[str, bytes] | None = None) -> list[str]:
    """Partials left by runs whose process is gone, completed with the trailer of this run's files of
    the same suffix in that folder (``.xml``: the closing tag) and published under their target names."""
    done = []
    for path in folder.glob(f".*{PARTIAL}"):
        stem, _, pid = path.name[1:-len(PARTIAL)].rpartition(".")
        if not stem or not pid.isdigit() or _alive(int(pid)):
            continue
        if path.stat().st_nlink > 1:  # killed between publish_as's link and unlink: published already
            os.unlink(path)
            continue
        trailer = (trailers or {}).get(Path(stem).suffix, b"")
        with open(path, "rb+") as handle:
            handle.seek(-min(len(trailer), os.fstat(handle.fileno()).st_size), os.SEEK_END)
            if trailer and handle.read() != trailer:  # killed after this run's own trailer: not twice
                handle.write(trailer)
                handle.flush()
            os.fsync(handle.fileno())
        done.append(publish_as(path, folder / stem))
    return done


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
