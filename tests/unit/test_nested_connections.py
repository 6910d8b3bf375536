"""`nested` connections of a resource: compiled at validate (every mistake located), and completed at
read time — followed to their end, or the record marked incomplete with the reason (no server here)."""
from __future__ import annotations

import copy

import pytest

from engine.connectors.base import IncompleteRecord
from engine.connectors.compile import compile_connector
from engine.connectors.errors import AuthError, HttpError
from engine.connectors.http.nested import complete
from support import ROOT, run_cli

QUERY = """query Orders($first: Int!, $after: String) { orders(first: $first, after: $after) {
  pageInfo { hasNextPage endCursor }
  nodes { id lineItems(first: 2) { pageInfo { hasNextPage endCursor } edges { node { sku } } } } } }"""
FOLLOW = """query Next($id: ID!, $first: Int!, $after: String) { order(id: $id) {
  lineItems(first: $first, after: $after) { pageInfo { hasNextPage endCursor } edges { node { sku } } } } }"""


def definition(nested: dict | None = None, key: str | None = "id") -> dict:
    orders: dict = {"path": "/graphql.json", "records": "data.orders.nodes", "graphql": QUERY,
                    "pagination": {"style": "cursor"},
                    "nested": nested if nested is not None else {
                        "lineItems": {"follow": {"graphql": FOLLOW, "connection": "data.order.lineItems",
                                                 "page_size": 3}}}}
    if key is not None:
        orders["key"] = key
    return {"name": "shop", "protocol": "http", "settings": {"base_url": {"required": True}},
            "resources": {"orders": orders}}


def compiled(data: dict):
    plan, diags = compile_connector(data, lambda path: None)
    return plan, [(d.code, d.path, d.message) for d in diags]


def test_a_declaration_compiles_into_the_resource_plan():
    plan, diags = compiled(definition())
    assert diags == []
    (nested,) = plan.resources["orders"].detail.nested
    assert (nested.name, nested.parts, nested.items, nested.page_info) == ("lineItems", ("lineItems",), "edges",
                                                                           "pageInfo")
    assert nested.follow.page_size == 3 and nested.follow.sends_first
    assert nested.follow.ident.search({"id": "gid://1"}) == "gid://1"


def _follow(**changes) -> dict:
    follow = {"graphql": FOLLOW, "connection": "data.order.lineItems", **changes}
    return {"lineItems": {"follow": {k: v for k, v in follow.items() if v is not None}}}


NESTED = "connector.resources.orders.nested"


@pytest.mark.parametrize("nested, key, expected", [
    ({"line items": {}}, "id", ("bad-nested", f"{NESTED}.line items", "`line items` is not a field path")),
    ({"lineItem": {}}, "id", ("bad-nested", f"{NESTED}.lineItem", "the resource's query never reads `lineItem`")),
    ({"lineItems": {"items": "edges[].node"}}, "id",
     ("bad-nested", f"{NESTED}.lineItems.items", "`items` names one field of the connection")),
    (_follow(graphql=FOLLOW.replace("$after: String", "$cursor: String")), "id",
     ("bad-nested", f"{NESTED}.lineItems.follow.graphql", "the follow-up query does not declare $after")),
    (_follow(graphql=FOLLOW.replace("$id: ID!, ", "")), "id",
     ("bad-nested", f"{NESTED}.lineItems.follow.graphql", "the follow-up query does not declare $id")),
    (_follow(graphql=FOLLOW.replace("pageInfo { hasNextPage endCursor } ", "")), "id",
     ("bad-nested", f"{NESTED}.lineItems.follow.graphql", "the follow-up query never asks for `pageInfo`")),
    (_follow(connection="data.order.[lineItems"), "id",
     ("bad-expression", f"{NESTED}.lineItems.follow.connection", "invalid connection 'data.order.[lineItems'")),
    (_follow(), None, ("missing-key", f"{NESTED}.lineItems.follow", "a follow-up needs `id`")),
    (_follow(id="order.[id"), None, ("bad-expression", f"{NESTED}.lineItems.follow.id", "invalid id")),
])
def test_malformed_declarations_are_validate_errors(nested, key, expected):
    plan, diags = compiled(definition(nested, key))
    code, path, message = expected
    assert [(c, p) for c, p, _ in diags] == [(code, path)], diags
    assert diags[0][2].startswith(message), diags[0][2]


