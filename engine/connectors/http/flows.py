"""The httpx ``Auth`` flows behind the auth styles of :mod:`engine.connectors.http.auth`.

They receive credentials already rendered (revealed) by the style's builder: this module is the
wire. Every token a server issues (an access token, a rotated refresh token) becomes a secret of
the endpoint's scrubber (and of the command's, :func:`engine.spec.env.register`), so a message that
would quote it is scrubbed like one that quotes a setting; every error raised here is scrubbed.
Imported only when an endpoint is opened, so validating a project never loads httpx.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as _random
import threading
import time
from typing import Any, Callable
from urllib.parse import quote

import httpx

from engine.connectors.base import TokenStore
from engine.connectors.errors import AuthError
from engine.lang.expr import compile_expression
from engine.spec.env import Scrubber, register


class NoAuth(httpx.Auth):
    def auth_flow(self, request):
        yield request


class HeaderAuth(httpx.Auth):
    def __init__(self, header: str, value: str):
        self.header, self.value = header, value

    def auth_flow(self, request):
        request.headers[self.header] = self.value
        yield request


class QueryAuth(httpx.Auth):
    def __init__(self, params: dict):
        self.params = params

    def auth_flow(self, request):
        request.url = request.url.copy_merge_params(self.params)
        yield request


class OAuth1Auth(httpx.Auth):
    """One-legged OAuth 1.0a: no token, signing key = consumer secret + '&'."""

    def __init__(self, key: str, secret: str, method: str = "HMAC-SHA256",
                 clock: Callable[[], float] = time.time):
        self.key, self.secret, self.method, self.clock = key, secret, method, clock

    def auth_flow(self, request):
        oauth = {"oauth_consumer_key": self.key, "oauth_nonce": _random.token_hex(16),
                 "oauth_signature_method": self.method, "oauth_timestamp": str(int(self.clock()))}
        params = list(request.url.params.multi_items()) + list(oauth.items())
        base_url = str(request.url.copy_with(query=None, fragment=None))
        oauth["oauth_signature"] = oauth1_signature(request.method, base_url, params, self.secret,
                                                    self.method)
        request.url = request.url.copy_merge_params(oauth)
        yield request


def _enc(text: str) -> str:
    return quote(text, safe="~-._")


def oauth1_signature(method: str, base_url: str, params: list[tuple[str, str]], secret: str,
                     algorithm: str = "HMAC-SHA256") -> str:
    """RFC 5849 §3.4 signature over the normalised parameters (shared with the simulator tests)."""
    pairs = sorted((_enc(k), _enc(v)) for k, v in params if k != "oauth_signature")
    normalised = "&".join(f"{k}={v}" for k, v in pairs)
    base = "&".join([method.upper(), _enc(base_url), _enc(normalised)])
    digest = hashlib.sha256 if algorithm == "HMAC-SHA256" else hashlib.sha1
    mac = hmac.new((_enc(secret) + "&").encode(), base.encode(), digest)
    return base64.b64encode(mac.digest()).decode()


class TokenAuth(httpx.Auth):
    """Fetch a token (login endpoint), send it as ``<prefix><token>``; refetch once on 401."""

    requires_response_body = True

    def __init__(self, fetch: Callable[[], tuple[str, float | None]], header: str = "Authorization",
                 prefix: str = "Bearer ", margin: float = 30.0, clock: Callable[[], float] = time.monotonic):
        self.fetch, self.header, self.prefix, self.margin, self.clock = fetch, header, prefix, margin, clock
        self._token: str | None = None
        self._expires: float | None = None
        self._margin = margin
        self._lock = threading.Lock()

    def token(self, force: bool = False) -> str:
        with self._lock:
            stale = self._expires is not None and self.clock() >= self._expires - self._margin
            if force or self._token is None or stale:
                token, ttl = self.fetch()
                self._token = token
                self._expires = self.clock() + ttl if ttl else None
                self._margin = min(self.margin, ttl / 2) if ttl else self.margin
            return self._token

    def auth_flow(self, request):
        request.headers[self.header] = self.prefix + self.token()
        response = yield request
        if response.status_code == 401:
            request.headers[self.header] = self.prefix + self.token(force=True)
            yield request


def post_for_token(client_factory, url: str, *, json_body=None, form=None, token_path: str = "@",
                   ttl_path: str | None = None, default_ttl: float | None = None, on_body=None,
                   scrubber: Scrubber | None = None):
    """A fetch of ``(token, ttl)``. Its errors are scrubbed: the token URL may hold a secret, and a
    refused request's answer may echo the credentials it was sent."""
    token_expr = compile_expression(token_path)
    ttl_expr = compile_expression(ttl_path) if ttl_path else None
    scrub = scrubber if scrubber is not None else Scrubber()
    where = scrub(url)

    def refused(message: str, status: int | None = None, transient: bool = False) -> AuthError:
        return AuthError(scrub(message), status, transient=transient)

    def fetch() -> tuple[str, float | None]:
        try:
            with client_factory() as client:
                response = client.post(url, json=json_body, data=form)
        except (httpx.HTTPError, httpx.InvalidURL, UnicodeError) as exc:
            raise refused(f"token request to {where} failed: {type(exc).__name__}: {exc}",
                          transient=isinstance(exc, httpx.HTTPError)) from None
        if response.status_code >= 400:
            status = 401 if response.status_code in (400, 401, 403) else response.status_code
            hint = _error_hint(response, scrub)
            why = f" (credentials refused: {status})" if status == 401 else ""
            raise refused(f"token request to {where} was refused: HTTP {response.status_code}"
                          + (f" {hint}" if hint else "") + why, status,
                          transient=response.status_code >= 500 or response.status_code == 429)
        try:
            body = response.json()
        except ValueError:
            raise refused(f"token request to {where} answered something that is not JSON") from None
        token = token_expr.search(body)
        if not isinstance(token, str) or not token:
            raise refused(f"token request to {where}: no token at '{token_path}' in the answer")
        issued(scrub, token)
        ttl = ttl_expr.search(body) if ttl_expr else default_ttl
        if on_body is not None:
            on_body(body)
        return token, float(ttl) if ttl is not None else None

    return fetch


