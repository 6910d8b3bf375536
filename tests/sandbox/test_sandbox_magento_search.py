"""Magento simulator: searchCriteria filters, sorting and paging."""
from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from passerelle_sandbox import Sandbox
from test_sandbox_magento import client, flt, ids


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(systems=("magento",), orders=60) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def mg(sb: Sandbox) -> Iterator[httpx.Client]:
    with client(sb) as c:
        yield c


def orders(sb: Sandbox) -> list[dict]:
    return [sb.sim("magento").orders[i] for i in sb.sim("magento").order_ids]


def test_search_criteria_is_required(mg: httpx.Client) -> None:
    r = mg.get("orders")
    assert r.status_code == 400
    assert r.json() == {"message": '"%fieldName" is required. Enter and try again.',
                        "parameters": {"fieldName": "searchCriteria"}}
    assert mg.get("customers/search").status_code == 400


def test_empty_criteria_or_no_page_size_lists_everything(sb: Sandbox, mg: httpx.Client) -> None:
    every = mg.get("orders", params={"searchCriteria": ""}).json()
    assert every["total_count"] == 60 and len(every["items"]) == 60
    assert every["search_criteria"] == {"filter_groups": []}
    assert [o["entity_id"] for o in every["items"]] == sb.sim("magento").order_ids
    assert len(mg.get("orders", params={"searchCriteria[currentPage]": "2"}).json()["items"]) == 60


def test_pages_and_the_page_past_the_end(sb: Sandbox, mg: httpx.Client) -> None:
    all_ids = sb.sim("magento").order_ids
    seen = []
    for page in (1, 2, 3, 4, 5, 6, 7):
        body = mg.get("orders", params={"searchCriteria[pageSize]": 10, "searchCriteria[currentPage]": page}).json()
        assert body["total_count"] == 60
        assert body["search_criteria"] == {"filter_groups": [], "page_size": 10, "current_page": page}
        seen.append([o["entity_id"] for o in body["items"]])
    assert sum(seen[:6], []) == all_ids
    assert seen[6] == seen[5]  # a page past the end repeats the last one (#3787, default)
    zero = mg.get("orders", params={"searchCriteria[pageSize]": 10, "searchCriteria[currentPage]": 0})
    assert ids(zero) == all_ids[:10]
    camel = mg.get("orders", params={"searchCriteria[page_size]": 7, "searchCriteria[current_page]": 2})
    assert ids(camel) == all_ids[7:14]


def test_past_end_empty_option() -> None:
    with Sandbox(systems=("magento",), orders=5, options={"magento": {"past_end": "empty"}}) as sb:
        with client(sb) as c:
            body = c.get("orders", params={"searchCriteria[pageSize]": 4, "searchCriteria[currentPage]": 3}).json()
    assert body["items"] == [] and body["total_count"] == 5


def test_updated_at_gt_with_sort_like_an_incremental_pull(sb: Sandbox, mg: httpx.Client) -> None:
    cut = sorted(o["updated_at"] for o in orders(sb))[-8]
    params = {**flt(0, 0, "updated_at", cut, "gt"), "searchCriteria[sortOrders][0][field]": "updated_at",
              "searchCriteria[sortOrders][0][direction]": "ASC", "searchCriteria[pageSize]": 50,
              "searchCriteria[currentPage]": 1}
    body = mg.get("orders", params=params).json()
    expected = sorted((o for o in orders(sb) if o["updated_at"] > cut), key=lambda o: o["updated_at"])
    assert [o["entity_id"] for o in body["items"]] == [o["entity_id"] for o in expected] and len(expected) == 7
    assert body["search_criteria"] == {
        "filter_groups": [{"filters": [{"field": "updated_at", "value": cut, "condition_type": "gt"}]}],
        "sort_orders": [{"field": "updated_at", "direction": "ASC"}], "page_size": 50, "current_page": 1}
    date_only = mg.get("orders", params=flt(0, 0, "created_at", "2024-05-14", "gteq")).json()
    midnight = [o["entity_id"] for o in orders(sb) if o["created_at"] >= "2024-05-14 00:00:00"]
    assert ids_of(date_only) == midnight and 1042 in midnight and 1001 not in midnight


def ids_of(body: dict) -> list[int]:
    return [o["entity_id"] for o in body["items"]]


