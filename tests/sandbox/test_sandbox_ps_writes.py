"""PrestaShop writes: order_histories POST, stock_availables PUT/PATCH."""
from __future__ import annotations

import httpx

from passerelle_sandbox import Sandbox
from sandbox_helpers import error_codes, xml

HISTORY = ("<prestashop xmlns:xlink=\"http://www.w3.org/1999/xlink\"><order_history><id_order>{order}</id_order>"
           "<id_order_state>{state}</id_order_state></order_history></prestashop>")


def _stock_xml(**fields: object) -> str:
    inner = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items())
    return f"<prestashop><stock_available>{inner}</stock_available></prestashop>"


def test_post_order_history_changes_the_order(ps_w: httpx.Client, fresh: Sandbox) -> None:
    before = ps_w.get("orders/1042", params={"output_format": "JSON"}).json()["order"]
    response = ps_w.post("order_histories", content=HISTORY.format(order=1042, state=14),
                         headers={"Content-Type": "text/xml"})
    assert response.status_code == 201
    created = xml(response).find("order_history")
    assert (created.findtext("id_order"), created.findtext("id_order_state"), created.findtext("id_employee")) == (
        "1042", "14", "0")
    assert created.findtext("date_add") and int(created.findtext("id")) > 0
    after = ps_w.get("orders/1042", params={"output_format": "JSON"}).json()["order"]
    assert after["current_state"] == 14 and before["current_state"] == 2
    assert after["date_upd"] > before["date_upd"] and after["date_upd"] == created.findtext("date_add")
    changed = ps_w.get("orders", params={"date": "1", "filter[date_upd]": f">[{before['date_upd']}]",
                                         "filter[id]": "[1042]"})
    assert [n.get("id") for n in xml(changed).find("orders")] == ["1042"]
    histories = ps_w.get("order_histories", params={"filter[id_order]": "[1042]", "display": "full",
                                                    "output_format": "JSON"}).json()["order_histories"]
    assert [h["id_order_state"] for h in histories] == [10, 2, 14]
    assert fresh.sim("prestashop").order_histories[-1]["id_order_state"] == 14
    assert not fresh.sim("prestashop").emails


def test_post_history_json_output_and_sendemail(ps_w: httpx.Client, fresh: Sandbox) -> None:
    response = ps_w.post("order_histories", params={"output_format": "JSON", "sendemail": "1"},
                         content=HISTORY.format(order=1001, state=4))
    assert response.status_code == 201 and response.json()["order_history"]["id_order_state"] == 4
    assert fresh.sim("prestashop").emails == [{"id_order": 1001, "id_order_state": 4, "template": "shipped"}]


def test_post_history_errors(ps_w: httpx.Client, fresh: Sandbox) -> None:
    as_json = ps_w.post("order_histories", json={"order_history": {"id_order": 1042, "id_order_state": 14}})
    assert as_json.status_code == 500 and error_codes(as_json) == [127]
    with_id = ps_w.post("order_histories", content=HISTORY.replace("<id_order>", "<id>5</id><id_order>").format(
        order=1042, state=14))
    assert with_id.status_code == 400 and error_codes(with_id) == [91]
    missing = ps_w.post("order_histories", content="<prestashop><order_history><id_order>1042</id_order>"
                                                   "</order_history></prestashop>")
    assert missing.status_code == 400 and error_codes(missing) == [41]
    invalid = ps_w.post("order_histories", content=HISTORY.format(order="abc", state=14))
    assert invalid.status_code == 400 and error_codes(invalid) == [85]
    unknown = ps_w.post("order_histories", content=HISTORY.format(order=999999, state=14))
    assert unknown.status_code == 200 and unknown.text == "Invalid new order status"
    assert fresh.sim("prestashop").orders[1042]["current_state"] == 2
    assert len(fresh.sim("prestashop").order_histories) == sum(len(o.histories) for o in fresh.dataset.orders)


def test_post_history_form_prefix_and_no_entity_expansion(ps_w: httpx.Client, fresh: Sandbox) -> None:
    from urllib.parse import quote_plus

    response = ps_w.post("order_histories", content="xml=" + quote_plus(HISTORY.format(order=1002, state=3)))
    assert response.status_code == 201
    evil = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            "<prestashop><order_history><id_order>1003</id_order><id_order_state>&x;</id_order_state>"
            "</order_history></prestashop>")
    rejected = ps_w.post("order_histories", content=evil)
    assert rejected.status_code in (400, 500) and "root:" not in rejected.text


