"""Order transactions and refunds of the Shopify simulator (GraphQL ``Order.transactions``, ``Order.refunds``).

Facts (shopify.dev GraphQL Admin API, ``OrderTransaction``, ``Refund``, ``RefundLineItem``):

* ``Order.transactions(first)`` is a plain list of ``OrderTransaction`` {``id``, ``kind`` (``AUTHORIZATION``,
  ``CAPTURE``, ``SALE``, ``VOID``, ``REFUND``…), ``status`` (``SUCCESS``, ``FAILURE``, ``PENDING``…),
  ``gateway``, ``formattedGateway``, ``amountSet``, ``createdAt``, ``processedAt``, ``parentTransaction``
  (the authorization of a capture, the payment a refund gives back), ``errorCode``, ``test``, ``order``}.
* ``Order.refunds(first)`` is a plain list of ``Refund`` {``id``, ``legacyResourceId``, ``createdAt``,
  ``updatedAt``, ``note``, ``order``, ``totalRefundedSet``, ``refundLineItems`` (connection of
  {``lineItem``, ``quantity``, ``restockType``, ``restocked``, ``priceSet``, ``subtotalSet``,
  ``totalTaxSet``}), ``refundShippingLines`` (connection of {``shippingLine``, ``subtotalAmountSet``,
  ``taxAmountSet``}), ``transactions`` (connection of ``OrderTransaction``, kind ``REFUND``)}.

Seeded, deterministically from the order number (every data set, every seed): each order is paid by one
``SALE`` on its gateway (``payment_gateway_names[0]``) for its total; an order number ≡ 1 (mod 4) is an
``AUTHORIZATION`` then its ``CAPTURE``; an order number ≡ 3 (mod 7) has a declined ``SALE`` (``FAILURE``,
``CARD_DECLINED``) before the successful one. The data set's partial refunds (``Order.refunds``: one unit of
the first line of an order ≡ 0 mod 5, its shipping too when ≡ 0 mod 10) are refunds here (tax at the
line's rate, restocked ``RETURN``); the order's ``financial_status`` becomes ``partially_refunded``. Tests add refunds with
:meth:`ShopifySim.refund` (``refundCreate`` itself is not simulated). The REST order keeps ``refunds: []``
(the REST refund representation is not simulated).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from passerelle_sandbox.dataset import q2
from passerelle_sandbox.shopify_data import gid, gql_time, money_set, parse_utc
from passerelle_sandbox.shopify_gql import F

__all__ = ["PAYMENT_FIELDS", "add_refund", "payment_types", "seed_payments"]

TRANSACTION_BASE = 6123456789000
REFUND_BASE = 9123456789000
REFUND_LINE_BASE = 7123456789000
GATEWAY_NAMES = {"bogus": "(For Testing) Bogus Gateway", "shopify_payments": "Shopify Payments",
                 "manual": "Manual", "paypal": "PayPal Express Checkout"}
D0 = Decimal("0.00")


def _transaction(rec: dict[str, Any], seq: int, kind: str, status: str, amount: Decimal,
                 parent: dict[str, Any] | None = None, error: str | None = None) -> dict[str, Any]:
    ident = TRANSACTION_BASE + rec["order_number"] * 100 + seq
    gateway = (rec["payment_gateway_names"] or ["manual"])[0]
    return {"id": gid("OrderTransaction", ident), "kind": kind, "status": status, "gateway": gateway,
            "formattedGateway": GATEWAY_NAMES.get(gateway, gateway), "amount_set": money_set(amount, rec["currency"]),
            "_at": rec["_created"], "parent": parent, "errorCode": error, "test": False,
            "authorizationCode": f"{ident % 1000000:06d}" if status == "SUCCESS" else None, "order": rec}


def seed_payments(sim: Any) -> None:
    """Every order's transactions and the seeded partial refunds (see the module docstring)."""
    refunds_of = {o.id: o for o in sim.dataset.orders if o.refunds}
    refunds = {number: order.refunds for number, order in refunds_of.items()}
    for rec in sim.orders:
        number, total = rec["order_number"], Decimal(rec["total_price"])
        rec["_transactions"], rec["_refunds"] = [], []
        if number % 7 == 3:
            rec["_transactions"].append(_transaction(rec, 1, "SALE", "FAILURE", total, error="CARD_DECLINED"))
        if number % 4 == 1:
            auth = _transaction(rec, 2, "AUTHORIZATION", "SUCCESS", total)
            rec["_transactions"] += [auth, _transaction(rec, 3, "CAPTURE", "SUCCESS", total, parent=auth)]
        else:
            rec["_transactions"].append(_transaction(rec, 4, "SALE", "SUCCESS", total))
        for refund in refunds.get(number, []):
            order = refunds_of[number]
            add_refund(sim, rec, {order.line(i.line_id).reference: i.quantity for i in refund.items},
                       shipping=refund.shipping, note=refund.note or None, at=parse_utc(refund.date), touch=False)


