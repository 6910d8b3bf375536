"""The cross-reference store: which target id each source id became (or was found as), per system and type.

One row per pair: (source system = the flow's source endpoint, type = ``target.xref`` or the source
resource, source id = the record's ledger key) ↔ (target system = the target endpoint, target id), with
the flow that recorded it, how (``created`` or ``found``) and when. A pair is written in the same SQLite
transaction as the ledger's settle (:meth:`SqliteStore.settle`), so a crash never leaves a record done
without its pair. The table is created on opening; older state files need nothing else.

:class:`StoreXref` answers the ``xref`` transform (:mod:`engine.lang.xref`) from a store for one run,
caching what it found; :func:`engine.runtime.state_read.read_only_xref` opens a project's state without
ever creating or changing it (dry-runs).
"""
from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from engine.lang.xref import XrefMissing
from engine.util.sqlwhere import filtered

SCHEMA = """
    CREATE TABLE IF NOT EXISTS xref (
        source_system TEXT NOT NULL, type TEXT NOT NULL, source_id TEXT NOT NULL,
        target_system TEXT NOT NULL, target_id TEXT NOT NULL, flow TEXT NOT NULL, how TEXT NOT NULL,
        updated_at REAL NOT NULL, PRIMARY KEY (source_system, type, source_id, target_system));
    CREATE INDEX IF NOT EXISTS xref_reverse ON xref (source_system, type, target_id);
"""

COLUMNS = "source_system, type, source_id, target_system, target_id, flow, how, updated_at"


@dataclass(frozen=True)
class Pair:
    """What a flow records for one of its records (the target id comes with the settle)."""

    source_system: str
    type: str
    source_id: str
    target_system: str
    flow: str
    how: str = "created"  # or "found"


@dataclass(frozen=True)
class XrefRow:
    source_system: str
    type: str
    source_id: str
    target_system: str
    target_id: str
    flow: str
    how: str
    updated_at: float

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in COLUMNS.split(", ")}


def upsert(pair: Pair, target_id: Any) -> tuple[str, tuple]:
    """The statement that keeps ``pair`` ↔ ``target_id`` (the latest wins)."""
    return ("INSERT INTO xref (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(source_system, type, source_id, target_system) DO UPDATE SET "
            "target_id = excluded.target_id, flow = excluded.flow, how = excluded.how, "
            "updated_at = excluded.updated_at",
            (pair.source_system, pair.type, str(pair.source_id), pair.target_system, str(target_id), pair.flow,
             pair.how, time.time()))


def select(type_: str | None = None, source_system: str | None = None) -> tuple[str, tuple]:
    sql, args = filtered(f"SELECT {COLUMNS} FROM xref WHERE 1 = 1", [], {"type": type_, "source_system": source_system})
    return sql + " ORDER BY source_system, type, target_system, source_id", tuple(args)


def translate_sql(system: str, type_: str, value: str, to: str | None, reverse: bool) -> tuple[str, tuple]:
    given, wanted = ("target_id", "source_id") if reverse else ("source_id", "target_id")
    sql = f"SELECT DISTINCT {wanted}, target_system FROM xref WHERE source_system = ? AND type = ? AND {given} = ?"
    args: tuple = (system, type_, value)
    if to:
        sql += " AND target_system = ?"
        args += (to,)
    return sql, args


def recorded_sql(system: str, type_: str) -> tuple[str, tuple]:
    """Whether any pair of (system, type) is kept (the hint of a missing one: its flow ran)."""
    return "SELECT 1 FROM xref WHERE source_system = ? AND type = ? LIMIT 1", (system, type_)


def rows(found: Iterable[tuple]) -> list[XrefRow]:
    return [XrefRow(*row) for row in found]


CACHE_LIMIT = 50_000  # pairs a run's resolver keeps at most (a few MB)


class StoreXref:
    """The ``xref`` transform's resolver for one run: ``query(sql, args) -> rows`` is the store's; answers
    found are cached (a pair does not change during a run), misses are asked again (cheap: indexed)."""

    def __init__(self, query, flows_for: dict[tuple[str, str], list[str]] | None = None, close=lambda: None,
                 sql=None, any_sql=None):
        self.query, self.close = query, close
        self.sql = sql or translate_sql  # the statement of one translation (the PostgreSQL store's is scoped)
        self.any_sql = any_sql or recorded_sql  # whether any pair of a type is kept (idem)
        self.flows = flows_for or {}
        self.cache: dict[tuple, str] = {}
        self.recorded: dict[tuple[str, str], bool] = {}  # (system, type) -> any pair of it at all

    def _recorded_any(self, system: str, type_: str) -> bool:
        if (system, type_) not in self.recorded:
            try:
                found = self.query(*self.any_sql(system, type_))
            except Exception:  # noqa: BLE001 - only a hint: a state older than the table, a store gone away
                found = []
            self.recorded[(system, type_)] = bool(found)
        return self.recorded[(system, type_)]

    def translate(self, system: str, type_: str, value: str, to: str | None, reverse: bool) -> str:
        key = (system, type_, value, to, reverse)
        if key in self.cache:
            return self.cache[key]
        try:
            found = self.query(*self.sql(system, type_, value, to, reverse))
        except sqlite3.OperationalError as exc:  # a state older than the table: nothing recorded yet
            if "no such table" not in str(exc):
                raise
            found = []
        if not found:
            flows = self.flows.get((system, type_), [])
            raise XrefMissing(flows, others=bool(flows) and self._recorded_any(system, type_))
        answers = sorted({str(row[0]) for row in found})
        if len(answers) > 1:
            systems = sorted({str(row[1]) for row in found})
            raise XrefMissing([], f"has {len(answers)} cross-references ({', '.join(answers)}"
                                  + (f" in {', '.join(systems)}" if len(systems) > 1 else "") + ")"
                                  + (": name the target system with `to`" if len(systems) > 1 and not to else ""))
        if len(self.cache) >= CACHE_LIMIT:  # a run of any size: the cache never outgrows its bound
            self.cache.clear()
        self.cache[key] = answers[0]
        return answers[0]


def flows_by_type(plan: Any) -> dict[tuple[str, str], list[str]]:
    """(source system, type) -> the flows that record pairs of that type (for "run X first")."""
    out: dict[tuple[str, str], list[str]] = {}
    for flow in plan.flows.values():
        out.setdefault((flow.source_endpoint, flow.xref_type or flow.source_resource), []).append(flow.name)
    return out


__all__ = ["Pair", "StoreXref", "XrefRow", "flows_by_type", "recorded_sql", "rows", "select", "upsert"]
