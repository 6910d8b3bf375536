"""Smartstore simulator writes: POST OrderNotes, the order actions AddShipment / PaymentPaid /
CompleteOrder, PATCH Orders(id) (204, or 200 with Prefer: return=representation), OData errors."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import httpx
import pytest

from passerelle_sandbox import Sandbox
from test_sandbox_smartstore import client

NOW = datetime(2024, 6, 1, 8, 30, 0, tzinfo=timezone.utc)


@pytest.fixture()
def sb() -> Iterator[Sandbox]:
    with Sandbox(systems=("smartstore",), orders=12, options={"smartstore": {"clock": lambda: NOW}}) as sandbox:
        yield sandbox


@pytest.fixture()
def api(sb: Sandbox) -> Iterator[httpx.Client]:
    with client(sb) as c:
        yield c


def test_an_order_note_is_created_and_mailed_only_when_shown(api, sb):
    sim = sb.sim("smartstore")
    response = api.post("OrderNotes", json={"OrderId": 1042, "Note": "Sage 100: BC00042", "DisplayToCustomer": False},
                        params={"notifyCustomer": "true"})
    assert response.status_code == 201, response.text
    note = response.json()
    assert note["Note"] == "Sage 100: BC00042" and note["CreatedOnUtc"] == "2024-06-01T08:30:00Z"
    assert response.headers["Location"].endswith(f"OrderNotes({note['Id']})")
    assert sim.notes[note["Id"]]["OrderId"] == 1042 and sim.mails == []
    api.post("OrderNotes?notifyCustomer=true", json={"OrderId": 1042, "Note": "Shipped", "DisplayToCustomer": True})
    assert sim.mails == [{"order": 1042, "kind": "note", "note": "Shipped"}]
    listed = api.get("Orders(1042)", params={"$expand": "OrderNotes"}).json()["OrderNotes"]
    assert [n["Note"] for n in listed] == ["Sage 100: BC00042", "Shipped"]


@pytest.mark.parametrize("body, status, message", [
    ({"OrderId": 1042, "Note": "  "}, 400, "Missing or empty order note text."),
    ({"OrderId": 999, "Note": "x"}, 404, "Cannot find Order entity with identifier 999."),
    ({"OrderId": 1042, "Note": "x", "Nope": 1}, 400, "The property 'Nope' does not exist on type"),
])
def test_bad_notes_are_refused(api, body, status, message):
    response = api.post("OrderNotes", json=body)
    assert response.status_code == status and message in response.json()["error"]["message"]


def test_invalid_json_is_400(api):
    response = api.post("OrderNotes", content=b'{"OrderId": 1042,}', headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["error"]["message"].startswith("Invalid JSON.")


def test_add_shipment_ships_what_is_left_once(api, sb):
    sim = sb.sim("smartstore")
    body = {"trackingNumber": "1Z999AA10123456784", "trackingUrl": "https://www.dhl.com/track?AWB=1Z",
            "carrier": "DHL", "isShipped": True, "notifyCustomer": True}
    response = api.post("Orders(1042)/AddShipment", json=body)
    assert response.status_code == 200, response.text
    shipment = response.json()
    assert shipment["@odata.context"].endswith("$metadata#Shipments/$entity")
    assert shipment["OrderId"] == 1042 and shipment["TrackingNumber"] == "1Z999AA10123456784"
    assert shipment["ShippedDateUtc"] == "2024-06-01T08:30:00Z"
    items = [i for i in sim.sets["ShipmentItems"].values() if i["ShipmentId"] == shipment["Id"]]
    assert sorted((i["OrderItemId"], i["Quantity"]) for i in items) == [
        (i["Id"], i["Quantity"]) for i in sorted(sim.sets["OrderItems"].values(), key=lambda i: i["Id"])
        if i["OrderId"] == 1042]
    assert sim.generic_attributes == [{"KeyGroup": "Shipment", "EntityId": shipment["Id"], "Key": "Carrier",
                                       "Value": "DHL"}]
    order = sim.orders[1042]
    assert order["ShippingStatus"] == "Shipped" and order["ShippingStatusId"] == 30
    assert order["UpdatedOnUtc"] == "2024-06-01T08:30:00Z" and sim.mails[-1]["kind"] == "shipment"
    again = api.post("Orders(1042)/AddShipment", json={"trackingNumber": "other"})
    assert again.status_code == 204 and again.content == b"" and len(sim.shipments) == 1
    listed = api.get("Shipments", params={"$filter": "OrderId eq 1042", "$expand": "ShipmentItems"}).json()["value"]
    assert [s["Id"] for s in listed] == [shipment["Id"]] and listed[0]["ShipmentItems"]


def test_action_parameters_are_checked(api):
    response = api.post("Orders(1042)/AddShipment", json={"tracking": "x"})
    assert response.status_code == 400
    assert "'tracking' in the request payload is not a valid parameter" in response.json()["error"]["message"]
    assert api.post("Orders(999)/AddShipment", json={}).status_code == 404
    assert api.post("Orders(1042)/Cancel", json={}).status_code == 501
    assert api.get("Orders(1042)/AddShipment").status_code == 501


def test_payment_paid_and_complete_do_nothing_when_not_allowed(api, sb):
    sim = sb.sim("smartstore")
    order = sim.orders[1042]
    assert order["PaymentStatus"] == "Paid"
    before = dict(order)
    response = api.post("Orders(1042)/PaymentPaid", json={})
    assert response.status_code == 200 and response.json()["PaymentStatus"] == "Paid"
    assert order["PaidDateUtc"] == before["PaidDateUtc"]  # already paid: silently nothing
    # a pending order becomes paid (and processing), its payment method set when named
    api.patch("Orders(1042)", json={"PaymentStatusId": 10, "OrderStatus": "Pending"})
    paid = api.post("Orders(1042)/PaymentPaid", json={"paymentMethodName": "Payments.Prepayment"}).json()
    assert (paid["PaymentStatus"], paid["OrderStatus"], paid["PaymentMethodSystemName"]) == (
        "Paid", "Processing", "Payments.Prepayment")
    assert paid["PaidDateUtc"] == "2024-06-01T08:30:00Z"
    done = api.post("Orders(1042)/CompleteOrder").json()
    assert done["OrderStatus"] == "Complete" and done["OrderStatusId"] == 30
    notes = [n["Note"] for n in sim.notes.values() if n["OrderId"] == 1042]
    assert notes == ["Order has been marked as paid", "Order status has been changed to Complete"]
    assert api.post("Orders(1042)/CompleteOrder").json()["OrderStatus"] == "Complete"
    assert len([n for n in sim.notes.values() if n["OrderId"] == 1042]) == 2


def test_patch_answers_204_or_the_entity_when_asked(api, sb):
    response = api.patch("Orders(1042)", json={"PurchaseOrderNumber": "PO-7"})
    assert response.status_code == 204 and response.content == b""
    assert sb.sim("smartstore").orders[1042]["PurchaseOrderNumber"] == "PO-7"
    response = api.patch("Orders(1042)", json={"OrderStatusId": 40}, headers={"Prefer": "return=representation"})
    assert response.status_code == 200 and response.json()["OrderStatus"] == "Cancelled"
    assert response.headers["Preference-Applied"] == "return=representation"
    bad = api.patch("Orders(1042)", json={"Status": 1})
    assert bad.status_code == 400 and "The property 'Status' does not exist" in bad.json()["error"]["message"]
    assert api.patch("Orders(1042)", json={"OrderStatusId": 99}).status_code == 400
    assert api.patch("Orders(1042)", json={"OrderTotal": "x"}).status_code == 400
