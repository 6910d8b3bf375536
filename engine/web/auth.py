"""The dashboard's token: where it comes from, how a request proves it holds it, CSRF on the forms.

The token is a secret from the environment: ``PASSERELLE_DASHBOARD_TOKEN``, or the variable the
project names in ``project: { dashboard: { token_env: NAME } }``. Without one (or with one shorter than
:data:`MIN_LENGTH` characters) the dashboard does not start (:class:`DashboardDisabled`, a clear
message); ``/healthz`` is answered all the same.

A request proves it holds the token with ``Authorization: Bearer TOKEN`` (scripts, Prometheus) or with
the cookie the login form sets (a person): an HttpOnly, ``SameSite=Strict`` cookie holding when the login ends
and an HMAC of that time under the token — never the token itself — checked in constant time, and
refused by the server once expired. Forms that change something (replay)
carry a CSRF token (another HMAC of the token) and are refused when the browser says they come from
another origin.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from engine.errors import OperatorError
from engine.spec.env import Secret

TOKEN_ENV = "PASSERELLE_DASHBOARD_TOKEN"
MIN_LENGTH = 16
COOKIE = "passerelle_dashboard"
COOKIE_AGE = 12 * 3600  # seconds a login lasts
_ASCII_DIGITS = re.compile(r"[0-9]{1,12}")  # str.isdigit() takes `²`, which int() refuses


def _same(given: str, expected: str) -> bool:
    """Constant-time equality of what a browser sent (any text: headers come as latin-1, forms as UTF-8)
    and an ASCII value of ours; hmac.compare_digest raises on non-ASCII text, so bytes are compared."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("ascii"))


class DashboardDisabled(OperatorError):
    """No usable token: the dashboard (and ``/metrics``) are not served."""

    code = "dashboard"


def token_variable(settings: Mapping[str, Any] | None) -> str:
    """The environment variable holding the token: the project's ``dashboard.token_env`` or the default."""
    dashboard = settings.get("dashboard") if settings is not None and hasattr(settings, "get") else None
    named = dashboard.get("token_env") if isinstance(dashboard, Mapping) else None
    return named if isinstance(named, str) and named else TOKEN_ENV


def dashboard_token(environ: Mapping[str, str], settings: Mapping[str, Any] | None) -> Secret:
    """The configured token (a :class:`Secret`: registered, so no log or page ever shows it)."""
    name = token_variable(settings)
    value = environ.get(name, "")
    if not value.strip():
        raise DashboardDisabled(f"the dashboard needs a token and {name} is not set: the dashboard and /metrics "
                                f"are not served (/healthz is)\n  hint: set {name} to a long random value, e.g. "
                                "`export " + name + "=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')`")
    if len(value.strip()) < MIN_LENGTH:
        Secret(value)  # a short secret is still a secret: never shown
        raise DashboardDisabled(f"the dashboard token in {name} is shorter than {MIN_LENGTH} characters: the "
                                "dashboard and /metrics are not served (/healthz is)\n  hint: use a long random "
                                "value (32 characters or more)")
    return Secret(value.strip())


class Guard:
    """Checks requests against the token."""

    def __init__(self, token: Secret):
        key = token.reveal().encode()
        self._token = hashlib.sha256(key).digest()
        self._key = key
        self.csrf = hmac.new(key, b"passerelle dashboard csrf", hashlib.sha256).hexdigest()

    def valid_token(self, given: str) -> bool:
        return hmac.compare_digest(hashlib.sha256(given.encode()).digest(), self._token)

    def authenticated(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() == "bearer" and given:
            return self.valid_token(given.strip())
        return self.valid_session(request.cookies.get(COOKIE, ""))

    def session_value(self, expires: int) -> str:
        """``EXPIRES.MAC``: when the login ends (epoch seconds) and an HMAC of it under the token."""
        mac = hmac.new(self._key, f"passerelle dashboard session {expires}".encode(), hashlib.sha256).hexdigest()
        return f"{expires}.{mac}"

    def valid_session(self, value: str, now: float | None = None) -> bool:
        """A cookie this dashboard made, not expired (the server checks the time, not only the browser)."""
        expires, _, _ = value.partition(".")
        if not _ASCII_DIGITS.fullmatch(expires) or int(expires) < (time.time() if now is None else now):
            return False
        return _same(value, self.session_value(int(expires)))

    def log_in(self, response: Response, request: Request) -> None:
        value = self.session_value(int(time.time()) + COOKIE_AGE)
        response.set_cookie(COOKIE, value, max_age=COOKIE_AGE, path="/", httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")

    @staticmethod
    def log_out(response: Response) -> None:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")

    def form_allowed(self, request: Request, form: Mapping[str, str]) -> bool:
        """A state-changing form: its CSRF token matches and the browser did not send it from elsewhere."""
        origin = request.headers.get("origin")
        if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
            return False
        return _same(form.get("csrf", ""), self.csrf)


__all__ = ["COOKIE", "DashboardDisabled", "Guard", "MIN_LENGTH", "TOKEN_ENV", "dashboard_token", "token_variable"]
