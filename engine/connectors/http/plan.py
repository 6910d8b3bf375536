"""The HTTP protocol's compiled parts: connector, resources and operations, built once at validate.

Every template (base URL, headers, paths, query parameters, filters, SOAP settings, auth arguments)
is parsed here and its placeholders checked; every JMESPath (records, result, failure, error message,
pagination) compiled. The endpoint (:mod:`engine.connectors.http.client`) only renders and sends.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.connectors.base import FilterSupport
from engine.connectors.codecs.xmlcodec import XmlOptions
from engine.connectors.context import ConnectorCompiler, filter_support
from engine.connectors.http.auth import STYLES as AUTH_STYLES, AuthPlan
from engine.connectors.http.bodies import FORMATS, BodyFormat
from engine.connectors.http.costlimit import CostLimitPlan, compile_cost_limit
from engine.connectors.http.files import FileDecl
from engine.connectors.http.multipart import compile_files
from engine.connectors.http.nested import NestedPlan, compile_nested
from engine.connectors.http.pagination import STYLES as PAGINATION_STYLES, PaginationPlan
from engine.connectors.templates import Template, TreeRenderer
from engine.lang.expr import CompiledExpr
from engine.util.records import frozen

FILTER_PLACEHOLDERS = ("field", "value", "values", "index")
FILTER_KINDS = ("where", "since", "keys")


@frozen
class FilterPlan:
    """How one filter becomes request parameters or GraphQL variables."""

    params: tuple[tuple[Template, Template], ...]
    variables: TreeRenderer | None
    separator: str
    support: FilterSupport
    several: bool = True  # takes several values in one request (`{values}`); else one request per value


@frozen
class QueryPlan:
    """The filters (`where`, `since`, `keys`) a resource turns into request parameters."""

    where: FilterPlan | None = None
    since: FilterPlan | None = None
    keys: FilterPlan | None = None
    combine: tuple[tuple[str, str], ...] = ()  # parameter -> text joining two filters that both set it

    def get(self, kind: str) -> FilterPlan | None:
        return getattr(self, kind)

    def over(self, base: "QueryPlan") -> "QueryPlan":
        """This resource's filters, each falling back to the connector's."""
        combine = tuple({**dict(base.combine), **dict(self.combine)}.items())
        where, since, keys = (self.get(kind) or base.get(kind) for kind in FILTER_KINDS)
        return QueryPlan(where, since, keys, combine)


@frozen
class HttpConnector:
    """The HTTP protocol's compiled connector settings."""

    base_url: Template | None
    headers: tuple[tuple[str, Template], ...]
    auth: AuthPlan
    pagination: PaginationPlan
    query: QueryPlan
    timeout: float
    retry: Mapping[str, Any]
    rate_limit: Mapping[str, Any] | None
    error_message: CompiledExpr | None
    format: str
    xml: XmlOptions
    cost_limit: CostLimitPlan | None = None  # a GraphQL server's query-cost budget (costlimit.py)


@frozen
class HttpResource:
    """A compiled HTTP resource: how its records are fetched."""

    method: str
    path: Template | None
    params: Mapping[str, Any]
    query: QueryPlan
    pagination: PaginationPlan
    records: CompiledExpr | None
    graphql: str | None
    nested: tuple[NestedPlan, ...] = ()  # connections read to their end (or the record set aside)


@frozen
class HttpOperation:
    """A compiled HTTP operation: how a payload is sent and its result read."""

    method: str
    path: Template | None
    params: TreeRenderer | None
    body: BodyFormat
    item: str | None
    graphql: str | None
    variable: str
    soap: TreeRenderer | None
    result: CompiledExpr | None
    failure: CompiledExpr | None
    records: CompiledExpr | None
    id_field: str | None = None  # an update's target id put into the payload under this name
    files: tuple[FileDecl, ...] = ()  # payload members holding a file (files.py)


def xml_options(fmt: Mapping | None) -> XmlOptions:
    xml = (fmt or {}).get("xml") or {}
    return XmlOptions(root=xml.get("root"), list_attribute=xml.get("list_attribute"),
                      list_containers=tuple(xml.get("list_containers") or ()),
                      i18n_element=xml.get("i18n_element"),
                      list_item_names=dict(xml.get("list_item_names") or {}))


def _auth(spec: Mapping | None, ctx: ConnectorCompiler, path: tuple) -> AuthPlan:
    spec = spec or {"style": "none"}
    style = AUTH_STYLES[spec.get("style", "none")]  # the generated schema allows only known styles
    for name in style.required:
        if name not in spec:
            ctx.error("missing-key", f"auth style '{style.name}' needs `{name}`", path)
    templates = {name: t for name in style.templates
                 if (t := ctx.template(spec.get(name), path + (name,))) is not None}
    trees = {name: r for name in style.trees
             if (r := ctx.tree(spec.get(name), path + (name,))) is not None}
    return AuthPlan(style, dict(spec), templates, trees)


