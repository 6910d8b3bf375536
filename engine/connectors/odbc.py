"""The ODBC protocol: Sage 100 SQL tables (``F_ARTICLE``, ``F_ARTSTOCK``, ``F_DOCENTETE``...) through a
DSN or a connection string, with pyodbc and the system's unixODBC driver manager.

A connector definition says::

    protocol: odbc
    odbc: { connection: "DSN=SAGE;UID={settings.user};PWD={settings.password}", timeout: 30, batch: 500 }
    resources:
      articles: { sql: "SELECT AR_Ref, AR_Design FROM F_ARTICLE WHERE AR_Sommeil = 0", key: AR_Ref }
    operations:
      set_stock: { sql: "UPDATE F_ARTSTOCK SET AS_QteSto = {payload.quantity} WHERE AR_Ref = {ref}" }

Every ``{placeholder}`` of the SQL is a bound parameter (:mod:`engine.connectors.sqltext`): ``payload.X``
from the mapped payload, ``settings.X`` from a setting, ``item.X`` from the current element of a
statement's ``each`` list, any other name from the flow's ``with`` values. Each ``write`` is one
transaction (its ``statements``, then its ``result`` query); a failure rolls it back.

pyodbc is imported only when an ODBC endpoint opens, so machines without the ODBC system library can
still validate, dry-run and run HTTP flows; when it is missing the error says which system package
to install. Values come back exact: SQL ``numeric`` columns are ``Decimal``, never ``float``. This
module compiles definitions; the endpoint is :mod:`engine.connectors.odbc_endpoint`, the SQL text
:mod:`engine.connectors.sqltext`.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.connectors.base import ConnectorPlan, ProtocolSpec
from engine.connectors.context import ConnectorCompiler
from engine.connectors.errors import OdbcUnavailable
from engine.connectors.sqldialect import Dialects, Variants, compile_dialects, compile_variants
from engine.connectors.sqlfilters import SqlResource, compile_sql_resource
from engine.connectors.sqltext import SqlText, SqlTextError, parse_sql
from engine.connectors.templates import Template
from engine.util.suggest import hint_for
from engine.util.records import frozen

if TYPE_CHECKING:  # the endpoint is imported when a run opens one (see __getattr__ below)
    from engine.connectors.odbc_endpoint import OdbcEndpoint, load_pyodbc

# -- compiled parts --------------------------------------------------------------------------------


@frozen
class OdbcConnector:
    """The ODBC protocol's connector: connection string template, timeout, batch size, dialects,
    the time zone of the database's naive datetimes, the most parameters a statement may bind."""

    connection: Template | None
    timeout: int
    batch: int
    dialects: Dialects = Dialects()
    timezone: Template | None = None
    max_params: int = 500


OdbcResource = SqlResource  # a resource's SELECT and filters (engine.connectors.sqlfilters)


@frozen
class Statement:
    """One SQL statement of an operation (per dialect)."""

    sql: Variants
    each: tuple[str, ...] | None = None  # a list in the payload: the statement runs once per element
    fetch: str | None = None  # a SELECT whose first row later statements bind as {NAME.COLUMN}
    refuse: str | None = None  # `refuse_unless_rows`: no row changed refuses the write with this text


@frozen
class OdbcOperation:
    """An ODBC operation: its statements, the query (or fetched value) giving its result, and where it
    is declared (for messages)."""

    statements: tuple[Statement, ...]
    result: Variants | None
    where: str = ""
    result_value: tuple[str, ...] | None = None  # `result: "{piece.DC_Piece}"`: a fetched value

    @property
    def refuses(self) -> bool:
        """A reservation: one of its statements refuses the write when it changes no row."""
        return any(statement.refuse is not None for statement in self.statements)


def _pipes(sql: SqlText, ctx: ConnectorCompiler, path: tuple) -> SqlText | None:
    """The transforms of ``{value | transform}`` placeholders, compiled once (bare names only)."""
    if not sql.pipes:
        return sql
    from engine.lang.builtins import default_registry

    registry, applied = default_registry(), []
    for names in sql.pipes:
        fns = []
        for name in names:
            spec = registry.get("transform", name)
            if spec is None:
                ctx.error("unknown-transform", f"unknown transform '{name}' in a placeholder", path,
                          hint_for(name, registry.names("transform"), "transforms"))
                return None
            if spec.needs_scope or (spec.args_schema is not None and not spec.args_optional):
                ctx.error("bad-transform", f"transform '{name}' needs arguments: a placeholder takes bare "
                          "transforms only (`{piece.DC_Piece | next_number}`)", path)
                return None
            fns.append(spec.factory(None, None))
        applied.append(_chain(fns) if fns else None)
    return replace(sql, apply=tuple(applied))


def _chain(fns: list) -> Any:
    def run(value: Any) -> Any:
        for fn in fns:
            value = fn(value)
        return value
    return run


def _sql(text: Any, ctx: ConnectorCompiler, path: tuple, roots: tuple[str, ...],
         needs: set | None) -> SqlText | None:
    """Parse SQL and check its placeholders: ``settings.NAME`` declared, ``roots`` (payload, item,
    fetched rows) with a field, other names collected into ``needs`` (values the flow gives in ``with``)."""
    if not isinstance(text, str):
        return None
    try:
        sql = parse_sql(text)
    except SqlTextError as exc:
        ctx.error("bad-sql", exc.message, path)
        return None
    ok = True
    for parts in sql.params:
        shown_name = ".".join(parts)
        if parts[0] == "settings":
            if len(parts) != 2 or parts[1] not in ctx.settings:
                ctx.error("unknown-placeholder", f"{{{shown_name}}} is not a setting of connector '{ctx.name}'",
                          path, hint_for(parts[1] if len(parts) > 1 else "", ctx.settings, "settings"))
                ok = False
        elif parts[0] in roots:
            if len(parts) < 2:
                ctx.error("unknown-placeholder", f"{{{shown_name}}} is a whole object: name one of its fields, "
                          f"e.g. {{{shown_name}.id}}", path)
                ok = False
        elif needs is not None:
            needs.add(parts[0])
        else:
            ctx.error("unknown-placeholder", f"unknown placeholder {{{shown_name}}}", path,
                      "a resource's SQL may use {settings.NAME} only (a read gets no flow values)")
            ok = False
    return _pipes(sql, ctx, path) if ok else None