def issued(scrubber: Scrubber, token: str) -> None:
    """A token a server issued is a secret from now on, for the endpoint and for the command."""
    scrubber.add(token, obtained=True)
    register(token, obtained=True)


def _error_hint(response: httpx.Response, scrub: Scrubber) -> str:
    """The error code of a refused token request (``invalid_grant``...), never a credential (the
    answer is scrubbed before it is cut: a server may echo what it was sent)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        for key in ("error", "message"):
            if isinstance(body.get(key), str):
                return f"({scrub(body[key])[:120]})"
    return ""


def refresh_auth(args, client_factory, token_store: TokenStore | None) -> "TokenAuth":
    """Refresh-token grant. Servers that rotate refresh tokens spend the old one on use: the new
    one from each answer is kept for the next renewal and saved in ``token_store`` (the run state),
    so the next run does not start from a spent token. The store's key is a digest: the client id
    may itself be a secret."""
    token_url, client_id = args.text("token_url"), args.text("client_id")
    key = "refresh_token:" + hashlib.sha256(f"{token_url}\0{client_id}".encode()).hexdigest()[:24]
    stored = token_store.get(key) if token_store else None
    if stored:
        issued(args.scrubber, stored)
    current = {"token": stored or args.text("refresh_token")}
    rotated_path = args.raw("refresh_token_path", "refresh_token")

    def keep(body):
        new = body.get(rotated_path) if isinstance(body, dict) else None
        if isinstance(new, str) and new and new != current["token"]:
            issued(args.scrubber, new)
            current["token"] = new
            form["refresh_token"] = new
            if token_store is not None:
                token_store.set(key, new)

    form = {"grant_type": "refresh_token", "refresh_token": current["token"],
            "client_id": client_id, "client_secret": args.text("client_secret")}
    fetch = post_for_token(client_factory, token_url, form=form,
                           token_path=args.raw("token_path", "access_token"),
                           ttl_path=args.raw("ttl_path", "expires_in"), on_body=keep, scrubber=args.scrubber)
    return TokenAuth(fetch, "Authorization", "Bearer ", margin=float(args.raw("margin", 30)))
