"""Smartstore Web API writes: ``POST OrderNotes``, ``PATCH Orders(id)`` and the order actions ``AddShipment``,
``PaymentPaid``, ``CompleteOrder`` (``OrdersController`` of ``Smartstore.WebApi``).

* Action parameters are camelCase members of the body; a member the action does not declare is refused
  with Microsoft.OData's "not a valid parameter" error (400).
* The "if allowed" actions (``PaymentPaid``, ``CompleteOrder``) silently do nothing when their precondition
  fails and still answer 200 with the unchanged order, as the real controller does.
* ``AddShipment`` ships every still-shippable quantity in one shipment and answers it, or answers no
  content (204: the action returned null) when nothing is left to ship. The carrier is stored as the
  shipment's generic attribute ``Carrier`` (not a column). ``isShipped`` sets the shipped date, the order's
  shipping status and an order note (the note's wording is the simulator's).
* ``PATCH`` is a raw property update (no note, no e-mail); unknown properties are refused (400).
Writes stamp the order's ``UpdatedOnUtc`` (Smartstore's auditable entities), except a note, which is its own
entity. E-mails the shop would send are kept in ``sim.mails``.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from passerelle_sandbox import _json
from passerelle_sandbox._http import Request
from passerelle_sandbox.smartstore_data import (
    ENTITY, ORDER_STATUS, PAYMENT_STATUS, SHIPPING_STATUS, TYPES, order_status,
)
from passerelle_sandbox.smartstore_odata import ODataError

__all__ = ["ACTIONS", "add_order_note", "patch_order"]

ENUMS = {"OrderStatus": ORDER_STATUS, "PaymentStatus": PAYMENT_STATUS, "ShippingStatus": SHIPPING_STATUS}
READ_ONLY = {"Id", "OrderGuid"}


def body_of(request: Request, optional: bool = False) -> dict[str, Any]:
    if not request.body.strip():
        if optional:
            return {}
        raise ODataError(400, "The request body is empty.")
    try:
        data = _json.loads_strict(request.body)
    except ValueError as exc:
        raise ODataError(400, f"Invalid JSON. {exc}") from None
    if not isinstance(data, dict):
        raise ODataError(400, "Invalid JSON. An object was expected.")
    return data


def _parameters(request: Request, action: str, declared: dict[str, type | tuple[type, ...]]) -> dict[str, Any]:
    data = body_of(request, optional=True)
    for name, value in data.items():
        if name not in declared:
            raise ODataError(400, f"The parameter '{name}' in the request payload is not a valid parameter for "
                                  f"the operation '{action}'.")
        if value is not None and not isinstance(value, declared[name]):
            raise ODataError(400, f"Cannot convert the literal '{value}' to the expected type of parameter "
                                  f"'{name}'.")
    return data


def _note(sim: Any, order_id: int, text: str, visible: bool = False) -> dict[str, Any]:
    note = {"Id": sim.new_id("OrderNotes"), "OrderId": order_id, "Note": text, "DisplayToCustomer": visible,
            "CreatedOnUtc": sim.now()}
    sim.notes[note["Id"]] = note
    return note


def add_order_note(sim: Any, request: Request) -> dict[str, Any]:
    """``POST OrderNotes?notifyCustomer=…`` → 201 with the note."""
    data = body_of(request)
    for name in data:
        if name not in TYPES["OrderNotes"] and not name.startswith("@odata."):
            raise ODataError(400, f"The property '{name}' does not exist on type '{ENTITY['OrderNotes']}'. Make sure "
                                  "to only use property names that are defined by the type or mark the type as open "
                                  "type.")
    order_id, text = data.get("OrderId"), data.get("Note")
    if not isinstance(text, str) or not text.strip():
        raise ODataError(400, "Missing or empty order note text.")
    if not isinstance(order_id, int) or order_id not in sim.orders:
        raise ODataError(404, f"Cannot find Order entity with identifier {order_id}.")
    visible = data.get("DisplayToCustomer") is True
    note = _note(sim, order_id, text, visible)
    notify = dict(request.params).get("notifyCustomer", "false").lower() == "true"
    if notify and visible:  # only a note shown to the customer is mailed
        sim.mails.append({"order": order_id, "kind": "note", "note": text})
    return note


def patch_order(sim: Any, order: dict[str, Any], request: Request) -> dict[str, Any]:
    data = body_of(request)
    types = TYPES["Orders"]
    changes: dict[str, Any] = {}
    enums: dict[str, str] = {}
    for name, value in data.items():
        if name.startswith("@odata."):
            continue
        if name not in types:
            raise ODataError(400, f"The property '{name}' does not exist on type '{ENTITY['Orders']}'. Make sure to "
                                  "only use property names that are defined by the type or mark the type as open type.")
        if name in READ_ONLY:
            continue
        enum = name[:-2] if name.endswith("StatusId") else name if name in ENUMS else None
        if enum is not None:
            table = ENUMS[enum]
            member = next((k for k, v in table.items() if v == value), None) if name.endswith("Id") else \
                (value if value in table else None)
            if member is None:
                raise ODataError(400, f"The value '{value}' is not valid for {name}.")
            enums[enum] = member
            continue
        edm = types[name]
        ok = value is None or (edm == "Edm.String" and isinstance(value, str)) or \
            (edm == "Edm.Int32" and isinstance(value, int) and not isinstance(value, bool)) or \
            (edm == "Edm.Decimal" and isinstance(value, (int, Decimal)) and not isinstance(value, bool)) or \
            (edm == "Edm.Boolean" and isinstance(value, bool)) or (edm == "Edm.DateTimeOffset" and isinstance(value, str))
        if not ok:
            raise ODataError(400, f"Cannot convert the literal '{value}' to the expected type '{edm}'.")
        changes[name] = value
    order.update(changes)
    order_status(order, **enums)
    order["UpdatedOnUtc"] = sim.now()
    return order


def payment_paid(sim: Any, key: int, request: Request) -> tuple[int, dict[str, Any]]:
    params = _parameters(request, "PaymentPaid", {"paymentMethodName": str})
    order = sim.orders[key]
    if params.get("paymentMethodName"):
        order["PaymentMethodSystemName"] = params["paymentMethodName"]
    if order["OrderStatus"] != "Cancelled" and order["PaymentStatus"] not in ("Paid", "Refunded", "Voided"):
        order_status(order, PaymentStatus="Paid")
        order["PaidDateUtc"] = sim.now()
        if order["OrderStatus"] == "Pending":
            order_status(order, OrderStatus="Processing")
        _note(sim, key, "Order has been marked as paid")
    order["UpdatedOnUtc"] = sim.now()
    return 200, order


def complete_order(sim: Any, key: int, request: Request) -> tuple[int, dict[str, Any]]:
    _parameters(request, "CompleteOrder", {})
    order = sim.orders[key]
    if order["OrderStatus"] not in ("Complete", "Cancelled"):
        order_status(order, OrderStatus="Complete")
        order["CompletedOnUtc"] = order["UpdatedOnUtc"] = sim.now()
        _note(sim, key, "Order status has been changed to Complete")
    return 200, order


def add_shipment(sim: Any, key: int, request: Request) -> tuple[int, dict[str, Any] | None]:
    params = _parameters(request, "AddShipment", {"carrier": str, "trackingNumber": str, "trackingUrl": str,
                                                  "isShipped": bool, "notifyCustomer": bool})
    order = sim.orders[key]
    shipped: dict[int, int] = {}
    for item in sim.sets["ShipmentItems"].values():
        shipped[item["OrderItemId"]] = shipped.get(item["OrderItemId"], 0) + item["Quantity"]
    items = [i for i in sim.sets["OrderItems"].values() if i["OrderId"] == key]
    left = [(i, i["Quantity"] - shipped.get(i["Id"], 0)) for i in items]
    left = [(i, q) for i, q in left if q > 0]
    if not left or order["OrderStatus"] == "Cancelled":
        return 204, None
    now = sim.now()
    is_shipped = params.get("isShipped") is True
    shipment = {"Id": sim.new_id("Shipments"), "OrderId": key, "TrackingNumber": params.get("trackingNumber"),
                "TrackingUrl": params.get("trackingUrl"),
                "TotalWeight": sum((Decimal(str(i["ItemWeight"])) * q for i, q in left), Decimal(0)),
                "ShippedDateUtc": now if is_shipped else None, "DeliveryDateUtc": None, "CreatedOnUtc": now}
    sim.shipments[shipment["Id"]] = shipment
    for item, quantity in left:
        row = {"Id": sim.new_id("ShipmentItems"), "ShipmentId": shipment["Id"], "OrderItemId": item["Id"],
               "Quantity": quantity}
        sim.sets["ShipmentItems"][row["Id"]] = row
    if params.get("carrier"):
        sim.generic_attributes.append({"KeyGroup": "Shipment", "EntityId": shipment["Id"], "Key": "Carrier",
                                       "Value": params["carrier"]})
    if is_shipped:
        order_status(order, ShippingStatus="Shipped")
        _note(sim, key, f"Shipment #{shipment['Id']} has been sent")
        if params.get("notifyCustomer"):
            sim.mails.append({"order": key, "kind": "shipment", "shipment": shipment["Id"]})
    order["UpdatedOnUtc"] = now
    return 200, shipment


ACTIONS = {("Orders", "PaymentPaid"): payment_paid, ("Orders", "CompleteOrder"): complete_order,
           ("Orders", "AddShipment"): add_shipment}