def compile_connector(data: Mapping, ctx: ConnectorCompiler) -> OdbcConnector:
    odbc = data.get("odbc") or {}
    zone = odbc.get("timezone", "UTC")
    if isinstance(zone, str) and "{" not in zone:
        try:
            ZoneInfo(zone)
        except (ValueError, ZoneInfoNotFoundError, OSError):  # OSError: a folder of the database, `Europe`
            ctx.error("bad-timezone", f"unknown time zone {zone!r} (an IANA name such as Europe/Paris)",
                      ("odbc", "timezone"))
    return OdbcConnector(ctx.template(odbc.get("connection", "{settings.connection}"), ("odbc", "connection")),
                         int(odbc.get("timeout", 30)), int(odbc.get("batch", 500)), compile_dialects(odbc, ctx),
                         ctx.template(zone, ("odbc", "timezone")), int(odbc.get("max_params", 500)))


def compile_resource(name: str, res: Mapping, ctx: ConnectorCompiler, conn: OdbcConnector):
    return compile_sql_resource(name, res, ctx, conn.dialects)


def compile_operation(name: str, op: Mapping, ctx: ConnectorCompiler, conn: OdbcConnector,
                      needs: set) -> OdbcOperation:
    path = ("operations", name)
    if ("sql" in op) == ("statements" in op):
        if "sql" in op:
            ctx.error("conflicting-keys", "an odbc operation has `sql` (one statement) or `statements` (a "
                      "list run in one transaction), not both", path + ("statements",))
        else:
            ctx.error("missing-key", "an odbc operation needs `sql` (one statement) or `statements` (a list "
                      "run in one transaction)", path)
    fetched: list[str] = []

    def sql(text: Any, where: tuple, *roots: str) -> Variants | None:
        return compile_variants(text, ctx, where, conn.dialects,
                                lambda t, at: _sql(t, ctx, at, ("payload", *fetched, *roots), needs))

    statements = []
    if "sql" in op:
        compiled = sql(op["sql"], path + ("sql",))
        statements += [Statement(compiled)] if compiled is not None else []
    for index, entry in enumerate(op.get("statements") or ()):
        where = path + ("statements", index)
        if isinstance(entry, Mapping) and "fetch" in entry:
            name_as = entry.get("as")
            compiled = sql(entry.get("fetch"), where + ("fetch",))
            if not isinstance(name_as, str) or name_as in ("payload", "item", "settings", *fetched):
                ctx.error("bad-fetch", "a `fetch` step names its row with `as` (not payload, item, settings or "
                          "an earlier step's name): later statements bind `{NAME.COLUMN}`", where + ("as",))
            else:
                fetched.append(name_as)
                if compiled is not None:
                    statements.append(Statement(compiled, fetch=name_as))
        elif isinstance(entry, Mapping) and "sql" in entry:
            each = entry.get("each")
            compiled = sql(entry.get("sql"), where + ("sql",), *(("item",) if each else ()))
            refuse = entry.get("refuse_unless_rows")
            if compiled is not None:
                statements.append(Statement(compiled, tuple(each.split(".")) if isinstance(each, str) else None,
                                            refuse=refuse if isinstance(refuse, str) else None))
        else:
            compiled = sql(entry, where)
            statements += [Statement(compiled)] if compiled is not None else []
    result, value = op.get("result"), None
    if isinstance(result, str) and re.fullmatch(r"\{[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+\}", result.strip()):
        value = tuple(result.strip()[1:-1].split("."))  # a fetched value, e.g. {piece.DC_Piece}
        if value[0] not in fetched:
            ctx.error("unknown-placeholder", f"`result: {result.strip()}` names no `fetch` step of the operation "
                      f"(steps: {', '.join(fetched) or 'none'})", path + ("result",))
        result = None
    loc = ctx.locate(path)
    return OdbcOperation(tuple(statements), sql(result, path + ("result",)), str(loc) if loc else "", value)


def open_endpoint(name: str, plan: ConnectorPlan, settings: Mapping[str, Any], **options) -> OdbcEndpoint:
    from engine.connectors.odbc_endpoint import OdbcEndpoint

    return OdbcEndpoint(name, plan, settings, **options)  # loads pyodbc


def __getattr__(name: str) -> Any:
    """``OdbcEndpoint`` and ``load_pyodbc`` from :mod:`engine.connectors.odbc_endpoint`, imported when
    first asked for: compiling a connector (``validate``) never needs the endpoint."""
    if name in ("OdbcEndpoint", "load_pyodbc"):
        from engine.connectors import odbc_endpoint

        return getattr(odbc_endpoint, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


PROTOCOL = ProtocolSpec(
    "odbc", "SQL databases through ODBC (Sage 100 SQL tables): SELECTs read, parameterised statements write, "
    "one transaction per record",
    compile_connector, compile_resource, compile_operation, open_endpoint,
    frozenset({"sql", "since", "keys", "where"}), frozenset({"sql", "statements", "result"}))

__all__ = ["PROTOCOL", "OdbcEndpoint", "OdbcUnavailable", "load_pyodbc"]
