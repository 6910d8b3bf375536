"""Related records of a file dry-run held on disk, fetched by key page by page (constant memory).

A file dry-run joins other ``--input`` files onto the source records. Held in memory, an export of
250,000 order details costs gigabytes; here each related record is written once to a temporary
SQLite database (a file of its own, deleted when closed; a forked child mapping pages opens it
again: :meth:`RelatedSpill.reopen`) under the normalised value of the field it is
matched on, and the :class:`~engine.runtime.pipeline.Joiner` fetches, for each page of source
records, only the records its join values name — as a run fetches them from a shop. Records are
typed when fetched, as a run types them.

The matches are those of the in-memory index (:class:`~engine.plan.related.RelatedData`): rows are
looked up by the first join field's normalised value (``norm_key`` on both sides), the page's index
then checks every field; rows whose key is null are kept aside and given with every fetch (a null
join value finds them in the in-memory index too); file order is kept. Reference lists
(``reference: true``) stay in memory, read once. A flow whose join normalises the related side
(``their``) is not spilled (see :func:`spillable`).
"""
from __future__ import annotations

import os
import pickle
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from engine.errors import OperatorError
from engine.plan.model import FlowPlan
from engine.plan.related import RelatedSpec, norm_key

BATCH = 2000
_MAX_PARAMS = 500


def spillable(flow: FlowPlan) -> bool:
    """Whether every non-reference join of ``flow`` matches plain field values (no `their`)."""
    return all(spec.reference or not any(spec.theirs) for spec in flow.related)


def _key(value: object) -> str | None:
    key = norm_key(value)
    if key is None or isinstance(key, str):
        return key
    return "\x00" + repr(key)  # True / False: never equal to a text key


def _field_values(row: dict, name: str, coerce: Callable[[dict], dict] | None) -> list:
    """The field's raw value and its typed value (when the field can be typed)."""
    if not isinstance(row, dict):
        return [None]
    raw = row.get(name)
    if coerce is None or name not in row:
        return [raw]
    fields = getattr(coerce, "fields", None)  # compile_types' converters by field: no dict per row
    try:  # the field alone typed, as coerce({name: raw}) types it
        return [raw, fields.get(name, _untyped)(raw) if fields is not None else coerce({name: raw}).get(name)]
    except Exception:  # noqa: BLE001 - a value its type refuses: the row is joined by its raw value
        return [raw]


def _untyped(value: object) -> object:
    return value


def _safe_key(value: object) -> str | None:
    try:
        return _key(value)
    except (ValueError, ArithmeticError):  # no key: kept with the null-key rows, the page index decides
        return None


class SpillError(OperatorError):
    """The temporary folder cannot hold the related records (a full disk, a folder it cannot write)."""

    code = "disk"

    def __init__(self, where: str, exc: sqlite3.Error | OSError):
        super().__init__(f"cannot hold the related records of this dry-run on disk in {where}: {exc}\n"
                         "  hint: a file dry-run keeps the related files' records in a temporary file (about "
                         "their size): free space there, or set TMPDIR to a folder with room")


def _folder() -> str:
    """Where SQLite puts the temporary database (asked before it fills the disk: a full folder makes
    :func:`tempfile.gettempdir` fall back to another one)."""
    return os.environ.get("SQLITE_TMPDIR") or tempfile.gettempdir()


@contextmanager
def _disk(where: str):
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        raise SpillError(where, exc) from None


