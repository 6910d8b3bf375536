"""A run's read held on disk, so ``run`` reads any number of records in bounded memory.

A run reads its whole batch before it writes anything: acknowledgements move records out of the
source's filter (PrestaShop orders filtered by ``current_state``, acknowledged by changing it), so an
offset-paged read running meanwhile would skip a page per page written. Holding that read in memory
grew with the batch (186 MB for 10,000 orders); the :class:`Spool` writes each page to a private
temporary file as it is read, then gives the pages back one at a time.

Why a spool of whole records rather than reading keys first and fetching records by key: it is the
same read as before, request for request, so it is correct for every source — offset and cursor
paging, Shopify's nested connections (completed per page as they are read), ODBC result sets and
files, none of which all can be read again by key (ODBC resources take no key filter; a Shopify
order query by id costs a request per chunk that the page read already paid).

The file:

* is created by :func:`tempfile.TemporaryFile` in the state folder (mode 0600; on Linux it has no
  name at all — ``O_TMPFILE`` — so no other process can open it and the kernel frees it however the
  process ends, SIGKILL included; elsewhere it is unlinked or deleted on close);
* holds the raw source records as the endpoint decoded them — what the source sent for the flow's
  resource, never a setting or a credential (those live in the endpoint, not in records);
* is written with :mod:`pickle` (each page one frame): the records come back exactly as they were
  read, types included (``Decimal``, ODBC dates and bytes, ``IncompleteRecord``), so processing from
  the spool is processing the pages themselves. Only this process writes and reads it, within one run.

:class:`SinceTally` keeps the incremental cursor rule over any number of records with bounded
memory: the cursor passes a value only when its record and every record before it are final.
"""
from __future__ import annotations

import json
import pickle
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from engine.errors import OperatorError

SPOOL_PREFIX = ".passerelle-spool-"


class SpoolError(OperatorError):
    """The run's read cannot be held on disk (no space left, a folder it cannot write): the flow stops
    before anything is written, and the command line says where and why."""

    code = "state"

    def __init__(self, folder: Path | None, exc: OSError):
        where = folder if folder is not None else Path(tempfile.gettempdir())
        super().__init__(f"cannot hold the records read by this run in {where}: {exc.strerror or exc}\n"
                         "  hint: a run keeps its batch on disk in the state folder while it writes (about "
                         "the size of the source's answers): free space there, or move the whole state folder "
                         "(state.db with it: the ledger and cursors) to a larger disk and pass it with --state")


def spool_folder(store: Any) -> Path | None:
    """The folder of the run's state database (the project's private state folder), when it has one on
    disk; None: the system's temporary folder (a dry-run's scratch store lives in memory)."""
    path = getattr(store, "path", None)
    if not isinstance(path, Path) or path.name == ":memory:" or not path.parent.is_dir():
        return None
    return path.parent


def _private_file(folder: Path | None) -> IO[bytes]:
    try:
        return tempfile.TemporaryFile(prefix=SPOOL_PREFIX, dir=folder)  # 0600, unlinked (or nameless)
    except OSError as exc:
        raise SpoolError(folder, exc) from None


class Spool:
    """Pages written once, then read back in order, one page in memory at a time. ``held``: the pages
    stay in memory instead (a grouping flow maps its whole read at once: a group needs every member,
    so writing the pages to disk and reading them all back would only add the pickling)."""

    def __init__(self, folder: Path | None = None, held: bool = False):
        self.folder = folder
        self.held: list[list] | None = [] if held else None
        self.file: IO[bytes] | None = None if held else _private_file(folder)
        self.pages = 0
        self.records = 0

    def add(self, page: list) -> None:
        if self.held is not None:
            self.held.append(page)
            self.pages += 1
            self.records += len(page)
            return
        assert self.file is not None, "spool closed"
        try:
            pickle.dump(page, self.file, protocol=pickle.HIGHEST_PROTOCOL)
        except OSError as exc:  # the disk is full
            raise SpoolError(self.folder, exc) from None
        self.pages += 1
        self.records += len(page)

    def __iter__(self) -> Iterator[list]:
        if self.held is not None:
            yield from self.held
            return
        file = self.file
        assert file is not None, "spool closed"
        try:
            file.flush()
            file.seek(0)
        except OSError as exc:
            raise SpoolError(self.folder, exc) from None
        for _ in range(self.pages):
            yield pickle.load(file)

    def close(self) -> None:
        self.held = [] if self.held is not None else None
        if self.file is not None:
            self.file.close()
            self.file = None

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SinceTally:
    """The cursor rule, ``max(v final | v < min(v open))``, over any number of records. The smallest
    open value is one value; the final values are needed only if some record stays open (a later,
    smaller open value excludes finals seen before it), so they go to a private temporary file (one
    value per line) and are scanned once at the end — nothing grows in memory with the run."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder
        self.lowest_open: str | None = None
        self.highest_final: str | None = None
        self.finals: IO[bytes] | None = None

    def add(self, value: str, final: bool) -> None:
        if not final:
            if self.lowest_open is None or value < self.lowest_open:
                self.lowest_open = value
            return
        if self.highest_final is None or value > self.highest_final:
            self.highest_final = value
        if self.finals is None:
            self.finals = _private_file(self.folder)
        try:
            self.finals.write(json.dumps(value).encode() + b"\n")  # one line whatever the value holds
        except OSError as exc:
            raise SpoolError(self.folder, exc) from None

    def best(self) -> str | None:
        """The largest final value below every open one (None: the cursor cannot move)."""
        if self.lowest_open is None or self.highest_final is None:
            return self.highest_final
        if self.highest_final < self.lowest_open:
            return self.highest_final
        assert self.finals is not None
        try:
            self.finals.flush()
        except OSError as exc:
            raise SpoolError(self.folder, exc) from None
        self.finals.seek(0)
        best: str | None = None
        for line in self.finals:
            value = json.loads(line)
            if value < self.lowest_open and (best is None or value > best):
                best = value
        return best

    def close(self) -> None:
        if self.finals is not None:
            self.finals.close()
            self.finals = None

    def __enter__(self) -> SinceTally:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


__all__ = ["SPOOL_PREFIX", "SinceTally", "Spool", "SpoolError", "spool_folder"]
