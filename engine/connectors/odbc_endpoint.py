"""An ODBC endpoint: one compiled ``protocol: odbc`` connector opened with one client's settings.

It connects on first use (``autocommit`` off): a read streams one page per ``fetchmany`` and then ends
its transaction, so no lock is held between runs; a write is one transaction — its statements, then
its ``result`` query — committed, or rolled back on any error. Database errors become
:class:`~engine.connectors.errors.EndpointError` with the driver's message, scrubbed of every secret:
a deadlock or lock timeout is ``transient`` (worth another try), a connection lost while committing
leaves the ``outcome_unknown`` (the runner looks the document up before writing again).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from engine.connectors.base import ConnectorPlan, WriteResult
from engine.connectors.errors import EncodeError, EndpointError, OdbcUnavailable
from engine.connectors.secrets import mask_connection_string, settings_scrubber
from engine.connectors.sqltext import SqlText
from engine.connectors.sqlvalues import bind_values, exact, shown, value_at


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
                raise self._fail(f"cannot connect to {self.location()}", exc, transient=True) from None
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

    def _fail(self, what: str, exc: Exception, *, transient: bool = False, committing: bool = False) -> EndpointError:
        state = _state(exc)
        text = _message(exc)
        lost = state.startswith("08")
        transient = transient or lost or state in _TRANSIENT_STATES or \
            any(word in text.lower() for word in _LOCK_WORDS)
        if lost:
            self._drop()
        suffix = f" (SQLSTATE {state})" if state else ""
        return EndpointError(self.scrub(f"{what}: {text}{suffix}"), transient=transient,
                             outcome_unknown=committing and lost)

    # -- reading -----------------------------------------------------------------------------------
    def read(self, resource: str, *, where: Mapping[str, Any] | None = None, since: tuple | None = None,
             keys: tuple | None = None, page_size: int | None = None) -> Iterator[list[dict]]:
        """Pages of rows (dicts keyed by column name), ``batch`` rows (or ``page_size``) each."""
        if where or since is not None or keys is not None:  # validate refuses flows asking for these
            raise EndpointError(f"resource '{resource}' of connector '{self.plan.name}': odbc resources "
                                "cannot be filtered yet (where/since/keys); use `filter:` after reading")
        sql = self.plan.resources[resource].detail.sql
        text, params = self._bind(sql, {}, reveal=True)
        size = page_size or self.odbc.batch
        cursor = None
        try:
            try:
                cursor = self._connect().cursor()
                cursor.execute(text, params)
                columns = [c[0] for c in cursor.description or ()]
                while True:
                    rows = cursor.fetchmany(size)
                    if not rows:
                        return
                    yield [{name: exact(value) for name, value in zip(columns, row)} for row in rows]
            except self._pyodbc.Error as exc:
                raise self._fail(f"reading '{resource}' from {self.location()}", exc) from None
            except _VALUE_ERRORS as exc:  # a column the driver cannot convert (bad encoding...)
                raise EndpointError(self.scrub(f"reading '{resource}' from {self.location()}: {exc}")) from None
        finally:
            if cursor is not None:
                try:
                    cursor.close()
                except self._pyodbc.Error:
                    pass
            self._end_read()

    # -- writing -----------------------------------------------------------------------------------
    def _op(self, operation: str):  # an odbc.OdbcOperation
        return self.plan.operations[operation].detail

    def _bind(self, sql: SqlText, scope: Mapping[str, Any], reveal: bool) -> tuple[str, list]:
        return sql.text, bind_values(sql, {**scope, "settings": self.settings}, reveal)

    def _batches(self, operation: str, payload: Any, values: Mapping[str, Any] | None,
                 reveal: bool) -> tuple[list[tuple[str, list]], tuple[str, list] | None]:
        """Every statement of a write with its bound values, and the result query."""
        op = self._op(operation)
        scope = {**(values or {}), "payload": payload}
        try:
            batches = []
            for statement in op.statements:
                if statement.each is None:
                    batches.append(self._bind(statement.sql, scope, reveal))
                    continue
                items = value_at(scope, ("payload",) + statement.each)
                if not isinstance(items, list):
                    raise ValueError(f"`each: {'.'.join(statement.each)}` is not a list in the payload")
                batches += [self._bind(statement.sql, {**scope, "item": item}, reveal) for item in items]
            result = self._bind(op.result, scope, reveal) if op.result is not None else None
        except (ValueError, TypeError) as exc:
            raise EncodeError(self.scrub(f"operation '{operation}': the payload cannot be written: {exc}")) from None
        return batches, result

    def write(self, operation: str, payload: Any, values: Mapping[str, Any] | None = None) -> WriteResult:
        """One transaction: every statement, then the ``result`` query; committed, or rolled back."""
        batches, result_query = self._batches(operation, payload, values, reveal=True)
        what = f"operation '{operation}' on {self.location()}"
        self._end_read()
        conn = self._connect()
        cursor = None
        rows, result = 0, None
        try:
            cursor = conn.cursor()
            for text, params in batches:
                cursor.execute(text, params)
                rows += max(cursor.rowcount, 0)
            if result_query is not None:
                cursor.execute(*result_query)
                found = cursor.fetchone()
                result = exact(found[0]) if found else None
        except self._pyodbc.Error as exc:
            error = self._fail(what, exc)
            self._rollback()
            raise error from None
        except _VALUE_ERRORS as exc:  # a value the driver cannot bind (an integer beyond 64 bits...)
            self._rollback()
            raise EncodeError(self.scrub(f"{what}: a value cannot be bound: {exc}")) from None
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
        batches, _ = self._batches(operation, None, values, reveal=True)
        if len(batches) != 1:
            raise EndpointError(f"operation '{operation}' is used as a look-up: it must be one SELECT (`sql`)")
        cursor = None
        try:
            cursor = self._connect().cursor()
            cursor.execute(*batches[0])
            columns = [c[0] for c in cursor.description or ()]
            return [{name: exact(value) for name, value in zip(columns, row)} for row in cursor.fetchmany(1000)]
        except (self._pyodbc.Error, *_VALUE_ERRORS) as exc:
            raise self._fail(f"look-up '{operation}' on {self.location()}", exc, transient=True) from None
        finally:
            _close(cursor, self._pyodbc)
            self._end_read()

    def describe_write(self, operation: str, payload: Any, values: Mapping[str, Any] | None = None) -> dict:
        """The SQL a write would run (``?`` for each parameter) and the values bound, secrets masked."""
        batches, result_query = self._batches(operation, payload, values, reveal=False)
        lines = []
        for text, params in batches:
            lines.append(text)
            if params:
                lines.append("  -- ? = " + ", ".join(shown(v) for v in params))
        if result_query is not None:
            lines.append("-- then, for the created id: " + result_query[0])
            if result_query[1]:
                lines.append("  -- ? = " + ", ".join(shown(v) for v in result_query[1]))
        return {"method": "SQL", "url": self.location(), "headers": {}, "body": self.scrub("\n".join(lines))}


def _close(cursor, pyodbc) -> None:
    if cursor is not None:
        try:
            cursor.close()
        except pyodbc.Error:
            pass
