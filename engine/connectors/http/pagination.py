"""Pagination styles a connector definition can name (``http.pagination.style``).

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
* ``none``           one request.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from engine.lang.expr import compile_expression

Fetch = Callable[[str | None, dict, dict | None], Any]
Decode = Callable[[Any], list]

PAGINATION_STYLES = ("none", "offset_count", "page_number", "link_header", "cursor", "search_criteria",
                     "next_link")
_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?([a-z]+)"?')


def pages(spec: dict | None, fetch: Fetch, decode: Decode, params: dict,
          variables: dict | None = None, page_size: int | None = None) -> Iterator[list]:
    spec = spec or {"style": "none"}
    style = spec.get("style", "none")
    size = int(page_size or spec.get("page_size", 100))
    if style == "none":
        yield decode(fetch(None, params, variables))
    elif style == "offset_count":
        yield from _offset_count(spec, fetch, decode, params, size)
    elif style == "page_number":
        yield from _page_number(spec, fetch, decode, params, size)
    elif style == "link_header":
        yield from _link_header(spec, fetch, decode, params, size)
    elif style == "cursor":
        yield from _cursor(spec, fetch, decode, params, variables or {}, size)
    elif style == "search_criteria":
        yield from _search_criteria(spec, fetch, decode, params, size)
    elif style == "next_link":
        yield from _next_link(spec, fetch, decode, params, size)
    else:
        raise ValueError(f"unknown pagination style {style!r}")


def _offset_count(spec, fetch, decode, params, size):
    param = spec.get("param", "limit")
    offset = 0
    while True:
        records = decode(fetch(None, {**params, param: f"{offset},{size}"}, None))
        yield records
        if len(records) < size:
            return
        offset += size


def _page_number(spec, fetch, decode, params, size):
    page = int(spec.get("start", 1))
    page_param, size_param = spec.get("page_param", "page"), spec.get("size_param", "per_page")
    total_header = spec.get("total_pages_header")
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


def _link_header(spec, fetch, decode, params, size):
    size_param = spec.get("size_param", "limit")
    response = fetch(None, {**params, size_param: size}, None)
    while True:
        yield decode(response)
        url = next_link(response.headers.get("link"))
        if not url:
            return
        response = fetch(url, {}, None)


def _cursor(spec, fetch, decode, params, variables, size):
    info = compile_expression(spec.get("page_info", "data.*.pageInfo | [0]"))
    after, first = spec.get("cursor_variable", "after"), spec.get("size_variable", "first")
    cursor = None
    while True:
        response = fetch(None, params, {**variables, first: size, after: cursor})
        yield decode(response)
        page_info = info.search(body(response)) or {}
        if not page_info.get("hasNextPage") or not page_info.get("endCursor"):
            return
        cursor = page_info["endCursor"]


def _search_criteria(spec, fetch, decode, params, size):
    page_param = spec.get("page_param", "searchCriteria[currentPage]")
    size_param = spec.get("size_param", "searchCriteria[pageSize]")
    total = compile_expression(spec.get("total_path", "total_count"))
    page = 1
    while True:
        response = fetch(None, {**params, page_param: page, size_param: size}, None)
        records = decode(response)
        yield records
        count = total.search(body(response))
        if not isinstance(count, int) or page * size >= count or not records:
            return
        page += 1


def _next_link(spec, fetch, decode, params, size):
    link = compile_expression(spec.get("next_path", '"$next"'))
    response = fetch(None, {**params, spec.get("size_param", "items_per_page"): size}, None)
    while True:
        yield decode(response)
        url = link.search(body(response))
        if not url:
            return
        response = fetch(url, {}, None)
