"""The PostgreSQL store's statements for acknowledgements, cross-references and removal items: the
SQLite ones (ack_store.py, xref_store.py, removal_store.py) with every row and every query scoped to
one project (the ``project`` column leads every key and index). ``run(sql, args) -> rows`` is the
store's: one committed statement each."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from engine.runtime.ack_store import AckState
from engine.runtime.removal_store import CHUNK, REMOVING
from engine.runtime.run_store import COUNTS, KEEP, RunRecord, from_row
from engine.runtime.xref_store import COLUMNS, Pair
from engine.util.sqlwhere import filtered

Run = Callable[[str, tuple], list]


def ack_statement(project: str, flow: str, key: str, ack: str, target_id: Any,
                  reason: str | None) -> tuple[str, tuple]:
    return ("INSERT INTO passerelle.acks (project, flow, key, ack, target_id, confirmed, reason, attempts, updated_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, 1, %s) ON CONFLICT (project, flow, key, ack) DO UPDATE SET "
            "target_id = excluded.target_id, confirmed = excluded.confirmed, reason = excluded.reason, "
            "attempts = acks.attempts + 1, updated_at = excluded.updated_at",
            (project, flow, str(key), ack, None if target_id is None else str(target_id), int(reason is None), reason,
             time.time()))


def ack_states(run: Run, project: str, flow: str, key: str) -> dict[str, AckState]:
    rows = run("SELECT ack, target_id, confirmed, reason, attempts, updated_at FROM passerelle.acks "
               "WHERE project = %s AND flow = %s AND key = %s", (project, flow, str(key)))
    return {row[0]: AckState(row[0], row[1], bool(row[2]), row[3], row[4], row[5]) for row in rows}


def xref_upsert(project: str, pair: Pair, target_id: Any) -> tuple[str, tuple]:
    return ("INSERT INTO passerelle.xref (project, " + COLUMNS + ") VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (project, source_system, type, source_id, target_system) DO UPDATE SET "
            "target_id = excluded.target_id, flow = excluded.flow, how = excluded.how, "
            "updated_at = excluded.updated_at",
            (project, pair.source_system, pair.type, str(pair.source_id), pair.target_system, str(target_id),
             pair.flow, pair.how, time.time()))


def xref_select(project: str, type_: str | None, source_system: str | None) -> tuple[str, tuple]:
    sql, args = filtered(f"SELECT {COLUMNS} FROM passerelle.xref WHERE project = %s", [project],
                         {"type": type_, "source_system": source_system}, "%s")
    return sql + " ORDER BY source_system, type, target_system, source_id", tuple(args)


def xref_translate(project: str) -> Callable[..., tuple[str, tuple]]:
    """The statement of one ``xref`` translation in ``project`` (StoreXref's ``sql``)."""
    def sql(system: str, type_: str, value: str, to: str | None, reverse: bool) -> tuple[str, tuple]:
        given, wanted = ("target_id", "source_id") if reverse else ("source_id", "target_id")
        text = (f"SELECT DISTINCT {wanted}, target_system FROM passerelle.xref WHERE project = %s "
                f"AND source_system = %s AND type = %s AND {given} = %s")
        args: tuple = (project, system, type_, value)
        if to:
            text += " AND target_system = %s"
            args += (to,)
        return text, args
    return sql


def xref_recorded(project: str) -> Callable[[str, str], tuple[str, tuple]]:
    """Whether any pair of (system, type) is kept in ``project`` (StoreXref's ``any_sql``)."""
    def sql(system: str, type_: str) -> tuple[str, tuple]:
        return ("SELECT 1 FROM passerelle.xref WHERE project = %s AND source_system = %s AND type = %s LIMIT 1",
                (project, system, type_))
    return sql


RUN_COLUMNS = ("flow", "kind", "started", "ended", "plan_version", "outcome", "error") + COUNTS


def run_statements(project: str, entry: RunRecord, keep: int = KEEP) -> list[tuple[str, tuple]]:
    """Keep ``entry`` in the run history and forget the flow's runs beyond the last ``keep``."""
    values = tuple(getattr(entry, name) for name in RUN_COLUMNS[:-len(COUNTS)]) + tuple(entry.count(n) for n in COUNTS)
    return [(f"INSERT INTO passerelle.runs (project, {', '.join(RUN_COLUMNS)}) "
             f"VALUES (%s, {', '.join('%s' for _ in RUN_COLUMNS)})", (project, *values)),
            ("DELETE FROM passerelle.runs WHERE project = %s AND flow = %s AND ended < (SELECT MIN(ended) FROM "
             "(SELECT ended FROM passerelle.runs WHERE project = %s AND flow = %s ORDER BY ended DESC LIMIT %s) kept)",
             (project, entry.flow, project, entry.flow, keep))]


def recent_runs(run: Run, project: str, flow: str | None, limit: int, since: float | None) -> list[RunRecord]:
    """The last ``limit`` runs of the project (of ``flow``; ended after ``since``), the newest first."""
    sql, args = filtered(f"SELECT {', '.join(RUN_COLUMNS)} FROM passerelle.runs WHERE project = %s", [project],
                         {"flow": flow}, "%s")
    if since is not None:
        sql, args = sql + " AND ended > %s", [*args, since]
    return [from_row(row) for row in run(sql + " ORDER BY ended DESC LIMIT %s", (*args, limit))]


class PgRemovals:
    """:class:`engine.runtime.removal_store.RemovalRows` of one project."""

    def __init__(self, run: Run, project: str):
        self.run, self.project = run, project

    def intend(self, flow: str, key: str, with_json: str) -> None:
        self.run("UPDATE passerelle.ledger SET status = %s, target_with = %s, reason = NULL, updated_at = %s "
                 "WHERE project = %s AND flow = %s AND key = %s",
                 (REMOVING, with_json, time.time(), self.project, flow, str(key)))

    def children(self, flow: str, parents: Iterable[str]) -> dict[str, set[str]]:
        wanted, out = list(parents), {}  # type: tuple[list[str], dict[str, set[str]]]
        for start in range(0, len(wanted), CHUNK):
            for key, parent in self.run("SELECT key, parent FROM passerelle.items WHERE project = %s AND flow = %s "
                                        "AND parent = ANY(%s)", (self.project, flow, wanted[start:start + CHUNK])):
                out.setdefault(parent, set()).add(key)
        return out

    def items(self, flow: str) -> list[tuple[str, str]]:
        return [(key, parent) for key, parent in self.run("SELECT key, parent FROM passerelle.items WHERE project = %s AND "
                                               "flow = %s", (self.project, flow))]

    def keep_children(self, flow: str, given: dict[str, set[str]], gone: Iterable[str]) -> None:
        for parent, keys in given.items():
            for key in keys:
                self.run("INSERT INTO passerelle.items (project, flow, key, parent) VALUES (%s, %s, %s, %s) "
                         "ON CONFLICT (project, flow, key) DO UPDATE SET parent = excluded.parent",
                         (self.project, flow, key, parent))
        for key in gone:
            self.run("DELETE FROM passerelle.items WHERE project = %s AND flow = %s AND key = %s",
                     (self.project, flow, key))


__all__ = ["PgRemovals", "ack_states", "recent_runs", "run_statements", "ack_statement", "xref_recorded", "xref_select", "xref_translate", "xref_upsert"]