def test_or_inside_a_group_and_across_groups(sb: Sandbox, mg: httpx.Client) -> None:
    either = {**flt(0, 0, "entity_id", "1005"), **flt(0, 1, "entity_id", "1042")}
    assert ids(mg.get("orders", params=either)) == [1005, 1042]
    both = {**either, **flt(1, 0, "customer_id", "56")}
    assert ids(mg.get("orders", params=both)) == [1042] + [1005] * (orders(sb)[4].get("customer_id") == 56)


@pytest.mark.parametrize("cond,value,check", [
    ("in", "1003,1042, 1010", lambda o: o["entity_id"] in (1003, 1010, 1042)),
    ("nin", "1003,1042", lambda o: o["entity_id"] not in (1003, 1042)),
    ("neq", "1042", lambda o: o["entity_id"] != 1042),
    ("lt", "1004", lambda o: o["entity_id"] < 1004),
    ("lteq", "1004", lambda o: o["entity_id"] <= 1004),
    ("gteq", "1058", lambda o: o["entity_id"] >= 1058),
    ("moreq", "1058", lambda o: o["entity_id"] >= 1058),
    ("from", "1058", lambda o: o["entity_id"] >= 1058),
    ("to", "1002", lambda o: o["entity_id"] <= 1002),
])
def test_numeric_conditions(sb: Sandbox, mg: httpx.Client, cond: str, value: str, check) -> None:
    found = ids(mg.get("orders", params=flt(0, 0, "entity_id", value, cond)))
    assert found == [o["entity_id"] for o in orders(sb) if check(o)] and found


def test_text_conditions_are_case_insensitive(sb: Sandbox, mg: httpx.Client) -> None:
    assert ids(mg.get("orders", params=flt(0, 0, "customer_email", "CLAIRE.%", "like"))) == [
        o["entity_id"] for o in orders(sb) if o["customer_email"].startswith("claire.")]
    assert ids(mg.get("orders", params=flt(0, 0, "increment_id", "00000104_", "like")))[:1] == [1040]
    assert ids(mg.get("orders", params=flt(0, 0, "coupon_code", "welcome3"))) == [
        o["entity_id"] for o in orders(sb) if o.get("coupon_code") == "WELCOME3"]
    nulls = ids(mg.get("orders", params=flt(0, 0, "coupon_code", "", "null")))
    assert nulls == [o["entity_id"] for o in orders(sb) if "coupon_code" not in o] and 1042 not in nulls
    notnull = ids(mg.get("orders", params=flt(0, 0, "coupon_code", "", "notnull")))
    assert sorted(nulls + notnull) == sb.sim("magento").order_ids
    # SQL: NULL <> 'X' is not true, so orders without a coupon are not "neq"
    assert ids(mg.get("orders", params=flt(0, 0, "coupon_code", "X", "neq"))) == notnull


def test_sort_orders_descending_and_unknown_fields(sb: Sandbox, mg: httpx.Client) -> None:
    params = {"searchCriteria[sortOrders][0][field]": "grand_total", "searchCriteria[sortOrders][0][direction]": "DESC",
              "searchCriteria[pageSize]": 5}
    totals = [o["grand_total"] for o in mg.get("orders", params=params).json()["items"]]
    assert totals == sorted((o["grand_total"] for o in orders(sb)), reverse=True)[:5]
    bad = mg.get("orders", params=flt(0, 0, "no_such_column", "1"))
    assert bad.status_code == 500 and bad.json()["message"].startswith(
        "Internal Error. Details are available in Magento log file. Report ID: webapi-")
    assert mg.get("orders", params=flt(0, 0, "entity_id", "1", "between")).status_code == 500


def test_customers_and_products_search(sb: Sandbox, mg: httpx.Client) -> None:
    found = mg.get("customers/search", params=flt(0, 0, "email", "claire.martin@example.test")).json()
    assert found["total_count"] == 1
    claire = found["items"][0]
    assert (claire["id"], claire["firstname"], claire["addresses"][0]["country_id"]) == (56, "Claire", "FR")
    assert mg.get("customers/56").json() == claire
    assert mg.get("customers/99999").json() == {"message": "No such entity with %fieldName = %fieldValue",
                                                "parameters": {"fieldName": "customerId", "fieldValue": "99999"}}
    tshirts = mg.get("products", params=flt(0, 0, "sku", "TSHIRT%", "like")).json()
    assert {p["type_id"] for p in tshirts["items"]} == {"configurable", "simple"}
    mug = mg.get("products/MUG-CLASSIC").json()
    assert (mug["id"], mug["price"], mug["type_id"]) == (27, 8, "simple")
    assert mg.get("products/NOPE").json() == {
        "message": "The product that was requested doesn't exist. Verify the product and try again."}
