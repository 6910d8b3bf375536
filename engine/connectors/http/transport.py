"""The HTTP transport of an endpoint: a pooled httpx client, retries, vendor error messages, decoding.

This is the one place credentials are revealed: the auth flow and the default headers are built
from the settings here, for the wire. Everything that leaves as text — URLs in messages, error
bodies (scrubbed whole, before any cut), exceptions of httpx and of the auth flows, dry-run requests —
goes through :meth:`HttpTransport.scrub` (every secret removed, plain, URL-encoded, escaped or
base64) and :meth:`safe_url` (auth parameters and user info masked).
"""
from __future__ import annotations

import functools
import json as jsonlib
import os
import re
import ssl
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import httpx

from engine.connectors.base import ConnectorPlan
from engine.connectors.codecs.soap import soap_fault_message
from engine.connectors.codecs.xmlcodec import XmlError, xml_error_messages, xml_to_records
from engine.connectors.errors import EndpointError, HttpError
from engine.connectors.http.auth import AuthArgs
from engine.connectors.http.costlimit import CostBucket
from engine.connectors.http.direct import direct_sender
from engine.connectors.http.plan import HttpConnector
from engine.connectors.http.retry import RateLimiter, RetryPolicy
from engine.connectors.secrets import settings_scrubber
from engine.lang.expr import CompiledExpr
from engine.spec.env import MASK, Scrubber, register
from engine.util.urls import mask_userinfo, userinfo_secrets

TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
NOT_CONNECTED = (httpx.ConnectError,)  # connection refused, host not found (a connect timeout may be a slow start)
# a request that cannot be sent at all: a header value with a line break (a secret read from a file
# with its newline: h11 quotes the value in its error), a non-ASCII header, a malformed URL
UNSENDABLE = (httpx.HTTPError, httpx.InvalidURL, UnicodeError)
SHORT = 300
URL_CACHE = 256  # request URLs an endpoint keeps built
_STARTS_XML = re.compile(rb"[ \t\n\r\x0b\x0c]*<")  # what bytes.lstrip() strips, then <


