"""Conformance probe (issue 13): prestapyt, the PrestaShop webservice library for Python, against the
PrestaShop simulator, used the way its README shows — ``PrestaShopWebServiceDict(api_url, key)``, then
``get``, ``search`` with ``options`` (``display``, ``filter[...]``, ``sort``, ``limit``), ``add`` with a
dict, ``partial_edit`` and the ``PrestaShopWebServiceError`` it raises. It lists, pages
(``limit=offset,count``: page until a page is short), filters, reads one, writes one and provokes errors."""
from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from prestapyt import PrestaShopAuthenticationError, PrestaShopWebServiceDict, PrestaShopWebServiceError

from passerelle_sandbox import Sandbox


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(systems=("prestashop",), orders=12) as sandbox:
        yield sandbox


@pytest.fixture()
def ps(sb: Sandbox) -> PrestaShopWebServiceDict:
    warnings.simplefilter("ignore")  # prestapyt warns when PSWS-Version is above the versions it lists
    return PrestaShopWebServiceDict(sb.url("prestashop"), sb.credentials("prestashop")["key"])


def test_list_the_resources_and_ids(ps: PrestaShopWebServiceDict) -> None:
    assert {"orders", "order_details", "order_histories"} <= set(ps.get("")["api"])
    ids = ps.search("orders")
    assert len(ids) == 12 and ids == sorted(ids) and 1042 in ids  # 1042: the reference order, always there


def test_page_with_offset_and_count(ps: PrestaShopWebServiceDict) -> None:
    seen, offset = [], 0
    while True:
        page = ps.search("orders", options={"limit": f"{offset},5", "sort": "[id_ASC]"})
        seen += page
        if len(page) < 5:
            break
        offset += 5
    assert seen == sorted(set(seen)) and len(seen) == 12


def test_filter_and_display(ps: PrestaShopWebServiceDict) -> None:
    paid = ps.get("orders", options={"filter[current_state]": "[2|3]", "display": "[id,current_state]",
                                     "sort": "[id_DESC]"})["orders"]["order"]
    assert paid and all(row["current_state"] in ("2", "3") for row in paid)
    assert [int(r["id"]) for r in paid] == sorted((int(r["id"]) for r in paid), reverse=True)
    gift = ps.get("order_details", options={"filter[product_reference]": "[CARTE-CADEAU]%", "display": "full"})
    rows = gift["order_details"]["order_detail"]
    rows = rows if isinstance(rows, list) else [rows]
    assert rows and all(not r["associations"]["taxes"].get("tax") for r in rows)  # tax-exempt: no taxes


def test_read_one(ps: PrestaShopWebServiceDict) -> None:
    order = ps.get("orders", 1042)["order"]
    assert order["reference"] == "LJHRTGKQE" and order["total_paid_tax_incl"] == "42.000000"
    rows = order["associations"]["order_rows"]["order_row"]
    assert [r["product_reference"] for r in rows] == ["TSHIRT-BLU-M", "MUG-CLASSIC"]


def test_write_one(ps: PrestaShopWebServiceDict, sb: Sandbox) -> None:
    created = ps.add("order_histories", {"order_history": {"id_order": 1042, "id_order_state": 14}})
    assert int(created["prestashop"]["order_history"]["id"]) > 0
    assert ps.get("orders", 1042)["order"]["current_state"] == "14"
    stock = ps.search("stock_availables", options={"filter[id_product]": "[27]"})[0]
    ps.partial_edit("stock_availables", stock, {"stock_available": {"quantity": "41"}})
    assert ps.get("stock_availables", stock)["stock_available"]["quantity"] == "41"


def test_errors(ps: PrestaShopWebServiceDict, sb: Sandbox) -> None:
    with pytest.raises(PrestaShopWebServiceError) as unknown:
        ps.get("orderz")
    assert unknown.value.error_code == 400 and unknown.value.ps_error_code == "27"  # "Did you mean"
    with pytest.raises(PrestaShopWebServiceError) as missing:
        ps.get("orders", 999999)
    assert missing.value.msg == "HTTP response is empty"  # PrestaShop's 404 for an id has no body
    with pytest.raises(PrestaShopWebServiceError) as bad_filter:
        ps.search("orders", options={"filter[date_upd]": ">[2024-01-01 00:00:00]"})  # dates need date=1
    assert bad_filter.value.ps_error_code == "32"
    with pytest.raises(PrestaShopAuthenticationError):
        PrestaShopWebServiceDict(sb.url("prestashop"), "X" * 32).get("orders")
