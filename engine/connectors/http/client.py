"""An HTTP endpoint: one compiled connector + one client's settings, over a pooled httpx client.

Reads page through a resource with the connector's pagination style; writes send a mapped payload
to an operation (its body format) and return the created id found at the operation's ``result``.
Vendor error bodies become one clear message; an answer that says "200 OK" but reports a failure
(``failure`` condition of the operation) is an error too. Nothing here parses a template or an
expression: the connector plan holds them compiled.
"""
from __future__ import annotations

import json as jsonlib
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from engine.connectors.base import WriteResult
from engine.connectors.codecs.soap import decode_soap
from engine.connectors.codecs.xmlcodec import XmlError
from engine.connectors.errors import AuthError, EncodeError, HttpError  # noqa: F401  (re-exported)
from engine.connectors.http.files import FileDecl, FileRefError, resolve as resolve_files
from engine.connectors.http.multipart import shown_body
from engine.connectors.http.nested import complete_page
from engine.connectors.http.plan import FilterPlan, HttpOperation, HttpResource
from engine.connectors.http.transport import HttpTransport
from engine.connectors.templates import text_of


class LazyAnswer(WriteResult):
    """A write's answer decoded when ``body`` or ``result`` is first read (a decoding error is raised
    then): the runner reads a create's ``result`` where it handles the write's errors; nothing reads an
    acknowledgement's answer, so it is never parsed (issue 10: ~40 µs of XML per order)."""

    def __init__(self, status: int, decode: Callable[[], tuple[Any, Any]]):
        self.status, self._decode = status, decode
        self._answer: tuple[Any, Any] | None = None

    def _decoded(self) -> tuple[Any, Any]:
        if self._answer is None:
            self._answer = self._decode()
        return self._answer

    @property
    def body(self) -> Any:
        return self._decoded()[0]

    @property
    def result(self) -> Any:
        return self._decoded()[1]


