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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.connectors.base import ConnectorPlan, ProtocolSpec
from engine.connectors.context import ConnectorCompiler
from engine.connectors.errors import OdbcUnavailable
from engine.connectors.sqltext import SqlText, SqlTextError, parse_sql
from engine.connectors.templates import Template
from engine.util.suggest import hint_for

if TYPE_CHECKING:  # the endpoint is imported when a run opens one (see __getattr__ below)
    from engine.connectors.odbc_endpoint import OdbcEndpoint, load_pyodbc

# -- compiled parts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OdbcConnector:
    """The ODBC protocol's connector: connection string template, timeout, batch size."""

    connection: Template | None
    timeout: int
    batch: int


@dataclass(frozen=True)
class OdbcResource:
    """An ODBC resource: the SQL query reading its records."""

    sql: SqlText | None


@dataclass(frozen=True)
class Statement:
    """One SQL statement of an operation."""

    sql: SqlText
    each: tuple[str, ...] | None = None  # a list in the payload: the statement runs once per element


@dataclass(frozen=True)
class OdbcOperation:
    """An ODBC operation: its statements and the query giving its result."""

    statements: tuple[Statement, ...]
    result: SqlText | None


def _sql(text: Any, ctx: ConnectorCompiler, path: tuple, roots: tuple[str, ...],
         needs: set | None) -> SqlText | None:
    """Parse SQL and check its placeholders: ``settings.NAME`` declared, ``roots`` (payload, item) with a
    field, other names collected into ``needs`` (values the flow gives in ``with``)."""
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
    return sql if ok else None


def compile_connector(data: Mapping, ctx: ConnectorCompiler) -> OdbcConnector:
    odbc = data.get("odbc") or {}
    return OdbcConnector(ctx.template(odbc.get("connection", "{settings.connection}"), ("odbc", "connection")),
                         int(odbc.get("timeout", 30)), int(odbc.get("batch", 500)))


def compile_resource(name: str, res: Mapping, ctx: ConnectorCompiler, conn: OdbcConnector
                     ) -> tuple[OdbcResource, tuple[None, None, None]]:
    path = ("resources", name)
    if "sql" not in res:
        ctx.error("missing-key", "an odbc resource needs `sql` (the SELECT that reads it)", path)
    # where/since/keys are not offered yet: validate refuses flows asking for them
    return OdbcResource(_sql(res.get("sql"), ctx, path + ("sql",), (), None)), (None, None, None)


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
    statements = []
    if "sql" in op:
        sql = _sql(op["sql"], ctx, path + ("sql",), ("payload",), needs)
        statements += [Statement(sql)] if sql is not None else []
    for index, entry in enumerate(op.get("statements") or ()):
        where = path + ("statements", index)
        if isinstance(entry, Mapping):
            each = entry.get("each")
            sql = _sql(entry.get("sql"), ctx, where + ("sql",), ("payload", "item") if each else ("payload",),
                       needs)
            if sql is not None:
                statements.append(Statement(sql, tuple(each.split(".")) if isinstance(each, str) else None))
        else:
            sql = _sql(entry, ctx, where, ("payload",), needs)
            statements += [Statement(sql)] if sql is not None else []
    result = _sql(op.get("result"), ctx, path + ("result",), ("payload",), needs)
    return OdbcOperation(tuple(statements), result)


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
    frozenset({"sql"}), frozenset({"sql", "statements", "result"}))

__all__ = ["PROTOCOL", "OdbcEndpoint", "OdbcUnavailable", "load_pyodbc"]
