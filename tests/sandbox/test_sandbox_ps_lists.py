"""PrestaShop list semantics: display, filters, date=1, sort, limit."""
from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from passerelle_sandbox import Sandbox
from sandbox_helpers import XLINK, error_codes, ids, xml


def test_without_display_only_ids_with_xlink(ps: httpx.Client, big: Sandbox) -> None:
    response = ps.get("orders", params={"limit": "3"})
    nodes = list(xml(response).find("orders"))
    assert [n.get("id") for n in nodes] == ["1001", "1002", "1003"]
    assert nodes[0].get(f"{{{XLINK}}}href") == big.api_url("prestashop") + "orders/1001"
    assert len(nodes[0]) == 0
    assert ps.get("orders", params={"limit": "2", "output_format": "JSON"}).json() == {
        "orders": [{"id": 1001}, {"id": 1002}]}


def test_display_full_and_field_list(ps: httpx.Client) -> None:
    full = xml(ps.get("orders", params={"display": "full", "filter[id]": "[1042]"})).find("orders/order")
    assert full.findtext("total_paid_tax_incl") == "42.000000"
    assert [r.findtext("product_reference") for r in full.find("associations/order_rows")] == [
        "TSHIRT-BLU-M", "MUG-CLASSIC"]
    chosen = ps.get("orders", params={"display": "[id,reference,date_upd]", "limit": "1", "output_format": "JSON"})
    assert chosen.json() == {"orders": [{"id": 1001, "reference": chosen.json()["orders"][0]["reference"],
                                         "date_upd": chosen.json()["orders"][0]["date_upd"]}]}
    rows = ps.get("orders", params={"display": "[id,order_rows[product_reference]]", "filter[id]": "1042",
                                    "output_format": "JSON"}).json()
    assert rows == {"orders": [{"id": 1042, "associations": {"order_rows": [
        {"product_reference": "TSHIRT-BLU-M"}, {"product_reference": "MUG-CLASSIC"}]}}]}


@pytest.mark.parametrize("display,code", [("[id,colour]", 35), ("[id,order_rows[nope]]", 35),
                                          ("[associations[order_rows[id]]]", 35), ("id,reference", 36)])
def test_display_errors(ps: httpx.Client, display: str, code: int) -> None:
    response = ps.get("orders", params={"display": display})
    assert response.status_code == 400 and error_codes(response) == [code]


def _expected(big: Sandbox, test) -> list[int]:
    return sorted(o.id for o in big.dataset.orders if test(o))


@pytest.mark.parametrize("value,test", [
    ("[1042]", lambda o: o.id == 1042),
    ("1042", lambda o: o.id == 1042),
    ("[1001|1042|1100]", lambda o: o.id in (1001, 1042, 1100)),
    ("[1010,1020]", lambda o: 1010 <= o.id <= 1020),
    ("[1020,1010]", lambda o: 1010 <= o.id <= 1020),
    (">[1240]", lambda o: o.id > 1240),
    ("<[1003]", lambda o: o.id < 1003),
    ("![1001|1002]", lambda o: o.id not in (1001, 1002)),
    ("[10]%", lambda o: str(o.id).startswith("10")),
    ("[10%]", lambda o: False),  # % inside the brackets is a literal equality, not LIKE
    ("%[42]", lambda o: str(o.id).endswith("42")),
    ("%[04]%", lambda o: "04" in str(o.id)),
])
def test_filter_forms_on_id(ps: httpx.Client, big: Sandbox, value: str, test) -> None:
    response = ps.get("orders", params={"filter[id]": value})
    assert response.status_code == 200
    assert ids(response) == _expected(big, test)