def _refundable_payment(rec: dict[str, Any]) -> dict[str, Any] | None:
    return next((t for t in reversed(rec["_transactions"])
                 if t["kind"] in ("SALE", "CAPTURE") and t["status"] == "SUCCESS"), None)


def add_refund(sim: Any, rec: dict[str, Any], lines: dict[str, int], shipping: bool = False,
               note: str | None = None, at: Any = None, touch: bool = True) -> dict[str, Any]:
    """Refund ``lines`` (SKU → quantity, restocked ``RETURN``) and optionally the whole shipping of order
    ``rec``: one ``REFUND`` transaction for the money (goods + their tax + shipping + its tax)."""
    cur, moment = rec["currency"], at or sim.now()
    seq = len(rec["_refunds"]) + 1
    ident = REFUND_BASE + rec["order_number"] * 10 + seq
    items, total = [], D0
    for index, (sku, quantity) in enumerate(lines.items()):
        line = next((li for li in rec["line_items"] if li["sku"] == sku), None)
        if line is None or not 0 < quantity <= line["current_quantity"]:
            raise ValueError(f"order {rec['name']}: cannot refund {quantity} of {sku!r}")
        unit = Decimal(line["price"])
        rate = Decimal(str(line["tax_lines"][0]["rate"])) if line["tax_lines"] else D0
        subtotal = q2(unit * quantity)
        tax = q2(subtotal * rate)
        line["current_quantity"] -= quantity
        items.append({"id": gid("RefundLineItem", REFUND_LINE_BASE + ident % 10**6 * 10 + index), "line": line,
                      "quantity": quantity, "restockType": "RETURN", "restocked": True,
                      "price_set": money_set(unit, cur), "subtotal_set": money_set(subtotal, cur),
                      "tax_set": money_set(tax, cur)})
        total += subtotal + tax
    ship_lines = []
    if shipping:
        for ship in rec["shipping_lines"]:
            amount = Decimal(ship["price"])
            tax = sum((Decimal(t["price"]) for t in ship["tax_lines"]), D0)
            ship_lines.append({"id": gid("RefundShippingLine", ident * 10 + len(ship_lines)), "line": ship,
                               "subtotal_set": money_set(amount, cur), "tax_set": money_set(tax, cur)})
            total += amount + tax
    payment = _refundable_payment(rec)
    money = _transaction(rec, 50 + seq, "REFUND", "SUCCESS", total, parent=payment)
    money["_at"] = moment
    rec["_transactions"].append(money)
    refund = {"id": gid("Refund", ident), "legacyResourceId": str(ident), "_at": moment, "note": note,
              "order": rec, "total_set": money_set(total, cur), "items": items, "shipping": ship_lines,
              "transactions": [money]}
    rec["_refunds"].append(refund)
    rec["financial_status"] = "partially_refunded"
    if touch:
        sim.touch(rec)
    return refund


def _a(key: str) -> Any:
    return lambda p, args, ctx: p.get(key)


def _first(items: list[Any], args: dict[str, Any]) -> list[Any]:
    size = args.get("first")
    return items if size is None else items[:size]


def _at(p: Any, args: dict[str, Any], ctx: Any) -> str:
    return gql_time(p["_at"])


