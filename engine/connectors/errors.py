"""Errors of the protocol layer (shared by the HTTP client and the auth styles)."""
from __future__ import annotations


class HttpError(Exception):
    """A request that failed for good (after the retries that were safe). Never carries a secret."""

    def __init__(self, message: str, status: int | None = None, transient: bool = False,
                 outcome_unknown: bool = False):
        super().__init__(message)
        self.message, self.status = message, status
        self.transient = transient  # a 5xx/429/timeout: worth another try later
        self.outcome_unknown = outcome_unknown  # the server may have applied a write


class AuthError(HttpError):
    """The credentials were refused, or no token could be obtained."""