def _pagination(spec: Mapping | None, ctx: ConnectorCompiler, path: tuple) -> PaginationPlan:
    spec = spec or {"style": "none"}
    style = PAGINATION_STYLES[spec.get("style", "none")]
    exprs = {}
    for name, default in style.expressions.items():
        expr = ctx.expression(spec.get(name, default), path + (name,), name)
        if expr is not None:
            exprs[name] = expr
    return PaginationPlan(style, dict(spec), exprs)


def _filter(spec: Mapping | None, ctx: ConnectorCompiler, path: tuple) -> FilterPlan | None:
    if not spec:
        return None
    params = []
    for key, value in (spec.get("params") or {}).items():
        key_t = ctx.template(key, path + ("params", key), allowed=FILTER_PLACEHOLDERS)
        value_t = ctx.template(str(value), path + ("params", key), allowed=FILTER_PLACEHOLDERS)
        if key_t is not None and value_t is not None:
            params.append((key_t, value_t))
    variables = ctx.tree(spec.get("variables"), path + ("variables",), allowed=FILTER_PLACEHOLDERS)
    support = filter_support(spec) or FilterSupport()
    several = any("values" in t.names for pair in params for t in pair) or _mentions_values(spec.get("variables"))
    return FilterPlan(tuple(params), variables, spec.get("separator", ","), support, several)


def _mentions_values(tree: Any) -> bool:
    """Whether a GraphQL variables tree places ``{values}`` somewhere."""
    if isinstance(tree, Mapping):
        return any(_mentions_values(v) for v in tree.values())
    if isinstance(tree, list):
        return any(_mentions_values(v) for v in tree)
    return isinstance(tree, str) and "{values}" in tree


def _query(spec: Mapping | None, ctx: ConnectorCompiler, path: tuple) -> QueryPlan:
    spec = spec or {}
    combine = tuple((str(k), str(v)) for k, v in (spec.get("combine") or {}).items())
    where, since, keys = (_filter(spec.get(kind), ctx, path + (kind,)) for kind in FILTER_KINDS)
    return QueryPlan(where, since, keys, combine)


def compile_connector(data: Mapping, ctx: ConnectorCompiler) -> HttpConnector:
    http = data.get("http") or {}
    path = ("http",)
    fmt = data.get("format") or {"type": "json"}
    headers = tuple((name, t) for name, value in (http.get("headers") or {}).items()
                    if (t := ctx.template(str(value), path + ("headers", name))) is not None)
    return HttpConnector(
        ctx.template(http.get("base_url", "{settings.base_url}"), path + ("base_url",)), headers,
        _auth(http.get("auth"), ctx, path + ("auth",)), _pagination(http.get("pagination"), ctx, path + ("pagination",)),
        _query(http.get("query"), ctx, path + ("query",)), float(http.get("timeout", 30)),
        dict(http.get("retry") or {}), http.get("rate_limit"),
        ctx.expression(http.get("error_message"), path + ("error_message",), "error_message"),
        fmt.get("type", "json"), xml_options(fmt),
        compile_cost_limit(http.get("cost_limit"), ctx.expression, path + ("cost_limit",)))


def compile_resource(name: str, res: Mapping, ctx: ConnectorCompiler, conn: HttpConnector
                     ) -> tuple[HttpResource, tuple[FilterSupport | None, ...]]:
    path = ("resources", name)
    query = _query(res.get("query"), ctx, path + ("query",)).over(conn.query)
    pagination = _pagination(res["pagination"], ctx, path + ("pagination",)) if "pagination" in res \
        else conn.pagination
    graphql = res.get("graphql")
    detail = HttpResource(res.get("method", "POST" if graphql is not None else "GET"),
                          ctx.template(res.get("path", "/" + name), path + ("path",)), dict(res.get("params") or {}),
                          query, pagination, ctx.expression(res.get("records"), path + ("records",), "records"),
                          graphql, compile_nested(res.get("nested"), ctx, path + ("nested",), res.get("key"), graphql))
    supports = tuple(f.support if f is not None else None for f in (query.where, query.since, query.keys))
    return detail, supports


def compile_operation(name: str, op: Mapping, ctx: ConnectorCompiler, conn: HttpConnector,
                      needs: set) -> HttpOperation:
    path = ("operations", name)
    for key in ("method", "path"):  # the schema does not require them: other protocols have no method
        if key not in op:
            ctx.error("missing-key", f"an http operation needs `{key}`", path)
    body = FORMATS[op.get("body", "json")]
    for key in body.required:
        if key not in op:
            ctx.error("missing-key", f"`body: {body.name}` needs `{key}`", path)
    return HttpOperation(
        op.get("method", "POST"), ctx.template(op.get("path"), path + ("path",), needs=needs),
        ctx.tree(op.get("params"), path + ("params",), needs=needs), body, op.get("item"), op.get("graphql"),
        op.get("variable", "input"), ctx.tree(op.get("soap"), path + ("soap",), needs=needs),
        ctx.expression(op.get("result"), path + ("result",), "result"),
        ctx.expression(op.get("failure"), path + ("failure",), "failure"),
        ctx.expression(op.get("records"), path + ("records",), "records"), op.get("id_field"),
        compile_files(op.get("files"), body.name, ctx, path, needs))
