"""The shared data set in Smartstore Web API shapes (Order, OrderItem, Address, Customer) — no HTTP here.

Entity members are those the Web API exposes (from
``smartstore/Smartstore`` ``Smartstore.Core`` entities): PascalCase names, dates ISO 8601 UTC with ``Z``,
enums as member names next to their ``…Id`` numbers, money as JSON numbers (``Decimal``).

Simulator choices (the data set is neutral, these are documented here):

* a customer with a company is a B2B account whose ``CustomerNumber`` is its Sage account
  (``WEB000056`` style, as the consultant numbers them); other customers have an empty number;
* a guest checkout of the data set (its orders whose id ends in 5) is a guest customer record
  (``Id`` 500000 + order id, no e-mail, no user name, as Smartstore registers guests) and the billing e-mail
  on the address only;
* the other hard cases (currency, partial refunds and shipments, fees) are in :mod:`.smartstore_cases`;
* the voucher is an order **sub-total** discount (``OrderSubTotalDiscountExclTax``/``InclTax``, prorated
  like the data set's), order ``OrderDiscount`` 0; a line reduction is the item's ``DiscountAmount…``;
* billing and shipping addresses are the customer's one address (``Id`` = its data set id; guests
  600000 + order id); ``TaxRates`` is Smartstore's ``"rate:amount;…"`` string.
"""
from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from passerelle_sandbox.dataset import Dataset, Order, q2
from passerelle_sandbox.smartstore_cases import render_cases

__all__ = ["ENTITY", "NAVIGATIONS", "TYPES", "build", "iso", "order_status"]

GUEST_OFFSET, GUEST_ADDRESS_OFFSET = 500_000, 600_000

# data set payment module -> Smartstore payment method system name (simulator mapping; the offline
# methods are those of Smartstore.OfflinePayment)
PAYMENT_METHODS = {
    "ps_wirepayment": "Payments.Prepayment", "ps_checkpayment": "Payments.Invoice",
    "paypal": "Payments.PayPalStandard", "ps_checkout": "Payments.Manual",
    "stripe_official": "Payments.StripeElements", "klarnapayment": "Payments.Klarna",
}
ORDER_STATUS = {"Pending": 10, "Processing": 20, "Complete": 30, "Cancelled": 40}
PAYMENT_STATUS = {"Pending": 10, "Authorized": 20, "Paid": 30, "PartiallyRefunded": 35, "Refunded": 40, "Voided": 50}
SHIPPING_STATUS = {"ShippingNotRequired": 10, "NotYetShipped": 20, "PartiallyShipped": 25, "Shipped": 30,
                   "Delivered": 40}

S, I, D, B, T = "Edm.String", "Edm.Int32", "Edm.Decimal", "Edm.Boolean", "Edm.DateTimeOffset"
_ORDER = dict.fromkeys((
    "OrderNumber", "OrderGuid", "PaymentMethodSystemName", "CustomerCurrencyCode", "VatNumber", "TaxRates",
    "CustomerOrderComment", "AuthorizationTransactionId", "CaptureTransactionId", "PurchaseOrderNumber",
    "ShippingMethod", "ShippingRateComputationMethodSystemName", "CustomerIp"), S)
_ORDER.update(dict.fromkeys(("Id", "StoreId", "CustomerId", "BillingAddressId", "ShippingAddressId",
                             "CustomerLanguageId", "OrderStatusId", "PaymentStatusId", "ShippingStatusId",
                             "CustomerTaxDisplayTypeId"), I))
_ORDER.update(dict.fromkeys((
    "CurrencyRate", "OrderSubtotalInclTax", "OrderSubtotalExclTax", "OrderSubTotalDiscountInclTax",
    "OrderSubTotalDiscountExclTax", "OrderShippingInclTax", "OrderShippingExclTax", "OrderShippingTaxRate",
    "PaymentMethodAdditionalFeeInclTax", "PaymentMethodAdditionalFeeExclTax", "PaymentMethodAdditionalFeeTaxRate",
    "OrderTax", "OrderDiscount", "CreditBalance", "OrderTotalRounding", "OrderTotal", "RefundedAmount"), D))
