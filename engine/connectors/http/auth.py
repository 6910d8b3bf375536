"""Auth styles a connector definition can name (``http.auth.style``), as httpx ``Auth`` flows.

Every string argument is a template rendered with the endpoint's resolved ``settings``; secrets
arrive as :class:`engine.spec.env.Secret` and only their real text goes on the wire. ``describe`` gives
the headers a dry-run may show, with every credential masked.

Styles: ``none``, ``basic`` (user/password; a key as user with an empty password), ``header`` (a raw
token in any header), ``bearer``, ``query`` (credentials as query parameters), ``oauth1`` (one-legged
RFC 5849 HMAC signature, what WooCommerce requires over plain http), ``token`` (fetch a token from a
login URL, then bearer; refetched once on 401), ``oauth2_refresh`` (refresh-token grant with
short-lived access tokens renewed before they expire).
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

from engine.connectors.errors import AuthError
from engine.connectors.templates import Template, render_tree, text_of

MASK = "***"


def _t(spec: dict, key: str, default: Any = None):
    value = spec.get(key, default)
    return Template(value) if isinstance(value, str) else None


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


def _post_for_token(client_factory, url: str, *, json_body=None, form=None, token_path: str = "@",
                    ttl_path: str | None = None, default_ttl: float | None = None, on_body=None):
    from engine.lang.expr import compile_expression

    token_expr = compile_expression(token_path)
    ttl_expr = compile_expression(ttl_path) if ttl_path else None

    def fetch() -> tuple[str, float | None]:
        try:
            with client_factory() as client:
                response = client.post(url, json=json_body, data=form)
        except httpx.HTTPError as exc:
            raise AuthError(f"token request to {url} failed: {type(exc).__name__}: {exc}",
                            transient=True) from None
        if response.status_code >= 400:
            status = 401 if response.status_code in (400, 401, 403) else response.status_code
            hint = _error_hint(response)
            refused = f" (credentials refused: {status})" if status == 401 else ""
            raise AuthError(f"token request to {url} was refused: HTTP {response.status_code}"
                            + (f" {hint}" if hint else "") + refused, status,
                            transient=response.status_code >= 500 or response.status_code == 429)
        try:
            body = response.json()
        except ValueError:
            raise AuthError(f"token request to {url} answered something that is not JSON") from None
        token = token_expr.search(body)
        if not isinstance(token, str) or not token:
            raise AuthError(f"token request to {url}: no token at '{token_path}' in the answer")
        ttl = ttl_expr.search(body) if ttl_expr else default_ttl
        if on_body is not None:
            on_body(body)
        return token, float(ttl) if ttl is not None else None

    return fetch


def _error_hint(response: httpx.Response) -> str:
    """The error code of a refused token request (``invalid_grant``...), never a credential."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        for key in ("error", "message"):
            if isinstance(body.get(key), str):
                return f"({body[key][:120]})"
    return ""


class TokenStore:
    """Where a rotated refresh token survives the run (the state store implements get/set)."""

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...


def _refresh_auth(spec: dict, render, client_factory, token_store) -> "TokenAuth":
    """Refresh-token grant. Servers that rotate refresh tokens spend the old one on use: the new
    one from each answer is kept for the next renewal and saved in ``token_store`` (the run state),
    so the next run does not start from a spent token."""
    key = f"refresh_token:{render('token_url')}:{render('client_id')}"
    current = {"token": (token_store.get(key) if token_store else None) or render("refresh_token")}
    rotated_path = spec.get("refresh_token_path", "refresh_token")

    def keep(body):
        new = body.get(rotated_path) if isinstance(body, dict) else None
        if isinstance(new, str) and new and new != current["token"]:
            current["token"] = new
            form["refresh_token"] = new
            if token_store is not None:
                token_store.set(key, new)

    form = {"grant_type": "refresh_token", "refresh_token": current["token"],
            "client_id": render("client_id"), "client_secret": render("client_secret")}
    fetch = _post_for_token(client_factory, render("token_url"), form=form,
                            token_path=spec.get("token_path", "access_token"),
                            ttl_path=spec.get("ttl_path", "expires_in"), on_body=keep)
    return TokenAuth(fetch, "Authorization", "Bearer ", margin=float(spec.get("margin", 30)))


def build_auth(spec: dict | None, settings: dict, client_factory: Callable[[], httpx.Client],
               token_store: TokenStore | None = None) -> httpx.Auth:
    """An httpx Auth for the connector's ``http.auth`` block."""
    spec = spec or {"style": "none"}
    ctx = {"settings": settings}
    style = spec.get("style", "none")

    def render(key: str, default: Any = None) -> Any:
        template = _t(spec, key, default)
        return text_of(template.render(ctx)) if template else default

    if style == "none":
        return NoAuth()
    if style == "basic":
        return httpx.BasicAuth(render("username", ""), render("password", ""))
    if style == "header":
        return HeaderAuth(spec.get("header", "Authorization"), render("value"))
    if style == "bearer":
        return HeaderAuth("Authorization", "Bearer " + render("token"))
    if style == "query":
        return QueryAuth({k: text_of(v) for k, v in render_tree(spec.get("params", {}), ctx).items()})
    if style == "oauth1":
        return OAuth1Auth(render("consumer_key"), render("consumer_secret"),
                          spec.get("signature_method", "HMAC-SHA256"))
    if style == "token":
        fetch = _post_for_token(client_factory, render("token_url"),
                                json_body=render_tree(spec.get("json"), ctx) if spec.get("json") else None,
                                form=render_tree(spec.get("form"), ctx) if spec.get("form") else None,
                                token_path=spec.get("token_path", "@"), default_ttl=spec.get("ttl"))
        return TokenAuth(fetch, spec.get("header", "Authorization"), spec.get("prefix", "Bearer "))
    if style == "oauth2_refresh":
        return _refresh_auth(spec, render, client_factory, token_store)
    raise ValueError(f"unknown auth style {style!r}")


AUTH_STYLES = ("none", "basic", "header", "bearer", "query", "oauth1", "token", "oauth2_refresh")


def describe(spec: dict | None) -> dict:
    """Headers/params a request would carry for this auth, credentials masked (for dry-run)."""
    spec = spec or {"style": "none"}
    style = spec.get("style", "none")
    if style == "basic":
        return {"headers": {"Authorization": f"Basic {MASK}"}}
    if style == "header":
        return {"headers": {spec.get("header", "Authorization"): MASK}}
    if style in ("bearer", "token", "oauth2_refresh"):
        return {"headers": {spec.get("header", "Authorization"): spec.get("prefix", "Bearer ") + MASK}}
    if style == "query":
        return {"params": {k: MASK for k in spec.get("params", {})}}
    if style == "oauth1":
        return {"params": {k: MASK for k in ("oauth_consumer_key", "oauth_nonce", "oauth_signature",
                                             "oauth_signature_method", "oauth_timestamp")}}
    return {}