def _conn(node: str, key: str) -> F:
    from passerelle_sandbox.shopify_schema import PAGE, list_connection  # the schema imports this module
    return F(f"{node}Connection", lambda p, args, ctx: list_connection(p[key], args, lambda x: x["id"]),
             connection=True, args=PAGE)


def _money(key: str) -> F:
    return F("MoneyBag", _a(key))


def _unserved(*names: str) -> dict[str, F]:
    return {name: F("", lambda p, args, ctx: None, simulated=False) for name in names}


PAYMENT_FIELDS: dict[str, F] = {
    "transactions": F("OrderTransaction", lambda p, args, ctx: _first(p["_transactions"], args), list=True,
                      args=("first", "capturable", "manuallyResolvable")),
    "refunds": F("Refund", lambda p, args, ctx: _first(p["_refunds"], args), list=True, args=("first",)),
}


def payment_types() -> dict[str, dict[str, F]]:
    types: dict[str, dict[str, F]] = {
        "OrderTransaction": {
            "id": F("ID", _a("id")), "kind": F("OrderTransactionKind", _a("kind")),
            "status": F("OrderTransactionStatus", _a("status")), "gateway": F("String", _a("gateway")),
            "formattedGateway": F("String", _a("formattedGateway")), "amountSet": _money("amount_set"),
            "createdAt": F("DateTime", _at), "processedAt": F("DateTime", _at),
            "parentTransaction": F("OrderTransaction", _a("parent")),
            "errorCode": F("OrderTransactionErrorCode", _a("errorCode")), "test": F("Boolean", _a("test")),
            "authorizationCode": F("String", _a("authorizationCode")), "order": F("Order", _a("order")),
            "manuallyCapturable": F("Boolean", lambda p, args, ctx: False),
            "multiCapturable": F("Boolean", lambda p, args, ctx: False),
            **_unserved("accountNumber", "amountRoundingSet", "authorizationExpiresAt", "fees", "paymentDetails",
                        "paymentIcon", "paymentId", "receiptJson", "settlementCurrency", "shopifyPaymentsSet",
                        "totalUnsettledSet", "user", "maximumRefundableV2", "settlementCurrencyRate"),
        },
        "Refund": {
            "id": F("ID", _a("id")), "legacyResourceId": F("UnsignedInt64", _a("legacyResourceId")),
            "createdAt": F("DateTime", _at), "updatedAt": F("DateTime", _at), "note": F("String", _a("note")),
            "order": F("Order", _a("order")), "totalRefundedSet": _money("total_set"),
            "refundLineItems": _conn("RefundLineItem", "items"),
            "refundShippingLines": _conn("RefundShippingLine", "shipping"),
            "transactions": _conn("OrderTransaction", "transactions"),
            **_unserved("duties", "orderAdjustments", "return", "staffMember", "totalRefunded"),
        },
        "RefundLineItem": {
            "id": F("ID", _a("id")), "lineItem": F("LineItem", _a("line")), "quantity": F("Int", _a("quantity")),
            "restockType": F("RefundLineItemRestockType", _a("restockType")),
            "restocked": F("Boolean", _a("restocked")), "priceSet": _money("price_set"),
            "subtotalSet": _money("subtotal_set"), "totalTaxSet": _money("tax_set"),
            **_unserved("location"),
        },
        "RefundShippingLine": {
            "id": F("ID", _a("id")), "shippingLine": F("ShippingLine", _a("line")),
            "subtotalAmountSet": _money("subtotal_set"), "taxAmountSet": _money("tax_set"),
        },
    }
    for node in ("RefundLineItem", "RefundShippingLine", "OrderTransaction"):
        types[f"{node}Connection"] = {"edges": F(f"{node}Edge", _a("edges"), list=True),
                                      "nodes": F(node, _a("nodes"), list=True), "pageInfo": F("PageInfo", _a("pageInfo"))}
        types[f"{node}Edge"] = {"cursor": F("String", _a("cursor")), "node": F(node, _a("node"))}
    return types

