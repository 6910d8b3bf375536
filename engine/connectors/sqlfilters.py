"""What an ODBC resource reads, filtered: the cursor (``since``), related look-ups (``keys``), ``where``.

A resource that can be filtered marks in its SELECT, with ``{filters}``, the place of a boolean SQL
condition, and declares each filter's condition with its bound value::

    articles:
      sql: "SELECT a.AR_Ref, a.cbModification FROM F_ARTICLE a WHERE a.AR_Sommeil = 0 AND {filters}"
      key: AR_Ref
      since: { column: cbModification, sql: "a.cbModification >= {since}" }
      keys:  { column: AR_Ref, sql: "a.AR_Ref IN {keys}" }
      where: { DE_No: "s.DE_No = {value}" }

``{filters}`` becomes the conditions asked for, joined with ``AND`` (``1 = 1`` when none is). ``{since}``
is bound to the runtime's cursor; ``{keys}`` becomes ``(?, ?, …)``, one bound marker per value, at most
``odbc.max_params`` per statement (more values: several statements); ``{value}`` is a ``where`` value.
A read asking ``since`` is ordered by the cursor column then the key (``ORDER BY`` is appended: leave it
out of the SELECT), so the runtime's rule — the cursor passes a record only when every record before
it is final — holds even when a run stops part-way. The cursor is compared with ``>=``: rows sharing
the cursor's timestamp are read again and the ledger recognises those already written, so a row
committed later in the same second is never lost. Nothing here is parsed per record, nor per read but
the ``(?, ?, …)`` list of a key count not seen before.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from engine.connectors.base import FilterSupport
from engine.connectors.context import ConnectorCompiler
from engine.connectors.sqldialect import Dialects, Variants, compile_variants
from engine.connectors.sqltext import SqlText, SqlTextError, parse_sql
from engine.connectors.sqlvalues import bind_values
from engine.util.records import frozen

MARKER = "{filters}"
_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)


@frozen
class Query:
    """One dialect's SELECT, cut at ``{filters}`` (``tail`` None: the SELECT has no marker)."""

    head: SqlText
    tail: SqlText | None


@frozen
class Condition:
    """A filter's condition; ``parts`` are its text cut at ``{keys}`` (a key list) or whole."""

    column: str
    parts: tuple[SqlText, ...]


@frozen
class SqlResource:
    """An ODBC resource: its SELECT per dialect and the conditions of the filters it declares."""

    sql: Variants | None
    since: Variants | None = None  # of Condition
    keys: Variants | None = None  # of Condition
    where: Mapping[str, Variants] | None = None  # field -> Condition
    key: str | None = None
    loc: str = ""  # where the resource is declared, for messages


_VERB = re.compile(r"\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*([A-Za-z]+)", re.S)
_WRITES = {"INSERT", "UPDATE", "DELETE", "MERGE", "DROP", "CREATE", "ALTER", "TRUNCATE", "GRANT", "REVOKE"}


def _parse(ctx: ConnectorCompiler, text: str, path: tuple, allowed: tuple[str, ...]) -> SqlText | None:
    try:
        sql = parse_sql(text)
    except SqlTextError as exc:
        ctx.error("bad-sql", exc.message, path)
        return None
    for parts in sql.params:
        if parts[0] == "settings" and len(parts) == 2 and parts[1] in ctx.settings:
            continue
        if len(parts) == 1 and parts[0] in allowed:
            continue
        known = ", ".join(f"{{{n}}}" for n in (*allowed, "settings.NAME"))
        ctx.error("unknown-placeholder", f"unknown placeholder {{{'.'.join(parts)}}} in a resource's SQL", path,
                  f"known here: {known} (a read gets no flow values)")
        return None
    if sql.pipes:
        ctx.error("bad-sql", "a resource's SQL takes no transforms (`|`)", path)
        return None
    return sql


