"""Errors of the protocol layer, the same for every protocol (HTTP, ODBC, files)."""
from __future__ import annotations


class EndpointError(Exception):
    """A read or write that failed for good (after the retries that were safe). Never carries a
    secret: endpoints scrub every message they raise."""

    def __init__(self, message: str, status: int | None = None, transient: bool = False,
                 outcome_unknown: bool = False, unreachable: bool = False, refused: bool = False,
                 vendor: str | None = None):
        super().__init__(message)
        self.refused = refused  # a reservation the system refused (not enough stock): a business outcome
        self.vendor = vendor  # the system's own words alone (no URL, no status): what a customer may be told
        self.message, self.status = message, status
        self.transient = transient  # a 5xx/429/timeout/lock: worth another try later
        self.outcome_unknown = outcome_unknown  # the system may have applied a write
        self.unreachable = unreachable  # nothing answers (refused, no such host, budget spent): stop the flow


class EncodeError(EndpointError):
    """A payload that cannot be written in the operation's format (nothing was sent)."""


class HttpError(EndpointError):
    """An HTTP request that failed; ``status`` is the HTTP status when there was an answer."""


class AuthError(HttpError):
    """The credentials were refused, or no token could be obtained."""


class OdbcUnavailable(EndpointError):
    """pyodbc, the system ODBC library or the ODBC driver is missing: nothing can be sent."""


class ConnectorError(Exception):
    """A connector definition that cannot be compiled (the diagnostics say where and why)."""

    def __init__(self, diagnostics: list):
        self.diagnostics = diagnostics
        super().__init__("; ".join(str(d.format_text()) for d in diagnostics) or "invalid connector")