class HttpEndpoint(HttpTransport):
    concurrent = True  # the pooled client takes requests from several threads (searches ahead)
    files_root: Path | None = None  # the project folder, where files a payload names are read (runtime sets it)

    # -- reading -------------------------------------------------------------------------------------
    def resource(self, name: str) -> HttpResource:
        return self.plan.resources[name].detail

    def operation(self, name: str) -> HttpOperation:
        return self.plan.operations[name].detail

    def read(self, resource: str, *, where: Mapping[str, Any] | None = None, since: tuple | None = None,
             keys: tuple | None = None, page_size: int | None = None) -> Iterator[list[dict]]:
        """Pages of raw records. ``since`` = (field, value); ``keys`` = (field, [values]): one request per
        value when the filter takes only one (`{value}`, not `{values}`)."""
        res = self.resource(resource)
        by_key = res.query.keys or res.query.where
        if keys is not None and by_key is not None and not by_key.several and len(keys[1]) > 1:
            for value in keys[1]:
                yield from self.read(resource, where=where, since=since, keys=(keys[0], [value]), page_size=page_size)
            return
        params = dict(res.params)
        variables: dict = {}
        # parameter -> (filter, field) that set it; a second filter on it is joined by `query.combine`
        filled: dict[str, tuple[str, str]] = {}
        for index, (field, value) in enumerate((where or {}).items()):
            self._apply(res.query.where, "where", params, variables, field, value, index, filled, res.query.combine)
        count = len(where or {})  # filter indexes never collide (Magento filter groups...)
        if since is not None:
            self._apply(res.query.since, "since", params, variables, since[0], since[1], count, filled,
                        res.query.combine)
        if keys is not None:
            self._apply(res.query.keys or res.query.where, "keys", params, variables, keys[0], list(keys[1]),
                        count + 1, filled, res.query.combine)
        path = res.path.text_for(self.ctx, reveal=True) if res.path else "/"

        def fetch(url, page_params, page_variables):
            if res.graphql is not None:
                payload = jsonlib.dumps({"query": res.graphql, "variables": page_variables or {}})
                return self.graphql(url or path, page_params, payload, query=res.graphql)
            return self.send(res.method, url or path, params=None if url else page_params)

        last: list = [None, None]  # the response decoded last and its records

        def decode(response):
            last[:] = response, self.decode(response, res.records)
            return last[1]

        pages = res.pagination.pages(fetch, decode, params, variables, page_size)
        if not res.nested and res.graphql is None:
            yield from pages
            return
        follow = self._follow_up(path, dict(res.params) or None)
        for page in pages:  # each record completed (nested connections read to their end) or marked
            answer = getattr(last[0], "parsed_json", None) if last[1] is page else None
            yield complete_page(page, res.nested, follow, scan=res.graphql is not None,
                                answer=None if answer is None else (last[0].content, answer))

    def _follow_up(self, path: str, params: dict | None):
        """A nested connection's follow-up query, sent where the resource is read (its fixed params)."""
        def fetch(query: str, variables: dict) -> Any:
            payload = jsonlib.dumps({"query": query, "variables": variables}, default=str)
            return jsonlib.loads(self.graphql(path, params, payload, query=query).content, parse_float=Decimal)
        return fetch

    def graphql(self, path: str, params: dict | None, payload: str, attempts: int = 8,
                query: str = "") -> httpx.Response:
        """A GraphQL read. Errors come with HTTP 200: they raise, except a refusal of the connector's
        `cost_limit` (a throttled query, not run), which waits and tries again (:meth:`costed`)."""
        response, body = self.costed(lambda: self.send("POST", path, params=params, content=payload,
                                                        headers={"Content-Type": "application/json"}, graphql=True),
                                     query or payload, attempts)
        if body is None:
            return response
        errors = body.get("errors") if isinstance(body, dict) else None
        if not errors:
            return response
        messages = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
        raise self.fail(f"POST {self.safe_url(response.request.url)}: GraphQL errors: {self.short(messages)}",
                        response.status_code)

    def costed(self, send, query: str, attempts: int = 8) -> tuple[httpx.Response, Any]:
        """A GraphQL request and its parsed answer (None when it is not JSON), within the connector's
        `cost_limit` when it declares one: sent once the points ``query`` cost last time are back, and
        sent again after a refusal (a throttled query was not run) once the answer's wait is over."""
        bucket = self.costs
        for attempt in range(attempts):
            if bucket is not None and (due := bucket.due(query)) > 0 and self.retry.wait(due):
                bucket.waited += due
            response = send()
            try:
                body = jsonlib.loads(response.content, parse_float=Decimal)
            except ValueError:
                return response, None
            wait = bucket.observe(query, body) if bucket is not None else None
            if wait is None:
                response.parsed_json = body  # read once (_body, decode)
                return response, body
            if attempt + 1 >= attempts or not self.retry.wait(wait):
                break
        raise self.fail(f"POST {self.safe_url(response.request.url)}: the query is still refused by the "
                        f"server's cost limit after {attempt + 1} attempt(s){self._spent()}", response.status_code,
                        transient=True)

    def _apply(self, spec: FilterPlan | None, kind: str, params: dict, variables: dict, field: str, value,
               index: int, filled: dict[str, tuple[str, str]], combine: tuple = ()) -> None:
        if spec is None:  # validate refuses a flow asking for it; a direct caller gets a clear error
            raise self.fail(f"connector '{self.plan.name}' does not say how to filter on {field!r} "
                            f"({kind}: add `query.{kind}` to its http block)")
        values = value if isinstance(value, list) else [value]
        if len(values) > 1 and not spec.several:  # an empty filter would read the wrong records silently
            raise self.fail(f"connector '{self.plan.name}' filters {field!r} on one value at a time ({kind}: its "
                            f"`query.{kind}` has no {{values}}); ask for one value, or filter with `filter:`")
        ctx = {"field": field, "value": text_of(values[0]) if len(values) == 1 else "",
               "values": spec.separator.join(text_of(v) for v in values), "index": index,
               "settings": self.ctx["settings"]}
        for key, template in spec.params:
            name, text = key.text_for(ctx, reveal=True), template.text_for(ctx, reveal=True)
            if name in filled and params[name] != text:  # two filters on one parameter: joined, never one lost
                joiner = dict(combine).get(name)
                if joiner is None:
                    first, on = filled[name]
                    raise self.fail(f"connector '{self.plan.name}': {first} ({on}) and {kind} ({field}) both set "
                                    f"the parameter {name!r}; declare how the server joins them, e.g. "
                                    f"`query: {{combine: {{{name!r}: ' and '}}}}`")
                text = f"{params[name]}{joiner}{text}"
            params[name], filled[name] = text, (kind, field)
        if spec.variables is not None:
            variables.update(spec.variables(ctx, True))

    # -- writing -------------------------------------------------------------------------------------
    def build_write(self, operation: str, payload: Any, values: Mapping[str, Any] | None = None,
                    reveal: bool = True) -> dict:
        """Method, path, params, headers and body of a write, without sending it."""
        op = self.operation(operation)
        ctx = {**(values or {}), "settings": self.ctx["settings"]}
        if op.id_field and isinstance(payload, Mapping) and (values or {}).get("target_id") is not None:
            payload = _with_id(payload, op.id_field.split("."), values["target_id"])  # type: ignore[index]
        # values placed in a path are URL-encoded (a SKU may hold '/', '?' or '%')
        path_ctx = {**{k: quote(text_of(v), safe="") for k, v in (values or {}).items()},
                    "settings": self.ctx["settings"]}
        if op.files:  # each file read once (runtime: before the ledger decides, see attach_files)
            payload = self.attach_files(operation, payload)
        try:
            path = op.path.text_for(path_ctx, reveal) if op.path else "/"
            params = {k: text_of(v, reveal) for k, v in (op.params(ctx, reveal) if op.params else {}).items()}
            content, headers = op.body.encode(op, payload, ctx, self.http.xml, reveal)
        except (ValueError, TypeError, XmlError) as exc:  # templates, XML, SOAP and JSON encoders
            raise EncodeError(self.scrub(f"{operation}: the payload cannot be sent as {op.body.name}: {exc}")) from None
        return {"method": op.method, "path": path, "params": params, "headers": headers, "content": content,
                "op": op, "payload": payload}

    def attach_files(self, operation: str, payload: Any) -> Any:
        """The payload with each file the operation declares read (bytes and SHA-256, files.py); the
        run state's JSON of the result holds every file's hash. EncodeError naming the member."""
        op = self.operation(operation)
        if not op.files:
            return payload
        try:
            return resolve_files(op.files, payload, self._files_folder)
        except FileRefError as exc:
            raise EncodeError(self.scrub(f"{operation}: {exc}")) from None

    def _files_folder(self, decl: FileDecl) -> Path:
        root = self.files_root or Path.cwd()
        folder = decl.folder.text_for(self.ctx, reveal=True) if decl.folder is not None else ""
        return (root / Path(folder).expanduser()) if folder.strip() else root

    def write(self, operation: str, payload: Any, values: Mapping[str, Any] | None = None) -> WriteResult:
        req = self.build_write(operation, payload, values)
        op, decl = req["op"], self.plan.operations[operation]
        idempotent = decl.idempotent and not decl.creates
        response = self._exchange(req, op, idempotent)
        if op.failure is None:  # nothing to check: the answer is decoded when read (acknowledgements never are)
            return LazyAnswer(response.status_code, lambda: self._answer(response, op))
        body = self._body(response, op)
        failed = op.failure.search(body)
        if failed:
            raise self.fail(f"{req['method']} {self.safe_url(response.request.url)}: the answer reports a "
                            f"failure: {self.short(failed)}", response.status_code)
        return WriteResult(response.status_code, body, op.result.search(body) if op.result is not None else None)

    def _exchange(self, req: dict, op: HttpOperation, idempotent: bool = True) -> httpx.Response:
        """An operation's request; a GraphQL one within the connector's `cost_limit` (a refused query was
        not run, so it is sent again, a mutation too)."""
        graphql = op.graphql is not None

        def send() -> httpx.Response:
            return self.send(req["method"], req["path"], params=req["params"] or None, content=req["content"],
                             headers=req["headers"], idempotent=idempotent, graphql=graphql)
        return self.costed(send, op.graphql or "")[0] if graphql and self.costs is not None else send()

    def _answer(self, response: httpx.Response, op: HttpOperation) -> tuple[Any, Any]:
        body = self._body(response, op)
        return body, op.result.search(body) if op.result is not None else None

    def find(self, operation: str, values: Mapping[str, Any]) -> list:
        """Run a look-up operation (e.g. a document by reference); returns the matching records.
        A look-up with a body (a SOAP query) is POSTed; an answer that reports a failure raises,
        so "could not look" is never mistaken for "absent"."""
        op = self.operation(operation)
        req = self.build_write(operation, None, values)
        if op.body.name == "none":
            response = self.send(op.method, req["path"], params=req["params"] or None)
            return self.decode(response, op.records)
        response = self._exchange(req, op)
        body = self._body(response, op)
        if op.failure is not None and op.failure.search(body):
            raise self.fail(f"{req['method']} {self.safe_url(response.request.url)}: the look-up reports a "
                            f"failure: {self.short(body)}", response.status_code, transient=True)
        found = op.records.search(body) if op.records is not None else body
        if found is None:
            return []
        return found if isinstance(found, list) else [found]

    def _body(self, response: httpx.Response, op: HttpOperation) -> Any:
        if not response.content.strip():
            return None
        if op.body.name == "soap":
            return decode_soap(response.content)
        if response.content.lstrip()[:1] == b"<":
            records = self.decode(response)
            return records[0] if len(records) == 1 else records
        parsed = getattr(response, "parsed_json", None)
        if parsed is not None:  # a GraphQL answer its cost limit read already
            return parsed
        try:
            return jsonlib.loads(response.content, parse_float=Decimal)
        except ValueError:
            return response.text

    def describe_write(self, operation: str, payload: Any, values: Mapping[str, Any] | None = None) -> dict:
        """What a dry-run shows: the full request, with every credential masked."""
        req = self.build_write(operation, payload, values, reveal=False)
        url = self.full_url(req["path"]).copy_merge_params(req["params"])
        masked = self.http.auth.masked()
        url = url.copy_merge_params(masked.get("params", {}))
        headers = {k: v for k, v in self.client.headers.items() if k not in _NOT_SHOWN}
        for header, template in self.http.headers:  # as configured, secrets masked
            if header.lower() in headers:
                headers[header.lower()] = template.text_for(self.ctx)
        headers = {k: self.scrub(v) for k, v in {**headers, **req["headers"], **masked.get("headers", {})}.items()}
        body = shown_body(req["content"], req["payload"], req["op"])
        return {"method": req["method"], "url": self.safe_url(url), "headers": headers,
                "body": self.scrub(body) if body is not None else None}


_NOT_SHOWN = ("user-agent", "accept-encoding", "connection")


def _with_id(payload: Mapping[str, Any], path: list[str], ident: Any) -> dict:
    """The payload with the created id put first under ``path`` (``id``: PrestaShop's PUT/PATCH ``<id>``;
    ``entry.id``: Magento's gallery entry), the objects on the way copied, never changed in place."""
    head, *rest = path
    if not rest:
        return {head: ident, **payload}
    inner = payload.get(head)
    return {**payload, head: _with_id(inner if isinstance(inner, Mapping) else {}, rest, ident)}

