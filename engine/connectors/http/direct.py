"""An endpoint's requests sent straight to httpcore's connection pool (httpx's own lower layer).

httpx's ``Client.send`` wraps every request in layers the engine does not use — an auth flow
generator, a redirect loop with event hooks, a timer and a bound stream around the answer, a log
line — and reads the answer through a chain of stream wrappers: ~190 of ~720 µs of client CPU per
POST on a local server (bench/README.md, seventh sitting). For an endpoint whose auth is a fixed
header (none, a header, HTTP Basic) and that no proxy stands in front of, :class:`DirectSender`
sends the very ``httpx.Request`` the transport built (URL, headers, cookies, body, timeouts) through
an ``httpcore.ConnectionPool`` set up as httpx sets up its own, and hands back an ``httpx.Response``
read as httpx reads it (the body decoded by its ``Content-Encoding``, the cookies it sets kept in
the client's jar). httpcore's errors become httpx's errors of the same name, the cause kept, as httpx
maps them. Anything else (a token flow, OAuth signing, query-parameter auth, a proxy, a transport
given by a test) keeps httpx's ``Client.send``: :func:`direct_sender` returns None.
"""
from __future__ import annotations

import ssl
import urllib.request
from typing import Callable, Literal

import httpcore
import httpx

from engine.connectors.http import flows

# httpcore's exception classes (they share no base): each has an httpx class of the same name
CORE_ERRORS = (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError, httpcore.ProxyError,
               httpcore.UnsupportedProtocol)
PROBE_URL = "http://probe.invalid/"


def fixed_header(auth: httpx.Auth) -> tuple[str, str] | None | Literal[False]:
    """The one header ``auth`` sets on every request, None when it sets none, False when it is not a
    fixed header (it reads the answer, signs the request or changes its URL)."""
    if type(auth) is flows.NoAuth:
        return None
    if type(auth) is flows.HeaderAuth:
        return auth.header, auth.value
    if type(auth) is httpx.BasicAuth:
        probe = httpx.Request("GET", PROBE_URL)
        next(auth.auth_flow(probe))  # the flow sets its header and yields once, the answer unread
        return "Authorization", probe.headers["Authorization"]
    return False


def proxied() -> bool:
    """A proxy named in the environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, read as httpx reads them)."""
    found = urllib.request.getproxies()
    return any(found.get(scheme) for scheme in ("http", "https", "all"))


def direct_sender(auth: httpx.Auth, cookies: httpx.Cookies, limits: httpx.Limits, tls: ssl.SSLContext,
                  injected: object | None) -> "DirectSender | None":
    header = fixed_header(auth)
    if header is False or injected is not None or proxied():
        return None
    return DirectSender(header, cookies, limits, tls)


class DirectSender:
    def __init__(self, header: tuple[str, str] | None, cookies: httpx.Cookies, limits: httpx.Limits,
                 tls: ssl.SSLContext):
        self.header, self.cookies = header, cookies
        self.pool = httpcore.ConnectionPool(ssl_context=tls, max_connections=limits.max_connections,
                                            max_keepalive_connections=limits.max_keepalive_connections,
                                            keepalive_expiry=limits.keepalive_expiry, http1=True, http2=False)

    def send(self, request: httpx.Request) -> httpx.Response:
        if self.header is not None:
            request.headers[self.header[0]] = self.header[1]  # where the auth flow puts it
        url = request.url
        core = httpcore.Request(request.method, httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port,
                                                             target=url.raw_path),
                                headers=request.headers.raw, content=request.stream, extensions=request.extensions)
        try:
            answer = self.pool.handle_request(core)
            try:
                body = answer.read()
            finally:
                answer.close()
        except CORE_ERRORS as exc:
            raise _as_httpx(exc) from exc
        response = httpx.Response(answer.status, headers=answer.headers, stream=httpx.ByteStream(body),
                                  extensions=answer.extensions, request=request)
        response.read()  # decoded by its Content-Encoding, as Client.send reads it
        self.cookies.extract_cookies(response)
        return response

    def close(self) -> None:
        self.pool.close()


def _as_httpx(exc: Exception) -> httpx.TransportError:
    kind: Callable[[str], httpx.TransportError] = getattr(httpx, type(exc).__name__, httpx.TransportError)
    if not (isinstance(kind, type) and issubclass(kind, httpx.TransportError)):
        kind = httpx.TransportError
    return kind(str(exc))
