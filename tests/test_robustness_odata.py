"""Robustness of the OData parts (property-based): the engine's `odata` pagination style returns every
record exactly once whatever the sizes (client pages, server-driven pages); a connector's `odata`
pagination with any argument values validates without a traceback, its errors located in that file; the
Smartstore simulator's OData query parser answers any `$filter`/`$orderby`/`$top`/`$skip`/`$select`/
`$expand` with a result, a 400 OData error or "not simulated" — never another exception."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support import validate_connector

from engine.connectors.http.pagination import STYLES, PaginationPlan
from engine.lang.expr import compile_expression
from passerelle_sandbox.smartstore_data import ENTITY, NAVIGATIONS, TYPES
from passerelle_sandbox.smartstore_odata import NotSimulated, ODataError, parse_query

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


class _Answer:
    def __init__(self, body: dict) -> None:
        self.parsed_json, self.headers = body, {}


@SETTINGS
@given(st.integers(0, 400), st.integers(1, 120), st.none() | st.integers(1, 60))
def test_every_record_exactly_once(count, size, server_page):
    records = list(range(count))

    def fetch(url, params, variables):
        if url is not None:
            skip, top = int(url.rsplit("=", 1)[1]), count
        else:
            skip, top = int(params.get("$skip", 0)), int(params["$top"])
        cut = min(top, server_page or top)
        body: dict = {"value": records[skip:skip + cut]}
        if cut < top and skip + cut < count:
            body["@odata.nextLink"] = f"/Orders?$skip={skip + cut}"
        return _Answer(body)

    plan = PaginationPlan(STYLES["odata"], {"style": "odata"},
                          {"next_path": compile_expression('"@odata.nextLink"')})
    pages = list(plan.pages(fetch, lambda a: a.parsed_json["value"], {}, {}, size))
    assert sum(pages, []) == records
    assert all(len(p) <= size for p in pages)


args = st.none() | st.integers(-3, 500) | st.text(max_size=6) | st.booleans() | st.lists(st.integers(), max_size=2)
FLOW = """\
endpoints:
  shop: { use: shop, settings: { url: "http://127.0.0.1:9" } }
flows:
  orders:
    source: { endpoint: shop, read: orders }
    target: { endpoint: shop, write: note }
    map: { Note: { from: Id } }
"""


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["page_size", "top_param", "skip_param", "next_path", "size_param"]),
                       args, max_size=3))
def test_any_odata_pagination_validates_with_located_errors(tmp_path_factory, extra):
    connector = {"name": "shop", "protocol": "http", "settings": {"url": {"required": True}},
                 "http": {"base_url": "{settings.url}", "pagination": {"style": "odata", **extra}},
                 "resources": {"orders": {"path": "/Orders", "records": "value", "key": "Id"}},
                 "operations": {"note": {"method": "POST", "path": "/OrderNotes", "body": "json", "creates": True}}}
    validate_connector(tmp_path_factory.mktemp("odata"), connector, FLOW)


WORDS = ["Id", "OrderNumber", "UpdatedOnUtc", "OrderStatus", "OrderTotal", "Nope", "Customer/Email", "eq", "ne",
         "gt", "ge", "lt", "le", "and", "or", "not", "in", "has", "add", "(", ")", ",", "'a''b'", "'Paid'", "42",
         "4.5", "-1", "2024-05-14T10:00:00Z", "2024-05-14T10:00:00+02:00", "true", "null", "contains(", "=", "$"]
filters = st.lists(st.sampled_from(WORDS), max_size=9).map(" ".join) | st.text(max_size=30)
options = st.sampled_from(["$filter", "$orderby", "$top", "$skip", "$count", "$select", "$expand", "$apply",
                           "$format", "$unknown", "custom"])


@SETTINGS
@given(st.lists(st.tuples(options, filters | st.sampled_from(["Id desc", "OrderItems", "121", "true", "x"])),
                max_size=4), st.sampled_from(sorted(TYPES)))
def test_the_query_parser_never_fails_otherwise(params, entity_set):
    records = [{"Id": 1, "OrderNumber": "1", "UpdatedOnUtc": "2024-05-14T10:21:07Z", "OrderStatus": "Processing",
                "OrderTotal": 42}, {"Id": 2}]
    try:
        query = parse_query(params, TYPES[entity_set], NAVIGATIONS[entity_set], ENTITY[entity_set], 120)
    except (ODataError, NotSimulated) as exc:
        assert str(exc)
        return
    if query.predicate is not None:  # a parsed filter evaluates on well-typed records without raising
        assert all(query.predicate(r) in (True, False) for r in records)
