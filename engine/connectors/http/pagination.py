"""Pagination styles a connector definition can name (``http.pagination.style``): the registry.

Each style is a generator of pages: it asks ``fetch(url, params, variables)`` for a response (``url``
None means the resource's own path with ``params``; a string is an absolute or relative next-page
URL that already carries its query), decodes the records with ``decode(response)`` and decides
whether another page exists — exactly as the vendor documents it:

* ``offset_count``   ``limit=offset,count`` until a short page (PrestaShop; no totals are sent);
* ``page_number``    ``page``/``per_page``, stopping at ``X-WP-TotalPages`` or a short page (WooCommerce);
* ``link_header``    follow ``Link: <…>; rel="next"``; later pages carry only the cursor, no filters (Shopify REST);
* ``cursor``         GraphQL ``pageInfo { hasNextPage endCursor }`` fed back as a variable (Shopify GraphQL);
* ``search_criteria`` ``searchCriteria[currentPage]``/``[pageSize]`` until ``total_count`` (Magento; a page past
  the end repeats the last one, so totals decide);
* ``next_link``      follow the body's ``$next`` link until it is null (Sage Business Cloud Accounting);
* ``odata``          OData v4 ``$top``/``$skip`` offsets until a short page, following ``@odata.nextLink``
  whenever the server pages on its own (server-driven paging, OData 4.0 Protocol, section 11.2.5.7);
* ``none``           one request.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from engine.lang.expr import CompiledExpr
from engine.util.records import frozen

Fetch = Callable[[str | None, dict, dict | None], Any]
Decode = Callable[[Any], list]
_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?([a-z]+)"?')
_TEXT = {"type": "string"}
_JMESPATH = {"type": "string", "description": "JMESPath"}


@frozen
class PaginationStyle:
    """One pagination style (`pagination: style:`): its arguments and how it walks pages."""

    name: str
    summary: str
    args: dict  # argument -> JSON Schema (besides `style` and `page_size`)
    expressions: dict  # JMESPath arguments -> default text (compiled once)
    pages: Callable[..., Iterator[list]]


@frozen
class PaginationPlan:
    """A resource's pagination: its style, arguments and compiled expressions."""

    style: PaginationStyle
    args: dict
    exprs: dict  # name -> CompiledExpr

    def pages(self, fetch: Fetch, decode: Decode, params: dict, variables: dict | None,
              page_size: int | None) -> Iterator[list]:
        size = int(page_size or self.args.get("page_size", 100))
        return self.style.pages(self, fetch, decode, params, variables or {}, size)

    def expr(self, name: str) -> CompiledExpr:
        return self.exprs[name]


def _none(plan, fetch, decode, params, variables, size):
    yield decode(fetch(None, params, variables or None))


def _offset_count(plan, fetch, decode, params, variables, size):
    param = plan.args.get("param", "limit")
    offset = 0
    while True:
        records = decode(fetch(None, {**params, param: f"{offset},{size}"}, None))
        yield records
        if len(records) < size:
            return
        offset += size


def _page_number(plan, fetch, decode, params, variables, size):
    page = int(plan.args.get("start", 1))
    page_param, size_param = plan.args.get("page_param", "page"), plan.args.get("size_param", "per_page")
    total_header = plan.args.get("total_pages_header")
    while True:
        response = fetch(None, {**params, page_param: page, size_param: size}, None)
        records = decode(response)
        yield records
        total = response.headers.get(total_header) if total_header else None
        if total is not None and total.isdigit():
            if page >= int(total):
                return
        elif len(records) < size:
            return
        page += 1


def body(response) -> Any:
    """The JSON body, parsed once: ``decode`` leaves it on the response."""
    parsed = getattr(response, "parsed_json", None)
    return parsed if parsed is not None else response.json()


def next_link(header: str | None) -> str | None:
    for url, rel in _LINK.findall(header or ""):
        if rel == "next":
            return url
    return None


