"""An ODBC endpoint: one compiled ``protocol: odbc`` connector opened with one client's settings.

It connects on first use. A read is one statement run in autocommit mode, streamed one page per
``fetchmany`` (drivers such as SQLite's hold the whole result in memory inside a transaction), so no
lock is held between runs; a write is one transaction — its statements, then
its ``result`` query — committed, or rolled back on any error. Database errors become
:class:`~engine.connectors.errors.EndpointError` with the driver's message, scrubbed of every secret:
a deadlock or lock timeout is ``transient`` (worth another try), a connection lost while committing
leaves the ``outcome_unknown`` (the runner looks the document up before writing again).
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.connectors.base import ConnectorPlan, WriteResult
from engine.connectors.errors import EncodeError, EndpointError, OdbcUnavailable
from engine.connectors.secrets import mask_connection_string, settings_scrubber
from engine.connectors.sqlfilters import build
from engine.connectors.sqlvalues import Fetched, bind_values, column_readers, cursor_value, exact, shown, value_at
from engine.errors import TransformError


def load_pyodbc():
    """pyodbc, imported only when an ODBC endpoint opens; a clear error when it or libodbc is missing."""
    try:
        import pyodbc
    except ImportError as exc:
        text = str(exc)
        if "libodbc" in text:
            raise OdbcUnavailable(
                "the system ODBC library is missing (libodbc.so.2): install unixODBC, e.g. "
                "`apt-get install unixodbc` (and the driver for your database, e.g. libsqliteodbc "
                "or Microsoft's msodbcsql18 for SQL Server)") from None
        raise OdbcUnavailable(f"pyodbc cannot be imported: {text} (install it: `pip install pyodbc`)") from None
    return pyodbc


# SQLSTATEs: 40001 deadlock / serialization failure; HYT00/HYT01 timeouts; 08xxx connection problems
_TRANSIENT_STATES = {"40001", "40P01", "HYT00", "HYT01"}
_LOCK_WORDS = ("deadlock", "lock request time out", "lock wait timeout", "database is locked", "is busy",
               "could not obtain lock", "timeout expired")


_LOST_WORDS = ("connection has been closed", "closed connection", "connection is closed", "connection has been lost",
               "server closed the connection", "terminating connection", "no connection to the server")
_LOST_STATES = {"57P01", "57P02", "57P03"}  # PostgreSQL: the server shut down or ended the session
_VALUE_ERRORS = (OverflowError, TypeError, ValueError)  # raised by pyodbc itself, before the database


def _state(exc: Exception) -> str:
    """The SQLSTATE of a pyodbc error (its first argument, when it has a message after it)."""
    args: tuple = tuple(getattr(exc, "args", ()))
    return args[0] if len(args) > 1 and isinstance(args[0], str) else ""


def _message(exc: Exception) -> str:
    parts = [str(a) for a in getattr(exc, "args", ()) if a]
    return parts[-1] if parts else str(exc)


class OdbcEndpoint:
    """One ODBC connector opened with one client's settings. Connects on first use; a lost
    connection is dropped and made again on the next call."""

    def __init__(self, name: str, plan: ConnectorPlan, settings: Mapping[str, Any], **options):
        self.name = name
        self.plan = plan
        self.odbc = plan.detail  # an odbc.OdbcConnector
        self.settings = dict(settings)
        self.scrub = settings_scrubber(settings)
        self._pyodbc = load_pyodbc()
        ctx = {"settings": self.settings}
        template = self.odbc.connection
        self._connection_string = template.text_for(ctx, reveal=True) if template else ""
        self._location = mask_connection_string(self.scrub(template.text_for(ctx))) if template else ""
        self._conn = None
        try:
            self.dialect = self.odbc.dialects.resolve(self.settings)
        except ValueError as exc:
            raise EndpointError(f"connector '{plan.name}': {exc}") from None
        zone = self.odbc.timezone.text_for(ctx, reveal=True).strip() if self.odbc.timezone else "UTC"
        try:
            self.zone = ZoneInfo(zone)
        except (ValueError, ZoneInfoNotFoundError, OSError):  # OSError: a folder of the database, `Europe`
            raise EndpointError(f"connector '{plan.name}': unknown time zone {zone!r} (an IANA name such as "
                                "Europe/Paris)") from None

    # -- connection --------------------------------------------------------------------------------
    def location(self) -> str:
        return f"odbc:{self._location}"

    def _connect(self):
        if self._conn is None:
            pyodbc = self._pyodbc
            try:
                conn = pyodbc.connect(self._connection_string, timeout=self.odbc.timeout, autocommit=False)
            except pyodbc.Error as exc:
                if _state(exc) in ("IM002", "IM003", "IM004") or "can't open lib" in _message(exc).lower():
                    # no such DSN or driver, or the driver's library cannot be loaded
                    raise OdbcUnavailable(self.scrub(
                        f"{self.location()}: the ODBC driver or data source is not installed: {_message(exc)} "
                        f"(drivers installed: {', '.join(pyodbc.drivers()) or 'none'}; install your database's "
                        "ODBC driver, e.g. libsqliteodbc or msodbcsql18, or declare the DSN in odbc.ini)")) from None
                # nothing was sent, and every other record would wait the same: the flow stops
                raise self._fail(f"cannot connect to {self.location()}", exc, transient=True, unreachable=True) from None
            try:
                conn.timeout = self.odbc.timeout  # per query; not every driver supports it
            except pyodbc.Error:
                pass
            self._conn = conn
        return self._conn

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # already broken: nothing more to release
                pass

    def _end_read(self) -> None:
        """End the read transaction (a reader must not hold locks between pages of a run)."""
        if self._conn is not None:
            try:
                self._conn.rollback()
            except self._pyodbc.Error:
                self._drop()

    def close(self) -> None:
        self._end_read()
        self._drop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _fail(self, what: str, exc: Exception, *, transient: bool = False, committing: bool = False,
              unreachable: bool = False) -> EndpointError:
        state = _state(exc)
        text = _message(exc)
        lost = state.startswith("08") or state in _LOST_STATES or any(word in text.lower() for word in _LOST_WORDS)
        transient = transient or lost or state in _TRANSIENT_STATES or \
            any(word in text.lower() for word in _LOCK_WORDS)
        if lost:
            self._drop()
        suffix = f" (SQLSTATE {state})" if state else ""
        return EndpointError(self.scrub(f"{what}: {text}{suffix}"), transient=transient,
                             outcome_unknown=committing and lost, unreachable=unreachable)

    # -- reading -----------------------------------------------------------------------------------
    def read(self, resource: str, *, where: Mapping[str, Any] | None = None, since: tuple | None = None,
             keys: tuple | None = None, page_size: int | None = None) -> Iterator[list[dict]]:
        """Pages of rows (dicts keyed by column name), ``batch`` rows (or ``page_size``) each; filtered
        by the conditions the resource declares (:mod:`engine.connectors.sqlfilters`)."""
        res = self.plan.resources[resource].detail
        cursor_at = cursor_value(since[1], self.zone) if since is not None else None
        try:
            queries = build(res, self.dialect, self.settings, where=where, since=cursor_at,
                            keys=list(keys[1]) if keys is not None else None, max_params=self.odbc.max_params)
        except (KeyError, TypeError, ValueError) as exc:  # validate refuses filters the resource lacks
            raise EndpointError(f"resource '{resource}' of connector '{self.plan.name}': {exc}") from None
        size = page_size or self.odbc.batch
        what = f"reading '{resource}'" + (f" ({res.loc})" if res.loc else "") + f" from {self.location()}"
        try:
            for text, params in queries:
                yield from self._pages(text, params, size, what)
        finally:
            self._end_read()

    def _pages(self, text: str, params: list, size: int, what: str) -> Iterator[list[dict]]:
        cursor = None
        try:
            conn = self._connect()
            if not conn.autocommit:  # a read is one statement: some drivers (SQLite's) stream rows only so
                conn.autocommit = True
            cursor = conn.cursor()
            cursor.execute(text, params)
            columns = [c[0] for c in cursor.description or ()]
            convert = column_readers(cursor.description, self.zone)
            while True:
                rows = cursor.fetchmany(size)
                if not rows:
                    return
                page = [dict(zip(columns, row)) for row in rows]
                for index, fn in convert:
                    name = columns[index]
                    for record in page:
                        value = record[name]
                        if value is not None:
                            record[name] = fn(value)
                yield page
        except self._pyodbc.Error as exc:
            raise self._fail(what, exc) from None
        except _VALUE_ERRORS as exc:  # a column the driver cannot convert (bad encoding...)
            raise EndpointError(self.scrub(f"{what}: {exc}")) from None
        finally:
            _close(cursor, self._pyodbc)

    # -- writing -----------------------------------------------------------------------------------
    def _op(self, operation: str):  # an odbc.OdbcOperation
        return self.plan.operations[operation].detail

    def _what(self, operation: str) -> str:
        op = self._op(operation)
        return f"operation '{operation}'" + (f" ({op.where})" if op.where else "") + f" on {self.location()}"

    def _statements(self, operation: str, scope: dict, reveal: bool) -> Iterator[tuple[Any, str, list, dict]]:
        """Each statement of a write, as (statement, text, bound values, its scope): once per element of
        its ``each`` list. Bound lazily, so a statement binds the rows fetched before it (``scope``)."""
        for statement in self._op(operation).statements:
            sql = statement.sql.pick(self.dialect)
            try:
                if statement.each is None:
                    yield statement, sql.text, bind_values(sql, scope, reveal), scope
                    continue
                items = value_at(scope, ("payload",) + statement.each)
                if not isinstance(items, list):
                    raise ValueError(f"`each: {'.'.join(statement.each)}` is not a list in the payload")
                for item in items:
                    bound = {**scope, "item": item}
                    yield statement, sql.text, bind_values(sql, bound, reveal), bound
            except (ValueError, TypeError, TransformError) as exc:
                raise EncodeError(self.scrub(f"operation '{operation}': the payload cannot be written: {exc}")) from None

    def _result(self, operation: str, scope: dict, reveal: bool) -> tuple[str, list] | None:
        op = self._op(operation)
        if op.result is None:
            return None
        sql = op.result.pick(self.dialect)
        try:
            return sql.text, bind_values(sql, scope, reveal)
        except (ValueError, TypeError, TransformError) as exc:
            raise EncodeError(self.scrub(f"operation '{operation}': the payload cannot be written: {exc}")) from None

    def write(self, operation: str, payload: Any, values: Mapping[str, Any] | None = None) -> WriteResult:
        """One transaction: every statement (a ``fetch`` step reads a row later ones bind), then the
        ``result``; committed, or rolled back on any error."""
        op = self._op(operation)
        what = self._what(operation)
        scope: dict = {**(values or {}), "payload": payload, "settings": self.settings}
        self._end_read()
        conn = self._connect()
        cursor = None
        rows, result = 0, None
        try:
            if conn.autocommit:  # a write is one transaction
                conn.autocommit = False
            cursor = conn.cursor()
            for statement, text, params, bound in self._statements(operation, scope, reveal=True):
                cursor.execute(text, params)
                if statement.fetch is None:
                    rows += max(cursor.rowcount, 0)
                    if statement.refuse is not None and cursor.rowcount == 0:  # a reservation: all or none
                        said = self.scrub(refusal(statement.refuse, bound))
                        raise EndpointError(f"{what}: refused: {said}", refused=True, vendor=said)
                    continue
                found = cursor.fetchone()
                if found is None:
                    raise EndpointError(self.scrub(f"{what}: `fetch` step '{statement.fetch}' found no row"))
                scope[statement.fetch] = {c[0]: exact(v) for c, v in zip(cursor.description, found)}
            if op.result_value is not None:
                result = value_at(scope, op.result_value)
            elif (query := self._result(operation, scope, reveal=True)) is not None:
                cursor.execute(*query)
                found = cursor.fetchone()
                result = exact(found[0]) if found else None
        except self._pyodbc.Error as exc:
            error = self._fail(what, exc)
            self._rollback()
            raise error from None
        except _VALUE_ERRORS as exc:  # a value the driver cannot bind (an integer beyond 64 bits...)
            self._rollback()
            raise EncodeError(self.scrub(f"{what}: a value cannot be bound: {exc}")) from None
        except BaseException:
            self._rollback()
            raise
        finally:
            _close(cursor, self._pyodbc)
        try:
            conn.commit()
        except self._pyodbc.Error as exc:
            error = self._fail(f"{what} (while committing)", exc, committing=True)
            self._rollback()
            raise error from None
        return WriteResult(None, {"rows": rows, "result": result}, result)

    def _rollback(self) -> None:
        if self._conn is not None:
            try:
                self._conn.rollback()
            except self._pyodbc.Error:
                self._drop()

    def find(self, operation: str, values: Mapping[str, Any]) -> list:
        """Run a look-up (a SELECT with ``{reference}``); its rows, as dicts."""
        batches = list(self._statements(operation, {**values, "payload": None, "settings": self.settings}, True))
        if len(batches) != 1:
            raise EndpointError(f"operation '{operation}' is used as a look-up: it must be one SELECT (`sql`)")
        cursor = None
        try:
            cursor = self._connect().cursor()
            cursor.execute(batches[0][1], batches[0][2])
            columns = [c[0] for c in cursor.description or ()]
            return [{name: exact(value) for name, value in zip(columns, row)} for row in cursor.fetchmany(1000)]
        except (self._pyodbc.Error, *_VALUE_ERRORS) as exc:
            raise self._fail(f"look-up {self._what(operation)}", exc, transient=True) from None
        finally:
            _close(cursor, self._pyodbc)
            self._end_read()

    def describe_write(self, operation: str, payload: Any, values: Mapping[str, Any] | None = None) -> dict:
        """The SQL a write would run (``?`` for each parameter) and the values bound, secrets masked;
        a value a ``fetch`` step would read is shown as ``<fetched: piece.DC_Piece>``."""
        scope: dict = {**(values or {}), "payload": payload, "settings": self.settings}
        lines = []
        for statement, text, params, _ in self._statements(operation, scope, reveal=False):
            if statement.fetch is not None:
                lines.append(f"-- fetch {statement.fetch}, in the transaction:")
                scope[statement.fetch] = Fetched(statement.fetch)
            lines.append(text)
            if params:
                lines.append("  -- ? = " + ", ".join(shown(v) for v in params))
        op = self._op(operation)
        if op.result_value is not None:
            lines.append("-- then, for the created id: " + shown(value_at(scope, op.result_value)))
        elif (query := self._result(operation, scope, reveal=False)) is not None:
            lines.append("-- then, for the created id: " + query[0])
            if query[1]:
                lines.append("  -- ? = " + ", ".join(shown(v) for v in query[1]))
        return {"method": "SQL", "url": self.location(), "headers": {}, "body": self.scrub("\n".join(lines))}


def _close(cursor, pyodbc) -> None:
    if cursor is not None:
        try:
            cursor.close()
        except pyodbc.Error:
            pass


def refusal(text: str, scope: dict) -> str:
    """A reservation's refusal text with its ``{item.FIELD}`` / ``{payload.FIELD}`` placeholders filled."""
    def value(match: re.Match) -> str:
        try:
            return str(value_at(scope, tuple(match[1].split("."))))
        except (KeyError, TypeError, ValueError, IndexError, TransformError):
            return match[0]
    return re.sub(r"\{((?:item|payload)(?:\.[A-Za-z_][A-Za-z0-9_]*)+)\}", value, text)
