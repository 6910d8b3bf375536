"""ODBC: reading Sage 100 SQL tables (``F_ARTICLE``, ``F_ARTSTOCK``...) through a DSN or a
connection string, with pyodbc and the system's unixODBC driver manager.

pyodbc is imported only when an ODBC endpoint is used, so machines without the ODBC system
library can still validate, dry-run and run HTTP flows; when it is missing the error says which
system package to install. Values come back exact: SQL ``numeric`` columns are ``Decimal``.
"""
from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any


class OdbcUnavailable(Exception):
    """pyodbc or the system ODBC library is missing."""


def load_pyodbc():
    try:
        import pyodbc
    except ImportError as exc:
        text = str(exc)
        if "libodbc" in text:
            raise OdbcUnavailable(
                "the system ODBC library is missing (libodbc.so.2): install unixODBC, e.g. "
                "`apt-get install unixodbc` (and the driver for your database, e.g. libsqliteodbc "
                "or Microsoft's msodbcsql18 for SQL Server)") from None
        raise OdbcUnavailable(f"pyodbc cannot be imported: {text}") from None
    return pyodbc


class OdbcEndpoint:
    """Runs parameterised SELECTs; rows come back as dicts keyed by column name."""

    def __init__(self, connection_string: str, timeout: int = 30):
        pyodbc = load_pyodbc()
        try:
            self.connection = pyodbc.connect(connection_string, timeout=timeout, autocommit=True)
        except pyodbc.Error as exc:
            raise OdbcUnavailable(f"cannot connect: {_message(exc)}") from None

    def query(self, sql: str, params: tuple = (), batch: int = 500) -> Iterator[list[dict]]:
        cursor = self.connection.cursor()
        cursor.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        while True:
            rows = cursor.fetchmany(batch)
            if not rows:
                return
            yield [{name: _exact(value) for name, value in zip(columns, row)} for row in rows]

    def close(self) -> None:
        self.connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _exact(value: Any) -> Any:
    if isinstance(value, float):  # drivers without numeric support hand floats over
        return Decimal(repr(value))
    return value


def _message(exc: Exception) -> str:
    parts = [str(a) for a in getattr(exc, "args", ()) if a]
    return parts[-1] if parts else str(exc)