def _query(ctx: ConnectorCompiler, text: str, path: tuple, ordered: bool) -> Query | None:
    pieces = text.split(MARKER)
    if len(pieces) > 2:
        ctx.error("bad-sql", f"{MARKER} appears more than once: it marks the one place of the filters", path)
        return None
    parsed = [_parse(ctx, piece, path, ()) for piece in pieces]
    if any(p is None for p in parsed):
        return None
    verb = _VERB.match(text)
    if verb and verb.group(1).upper() in _WRITES:
        ctx.error("bad-sql", f"a resource reads: its SQL is a SELECT, not {verb.group(1).upper()} (writes are "
                  "operations, run once per record in a transaction)", path)
        return None
    if ordered and _ORDER_BY.search(pieces[-1]):
        ctx.error("bad-sql", "a resource read incrementally (`since`) is ordered by its cursor column then its "
                  "key: leave ORDER BY out of its SELECT", path)
        return None
    return Query(parsed[0], parsed[1] if len(parsed) == 2 else None)  # type: ignore[arg-type]


def _condition(ctx: ConnectorCompiler, column: str, text: str, path: tuple, value: str) -> Condition | None:
    if value == "keys":
        pieces = text.split("{keys}")
        if len(pieces) != 2:
            ctx.error("bad-sql", "a `keys` condition has {keys} once, where the list of key values goes "
                      "(`a.AR_Ref IN {keys}`)", path)
            return None
        parsed = [_parse(ctx, piece, path, ()) for piece in pieces]
        return Condition(column, tuple(parsed)) if all(p is not None for p in parsed) else None  # type: ignore
    sql = _parse(ctx, text, path, (value,))
    if sql is None:
        return None
    if sql.params.count((value,)) != 1:
        ctx.error("bad-sql", f"the condition binds {{{value}}} once (`a.cbModification >= {{{value}}}`)", path)
        return None
    return Condition(column, (sql,))


def _where_condition(ctx: ConnectorCompiler, field: str, text: str, path: tuple) -> Condition | None:
    return _condition(ctx, field, text, path, "value")


def _filter(ctx: ConnectorCompiler, spec: Any, path: tuple, dialects: Dialects, value: str) -> Variants | None:
    if not isinstance(spec, Mapping):
        return None
    column = spec.get("column")
    if not isinstance(column, str) or not _COLUMN.match(column):
        ctx.error("bad-column", "`column` names the column (of the SELECT's result) the filter is on",
                  path + ("column",))
        return None
    return compile_variants(spec.get("sql"), ctx, path + ("sql",), dialects,
                            lambda text, at: _condition(ctx, column, text, at, value))


def compile_sql_resource(name: str, res: Mapping, ctx: ConnectorCompiler, dialects: Dialects
                         ) -> tuple[SqlResource, tuple[FilterSupport | None, FilterSupport | None, FilterSupport | None]]:
    path = ("resources", name)
    if "sql" not in res:
        ctx.error("missing-key", "an odbc resource needs `sql` (the SELECT that reads it)", path)
    ordered = res.get("since") is not None
    sql = compile_variants(res.get("sql"), ctx, path + ("sql",), dialects,
                           lambda text, at: _query(ctx, text, at, ordered))
    since = _filter(ctx, res.get("since"), path + ("since",), dialects, "since")
    keys = _filter(ctx, res.get("keys"), path + ("keys",), dialects, "keys")
    where = {}
    for field, text in (res.get("where") or {}).items():
        if not _COLUMN.match(str(field)):
            ctx.error("bad-column", f"'{field}' is not a column name", path + ("where", field))
            continue
        compiled = compile_variants(text, ctx, path + ("where", field), dialects,
                                    functools.partial(_where_condition, ctx, str(field)))
        if compiled is not None:
            where[field] = compiled
    filtered = [f for f in ("since", "keys", "where") if res.get(f)]
    if sql is not None and filtered and any(q.tail is None for q in sql.all()):
        ctx.error("missing-filters", f"the resource declares `{filtered[0]}`: its SELECT must say with {MARKER} "
                  "where the conditions go (`WHERE a.AR_Sommeil = 0 AND {filters}`)", path + ("sql",))
    if ordered and since is not None and not isinstance(res.get("key"), str):
        ctx.error("missing-key", "a resource read incrementally (`since`) needs its `key`: rows are ordered by "
                  "the cursor column then the key", path + ("key",))
    supports = (FilterSupport(frozenset(where)) if where else None,
                FilterSupport(frozenset({since.pick(None).column})) if since is not None else None,
                FilterSupport(frozenset({keys.pick(None).column})) if keys is not None else None)
    loc = ctx.locate(path)
    return SqlResource(sql, since, keys, where or None, res.get("key"), str(loc) if loc else ""), supports