_ORDER.update({"Deleted": B, "PaidDateUtc": T, "CreatedOnUtc": T, "UpdatedOnUtc": T, "CompletedOnUtc": T,
               "OrderStatus": "Smartstore.Core.Checkout.Orders.OrderStatus",
               "PaymentStatus": "Smartstore.Core.Checkout.Payment.PaymentStatus",
               "ShippingStatus": "Smartstore.Core.Checkout.Shipping.ShippingStatus"})
TYPES: dict[str, dict[str, str]] = {
    "Orders": _ORDER,
    "OrderItems": {**dict.fromkeys(("Id", "OrderId", "ProductId", "Quantity", "DeliveryTimeId", "DownloadCount"), I),
                   **dict.fromkeys(("OrderItemGuid", "Sku", "AttributeDescription"), S),
                   **dict.fromkeys(("UnitPriceInclTax", "UnitPriceExclTax", "PriceInclTax", "PriceExclTax",
                                    "TaxRate", "DiscountAmountInclTax", "DiscountAmountExclTax", "ItemWeight",
                                    "ProductCost"), D), "DisplayDeliveryTime": B, "IsDownloadActivated": B},
    "Shipments": {"Id": I, "OrderId": I, "TrackingNumber": S, "TrackingUrl": S, "TotalWeight": D,
                  "ShippedDateUtc": T, "DeliveryDateUtc": T, "CreatedOnUtc": T},
    "ShipmentItems": {"Id": I, "ShipmentId": I, "OrderItemId": I, "Quantity": I},
    "OrderNotes": {"Id": I, "OrderId": I, "Note": S, "DisplayToCustomer": B, "CreatedOnUtc": T},
    "Addresses": {**dict.fromkeys(("Salutation", "Title", "FirstName", "LastName", "Email", "Company", "City",
                                   "Address1", "Address2", "ZipPostalCode", "PhoneNumber", "FaxNumber"), S),
                  "Id": I, "CountryId": I, "StateProvinceId": I, "CreatedOnUtc": T},
    "Customers": {**dict.fromkeys(("CustomerGuid", "Username", "Email", "FirstName", "LastName", "FullName",
                                   "Company", "CustomerNumber"), S),
                  "Id": I, "BillingAddressId": I, "ShippingAddressId": I, "Active": B, "Deleted": B,
                  "IsTaxExempt": B, "CreatedOnUtc": T, "LastActivityDateUtc": T},
}
# entity set -> (navigation property -> (target entity set, foreign key on this record or "many:<fk>"))
NAVIGATIONS: dict[str, dict[str, tuple[str, str]]] = {
    "Orders": {"OrderItems": ("OrderItems", "many:OrderId"), "Shipments": ("Shipments", "many:OrderId"),
               "OrderNotes": ("OrderNotes", "many:OrderId"), "BillingAddress": ("Addresses", "BillingAddressId"),
               "ShippingAddress": ("Addresses", "ShippingAddressId"), "Customer": ("Customers", "CustomerId")},
    "OrderItems": {"Order": ("Orders", "OrderId")},
    "Shipments": {"Order": ("Orders", "OrderId"), "ShipmentItems": ("ShipmentItems", "many:ShipmentId")},
    "ShipmentItems": {},
    "OrderNotes": {"Order": ("Orders", "OrderId")},
    "Addresses": {},
    "Customers": {"BillingAddress": ("Addresses", "BillingAddressId"),
                  "ShippingAddress": ("Addresses", "ShippingAddressId")},
}
ENTITY = {"Orders": "Smartstore.Core.Checkout.Orders.Order", "OrderItems": "Smartstore.Core.Checkout.Orders.OrderItem",
          "Shipments": "Smartstore.Core.Checkout.Shipping.Shipment",
          "ShipmentItems": "Smartstore.Core.Checkout.Shipping.ShipmentItem",
          "OrderNotes": "Smartstore.Core.Checkout.Orders.OrderNote", "Addresses": "Smartstore.Core.Common.Address",
          "Customers": "Smartstore.Core.Identity.Customer"}
COUNTRIES = {"FR": 74, "BE": 21, "LU": 124, "DE": 81}  # Smartstore's default country ids (simulator table)