class HttpTransport:
    def __init__(self, name: str, plan: ConnectorPlan, settings: Mapping[str, Any], *, transport=None,
                 retry: RetryPolicy | None = None, max_connections: int = 8, token_store=None):
        self.name = name
        self.plan = plan
        self.http: HttpConnector = plan.detail
        self.ctx = {"settings": dict(settings)}
        self._scrubber = settings_scrubber(settings)
        self.base_url = self.http.base_url.text_for(self.ctx, reveal=True) if self.http.base_url else ""
        for found in userinfo_secrets(self.base_url):  # a password the template put in the URL
            issued_secret(self._scrubber, found)
        if not self.base_url.lower().startswith(("http://", "https://")) or len(self.base_url.split("//", 1)[1]) < 1:
            shown = self.scrub(self.base_url) or "empty"
            raise HttpError(f"its base URL ({shown!s}) is not an http:// or https:// address: check the setting "
                            "that gives it (e.g. base_url = https://shop.example.test)")
        self.retry = retry or RetryPolicy.from_spec(self.http.retry)
        limit = self.http.rate_limit or {}
        self.limiter = RateLimiter(limit["rate"], limit.get("burst", 1)) if limit.get("rate") else None
        self.call_limit_header = limit.get("call_limit_header")
        applies = limit.get("applies_to", "all")  # `rest`: GraphQL requests have their own budget (cost_limit)
        self.limits = {False: applies in ("all", "rest"), True: applies in ("all", "graphql")}  # by "is GraphQL"
        self.costs = CostBucket(self.http.cost_limit) if self.http.cost_limit is not None else None
        self.masked_params = set(self.http.auth.masked().get("params", {}))
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._client_args = dict(timeout=self.http.timeout, transport=transport, verify=tls_context())
        headers = {}
        for header, template in self.http.headers:
            value = template.text_for(self.ctx, reveal=True)
            if value:  # an optional header (e.g. a business id) is sent only when set
                headers[header] = value
        auth = self.http.auth.style.build(AuthArgs(self.http.auth, settings, self._scrubber), self._bare_client,
                                          token_store)
        try:
            self.client = httpx.Client(base_url=self.base_url, headers=headers, auth=auth, limits=limits,
                                       follow_redirects=False, **self._client_args)
        except UNSENDABLE as exc:  # httpx quotes the URL or header it refuses
            raise self.fail(f"endpoint '{name}' cannot be opened: {type(exc).__name__}: {exc}") from None
        self.client._cookies = LeanCookies(self.client.cookies)  # see LeanCookies (no public way to set the class)
        self._urls: dict[str, httpx.URL] = {}  # path -> the request URL httpx would build (see request_url)
        self._headers: dict[tuple | None, httpx.Headers] = {}  # extra headers -> merged with the client's (build)
        self._timeout = self.client.timeout.as_dict()
        self.direct = direct_sender(auth, self.client.cookies, limits, tls_context(), transport,  # see direct.py
                                    {"timeout": self._timeout})

    def _bare_client(self) -> httpx.Client:
        return httpx.Client(**self._client_args)

    def close(self) -> None:
        if self.direct is not None:
            self.direct.close()
            self.direct = None  # httpx's client, closed, refuses what is sent after
        self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- what may be shown ---------------------------------------------------------------------------
    def scrub(self, text: str) -> str:
        """``text`` without this endpoint's secrets (its secret settings, the tokens its auth flow
        obtained), in any form: see :class:`engine.spec.env.Scrubber`."""
        return self._scrubber(text)

    def short(self, value: Any, limit: int = SHORT) -> str:
        """A value for a message: scrubbed first, then cut (a cut must never leave half a secret)."""
        text = value if isinstance(value, str) else jsonlib.dumps(value, default=str, ensure_ascii=False)
        text = self.scrub(text)
        return text if len(text) <= limit else text[:limit - 1] + "…"

    def full_url(self, path: str) -> httpx.URL:
        if path.startswith(("http://", "https://")):
            return httpx.URL(path)
        return httpx.URL(str(self.client.base_url).rstrip("/") + "/" + path.lstrip("/"))

    def safe_url(self, url) -> str:
        url = httpx.URL(str(url))
        if self.masked_params:
            params = [(k, MASK if k in self.masked_params else v) for k, v in url.params.multi_items()]
            url = url.copy_with(params=params)
        return mask_userinfo(self.scrub(str(url)))

    def where(self, url) -> str:
        """A request's URL for a message, masked, even when httpx cannot parse it."""
        try:
            return self.safe_url(self.full_url(str(url)))
        except (httpx.InvalidURL, ValueError):
            return self.scrub(str(url))

    def location(self) -> str:
        return self.safe_url(self.base_url)

    def fail(self, message: str, status: int | None = None, **flags) -> HttpError:
        return HttpError(self.scrub(message), status, **flags)

    # -- requests ------------------------------------------------------------------------------------
    def send(self, method: str, url: str, *, params=None, content=None, headers=None,
             idempotent: bool = True, graphql: bool = False) -> httpx.Response:
        """One logical request, retried with backoff when that is safe. ``graphql``: a GraphQL request
        (the `rate_limit` counts it unless it `applies_to: rest`)."""
        retry = 0
        limited = self.limiter is not None and self.limits[graphql]
        while True:
            if limited:
                self.limiter.acquire()  # type: ignore[union-attr]
            try:
                direct = self.direct
                if direct is None:
                    response = self.client.send(self.build(method, url, params, content, headers))
                elif params is None and (content is None or type(content) is bytes) and not self.client.cookies:
                    response = direct.send_bytes(method, url, self.request_url(url), content, headers, self.build)
                else:
                    response = direct.send(self.build(method, url, params, content, headers))
            except NOT_CONNECTED as exc:  # refused, no such host: nothing was sent, whatever the method
                untrusted = _untrusted(exc)
                if untrusted is not None:  # a certificate does not become trusted by waiting
                    raise self.fail(f"{method} {self.where(url)}: the server's TLS certificate is not trusted "
                                    f"({untrusted}); if your own authority signed it, set SSL_CERT_FILE to its "
                                    "certificate (PEM) in the environment", transient=True, unreachable=True) from None
                if retry + 1 < min(self.retry.connect_attempts, self.retry.attempts) \
                        and self.retry.wait(self.retry.delay(retry)):
                    retry += 1
                    continue
                raise self.fail(f"{method} {self.where(url)}: cannot connect: {type(exc).__name__}: {exc}",
                                transient=True, unreachable=True) from None
            except TRANSIENT as exc:
                where = self.where(url)
                if idempotent and retry + 1 < self.retry.attempts and self.retry.wait(self.retry.delay(retry)):
                    retry += 1
                    continue
                raise self.fail(f"{method} {where}: {type(exc).__name__}: {exc}{self._spent()}", transient=True,
                                outcome_unknown=not idempotent) from None
            except EndpointError as exc:  # raised by an auth flow (a token request): scrubbed here too
                raise type(exc)(self.scrub(exc.message), exc.status, transient=exc.transient,
                                outcome_unknown=exc.outcome_unknown) from None
            except UNSENDABLE as exc:  # nothing was sent
                raise self.fail(f"{method} {self.where(url)}: the request cannot be sent: "
                                f"{type(exc).__name__}: {exc}") from None
            if limited:
                self._observe(response)
            if response.status_code in self.retry.statuses and idempotent and retry + 1 < self.retry.attempts \
                    and self.retry.wait(self.retry.delay(retry, response.headers.get("retry-after"))):
                retry += 1
                continue
            if response.status_code >= 400:
                status = response.status_code
                raise self.fail(self.describe_failure(response) + self._spent(), status,
                                transient=status in self.retry.statuses,
                                outcome_unknown=not idempotent and status >= 500,
                                vendor=self.scrub(self.vendor_message(response)) or None)
            return response

    def build(self, method: str, url: str, params=None, content=None, headers=None) -> httpx.Request:
        """The request ``Client.request`` would send (``Client.build_request``: the client's headers and
        cookies merged in, its timeout), from the URL built once per path and the client's headers merged
        once per set of extra ones: half of build_request's work, redone identically for every request."""
        key = None if not headers else tuple(headers.items())
        merged = self._headers.get(key)
        if merged is None:
            merged = httpx.Headers(self.client.headers)
            merged.update(headers)
            if len(self._headers) >= URL_CACHE:
                self._headers.clear()
            self._headers[key] = merged
        cookies = self.client.cookies or None  # a server set some: sent as httpx sends them (_merge_cookies)
        return httpx.Request(method, self.request_url(url), params=params, content=content, headers=merged,
                             cookies=cookies, extensions={"timeout": self._timeout})

    def request_url(self, url: str) -> httpx.URL:
        """``url`` joined to the base URL exactly as httpx joins it (``Client._merge_url``), built once per
        path: httpx parses a relative path again on every request (~40 µs, a third of its own work)."""
        known = self._urls.get(url)
        if known is None:
            known = httpx.URL(url)
            if known.is_relative_url:
                base = self.client.base_url
                known = base.copy_with(raw_path=base.raw_path + known.raw_path.lstrip(b"/"))
            if len(self._urls) >= URL_CACHE:  # paths holding ids (PUT /products/42): bounded
                self._urls.clear()
            self._urls[url] = known
        return known

    def _spent(self) -> str:
        """Said when the endpoint's waiting budget ended the retries early."""
        if self.retry.waited and self.retry.waited + self.retry.base > self.retry.budget:
            return f" (gave up: {self.retry.waited:.0f} s of the {self.retry.budget:.0f} s this endpoint may wait were spent)"
        return ""

    def _observe(self, response: httpx.Response) -> None:
        if self.limiter and self.call_limit_header:
            used, _, cap = response.headers.get(self.call_limit_header, "").partition("/")
            if used.isdigit() and cap.isdigit():
                self.limiter.observe(int(used), int(cap))

    def describe_failure(self, response: httpx.Response) -> str:
        where = f"{response.request.method} {self.safe_url(response.request.url)}"
        detail = self.vendor_message(response)
        reason = response.reason_phrase or ""
        return f"{where}: HTTP {response.status_code} {reason}".rstrip() + (f": {detail}" if detail else "")

    def vendor_message(self, response: httpx.Response) -> str:
        """The vendor's own words for a failure. A vendor may echo the credential it received ("invalid
        key XYZ"): the whole body is scrubbed before it is read, so no cut leaves a piece of it."""
        if not response.content.strip():
            return ""
        raw = self.scrub(response.content.decode("utf-8", "surrogateescape"))  # XML in any charset round-trips
        if raw.lstrip()[:1] == "<":
            body = raw.encode("utf-8", "surrogateescape")
            fault = soap_fault_message(body)
            if fault:
                return fault
            pairs = xml_error_messages(body, self.http.xml)
            return "; ".join(f"[{code}] {message}" if code else message for code, message in pairs)
        text = raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        try:
            data = jsonlib.loads(text)
        except ValueError:
            return text[:200]
        if self.http.error_message is not None:
            try:
                found = self.http.error_message.search(data)
            except Exception:  # an odd error body must not hide the HTTP status
                found = None
            if found:
                return found if isinstance(found, str) else self.short(found)
        return self.short(data)

    # -- decoding ------------------------------------------------------------------------------------
    def decode(self, response: httpx.Response, records: CompiledExpr | None = None) -> list:
        body = response.content
        if not body or body.isspace():  # no copy of a page of records (strip would make one)
            return []
        if _STARTS_XML.match(body):
            try:
                _, found, _ = xml_to_records(body, self.http.xml)
            except XmlError as exc:
                raise self.fail(f"{response.request.method} {self.safe_url(response.request.url)}: "
                                f"unreadable XML answer: {exc}", response.status_code) from None
            return found
        data = getattr(response, "parsed_json", None)  # a GraphQL answer, parsed when checked for errors
        if data is None:
            try:
                data = jsonlib.loads(body, parse_float=Decimal)
            except ValueError:
                raise self.fail(f"{response.request.method} {self.safe_url(response.request.url)}: the answer "
                                f"is neither JSON nor XML: {self.short(body.decode('utf-8', 'replace'), 200)}",
                                response.status_code) from None
        response.parsed_json = data  # type: ignore[attr-defined]  # paging reads totals from it: parse once
        found = records.search(data) if records is not None else data
        if found is None or found == []:
            return []
        return found if isinstance(found, list) else [found]


