"""An endpoint's requests sent straight to httpcore's connection pool (httpx's own lower layer).

httpx's ``Client.send`` wraps every request in layers the engine does not use — an auth flow
generator, a redirect loop with event hooks, a timer and a bound stream around the answer, a log
line — reads the answer through a chain of stream wrappers, and every write's request is built and
its headers normalised anew. For an endpoint whose auth is a fixed header (none, a header, HTTP
Basic) and that no proxy stands in front of, :class:`DirectSender` sends the request httpx builds
(URL, headers, cookies, body, timeouts) through an ``httpcore.ConnectionPool`` set up as httpx sets
up its own, and hands back an ``httpx.Response`` read as httpx reads it (the body decoded by its
``Content-Encoding``, the cookies it sets kept in the client's jar). A request with a body of bytes
or none, no parameters and no cookie — every write — reuses the headers httpx built for the first
such request to the same host (only its Content-Length changes), and its ``httpx.Request`` is built
only when the answer's ``request`` is read (messages). In ``bench/sync.py``: 6.4 % fewer client
instructions per order (bench/README.md, seventh sitting). httpcore's errors become httpx's errors of
the same name, the cause kept, as httpx maps them. Anything else (a token flow, OAuth signing,
query-parameter auth, a proxy, a transport given by a test) keeps httpx's ``Client.send``:
:func:`direct_sender` returns None.
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
TEMPLATES = 64  # header templates an endpoint keeps (per method, host, extra headers and body or none)
Build = Callable[..., httpx.Request]  # HttpTransport.build: (method, path, params, content, headers)


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
                  injected: object | None, extensions: dict | None = None) -> "DirectSender | None":
    """The endpoint's direct sender, or None when its requests must go through httpx's ``Client.send``.
    ``extensions``: what every request carries to httpcore (the client's timeouts)."""
    header = fixed_header(auth)
    if header is False or injected is not None or proxied():
        return None
    return DirectSender(header, cookies, limits, tls, extensions or {})


class DirectSender:
    def __init__(self, header: tuple[str, str] | None, cookies: httpx.Cookies, limits: httpx.Limits,
                 tls: ssl.SSLContext, extensions: dict):
        self.header, self.cookies, self.extensions = header, cookies, extensions  # extensions: the timeouts
        self.pool = httpcore.ConnectionPool(ssl_context=tls, max_connections=limits.max_connections,
                                            max_keepalive_connections=limits.max_keepalive_connections,
                                            keepalive_expiry=limits.keepalive_expiry, http1=True, http2=False)
        # (method, host, extra headers, has a body) -> the headers httpx sends and where its Content-Length is
        self.templates: dict[tuple, tuple[list[tuple[bytes, bytes]], int | None]] = {}

    def send(self, request: httpx.Request) -> httpx.Response:
        """Send the request httpx built (any body, parameters or cookies)."""
        self.authorise(request)
        url = request.url
        return self.exchange(request.method, url, request.headers.raw, request.stream, request.extensions,
                             lambda: request)

    def send_bytes(self, method: str, path: str, url: httpx.URL, content: bytes | None, headers: dict | None,
                   build: Build) -> httpx.Response:
        """A request without parameters whose body is bytes (or none), the cookie jar empty: its headers
        are the ones httpx built for the first such request to this host (only Content-Length differs),
        and the ``httpx.Request`` itself is built only if the answer's ``request`` is asked for."""
        key = (method, url.netloc, None if not headers else tuple(headers.items()), not content)
        known = self.templates.get(key)
        if known is None:
            probe = self.authorise(build(method, path, None, b"\0" if content else None, headers))
            raw = list(probe.headers.raw)
            position = raw.index((b"Content-Length", b"1")) if (b"Content-Length", b"1") in raw else None
            if content and position is None:  # its extra headers set the length themselves: as httpx does
                return self.send(build(method, path, None, content, headers))
            if len(self.templates) >= TEMPLATES:
                self.templates.clear()
            known = self.templates[key] = raw, position
        raw, position = known
        if content:
            raw = raw.copy()
            raw[position] = (b"Content-Length", b"%d" % len(content))  # type: ignore[index]
        return self.exchange(method, url, raw, content, self.extensions,
                             lambda: self.authorise(build(method, path, None, content, headers)))

    def authorise(self, request: httpx.Request) -> httpx.Request:
        if self.header is not None:
            request.headers[self.header[0]] = self.header[1]  # where the auth flow puts it
        return request

    def exchange(self, method: str, url: httpx.URL, headers: list, content, extensions: dict,
                 request: Callable[[], httpx.Request]) -> httpx.Response:
        core = httpcore.Request(method, httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port,
                                                     target=url.raw_path),
                                headers=headers, content=content, extensions=extensions)
        try:
            answer = self.pool.handle_request(core)
            try:
                body = answer.read()
            finally:
                answer.close()
        except CORE_ERRORS as exc:
            raise _as_httpx(exc) from exc
        response = DirectResponse(answer.status, headers=answer.headers, stream=httpx.ByteStream(body),
                                  extensions=answer.extensions)
        response.rebuild = request
        response.read()  # decoded by its Content-Encoding, as Client.send reads it
        self.cookies.extract_cookies(response)
        return response

    def close(self) -> None:
        self.pool.close()


class DirectResponse(httpx.Response):
    """httpx's answer; its ``request`` (only messages read it) built when first asked for."""
    rebuild: Callable[[], httpx.Request]

    @property
    def request(self) -> httpx.Request:
        if self._request is None:
            self._request = self.rebuild()
        return self._request

    @request.setter
    def request(self, value: httpx.Request) -> None:
        self._request = value


def _as_httpx(exc: Exception) -> httpx.TransportError:
    kind: Callable[[str], httpx.TransportError] = getattr(httpx, type(exc).__name__, httpx.TransportError)
    if not (isinstance(kind, type) and issubclass(kind, httpx.TransportError)):
        kind = httpx.TransportError
    return kind(str(exc))