def test_filters_on_text_money_and_combined(ps: httpx.Client, big: Sandbox) -> None:
    assert ids(ps.get("orders", params={"filter[module]": "[PAYPAL]"})) == _expected(big, lambda o: o.module == "paypal")
    assert ids(ps.get("orders", params={"filter[module]": "stripe_official"})) == _expected(
        big, lambda o: o.module == "stripe_official")
    assert ids(ps.get("orders", params={"filter[payment]": "%[transfer]"})) == _expected(
        big, lambda o: o.payment == "Bank transfer")
    assert ids(ps.get("orders", params={"filter[module]": "[ps_check]%"})) == _expected(
        big, lambda o: o.module in ("ps_checkout", "ps_checkpayment"))
    assert ids(ps.get("orders", params={"filter[total_paid_tax_incl]": "[42]"})) == _expected(
        big, lambda o: o.total_paid_incl == 42)
    assert ids(ps.get("orders", params={"filter[total_paid_tax_incl]": ">[100]", "filter[current_state]": "[3]"})) \
        == _expected(big, lambda o: o.total_paid_incl > 100 and o.current_state == 3)
    # A bare canonical number is a LIKE on the column text: "42" does not match "42.000000".
    assert ids(ps.get("orders", params={"filter[total_paid_tax_incl]": "42"})) == []
    assert ids(ps.get("orders", params={"filter[total_paid_tax_incl]": "42.000000"})) == [1042]


def test_i18n_filter_and_sort(ps: httpx.Client) -> None:
    shipped = ps.get("order_states", params={"filter[name]": "[Shipped]", "display": "[id]"})
    assert ids(shipped) == [4]
    names = ps.get("carriers", params={"display": "[id,name]", "sort": "[name_DESC]", "output_format": "JSON"})
    assert [c["name"] for c in names.json()["carriers"]] == ["UPS Ground", "Retrait en magasin", "DHL Express",
                                                                "Coursier Local", "Colissimo"]


def test_date_filter_requires_date_1(ps: httpx.Client, big: Sandbox) -> None:
    params = {"filter[date_upd]": ">[2024-05-14 10:00:00]"}
    rejected = ps.get("orders", params=params)
    assert rejected.status_code == 400 and error_codes(rejected) == [32]
    message = xml(rejected).findtext("errors/error/message")
    assert message.startswith("This filter does not exist. Did you mean:") and '"id_customer"' in message
    assert '"date_upd"' not in message
    accepted = ps.get("orders", params={**params, "date": "1", "sort": "[date_upd_ASC,id_ASC]"})
    assert ids(accepted) == _expected(big, lambda o: o.date_upd > "2024-05-14 10:00:00")
    sort_rejected = ps.get("orders", params={"sort": "[date_upd_ASC]"})
    assert sort_rejected.status_code == 400 and error_codes(sort_rejected) == [38]


def test_date_interval_end_day_excluded_without_time(ps: httpx.Client, big: Sandbox) -> None:
    day = ps.get("orders", params={"date": "1", "filter[date_add]": "[2024-05-14,2024-05-15]"})
    assert ids(day) == _expected(big, lambda o: "2024-05-14 00:00:00" <= o.date_add <= "2024-05-15 00:00:00")
    assert 1042 in ids(day)


@pytest.mark.parametrize("params,code", [
    ({"filter[colour]": "[1]"}, 32),
    ({"filter[id]": ""}, 33),
    ({"filter[shipping_number]": "[X]"}, 34),
    ({"filter[id][x]": "1"}, 31),
    ({"sort": "[id_UP]"}, 37),
    ({"sort": "id"}, 37),
    ({"sort": "[colour_ASC]"}, 38),
    ({"limit": "1,2,3"}, 39),
    ({"schema": "full"}, 28),
])
def test_list_parameter_errors(ps: httpx.Client, params: dict[str, str], code: int) -> None:
    response = ps.get("orders", params=params)
    assert response.status_code == 400 and error_codes(response) == [code]


def test_sort_on_several_fields(ps: httpx.Client, big: Sandbox) -> None:
    response = ps.get("orders", params={"display": "[id,current_state,total_paid]", "sort": "[current_state_DESC,total_paid_ASC]",
                                        "output_format": "JSON"})
    got = [(o["current_state"], Decimal(o["total_paid"]), o["id"]) for o in response.json()["orders"]]
    assert got == sorted(got, key=lambda t: (-t[0], t[1]))
    assert ids(ps.get("orders", params={"sort": "id_DESC", "limit": "2"})) == [1250, 1249]