def iso(stamp: str) -> str:
    """``2024-05-14 10:21:07`` (data set, UTC) → ``2024-05-14T10:21:07Z``."""
    return stamp.replace(" ", "T") + "Z"


def _guid(seed: int, kind: str, key: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"smartstore:{seed}:{kind}:{key}"))


def is_guest(ds: Dataset, order: Order) -> bool:
    return ds.customer(order.customer_id).is_guest


def order_status(record: dict[str, Any], **changes: str) -> None:
    """Set enum members and their ids together (``OrderStatus="Complete"`` → ``OrderStatusId`` 30)."""
    tables = {"OrderStatus": ORDER_STATUS, "PaymentStatus": PAYMENT_STATUS, "ShippingStatus": SHIPPING_STATUS}
    for name, value in changes.items():
        record[name], record[name + "Id"] = value, tables[name][value]


def _address(ds: Dataset, customer: Any, address_id: int, email: str) -> dict[str, Any]:
    return {"Id": address_id, "Salutation": None, "Title": None, "FirstName": customer.firstname,
            "LastName": customer.lastname, "Email": email, "Company": customer.company or None,
            "CountryId": COUNTRIES.get(customer.country_iso, 74), "StateProvinceId": None, "City": customer.city,
            "Address1": customer.address1, "Address2": None, "ZipPostalCode": customer.postcode,
            "PhoneNumber": customer.phone, "FaxNumber": None, "CreatedOnUtc": iso(customer.date_add)}


def _customer(ds: Dataset, customer: Any, guest_of: int | None) -> dict[str, Any]:
    guest = guest_of is not None
    address = GUEST_ADDRESS_OFFSET + guest_of if guest_of is not None else customer.address_id
    return {"Id": GUEST_OFFSET + guest_of if guest_of is not None else customer.id,
            "CustomerGuid": _guid(ds.seed, "customer", guest_of or customer.id),
            "Username": None if guest else customer.email, "Email": None if guest else customer.email,
            "FirstName": None if guest else customer.firstname, "LastName": None if guest else customer.lastname,
            "FullName": None if guest else f"{customer.firstname} {customer.lastname}",
            "Company": None if guest else (customer.company or None),
            "CustomerNumber": customer.sage_code if customer.company and not guest else "",
            "Active": True, "Deleted": False, "IsTaxExempt": False, "CreatedOnUtc": iso(customer.date_add),
            "LastActivityDateUtc": iso(customer.date_add), "BillingAddressId": address, "ShippingAddressId": address}


def _tax_rates(order: Order) -> str:
    by_rate: dict[Decimal, Decimal] = {}
    for line in order.lines:
        by_rate[line.tax_rate] = by_rate.get(line.tax_rate, Decimal(0)) + line.total_incl - line.total_excl
    if order.shipping_excl:
        rate = order.carrier_tax_rate
        by_rate[rate] = by_rate.get(rate, Decimal(0)) + order.shipping_incl - order.shipping_excl
    return "".join(f"{rate.normalize():f}:{amount:.4f};" for rate, amount in sorted(by_rate.items()))


def _items(ds: Dataset, order: Order) -> list[dict[str, Any]]:
    out = []
    for line in order.lines:
        reduction = (line.price - line.unit_excl) * line.quantity
        rate = 1 + line.tax_rate / 100
        attributes = ""
        product = next((p for p in ds.products if p.id == line.product_id), None)
        combination = next((c for c in (product.combinations if product else []) if c.id == line.attribute_id), None)
        if combination is not None:
            attributes = "<br />".join(f"{name}: {value}" for name, value in combination.attributes)
        out.append({"Id": line.id, "OrderItemGuid": _guid(ds.seed, "item", line.id), "OrderId": order.id,
                    "ProductId": line.product_id, "Sku": line.reference, "Quantity": line.quantity,
                    "UnitPriceInclTax": q2(line.unit_incl), "UnitPriceExclTax": line.unit_excl,
                    "PriceInclTax": line.total_incl, "PriceExclTax": line.total_excl, "TaxRate": line.tax_rate,
                    "DiscountAmountInclTax": q2(reduction * rate), "DiscountAmountExclTax": reduction,
                    "AttributeDescription": attributes, "ItemWeight": product.weight if product else Decimal(0),
                    "ProductCost": Decimal("0.0000"), "DeliveryTimeId": None, "DisplayDeliveryTime": False,
                    "DownloadCount": 0, "IsDownloadActivated": False})
    return out