def test_unknown_state_can_be_a_500_error() -> None:
    with Sandbox(systems=("prestashop",), orders=3, options={"prestashop": {"invalid_history": "error"}}) as sb:
        key = sb.credentials("prestashop")["key"]
        response = httpx.post(sb.api_url("prestashop") + "order_histories", auth=(key, ""),
                              content=HISTORY.format(order=1042, state=99))
        assert response.status_code == 500 and error_codes(response) == [46]


def test_put_stock_is_visible_and_nulls_omitted_optional_fields(ps_w: httpx.Client, fresh: Sandbox) -> None:
    row = fresh.sim("prestashop").stock_for("MUG-CLASSIC")
    fresh.sim("prestashop").stock(row["id"])["location"] = "A-12"
    body = _stock_xml(id=row["id"], id_product=27, id_product_attribute=0, quantity=77, depends_on_stock=0,
                      out_of_stock=2)
    response = ps_w.put(f"stock_availables/{row['id']}", content=body)
    assert response.status_code == 200 and xml(response).findtext("stock_available/quantity") == "77"
    again = ps_w.get(f"stock_availables/{row['id']}", params={"output_format": "JSON"}).json()["stock_available"]
    assert again["quantity"] == 77
    assert again["location"] == "" and again["id_shop"] == ""  # omitted optional fields became NULL


def test_patch_stock_changes_only_what_is_sent(ps_w: httpx.Client, fresh: Sandbox) -> None:
    sim = fresh.sim("prestashop")
    row = sim.stock_for("TSHIRT-BLU-M")
    sim.stock(row["id"])["location"] = "B-3"
    response = ps_w.patch(f"stock_availables/{row['id']}", content=_stock_xml(id=row["id"], quantity=5))
    assert response.status_code == 200
    again = ps_w.get(f"stock_availables/{row['id']}", params={"output_format": "JSON"}).json()["stock_available"]
    assert (again["quantity"], again["location"], again["id_shop"]) == (5, "B-3", 1)
    parent = ps_w.get("stock_availables", params={"filter[id_product]": "[12]", "filter[id_product_attribute]": "[0]",
                                                  "display": "[quantity]", "output_format": "JSON"}).json()
    combos = [s["quantity"] for s in sim.tables["stock_availables"].values()
              if s["id_product"] == 12 and s["id_product_attribute"]]
    assert parent["stock_availables"][0]["quantity"] == sum(combos)


def test_stock_write_errors(ps_w: httpx.Client, fresh: Sandbox) -> None:
    row = fresh.sim("prestashop").stock_for("MUG-CLASSIC")
    no_id = ps_w.put(f"stock_availables/{row['id']}", content=_stock_xml(quantity=3))
    assert no_id.status_code == 400 and error_codes(no_id) == [90]
    unknown = ps_w.patch("stock_availables/99999", content=_stock_xml(id=99999, quantity=3))
    assert unknown.status_code == 404 and error_codes(unknown) == [92]
    required = ps_w.put(f"stock_availables/{row['id']}", content=_stock_xml(id=row["id"], quantity=3))
    assert required.status_code == 400 and error_codes(required) == [41]
    invalid = ps_w.patch(f"stock_availables/{row['id']}", content=_stock_xml(id=row["id"], quantity="3.5"))
    assert invalid.status_code == 400 and error_codes(invalid) == [85]
    duplicate = ps_w.patch("stock_availables/1", content="<prestashop><stock_available><id>1</id></stock_available>"
                                                         "<stock_available><id>1</id></stock_available></prestashop>")
    assert duplicate.status_code == 400 and error_codes(duplicate) == [89]
    assert ps_w.post("stock_availables", content=_stock_xml(quantity=1)).status_code == 405
    assert error_codes(ps_w.delete(f"stock_availables/{row['id']}")) == [101]
    assert fresh.sim("prestashop").stock(row["id"])["quantity"] == fresh.dataset.article("MUG-CLASSIC").stock_shop