def _untrusted(exc: BaseException) -> str | None:
    """OpenSSL's reason when a connection failed on the server's certificate (None: another cause)."""
    seen: BaseException | None = exc
    for _ in range(5):  # httpx wraps httpcore's error, which wraps the ssl module's
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_message or seen.reason or "certificate verify failed"
        seen = seen.__cause__ or seen.__context__
    return None


def tls_context() -> ssl.SSLContext:
    """The TLS settings every endpoint's client verifies servers with: the ones httpx makes by default
    (certifi's CA bundle, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``), made once per process and per such
    setting. httpx makes a new one for each client, and loading the CA bundle takes ~25 ms of CPU: two
    endpoints paid 50 ms each time a flow opened them (every run of `serve`). Clients only read it
    (httpcore sets the same ALPN protocol, HTTP/1.1, on every connection)."""
    return _tls_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=4)
def _tls_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    return httpx.create_ssl_context()  # reads those variables itself


class LeanCookies(httpx.Cookies):
    """The endpoint's cookie jar. httpx hands every response to its jar through a copy of all the
    headers as an ``email.message.Message`` and a ``urllib`` request (~40 µs a request); an answer
    without ``Set-Cookie`` (or the obsolete ``Set-Cookie2``) gives the jar nothing, so it is not copied.
    Cookies that are set are kept exactly as httpx keeps them."""

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


def issued_secret(scrubber: Scrubber, text: str) -> None:
    """``text`` is a secret of this endpoint and of the command from now on."""
    scrubber.add(text)
    register(text)
