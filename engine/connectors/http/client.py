"""An HTTP endpoint: one connector definition + one client's settings, over a pooled httpx client.

Reads page through a resource with the connector's pagination style; writes send a mapped payload
to an operation (JSON or XML body) and return the created id found at the operation's ``result``.
Vendor error bodies become one clear message; an answer that says "200 OK" but reports a failure
(``failure`` condition of the operation) is an error too. No secret is ever put in a message: auth
query parameters are masked in URLs and credentials live only in headers.
"""
from __future__ import annotations

import json as jsonlib
from functools import lru_cache
from urllib.parse import quote
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from engine.connectors.codecs.xmlcodec import XmlError, XmlOptions, records_to_xml, xml_error_messages, xml_to_records
from engine.lang.expr import compile_expression
from engine.util.jsonout import dumps
from engine.connectors.http import auth as auth_styles
from engine.connectors.errors import AuthError, HttpError  # noqa: F401  (AuthError re-exported)
from engine.connectors.http.pagination import pages
from engine.connectors.http.retry import RateLimiter, RetryPolicy
from engine.connectors.templates import Template, render_tree, text_of

TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@dataclass
class WriteResult:
    status: int
    body: Any
    result: Any  # the created id (e.g. the Sage piece number), or None


class HttpEndpoint:
    def __init__(self, name: str, connector: dict, settings: dict, *, transport=None,
                 retry: RetryPolicy | None = None, max_connections: int = 8, token_store=None):
        self.name = name
        self.connector = connector
        http = connector.get("http") or {}
        self.ctx = {"settings": settings}
        self.base_url = text_of(Template(http.get("base_url", "{settings.base_url}")).render(self.ctx))
        self.retry = retry or RetryPolicy.from_spec(http.get("retry"))
        limit = http.get("rate_limit") or {}
        self.limiter = RateLimiter(limit["rate"], limit.get("burst", 1)) if limit.get("rate") else None
        self.call_limit_header = limit.get("call_limit_header")
        self.pagination = http.get("pagination")
        self.query = http.get("query") or {}
        self.auth_spec = http.get("auth")
        fmt = connector.get("format") or {"type": "json"}
        self.format = fmt.get("type", "json")
        xml = fmt.get("xml") or {}
        self.xml = XmlOptions(root=xml.get("root"), list_attribute=xml.get("list_attribute"),
                              list_containers=tuple(xml.get("list_containers") or ()),
                              i18n_element=xml.get("i18n_element"),
                              list_item_names=dict(xml.get("list_item_names") or {}))
        self.error_path = compile_expression(http["error_message"]) if http.get("error_message") else None
        self.masked_params = set(auth_styles.describe(self.auth_spec).get("params", {}))
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._client_args = dict(timeout=float(http.get("timeout", 30)), transport=transport)
        headers = {}
        for header, template in (http.get("headers") or {}).items():
            value = text_of(Template(str(template)).render(self.ctx))
            if value:  # an optional header (e.g. a business id) is sent only when set
                headers[header] = value
        self.client = httpx.Client(base_url=self.base_url, headers=headers,
                                   auth=auth_styles.build_auth(self.auth_spec, settings, self._bare_client,
                                                               token_store),
                                   limits=limits, follow_redirects=False, **self._client_args)

    def _bare_client(self) -> httpx.Client:
        return httpx.Client(**self._client_args)

    def close(self) -> None:
        self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- requests --------------------------------------------------------------------------------
    def full_url(self, path: str) -> httpx.URL:
        if path.startswith(("http://", "https://")):
            return httpx.URL(path)
        return httpx.URL(str(self.client.base_url).rstrip("/") + "/" + path.lstrip("/"))

    def safe_url(self, url) -> str:
        url = httpx.URL(str(url))
        if self.masked_params:
            params = [(k, auth_styles.MASK if k in self.masked_params else v)
                      for k, v in url.params.multi_items()]
            url = url.copy_with(params=params)
        return str(url)

    def send(self, method: str, url: str, *, params=None, content=None, headers=None,
             idempotent: bool = True) -> httpx.Response:
        """One logical request, retried with backoff when that is safe."""
        retry = 0
        while True:
            if self.limiter:
                self.limiter.acquire()
            try:
                response = self.client.request(method, url, params=params, content=content, headers=headers)
            except TRANSIENT as exc:
                where = self.safe_url(self.full_url(url))
                if idempotent and retry + 1 < self.retry.attempts:
                    self.retry.sleep(self.retry.delay(retry))
                    retry += 1
                    continue
                raise HttpError(f"{method} {where}: {type(exc).__name__}: {exc}", transient=True,
                                outcome_unknown=not idempotent) from None
            self._observe(response)
            if response.status_code in self.retry.statuses and idempotent and retry + 1 < self.retry.attempts:
                self.retry.sleep(self.retry.delay(retry, response.headers.get("retry-after")))
                retry += 1
                continue
            if response.status_code >= 400:
                status = response.status_code
                raise HttpError(self.describe_failure(response), status, transient=status in self.retry.statuses,
                                outcome_unknown=not idempotent and status >= 500)
            return response

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
        body = response.content
        if not body.strip():
            return ""
        if body.lstrip()[:1] == b"<":
            from engine.connectors.codecs.soap import soap_fault_message
            fault = soap_fault_message(body)
            if fault:
                return fault
            pairs = xml_error_messages(body, self.xml)
            return "; ".join(f"[{code}] {message}" if code else message for code, message in pairs)
        try:
            data = jsonlib.loads(body)
        except ValueError:
            return body[:200].decode("utf-8", "replace")
        if self.error_path is not None:
            try:
                found = self.error_path.search(data)
            except Exception:  # an odd error body must not hide the HTTP status
                found = None
            if found:
                return found if isinstance(found, str) else jsonlib.dumps(found, default=str)[:300]
        return jsonlib.dumps(data, default=str, ensure_ascii=False)[:300]

    # -- decoding -------------------------------------------------------------------------------
    def decode(self, response: httpx.Response, records_path: str | None = None) -> list:
        body = response.content
        if not body.strip():
            return []
        if body.lstrip()[:1] == b"<":
            try:
                _, records, _ = xml_to_records(body, self.xml)
            except XmlError as exc:
                raise HttpError(f"{response.request.method} {self.safe_url(response.request.url)}: "
                                f"unreadable XML answer: {exc}", response.status_code) from None
            return records
        data = jsonlib.loads(body, parse_float=Decimal)
        response.parsed_json = data  # the paging code reads totals and cursors from it: parse once
        found = _expression(records_path).search(data) if records_path else data
        if found is None or found == []:
            return []
        return found if isinstance(found, list) else [found]

    # -- reading --------------------------------------------------------------------------------
    def read(self, resource: str, *, where: dict | None = None, since: tuple | None = None,
             keys: tuple | None = None, page_size: int | None = None) -> Iterator[list[dict]]:
        """Pages of raw records. ``since`` = (field, value); ``keys`` = (field, [values])."""
        res = (self.connector.get("resources") or {})[resource]
        query = {**self.query, **(res.get("query") or {})}
        params = dict(res.get("params") or {})
        variables: dict = {}
        for index, (field, value) in enumerate((where or {}).items()):
            self._apply(query.get("where"), params, variables, field, value, index)
        count = len(where or {})  # filter indexes never collide (Magento filter groups...)
        if since is not None:
            self._apply(query.get("since"), params, variables, since[0], since[1], count)
        if keys is not None:
            self._apply(query.get("keys") or query.get("where"), params, variables, keys[0], list(keys[1]),
                        count + 1)
        method = res.get("method", "GET")
        path = text_of(Template(res.get("path", "/" + resource)).render(self.ctx))
        body_query = res.get("graphql")

        def fetch(url, page_params, page_variables):
            if body_query is not None:
                payload = jsonlib.dumps({"query": body_query, "variables": page_variables or {}})
                return self.graphql(url or path, page_params, payload)
            return self.send(method, url or path, params=None if url else page_params)

        yield from pages(res.get("pagination", self.pagination), fetch,
                         lambda response: self.decode(response, res.get("records")), params, variables,
                         page_size)

    def graphql(self, path: str, params: dict | None, payload: str, attempts: int = 8) -> httpx.Response:
        """A GraphQL request. Errors come with HTTP 200: they raise, except a cost throttle, which waits
        until the bucket holds the requested cost (from ``extensions.cost``) and tries again."""
        for attempt in range(attempts):
            response = self.send("POST", path, params=params, content=payload,
                                 headers={"Content-Type": "application/json"})
            try:
                body = jsonlib.loads(response.content, parse_float=Decimal)
            except ValueError:
                return response
            errors = body.get("errors") if isinstance(body, dict) else None
            if not errors:
                return response
            codes = {(e.get("extensions") or {}).get("code") for e in errors if isinstance(e, dict)}
            if "THROTTLED" in codes and attempt + 1 < attempts:
                self.retry.sleep(_graphql_wait(body))
                continue
            messages = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
            raise HttpError(f"POST {self.safe_url(response.request.url)}: GraphQL errors: {messages[:300]}",
                            response.status_code, transient="THROTTLED" in codes)
        raise HttpError(f"POST {path}: GraphQL still throttled after {attempts} attempts", transient=True)

    def _apply(self, spec: dict | None, params: dict, variables: dict, field: str, value, index: int):
        if not spec:
            raise HttpError(f"connector '{self.connector.get('name')}' does not say how to filter "
                            f"on {field!r} (add `query` to its http block)")
        values = value if isinstance(value, list) else [value]
        ctx = {"field": field, "value": text_of(value) if not isinstance(value, list) else "",
               "values": spec.get("separator", ",").join(text_of(v) for v in values), "index": index,
               "settings": self.ctx["settings"]}
        for key, template in (spec.get("params") or {}).items():
            params[text_of(Template(key).render(ctx))] = text_of(Template(str(template)).render(ctx))
        for key, template in (spec.get("variables") or {}).items():
            variables[key] = render_tree(template, ctx)

    # -- writing --------------------------------------------------------------------------------
    def build_write(self, operation: str, payload: Any, values: dict | None = None) -> dict:
        """Method, path, params, headers and body of a write, without sending it."""
        op = (self.connector.get("operations") or {})[operation]
        ctx = {**(values or {}), "settings": self.ctx["settings"]}
        # values placed in a path are URL-encoded (a SKU may hold '/', '?' or '%')
        path_ctx = {**{k: quote(text_of(v), safe="") for k, v in (values or {}).items()},
                    "settings": self.ctx["settings"]}
        path = text_of(Template(op["path"]).render(path_ctx))
        params = {k: text_of(v) for k, v in render_tree(op.get("params") or {}, ctx).items()}
        body_kind = op.get("body", "json")
        headers = {}
        content = None
        if body_kind == "json":
            content = dumps(payload).encode()
            headers["Content-Type"] = "application/json; charset=utf-8"
        elif body_kind == "xml":
            content = records_to_xml(op.get("item", "item"), payload, self.xml)
            headers["Content-Type"] = "text/xml; charset=utf-8"
        elif body_kind == "graphql":
            variable = op.get("variable", "input")
            # variable "*": the payload object is the whole variables object (tagsAdd(id:, tags:))
            variables = payload if variable == "*" else {variable: payload}
            content = dumps({"query": op.get("graphql", ""), "variables": variables}).encode()
            headers["Content-Type"] = "application/json; charset=utf-8"
        elif body_kind == "soap":
            from engine.connectors.codecs.soap import encode_soap  # SOAP envelopes (Sage X3 CAdxWebServiceXmlCC)
            content, soap_headers = encode_soap(op, payload, ctx)
            headers.update(soap_headers)
        return {"method": op["method"], "path": path, "params": params, "headers": headers,
                "content": content, "op": op}

    def write(self, operation: str, payload: Any, values: dict | None = None) -> WriteResult:
        req = self.build_write(operation, payload, values)
        op = req["op"]
        idempotent = bool(op.get("idempotent")) and not op.get("creates")
        response = self.send(req["method"], req["path"], params=req["params"] or None,
                             content=req["content"], headers=req["headers"], idempotent=idempotent)
        body = self._body(response, op)
        if op.get("failure"):
            failed = compile_expression(op["failure"]).search(body)
            if failed:
                raise HttpError(f"{req['method']} {self.safe_url(response.request.url)}: the answer "
                                f"reports a failure: {_short(failed)}", response.status_code)
        result = compile_expression(op["result"]).search(body) if op.get("result") else None
        return WriteResult(response.status_code, body, result)

    def find(self, operation: str, values: dict) -> list:
        """Run a look-up operation (e.g. a document by reference); returns the matching records.
        A look-up with a body (a SOAP query) is POSTed; an answer that reports a failure raises,
        so "could not look" is never mistaken for "absent"."""
        op = (self.connector.get("operations") or {})[operation]
        req = self.build_write(operation, None, values)
        if op.get("body") in (None, "none"):
            response = self.send(op.get("method", "GET"), req["path"], params=req["params"] or None)
            return self.decode(response, op.get("records"))
        response = self.send(op.get("method", "POST"), req["path"], params=req["params"] or None,
                             content=req["content"], headers=req["headers"])
        body = self._body(response, op)
        if op.get("failure") and compile_expression(op["failure"]).search(body):
            raise HttpError(f"{req['method']} {self.safe_url(response.request.url)}: the look-up reports a "
                            f"failure: {_short(body)}", response.status_code, transient=True)
        found = compile_expression(op["records"]).search(body) if op.get("records") else body
        if found is None:
            return []
        return found if isinstance(found, list) else [found]

    def _body(self, response: httpx.Response, op: dict) -> Any:
        if not response.content.strip():
            return None
        if op.get("body") == "soap":
            from engine.connectors.codecs.soap import decode_soap
            return decode_soap(response.content, op)
        if response.content.lstrip()[:1] == b"<":
            records = self.decode(response)
            return records[0] if len(records) == 1 else records
        try:
            return jsonlib.loads(response.content, parse_float=Decimal)
        except ValueError:
            return response.text

    def describe_write(self, operation: str, payload: Any, values: dict | None = None) -> dict:
        """What a dry-run shows: the full request, with every credential masked."""
        req = self.build_write(operation, payload, values)
        url = self.full_url(req["path"]).copy_merge_params(req["params"])
        masked = auth_styles.describe(self.auth_spec)
        url = url.copy_merge_params(masked.get("params", {}))
        headers = {**dict(self.client.headers), **req["headers"], **masked.get("headers", {})}
        headers = {k: v for k, v in headers.items() if k.lower() not in ("user-agent", "accept-encoding",
                                                                          "connection")}
        body = req["content"].decode() if req["content"] is not None else None
        return {"method": req["method"], "url": str(url), "headers": headers, "body": body}


@lru_cache(maxsize=256)
def _expression(text: str):
    return compile_expression(text)


def _graphql_wait(body: dict) -> float:
    """Seconds until a cost-throttled query fits: (requested - available) / restore rate."""
    cost = ((body.get("extensions") or {}).get("cost") or {}) if isinstance(body, dict) else {}
    status = cost.get("throttleStatus") or {}
    try:
        missing = float(cost.get("requestedQueryCost") or 0) - float(status.get("currentlyAvailable") or 0)
        rate = float(status.get("restoreRate") or 0)
    except (TypeError, ValueError):
        return 1.0
    return min(60.0, max(0.1, missing / rate)) if rate > 0 else 1.0


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else jsonlib.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 300 else text[:297] + "…"
