"""The quick scan for truncated nested connections says what the path-building scan says."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.connectors.http.nested import _more_below, _truncated

KEYS = st.sampled_from(["a", "edges", "node", "pageInfo", "hasNextPage"])
values = st.recursive(
    st.none() | st.booleans() | st.integers(0, 2) | st.just("x")
    | st.fixed_dictionaries({"hasNextPage": st.sampled_from([True, False, 1, None])}),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3), max_leaves=15)


@settings(max_examples=500, derandomize=True, deadline=None)
@given(values)
def test_the_quick_scan_agrees(value):
    assert _more_below(value) == (_truncated(value, "") is not None)


def test_a_connection_at_the_top_is_not_nested():
    assert not _more_below({"pageInfo": {"hasNextPage": True}})
    assert _more_below({"lines": {"pageInfo": {"hasNextPage": True}}})
    assert _more_below([{"pageInfo": {"hasNextPage": True}}])


# -- a page proved free of undeclared truncated connections from its answer's bytes ------------------

import copy  # noqa: E402
import json  # noqa: E402

from engine.connectors.base import IncompleteRecord  # noqa: E402
from engine.connectors.http.nested import FollowPlan, NestedPlan, complete_page  # noqa: E402
from engine.lang.expr import compile_expression  # noqa: E402

INFO = st.fixed_dictionaries({"hasNextPage": st.sampled_from([True, False, 1, None]), "endCursor": st.just("c")})
records = st.fixed_dictionaries({"id": st.just("gid://1"), "lines": st.fixed_dictionaries(
    {"pageInfo": INFO, "edges": st.lists(values, max_size=2)}) | values, "other": values})  # or malformed
DUMPS = st.sampled_from([
    lambda doc: json.dumps(doc),
    lambda doc: json.dumps(doc, indent=2),
    lambda doc: json.dumps(doc, separators=(",", ":")),
    # a key may spell its letters as escapes: valid JSON, the same dict
    lambda doc: json.dumps(doc).replace('"hasNextPage"', '"hasNext\\u0050age"'),
])


def plans(follow: bool) -> tuple:
    plan = FollowPlan("query Next($id: ID!, $after: String) { x }", compile_expression("data.order.lines"),
                      "data.order.lines", compile_expression("id"), 2, False) if follow else None
    return (NestedPlan("lines", ("lines",), "edges", "pageInfo", plan),)


def shown(page):
    return [(type(r).__name__, getattr(r, "reason", None), getattr(r, "field", None), dict(r)) for r in page]


@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.lists(records, max_size=4), INFO, DUMPS, st.booleans(), values)
def test_a_page_proved_clean_completes_as_a_page_scanned_record_by_record(page, top, dumps, follow, more):
    raw = dumps({"data": {"orders": {"pageInfo": top, "edges": [{"node": r} for r in page]}},
                 "extensions": more}).encode()
    answers = iter([{"data": {"order": {"lines": {"pageInfo": {"hasNextPage": False}, "edges": [more]}}}}] * 99)

    def fetch(query, variables):
        return copy.deepcopy(next(answers))

    parsed = json.loads(raw)
    nodes = [edge["node"] for edge in parsed["data"]["orders"]["edges"]]
    expected = complete_page(copy.deepcopy(nodes), plans(follow), fetch, scan=True)
    assert shown(complete_page(nodes, plans(follow), fetch, scan=True, answer=(raw, parsed))) == shown(expected)


def test_an_undeclared_truncated_connection_is_found_with_the_answer_given():
    raw = b'{"data": {"orders": {"pageInfo": {"hasNextPage": true}, "edges": [{"node": {"id": "1", ' \
          b'"lines": {"pageInfo": {"hasNextPage": false}, "edges": []}, "notes": {"pageInfo": {"hasNextPage":  true}}}}' \
          b', {"node": {"id": "2"}}]}}}'
    parsed = json.loads(raw)
    page = [edge["node"] for edge in parsed["data"]["orders"]["edges"]]
    done = complete_page(page, plans(False), lambda q, v: None, scan=True, answer=(raw, parsed))
    assert isinstance(done[0], IncompleteRecord) and done[0].field == "notes"
    assert not isinstance(done[1], IncompleteRecord)


def test_a_key_spelt_with_escapes_is_not_missed():
    raw = b'{"data": {"edges": [{"node": {"id": "1", "notes": {"pageInfo": {"hasNext\\u0050age": true}}}}]}}'
    parsed = json.loads(raw)
    page = [parsed["data"]["edges"][0]["node"]]
    assert page[0]["notes"]["pageInfo"] == {"hasNextPage": True}
    done = complete_page(page, plans(False), lambda q, v: None, scan=True, answer=(raw, parsed))
    assert isinstance(done[0], IncompleteRecord) and done[0].field == "notes"


def test_records_that_are_not_objects_of_the_answer_are_scanned():
    raw = b'{"data": {"pageInfo": {"hasNextPage": true}}}'
    record = {"id": "1", "notes": {"pageInfo": {"hasNextPage": True}}}  # a copy, not found in the answer
    done = complete_page([record], plans(False), lambda q, v: None, scan=True, answer=(raw, json.loads(raw)))
    assert isinstance(done[0], IncompleteRecord) and done[0].field == "notes"