class RelatedSpill:
    """Related rows by resource: reference lists in memory, the others on disk by join key."""

    def __init__(self, flow: FlowPlan) -> None:
        self.reference_rows: dict[str, list[dict]] = {}
        self.fields: dict[str, set[str]] = {}
        for spec in flow.related:
            if spec.reference:
                self.reference_rows.setdefault(spec.resource, [])
            else:
                self.fields.setdefault(spec.resource, set()).add(spec.fields[0])
        self.loose: dict[tuple[str, str], list[dict]] = {}  # rows whose key is null
        self.tables: dict[tuple[str, str], str] = {}
        self.where = _folder()
        self.path, self.owner = "", os.getpid()
        with _disk(self.where):
            handle, self.path = tempfile.mkstemp(prefix="passerelle-related-", suffix=".db", dir=self.where)
            os.close(handle)
            try:
                self.db = sqlite3.connect(self.path)
                self._create()
            except BaseException:
                self.close()
                raise
        self.next_id = 0

    def _create(self) -> None:
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        for position, pair in enumerate(sorted((r, f) for r, names in self.fields.items() for f in names)):
            self.tables[pair] = f"t{position}"  # one table by resource and join field: body beside its key
            self.db.execute(f"CREATE TABLE t{position}(k TEXT, id INTEGER, body BLOB)")

    def load(self, resource: str, rows: Iterable[dict], coerce: Callable[[dict], dict] | None = None) -> None:
        """Keep the rows of ``resource`` as its joins need them (nothing for a resource no join reads).
        A row is found by the key of its raw field and by that of the field typed (``coerce`` applied
        to the field alone): the in-memory index uses the latter, or the former for a row that cannot
        be typed (matched, it fails the record with why) - the page's index then sorts it out."""
        keep = self.reference_rows.get(resource)
        fields = tuple(self.fields.get(resource, ()))
        pending: dict[str, list[tuple[str, int, bytes]]] = {self.tables[resource, name]: [] for name in fields}
        self._load(rows, resource, coerce, keep, fields, pending)
        self._flush(pending)

    def _load(self, rows: Iterable[dict], resource: str, coerce: Callable[[dict], dict] | None,
              keep: list | None, fields: tuple, pending: dict[str, list]) -> None:
        dump, protocol, ident, count = pickle.dumps, pickle.HIGHEST_PROTOCOL, self.next_id, 0
        targets = [(name, pending[self.tables[resource, name]]) for name in fields]
        for row in rows:
            if keep is not None:
                keep.append(row)
            if not targets:
                continue
            ident += 1
            body = dump(row, protocol)
            for name, table in targets:
                values = _field_values(row, name, coerce)
                found = {_safe_key(values[0])} if len(values) == 1 else {_safe_key(value) for value in values}
                if None in found:
                    self.loose.setdefault((resource, name), []).append(row)
                    found.discard(None)
                for key in found:
                    table.append((key, ident, body))
            self.next_id = ident  # an id is never given twice, even when reading fails part-way
            count += 1
            if count >= BATCH:
                self._flush(pending)
                count = 0

    def _flush(self, pending: dict[str, list]) -> None:
        with _disk(self.where):
            for table, entries in pending.items():
                self.db.executemany(f"INSERT INTO {table} VALUES (?, ?, ?)", entries)
                entries.clear()

    def ready(self) -> None:
        """Index the keys (once every file is loaded)."""
        with _disk(self.where):
            for table in self.tables.values():
                self.db.execute(f"CREATE INDEX {table}_k ON {table}(k)")
            self.db.commit()  # on disk for a forked child's own connection

    def reopen(self) -> None:
        """In a forked child: a connection of its own to the same (complete) database, which it only
        reads (a connection is not used across a fork); the parent's stays untouched, and so does the file."""
        with _disk(self.where):
            self.db = sqlite3.connect(self.path)

    def read_all(self, spec: RelatedSpec) -> Iterator[list]:
        yield self.reference_rows.get(spec.resource, [])

    def fetch(self, spec: RelatedSpec, values: list) -> Iterator[list]:
        keys = sorted({k for k in map(_key, values) if k is not None})
        found: dict[int, bytes] = {}  # by id: a row found by two keys (raw and typed) comes once
        table = self.tables[spec.resource, spec.fields[0]]
        for start in range(0, len(keys), _MAX_PARAMS):
            chunk = keys[start:start + _MAX_PARAMS]
            query = f"SELECT id, body FROM {table} WHERE k IN ({','.join('?' * len(chunk))})"
            with _disk(self.where):
                found.update(self.db.execute(query, chunk))
        rows = [pickle.loads(found[ident]) for ident in sorted(found)]  # our own rows, from our own file
        yield self.loose.get((spec.resource, spec.fields[0]), []) + rows

    def close(self) -> None:
        try:
            db = getattr(self, "db", None)
            if db is not None:
                db.close()
        finally:
            if os.getpid() == self.owner:
                try:
                    os.unlink(self.path)
                except OSError:
                    pass