def test_limit_and_paging_returns_every_order_exactly_once(ps: httpx.Client, big: Sandbox) -> None:
    assert ids(ps.get("orders", params={"limit": "5"})) == [1001, 1002, 1003, 1004, 1005]
    assert ids(ps.get("orders", params={"limit": "10,3"})) == [1011, 1012, 1013]
    seen: list[int] = []
    offset, count = 0, 50
    while True:
        page = ps.get("orders", params={"display": "[id,date_upd]", "date": "1", "sort": "[date_upd_ASC,id_ASC]",
                                        "limit": f"{offset},{count}", "output_format": "JSON"}).json()
        rows = page["orders"] if page else []
        seen += [row["id"] for row in rows]
        if len(rows) < count:
            break
        offset += count
    assert len(big.dataset.orders) == 250
    assert sorted(seen) == sorted(o.id for o in big.dataset.orders) and len(seen) == len(set(seen))
    assert page == []  # the last page (offset 250) is the bare empty JSON list


def test_single_resource_is_full_and_404_is_empty(ps: httpx.Client) -> None:
    response = ps.get("orders/1042", params={"display": "[id]"})
    assert xml(response).findtext("order/total_paid") == "42.000000"
    missing = ps.get("orders/999999")
    assert missing.status_code == 404 and missing.content == b""
    assert "content-sha1" not in missing.headers


def test_order_details_by_order_with_taxes_association(ps: httpx.Client, big: Sandbox) -> None:
    details = ps.get("order_details", params={"filter[id_order]": "[1042]", "display": "full", "output_format": "JSON"})
    rows = details.json()["order_details"]
    assert [(r["id"], r["product_reference"], r["total_price_tax_excl"], r["total_price_tax_incl"]) for r in rows] == [
        (2201, "TSHIRT-BLU-M", "25.000000", "30.000000"), (2202, "MUG-CLASSIC", "8.000000", "9.600000")]
    assert "rate" not in rows[0] and rows[0]["associations"]["taxes"] == [{"id": 1}]
    tax = xml(ps.get("taxes/1"))
    assert tax.findtext("tax/rate") == "20.000"
    assert tax.find("tax/name/language").get(f"{{{XLINK}}}href").endswith("/api/languages/1")
    assert tax.findtext("tax/name/language") == "TVA FR 20%"
    href = xml(details_xml := ps.get("order_details/2201")).find(
        "order_detail/associations/taxes/tax").get(f"{{{XLINK}}}href")
    assert details_xml.status_code == 200 and href.endswith("/api/taxes/1")


def test_order_details_reductions_match_the_dataset(ps: httpx.Client, big: Sandbox) -> None:
    line = next(l for o in big.dataset.orders for l in o.lines if l.reduction_percent > 0)
    row = ps.get(f"order_details/{line.id}", params={"output_format": "JSON"}).json()["order_detail"]
    assert Decimal(row["reduction_percent"]) == line.reduction_percent
    assert Decimal(row["product_price"]) == line.price > Decimal(row["unit_price_tax_excl"]) == line.unit_excl
    amount = next(l for o in big.dataset.orders for l in o.lines if l.reduction_amount_excl > 0)
    row = ps.get(f"order_details/{amount.id}", params={"output_format": "JSON"}).json()["order_detail"]
    assert Decimal(row["reduction_amount_tax_excl"]) == amount.reduction_amount_excl
    assert Decimal(row["unit_price_tax_excl"]) == amount.price - amount.reduction_amount_excl


def test_language_parameter(ps: httpx.Client) -> None:
    one = ps.get("order_states/2", params={"language": "2", "output_format": "JSON"}).json()
    assert one["order_state"]["name"] == "Paiement accepté"
    both = ps.get("order_states/2", params={"output_format": "JSON"}).json()
    assert both["order_state"]["name"] == [{"id": 1, "value": "Payment accepted"}, {"id": 2, "value": "Paiement accepté"}]
    wrong = ps.get("order_states/2", params={"language": "x"})
    assert wrong.status_code == 400 and error_codes(wrong) == [79]