def _order(ds: Dataset, order: Order, customer_id: int, address_id: int) -> dict[str, Any]:
    paid = order.current_state in (2, 3)
    carrier = next((c for c in ds.carriers if c.id == order.carrier_id), None)
    record: dict[str, Any] = {
        "Id": order.id, "OrderNumber": str(order.id), "OrderGuid": _guid(ds.seed, "order", order.id), "StoreId": 1,
        "CustomerId": customer_id, "BillingAddressId": address_id, "ShippingAddressId": address_id,
        "PaymentMethodSystemName": PAYMENT_METHODS.get(order.module, order.module), "CustomerCurrencyCode": "EUR",
        "CurrencyRate": Decimal("1.00000000"), "VatNumber": None,
        "OrderSubtotalInclTax": order.products_incl, "OrderSubtotalExclTax": order.products_excl,
        "OrderSubTotalDiscountInclTax": order.discounts_incl, "OrderSubTotalDiscountExclTax": order.discounts_excl,
        "OrderShippingInclTax": order.shipping_incl, "OrderShippingExclTax": order.shipping_excl,
        "OrderShippingTaxRate": order.carrier_tax_rate, "PaymentMethodAdditionalFeeInclTax": Decimal("0.00"),
        "PaymentMethodAdditionalFeeExclTax": Decimal("0.00"), "PaymentMethodAdditionalFeeTaxRate": Decimal("0.00"),
        "TaxRates": _tax_rates(order), "OrderTax": order.total_paid_incl - order.total_paid_excl,
        "OrderDiscount": Decimal("0.00"), "CreditBalance": Decimal("0.00"), "OrderTotalRounding": Decimal("0.00"),
        "OrderTotal": order.total_paid_incl, "RefundedAmount": Decimal("0.00"),
        "CustomerOrderComment": None, "AuthorizationTransactionId": None, "CaptureTransactionId": None,
        "PurchaseOrderNumber": None, "PaidDateUtc": iso(order.date_upd) if paid else None,
        "ShippingMethod": carrier.name if carrier else None,
        "ShippingRateComputationMethodSystemName": "Shipping.FixedRate", "CustomerIp": "203.0.113.10",
        "CustomerLanguageId": 1, "Deleted": False, "CreatedOnUtc": iso(order.date_add),
        "UpdatedOnUtc": iso(order.date_upd), "CompletedOnUtc": None, "CustomerTaxDisplayTypeId": 10,
    }
    order_status(record, OrderStatus="Processing" if paid else "Pending",
                 PaymentStatus="Paid" if paid else "Pending", ShippingStatus="NotYetShipped")
    return record


def build(ds: Dataset) -> dict[str, dict[int, dict[str, Any]]]:
    """Every entity set, keyed by id: Orders, OrderItems, Customers, Addresses (Shipments… empty)."""
    sets: dict[str, dict[int, dict[str, Any]]] = {name: {} for name in TYPES}
    for customer in ds.customers:
        if customer.is_guest:  # made with its order below
            continue
        sets["Customers"][customer.id] = _customer(ds, customer, None)
        sets["Addresses"][customer.address_id] = _address(ds, customer, customer.address_id, customer.email)
    for order in ds.orders:
        customer = ds.customer(order.customer_id)
        if is_guest(ds, order):
            guest = _customer(ds, customer, order.id)
            sets["Customers"][guest["Id"]] = guest
            address = _address(ds, customer, guest["BillingAddressId"], customer.email)
            sets["Addresses"][address["Id"]] = address
            record = _order(ds, order, guest["Id"], address["Id"])
        else:
            record = _order(ds, order, customer.id, customer.address_id)
        sets["Orders"][order.id] = record
        for item in _items(ds, order):
            sets["OrderItems"][item["Id"]] = item
    render_cases(ds, sets, order_status)
    return sets
