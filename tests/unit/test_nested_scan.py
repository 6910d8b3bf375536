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
