"""The `odata` pagination style: $top/$skip offsets until a short page, and @odata.nextLink followed when
the server pages on its own (server-driven paging)."""
from __future__ import annotations

import json

from engine.connectors.http.pagination import STYLES, PaginationPlan
from engine.lang.expr import compile_expression as compile_expr


class _Answer:
    def __init__(self, body: dict) -> None:
        self.parsed_json = body
        self.headers: dict = {}

    def json(self) -> dict:
        return self.parsed_json


def _plan(**args) -> PaginationPlan:
    style = STYLES["odata"]
    return PaginationPlan(style, {"style": "odata", **args},
                          {"next_path": compile_expr(args.get("next_path", style.expressions["next_path"]))})


def _server(records: list[int], server_page: int | None = None):
    """A fake OData service; ``server_page`` cuts pages itself and links the rest (``?$skip=N``)."""
    calls: list = []

    def fetch(url, params, variables):
        calls.append((url, dict(params)))
        if url is not None:
            skip, top = int(url.rsplit("=", 1)[1]), len(records)
        else:
            skip, top = int(params.get("$skip", 0)), int(params["$top"])
        size = min(top, server_page or top)
        body: dict = {"value": [{"Id": r} for r in records[skip:skip + size]]}
        if size < top and skip + size < len(records):
            body["@odata.nextLink"] = f"http://x/odata/v1/Orders?$skip={skip + size}"
        return _Answer(body)
    return fetch, calls


def _decode(answer) -> list:
    return [r["Id"] for r in answer.parsed_json["value"]]


def test_top_and_skip_until_a_short_page():
    fetch, calls = _server(list(range(25)))
    pages = list(_plan().pages(fetch, _decode, {"$orderby": "Id"}, {}, 10))
    assert pages == [list(range(10)), list(range(10, 20)), list(range(20, 25))]
    assert [c[1] for c in calls] == [{"$orderby": "Id", "$top": 10}, {"$orderby": "Id", "$top": 10, "$skip": 10},
                                     {"$orderby": "Id", "$top": 10, "$skip": 20}]


def test_an_exact_multiple_ends_with_one_empty_page():
    fetch, calls = _server(list(range(20)))
    pages = list(_plan().pages(fetch, _decode, {}, {}, 10))
    assert [len(p) for p in pages] == [10, 10, 0] and len(calls) == 3


def test_a_server_driven_page_is_followed_by_its_link():
    fetch, calls = _server(list(range(25)), server_page=8)
    pages = list(_plan().pages(fetch, _decode, {}, {}, 30))
    assert sum(pages, []) == list(range(25))
    assert calls[0] == (None, {"$top": 30}) and all(url is not None for url, _ in calls[1:])


def test_custom_parameter_names():
    fetch, calls = _server(list(range(3)))
    plan = _plan(top_param="$top", skip_param="$skip")
    assert list(plan.pages(fetch, _decode, {}, {}, 5)) == [[0, 1, 2]]
    assert json.dumps(calls) == '[[null, {"$top": 5}]]'