# -- reading ---------------------------------------------------------------------------------------

def quoted(name: str) -> str:
    """A column name as standard SQL quotes it (SQL Server, PostgreSQL and SQLite alike): ``"AR_Ref"``."""
    return '"' + name.replace('"', '""') + '"'


def key_list(count: int) -> str:
    """``(?, ?, ?)``: the bound markers of ``count`` key values."""
    return "(" + ", ".join("?" * count) + ")"


def build(res: SqlResource, dialect: str | None, settings: Mapping[str, Any], *, where: Mapping[str, Any] | None,
          since: Any, keys: list | None, max_params: int) -> list[tuple[str, list]]:
    """The statements of one read with their bound values: one, or one per batch of keys.
    ``since`` is the cursor value already converted for the database (see sqlvalues.cursor_value)."""
    assert res.sql is not None
    refused = [f"where on '{f}'" for f in (where or {}) if f not in (res.where or {})]
    refused += ["since"] if since is not None and res.since is None else []
    refused += ["keys"] if keys is not None and res.keys is None else []
    if refused:
        raise ValueError(f"it cannot be filtered by {', '.join(refused)} (the resource declares no such "
                         "condition; validate refuses such flows)")
    query = res.sql.pick(dialect)
    scope = {"settings": settings}
    texts, params = [], []
    for field, value in (where or {}).items():
        cond = res.where[field].pick(dialect).parts[0]  # type: ignore[index]
        texts.append(cond.text)
        params += bind_values(cond, {**scope, "value": value}, True)
    if since is not None:
        cond = res.since.pick(dialect).parts[0]  # type: ignore[union-attr]
        texts.append(cond.text)
        params += bind_values(cond, {**scope, "since": since}, True)
    head = bind_values(query.head, scope, True)
    tail = bind_values(query.tail, scope, True) if query.tail is not None else []
    # incremental or not (a first run has no cursor yet), in the cursor's order: a run cut part-way resumes
    # quoted: PostgreSQL folds an unquoted name to lower case, and Sage's columns are mixed case
    order = (f" ORDER BY {quoted(res.since.pick(dialect).column)}, {quoted(res.key)}"  # type: ignore[arg-type]
             if res.since is not None and keys is None else "")

    def one(extra_text: list[str], extra_params: list) -> tuple[str, list]:
        conditions = " AND ".join(texts + extra_text) or "1 = 1"
        if query.tail is None:
            return query.head.text + order, head
        return query.head.text + f"({conditions})" + query.tail.text + order, head + params + extra_params + tail

    if keys is None:
        return [one([], [])]
    before, after = res.keys.pick(dialect).parts  # type: ignore[union-attr]
    fixed = bind_values(before, scope, True), bind_values(after, scope, True)
    room = max(1, max_params - len(head) - len(tail) - len(params) - len(fixed[0]) - len(fixed[1]))
    out = []
    for start in range(0, len(keys), room):
        chunk = list(keys[start:start + room])
        out.append(one([before.text + key_list(len(chunk)) + after.text], fixed[0] + chunk + fixed[1]))
    return out
