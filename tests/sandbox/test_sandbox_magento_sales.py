"""Magento 2 REST simulator: credit memos (list, read, offline refund), shipments with tracks (ship, list,
read) and order items — what the magento-sage100 template reads and writes after an order
(facts: Magento_Sales ``etc/webapi.xml`` and the Adobe REST tutorials; docs/simulators.md)."""
from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from passerelle_sandbox import Sandbox

F = "searchCriteria[filter_groups][0][filters][0][{k}]"


def by(field: str, value: object) -> dict[str, str]:
    return {F.format(k="field"): field, F.format(k="value"): str(value), F.format(k="condition_type"): "eq"}


@pytest.fixture()
def mg() -> Iterator[tuple[Sandbox, httpx.Client]]:
    with Sandbox(systems=("magento",), orders=6) as sb:
        token = httpx.post(f"{sb.url('magento')}/rest/V1/integration/admin/token",
                           json=sb.credentials("magento")).json()
        with httpx.Client(base_url=sb.api_url("magento"), headers={"Authorization": f"Bearer {token}"},
                          timeout=10) as client:
            yield sb, client


def _order(sb: Sandbox, configurable: bool = False) -> dict:
    orders = sb.sim("magento").orders.values()  # one without the data set's seeded credit memo or shipment
    return next(o for o in orders if any(i.get("parent_item_id") for i in o["items"]) == configurable
                and not o.get("total_refunded") and not any(i.get("qty_shipped") for i in o["items"]))


def test_an_offline_refund_is_a_credit_memo_listed_by_order(mg) -> None:
    sb, client = mg
    order = _order(sb)
    line = order["items"][0]
    seeded = len(sb.sim("magento").sales.creditmemos)  # the data set's partial refunds (issue 13)
    assert seeded == sum(bool(o.refunds) for o in sb.dataset.orders) > 0
    answer = client.post(f"order/{order['entity_id']}/refund",
                         json={"items": [{"order_item_id": line["item_id"], "qty": 1}],
                               "arguments": {"shipping_amount": order["shipping_amount"]}})
    assert answer.status_code == 200 and answer.json() == seeded + 1   # the memo id, a bare integer
    listed = client.get("creditmemos", params=by("order_id", order["entity_id"])).json()
    assert listed["total_count"] == 1
    (memo,) = listed["items"]
    assert memo == client.get(f"creditmemo/{seeded + 1}").json()
    assert memo["order_id"] == order["entity_id"] and memo["state"] == 2
    (item,) = memo["items"]
    assert (item["order_item_id"], item["sku"], item["qty"], item["price"]) == (line["item_id"], line["sku"], 1,
                                                                                line["price"])
    assert Decimal(str(memo["shipping_amount"])) == Decimal(str(order["shipping_amount"]))
    expected = (Decimal(str(memo["subtotal"])) + Decimal(str(memo["tax_amount"])) + Decimal(str(memo["discount_amount"]))
                + Decimal(str(memo["shipping_amount"])))
    assert Decimal(str(memo["grand_total"])) == expected > 0
    # the order follows: the line's refunded quantity, the order's refunded total and its updated_at
    assert line["qty_refunded"] == 1 and order["total_refunded"] == memo["grand_total"]
    assert client.get("creditmemos", params=by("order_id", 999999)).json()["total_count"] == 0


def test_a_refund_of_nothing_is_refused_as_magento_refuses_it(mg) -> None:
    sb, client = mg
    order = _order(sb)
    seeded = dict(sb.sim("magento").sales.creditmemos)
    answer = client.post(f"order/{order['entity_id']}/refund", json={"items": []})
    assert answer.status_code == 400
    assert answer.json() == {"message": "Creditmemo Document Validation Error(s):\nThe credit memo's total must be positive."}
    too_many = client.post(f"order/{order['entity_id']}/refund",
                           json={"items": [{"order_item_id": order["items"][0]["item_id"], "qty": 999}]})
    assert too_many.status_code == 501 and "not simulated" in too_many.json()["message"]
    assert client.post("order/999999/refund", json={}).status_code == 404
    assert client.get(f"creditmemo/{len(seeded) + 1}").status_code == 404
    assert sb.sim("magento").sales.creditmemos == seeded  # nothing added