def _link_header(plan, fetch, decode, params, variables, size):
    size_param = plan.args.get("size_param", "limit")
    response = fetch(None, {**params, size_param: size}, None)
    while True:
        yield decode(response)
        url = next_link(response.headers.get("link"))
        if not url:
            return
        response = fetch(url, {}, None)


def _cursor(plan, fetch, decode, params, variables, size):
    info = plan.expr("page_info")
    after, first = plan.args.get("cursor_variable", "after"), plan.args.get("size_variable", "first")
    cursor = None
    while True:
        response = fetch(None, params, {**variables, first: size, after: cursor})
        yield decode(response)
        page_info = info.search(body(response)) or {}
        if not page_info.get("hasNextPage") or not page_info.get("endCursor"):
            return
        cursor = page_info["endCursor"]


def _search_criteria(plan, fetch, decode, params, variables, size):
    page_param = plan.args.get("page_param", "searchCriteria[currentPage]")
    size_param = plan.args.get("size_param", "searchCriteria[pageSize]")
    total = plan.expr("total_path")
    page = 1
    while True:
        response = fetch(None, {**params, page_param: page, size_param: size}, None)
        records = decode(response)
        yield records
        count = total.search(body(response))
        if not isinstance(count, int) or page * size >= count or not records:
            return
        page += 1


def _next_link(plan, fetch, decode, params, variables, size):
    link = plan.expr("next_path")
    response = fetch(None, {**params, plan.args.get("size_param", "items_per_page"): size}, None)
    while True:
        yield decode(response)
        url = link.search(body(response))
        if not url:
            return
        response = fetch(url, {}, None)


def _odata(plan, fetch, decode, params, variables, size):
    link = plan.expr("next_path")
    top, skip = plan.args.get("top_param", "$top"), plan.args.get("skip_param", "$skip")
    offset = 0
    response = fetch(None, {**params, top: size}, None)
    while True:
        records = decode(response)
        yield records
        url = link.search(body(response))
        if url:  # the server cut the page itself: its link carries the rest of the query
            response = fetch(url, {}, None)
            continue
        if len(records) < size:
            return
        offset += len(records)
        response = fetch(None, {**params, top: size, skip: offset}, None)


STYLES: dict[str, PaginationStyle] = {style.name: style for style in (
    PaginationStyle("none", "one request", {}, {}, _none),
    PaginationStyle("offset_count", "`limit=offset,count` until a short page (PrestaShop)",
                    {"param": _TEXT}, {}, _offset_count),
    PaginationStyle("page_number", "page and page size parameters, until a total-pages header or a short page",
                    {"page_param": _TEXT, "size_param": _TEXT, "start": {"type": "integer"},
                     "total_pages_header": _TEXT}, {}, _page_number),
    PaginationStyle("link_header", 'follow `Link: <...>; rel="next"` (later pages carry only the cursor)',
                    {"size_param": _TEXT}, {}, _link_header),
    PaginationStyle("cursor", "GraphQL `pageInfo { hasNextPage endCursor }` fed back as a variable",
                    {"page_info": _JMESPATH, "cursor_variable": _TEXT, "size_variable": _TEXT},
                    {"page_info": "data.*.pageInfo | [0]"}, _cursor),
    PaginationStyle("search_criteria", "`searchCriteria[currentPage]`/`[pageSize]` until `total_count`",
                    {"page_param": _TEXT, "size_param": _TEXT, "total_path": _JMESPATH},
                    {"total_path": "total_count"}, _search_criteria),
    PaginationStyle("next_link", "follow a next-page link in the body until it is null",
                    {"size_param": _TEXT, "next_path": _JMESPATH}, {"next_path": '"$next"'}, _next_link),
    PaginationStyle("odata", "OData `$top`/`$skip` until a short page, following `@odata.nextLink` when the "
                    "server pages on its own", {"top_param": _TEXT, "skip_param": _TEXT, "next_path": _JMESPATH},
                    {"next_path": '"@odata.nextLink"'}, _odata),
)}