CONNECTOR = """\
connector:
  name: shop
  protocol: http
  settings: { base_url: { required: true } }
  resources:
    orders:
      path: /graphql.json
      key: id
      records: data.orders.nodes
      pagination: { style: cursor }
      graphql: "query Orders { orders(first: 5) { nodes { id lineItems(first: 2) { pageInfo { hasNextPage } } } } }"
      nested:
        lineItems:
          follow:
            connection: data.order.lineItems
            graphql: "query Next($id: ID!, $after: String) { order(id: $id) { lineItems(first: 5, after: $after) { pageInfo { hasNextPage endCursor } } } }"
"""
ENDPOINT = """\
endpoints:
  shop:
    use: shop
    settings: { base_url: https://shop.example.test }
"""


def _validate(folder, connector: str, spec: str) -> str:
    (folder / "connectors").mkdir(parents=True)
    (folder / "connectors" / "shop.yaml").write_text(connector, encoding="utf-8")
    (folder / "spec.yaml").write_text(spec, encoding="utf-8")
    code, out, err = run_cli(["validate", str(folder)], ROOT)
    return f"exit {code}\n{out}{err}"


def test_errors_are_located_in_the_connector_file(tmp_path):
    assert _validate(tmp_path, CONNECTOR, ENDPOINT).startswith("exit 0")
    text = _validate(tmp_path / "bad", CONNECTOR.replace(", $after: String", "").replace("pageInfo { hasNextPage endCursor }", "edges { cursor }"), ENDPOINT)
    assert text.startswith("exit 1")
    assert "shop.yaml:16:22: error[bad-nested] connector.resources.orders.nested.lineItems.follow.graphql: the " \
           "follow-up query does not declare $after (it receives the cursor of the page read last)" in text
    assert "shop.yaml:16:22: error[bad-nested] connector.resources.orders.nested.lineItems.follow.graphql: the " \
           "follow-up query never asks for `pageInfo`" in text


def test_errors_in_an_override_are_located_in_the_project(tmp_path):
    override = ENDPOINT + "    override:\n      resources: { orders: { nested: { lineItems: { follow: { connection: \"data.[\" } } } } }\n"
    text = _validate(tmp_path, CONNECTOR, override)
    assert text.startswith("exit 1")
    assert "spec.yaml:6:75: error[bad-expression] connector.resources.orders.nested.lineItems.follow.connection: " \
           "invalid connection 'data.['" in text
    broken = ENDPOINT + "    override:\n      resources: { orders: { nested: { lineItems: { follow: { page_size: 0 } } } } }\n"
    assert "error[bad-override] endpoints.shop.override" in _validate(tmp_path / "b", CONNECTOR, broken)


def test_a_follow_up_switched_off_by_null_is_valid():
    data = definition()
    data["resources"]["orders"]["nested"]["lineItems"]["follow"] = None
    plan, diags = compiled(data)
    assert diags == [] and plan.resources["orders"].detail.nested[0].follow is None


# -- completing records -----------------------------------------------------------------------------

def _record(skus, more=True, cursor="c2") -> dict:
    return {"id": "gid://o/1", "lineItems": {"pageInfo": {"hasNextPage": more, "endCursor": cursor},
                                             "edges": [{"node": {"sku": s}} for s in skus]}}


def _answer(skus, more, cursor) -> dict:
    return {"data": {"order": {"lineItems": {"pageInfo": {"hasNextPage": more, "endCursor": cursor},
                                             "edges": [{"node": {"sku": s}} for s in skus]}}}}


def _plans(data=None):
    plan, diags = compiled(data or definition())
    assert not diags
    return plan.resources["orders"].detail.nested