def test_ship_with_a_track_completes_the_order_once(mg) -> None:
    sb, client = mg
    order = _order(sb, configurable=True)
    track = {"track_number": "1Z999AA10123456784", "title": "United Parcel Service", "carrier_code": "ups"}
    answer = client.post(f"order/{order['entity_id']}/ship", json={"tracks": [track], "notify": False})
    assert answer.status_code == 200 and answer.json() == 1
    (shipment,) = client.get("shipments", params=by("order_id", order["entity_id"])).json()["items"]
    assert shipment == client.get("shipment/1").json()
    assert [{k: t[k] for k in track} for t in shipment["tracks"]] == [track]
    # everything shipped: one shipment line per ordered product (a configurable through its parent)
    parents = [i for i in order["items"] if not i.get("parent_item_id")]
    assert [i["order_item_id"] for i in shipment["items"]] == [i["item_id"] for i in parents]
    assert all(i["qty_shipped"] == i["qty_ordered"] for i in order["items"])  # children follow their parent
    assert (order["state"], order["status"]) == ("complete", "complete")
    again = client.post(f"order/{order['entity_id']}/ship", json={"tracks": [track]})
    assert again.status_code == 400
    assert again.json()["message"] == "Shipment Document Validation Error(s):\nYou can't create a shipment without products."
    assert len(sb.sim("magento").sales.shipments) == 1


def test_a_partial_shipment_and_malformed_tracks(mg) -> None:
    sb, client = mg
    order = _order(sb)
    line = order["items"][0]
    as_object = client.post(f"order/{order['entity_id']}/ship",
                            json={"tracks": {"track_number": "X", "title": "T", "carrier_code": "custom"}})
    assert as_object.status_code == 400
    assert as_object.json()["message"] == "Shipment Document Validation Error(s):\nPlease enter a tracking number."
    empty = client.post(f"order/{order['entity_id']}/ship", json={"tracks": [{"track_number": "", "title": "T",
                                                                               "carrier_code": "custom"}]})
    assert empty.status_code == 400 and not sb.sim("magento").sales.shipments
    part = client.post(f"order/{order['entity_id']}/ship",
                       json={"items": [{"order_item_id": line["item_id"], "qty": 1}], "notify": True,
                             "appendComment": True, "comment": {"comment": "first parcel", "is_visible_on_front": 1}})
    assert part.status_code == 200
    shipment = sb.sim("magento").sales.shipments[part.json()]
    assert shipment["comments"][0]["comment"] == "first parcel" and shipment["tracks"] == []
    assert line["qty_shipped"] == 1 and sb.sim("magento").emails[-1]["shipment"] == part.json()
    assert order["status"] != "complete" or len(order["items"]) == 1 and line["qty_ordered"] == 1


def test_order_items_are_listed_and_read_by_id(mg) -> None:
    sb, client = mg
    order = _order(sb, configurable=True)
    ids = ",".join(str(i["item_id"]) for i in order["items"])
    params = {F.format(k="field"): "item_id", F.format(k="value"): ids, F.format(k="condition_type"): "in"}
    listed = client.get("orders/items", params=params).json()
    assert [i["item_id"] for i in listed["items"]] == [i["item_id"] for i in order["items"]]
    one = client.get(f"orders/items/{order['items'][0]['item_id']}").json()
    assert one["tax_percent"] == order["items"][0]["tax_percent"] and one["order_id"] == order["entity_id"]
    assert client.get("orders/items/1").status_code == 404
    assert client.get(f"orders/{order['entity_id']}").json()["entity_id"] == order["entity_id"]  # still routed