def test_pages_are_followed_and_merged():
    sent = []
    answers = iter([_answer(["c", "d", "e"], True, "c5"), _answer(["f"], False, "c6")])

    def fetch(query, variables):
        sent.append(variables)
        return next(answers)

    record = complete(_record(["a", "b"]), _plans(), fetch, scan=True)
    assert not isinstance(record, IncompleteRecord)
    assert [e["node"]["sku"] for e in record["lineItems"]["edges"]] == list("abcdef")
    assert record["lineItems"]["pageInfo"] == {"hasNextPage": False, "endCursor": "c6"}
    assert sent == [{"id": "gid://o/1", "after": "c2", "first": 3}, {"id": "gid://o/1", "after": "c5", "first": 3}]


def _never(query, variables):
    raise AssertionError("no follow-up expected")


@pytest.mark.parametrize("record, reason", [
    ({"id": "x", "lineItems": [1, 2]}, "lineItems is not a connection"),
    ({"id": "x", "lineItems": {"edges": []}}, "lineItems carries no `pageInfo`: the connector cannot tell"),
    ({"lineItems": _record(["a"])["lineItems"]}, "lineItems has more than 1 entries and the record has no id"),
    (_record(["a"], cursor=None), "lineItems reports more entries after 1 but gives no endCursor"),
])
def test_records_that_cannot_be_completed_are_marked(record, reason):
    marked = complete(record, _plans(), _never, scan=True)
    assert isinstance(marked, IncompleteRecord) and marked.field == "lineItems"
    assert marked.reason.startswith(reason), marked.reason


@pytest.mark.parametrize("answer, reason", [
    ({"data": {"order": None}}, "lineItems has more than 2 entries and the follow-up query answered no connection "
                                "at data.order.lineItems"),
    (_answer(["c"], True, "c2"), "lineItems: the follow-up query answered the same cursor again after 3 entries"),
    ({"data": {"order": {"lineItems": {"edges": []}}}}, "lineItems has more than 2 entries and the follow-up query "
                                                        "answered a connection without `pageInfo` at "
                                                        "data.order.lineItems"),
])
def test_follow_up_answers_that_cannot_complete_the_record_mark_it(answer, reason):
    marked = complete(_record(["a", "b"]), _plans(), lambda q, v: copy.deepcopy(answer), scan=True)
    assert isinstance(marked, IncompleteRecord) and marked.reason == reason


def test_a_refused_follow_up_marks_the_record_a_transient_or_auth_failure_fails_the_read():
    def refused(query, variables):
        raise HttpError("POST /graphql.json: GraphQL errors: Field 'x' doesn't exist", 200)

    marked = complete(_record(["a", "b"]), _plans(), refused, scan=True)
    assert isinstance(marked, IncompleteRecord)
    assert marked.reason == ("lineItems has more than 2 entries and the follow-up query failed: POST /graphql.json: "
                             "GraphQL errors: Field 'x' doesn't exist")
    for exc in (HttpError("timeout", transient=True), AuthError("401", 401)):
        def failing(query, variables, exc=exc):
            raise exc
        with pytest.raises(type(exc)):
            complete(_record(["a", "b"]), _plans(), failing, scan=True)


def test_whole_records_pass_untouched_and_undeclared_truncation_is_caught():
    whole = _record(["a"], more=False)
    assert complete(copy.deepcopy(whole), _plans(), _never, scan=True) == whole
    assert complete({"id": "x"}, _plans(), _never, scan=True) == {"id": "x"}  # the connection was not read
    hidden = {"id": "x", "lines": {"edges": [{"node": {"taxes": {"pageInfo": {"hasNextPage": True}, "nodes": []}}}]}}
    marked = complete(hidden, (), _never, scan=True)
    assert isinstance(marked, IncompleteRecord) and marked.field == "lines.edges[].node.taxes"
    assert complete(hidden, (), _never, scan=False) is hidden  # not a GraphQL resource: no Relay convention


def test_an_incomplete_related_row_is_kept_as_a_bad_row_with_its_reason():
    from engine.plan.related import BadRow
    from engine.runtime.pipeline import typed_rows

    marked = IncompleteRecord({"id": 7}, "lines has more than 10 entries and the connector cannot read the rest",
                              "lines")
    for coerce in (None, dict):
        rows = typed_rows(coerce, [{"id": 6}, marked])
        assert rows[0] == {"id": 6} and isinstance(rows[1], BadRow)
        assert rows[1].reason == marked.reason and rows[1].get("id") == 7
