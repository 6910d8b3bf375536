"""Magento 2 simulator, what follows an order: credit memos, shipments with their tracks, order items.

Routes (registered by :class:`~passerelle_sandbox.magento.MagentoSim`; facts from Magento_Sales ``webapi.xml``,
``RefundOrderInterface``, ``ShipOrderInterface``, ``CreditmemoInterface``, ``TrackInterface``, the
Adobe tutorials "order-issue-refund" and "order-create-shipment", issues #9416 and #9762):

=======  =====================================  ==========================================================
GET      ``creditmemos?searchCriteria…``        ``{"items","search_criteria","total_count"}``
GET      ``creditmemo/{id}``                    one credit memo; unknown → 404
POST     ``order/{orderId}/refund``             offline refund ``{"items": [{order_item_id, qty}],
                                                "arguments": {"shipping_amount"}}`` → the memo id (bare int)
GET      ``shipments?searchCriteria…``          shipments with ``items[]``, ``tracks[]``, ``comments[]``
GET      ``shipment/{id}``                      one shipment; unknown → 404
POST     ``order/{orderId}/ship``               ``{"items", "notify", "appendComment", "comment", "tracks",
                                                "packages", "arguments"}`` → the shipment id (bare int)
GET      ``orders/items?searchCriteria…``       every order line (OrderItemRepositoryInterface::getList)
GET      ``orders/items/{id}``                  one order line
=======  =====================================  ==========================================================

Refund: configurable lines are refunded through their parent ``order_item_id`` (the child follows); a
memo's items are the refunded lines (price excluding tax, the line's tax and discount in proportion of the
quantity), ``shipping_amount`` refunds shipping (with its tax, in proportion), state 2 (refunded). Effects:
the lines' ``qty_refunded``/``amount_refunded``, the order's ``total_refunded``/``subtotal_refunded``/
``shipping_refunded``, ``updated_at``; the order becomes ``closed`` when every line is refunded. Without ``items`` only the arguments' shipping
is refunded (what Magento does then is not verified). Nothing to
refund → 400 ``Creditmemo Document Validation Error(s):\\nThe credit memo's total must be positive.``
(verified). Refunding more than a line or the shipping has left, and a value of the wrong type, answer 501
"not simulated" (Magento's own texts for them are not verified here); a refused request changes nothing.

Ship: no ``items`` ships everything left to ship [unverified, the reference's reading]; a configurable
line is shipped through its parent (the child's ``qty_shipped`` follows). ``tracks`` must be a list of
objects whose ``track_number``, ``title`` and ``carrier_code`` are non-empty strings; ``tracks`` sent as an
object → 400 ``Shipment Document Validation Error(s):\\nPlease enter a tracking number.`` (#9416); nothing
left to ship → 400 ``…\\nYou can't create a shipment without products.`` (#9762). Effects: the lines'
``qty_shipped``, ``updated_at``, and the order ``complete`` once every line is shipped (the data set's
orders are invoiced); a truthy ``notify`` records a mail in ``sim.emails``. Packages and MSI sources are
not simulated (ignored).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

from passerelle_sandbox.magento_data import money
from passerelle_sandbox.magento_search import MagentoError, parse_criteria, search
from passerelle_sandbox.ps_query import php_params

__all__ = ["SALES_ACL", "SalesState", "refund", "sales_routes", "ship"]

NO_ENTITY = "The entity that was requested doesn't exist. Verify the entity and try again."
MEMO_ERROR = "Creditmemo Document Validation Error(s):\n"
SHIP_ERROR = "Shipment Document Validation Error(s):\n"
SALES_ACL = {"creditmemos": "Magento_Sales::sales_creditmemo", "refund": "Magento_Sales::creditmemo",
             "shipments": "Magento_Sales::shipment", "ship": "Magento_Sales::ship"}
MEMO_COLUMNS = frozenset({"entity_id", "increment_id", "order_id", "state", "created_at", "updated_at",
                          "grand_total", "subtotal", "tax_amount", "shipping_amount", "order_currency_code"})
SHIPMENT_COLUMNS = frozenset({"entity_id", "increment_id", "order_id", "total_qty", "created_at", "updated_at"})
ITEM_COLUMNS = frozenset({"item_id", "order_id", "parent_item_id", "sku", "product_type", "product_id",
                          "tax_percent", "qty_ordered", "qty_shipped", "qty_refunded", "created_at", "updated_at"})
TWO = Decimal("0.01")


class SalesState:
    """Credit memos and shipments kept by the simulator (ids are simulator numbering)."""

    def __init__(self) -> None:
        self.creditmemos: dict[int, dict[str, Any]] = {}
        self.shipments: dict[int, dict[str, Any]] = {}


def _d(value: Any) -> Decimal:
    """A number of the body (or of a stored record); anything else is Magento's type check, not simulated."""
    if value is None:
        return Decimal(0)
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise MagentoError(501, "not simulated: a value of the wrong type")
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise MagentoError(501, "not simulated: a value of the wrong type") from None
    if not number.is_finite():
        raise MagentoError(501, "not simulated: a value of the wrong type")
    return number


def _order(sim: Any, ident: Any) -> dict[str, Any]:
    order = sim.orders.get(int(ident)) if str(ident).isdigit() else None
    if order is None:
        raise MagentoError(404, NO_ENTITY)
    return order


def _children(order: dict[str, Any], parent_id: int) -> list[dict[str, Any]]:
    return [i for i in order["items"] if i.get("parent_item_id") == parent_id]


def _lines(order: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """The lines that are refunded or shipped themselves (a configurable line through its parent)."""
    return {i["item_id"]: i for i in order["items"] if not i.get("parent_item_id")}


def _requested(body: dict[str, Any], lines: dict[int, dict[str, Any]], left: Callable[[dict], Decimal],
               error: str) -> dict[int, Decimal]:
    items = body.get("items")
    if not items:
        return {k: left(v) for k, v in lines.items() if left(v) > 0}
    if not isinstance(items, list):
        raise MagentoError(400, error)
    out: dict[int, Decimal] = {}
    for item in items:
        ident = item.get("order_item_id") if isinstance(item, dict) else None
        if not isinstance(ident, int) or isinstance(ident, bool) or ident not in lines:
            raise MagentoError(400, error)
        qty = _d(item.get("qty"))
        if qty > 0:
            out[ident] = out.get(ident, Decimal(0)) + qty
            if out[ident] > left(lines[ident]):
                raise MagentoError(501, "not simulated: more than the line has left")
    return out


def refund(sim: Any, order_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """An offline refund (``POST /V1/order/{id}/refund``): stores and answers the credit memo."""
    order = _order(sim, order_id)
    lines = _lines(order)
    qtys = _requested(body, lines, lambda i: _d(i["qty_invoiced"]) - _d(i.get("qty_refunded")),
                      MEMO_ERROR + "The credit memo's total must be positive.")
    if not body.get("items"):
        qtys = {}  # an offline refund without items refunds only what `arguments` says
    args = body.get("arguments") if isinstance(body.get("arguments"), dict) else {}
    shipping = _d(args.get("shipping_amount"))
    state: SalesState = sim.sales
    ident = len(state.creditmemos) + 1
    now = sim.clock().strftime("%Y-%m-%d %H:%M:%S")
    items, subtotal, tax, discount = [], Decimal(0), Decimal(0), Decimal(0)
    for n, (item_id, qty) in enumerate(qtys.items(), 1):
        line = lines[item_id]
        share = qty / _d(line["qty_ordered"])
        row, row_tax = (_d(line["price"]) * qty).quantize(TWO), (_d(line["tax_amount"]) * share).quantize(TWO)
        row_discount = (_d(line.get("discount_amount")) * share).quantize(TWO)
        items.append({"entity_id": 100 * ident + n, "parent_id": ident, "order_item_id": item_id,
                      "product_id": line["product_id"], "sku": line["sku"], "name": line["name"], "qty": money(qty),
                      "price": line["price"], "price_incl_tax": line["price_incl_tax"], "row_total": money(row),
                      "row_total_incl_tax": money(row + row_tax), "tax_amount": money(row_tax),
                      "discount_amount": money(row_discount)})
        subtotal, tax, discount = subtotal + row, tax + row_tax, discount + row_discount
    ship_tax = Decimal(0)
    if shipping < 0 or shipping > _d(order.get("shipping_amount")) - _d(order.get("shipping_refunded")):
        raise MagentoError(501, "not simulated: a shipping amount outside what the order has left to refund")
    if shipping:
        ship_tax = (_d(order.get("shipping_tax_amount")) * shipping / _d(order["shipping_amount"])).quantize(TWO)
    grand = subtotal + tax - discount + shipping + ship_tax
    if grand <= 0:
        raise MagentoError(400, MEMO_ERROR + "The credit memo's total must be positive.")
    for item_id, qty in qtys.items():  # checked: the order follows
        line = lines[item_id]
        for target in [line, *_children(order, item_id)]:
            target["qty_refunded"] = money(_d(target.get("qty_refunded")) + qty)
        line["amount_refunded"] = money(_d(line.get("amount_refunded")) + _d(line["price"]) * qty)
    memo = {"entity_id": ident, "increment_id": f"{ident:09d}", "order_id": order["entity_id"], "store_id": 1,
            "state": 2, "created_at": now, "updated_at": now, "order_currency_code": order.get("order_currency_code"),
            "base_currency_code": order.get("base_currency_code"), "subtotal": money(subtotal),
            "tax_amount": money(tax + ship_tax), "shipping_amount": money(shipping),
            "shipping_tax_amount": money(ship_tax), "shipping_incl_tax": money(shipping + ship_tax),
            "discount_amount": money(-discount), "adjustment": 0, "adjustment_positive": 0,
            "adjustment_negative": 0, "grand_total": money(grand), "base_grand_total": money(grand),
            "email_sent": 0, "items": items, "comments": []}
    state.creditmemos[ident] = memo
    order["total_refunded"] = money(_d(order.get("total_refunded")) + grand)
    order["subtotal_refunded"] = money(_d(order.get("subtotal_refunded")) + subtotal)
    order["shipping_refunded"] = money(_d(order.get("shipping_refunded")) + shipping)
    order["updated_at"] = now
    if all(_d(i.get("qty_refunded")) >= _d(i["qty_ordered"]) for i in lines.values()):
        order["state"] = order["status"] = "closed"
    return memo


def _tracks(value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list):  # #9416: an object instead of an array
        raise MagentoError(400, SHIP_ERROR + "Please enter a tracking number.")
    out = []
    for track in value:
        if not isinstance(track, dict):
            raise MagentoError(400, SHIP_ERROR + "Please enter a tracking number.")
        for name in ("track_number", "title", "carrier_code"):
            if not isinstance(track.get(name), str) or not track[name].strip():
                raise MagentoError(400, '"%fieldName" is required. Enter and try again.', {"fieldName": name})
        out.append({k: track[k] for k in ("track_number", "title", "carrier_code")})
    return out


def ship(sim: Any, order_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /V1/order/{id}/ship``: stores and answers the shipment."""
    order = _order(sim, order_id)
    tracks = _tracks(body.get("tracks"))
    lines = _lines(order)
    nothing = SHIP_ERROR + "You can't create a shipment without products."
    left = lambda i: _d(i["qty_ordered"]) - _d(i.get("qty_shipped")) - _d(i.get("qty_refunded"))  # noqa: E731
    qtys = _requested(body, lines, left, nothing)
    if not qtys:
        raise MagentoError(400, nothing)
    state: SalesState = sim.sales
    ident = len(state.shipments) + 1
    now = sim.clock().strftime("%Y-%m-%d %H:%M:%S")
    items = []
    for n, (item_id, qty) in enumerate(qtys.items(), 1):
        line = lines[item_id]
        items.append({"entity_id": 100 * ident + n, "parent_id": ident, "order_item_id": item_id,
                      "product_id": line["product_id"], "sku": line["sku"], "name": line["name"],
                      "price": line["price"], "qty": money(qty)})
        for target in [line, *_children(order, item_id)]:
            target["qty_shipped"] = money(_d(target.get("qty_shipped")) + qty)
    comment = body.get("comment") if body.get("appendComment") and isinstance(body.get("comment"), dict) else None
    shipment = {"entity_id": ident, "increment_id": f"{ident:09d}", "order_id": order["entity_id"], "store_id": 1,
                "total_qty": money(sum(qtys.values(), Decimal(0))), "created_at": now, "updated_at": now,
                "email_sent": 1 if body.get("notify") else 0, "packages": [], "items": items,
                "tracks": [{"entity_id": 10 * ident + n, "parent_id": ident, "order_id": order["entity_id"],
                            "created_at": now, "updated_at": now, **t} for n, t in enumerate(tracks, 1)],
                "comments": [{"entity_id": ident, "parent_id": ident, "comment": comment.get("comment"),
                              "is_visible_on_front": comment.get("is_visible_on_front", 0), "created_at": now}]
                if comment else []}
    state.shipments[ident] = shipment
    order["updated_at"] = now
    if all(left(i) <= 0 for i in lines.values()):
        order["state"] = order["status"] = "complete"
    if body.get("notify"):
        sim.emails.append({"order_id": order["entity_id"], "email": order.get("customer_email"),
                           "shipment": ident})
    return shipment


# -- HTTP ---------------------------------------------------------------------------------------------------
def _list(sim: Any, rows: list[dict[str, Any]], columns: frozenset[str], request: Any) -> tuple[int, Any]:
    criteria = parse_criteria(php_params(request.params))
    page, total = search(rows, criteria, columns, sim._report(), sim.past_end)
    return 200, {"items": page, "search_criteria": criteria.echo(), "total_count": total}


def _one(rows: dict[int, dict[str, Any]], ident: str) -> tuple[int, Any]:
    row = rows.get(int(ident)) if ident.isdigit() else None
    if row is None:
        raise MagentoError(404, NO_ENTITY)
    return 200, row


def _body(sim: Any, request: Any) -> dict[str, Any]:
    body = sim._json(request)
    return body if isinstance(body, dict) else {}


def _all_items(sim: Any) -> dict[int, dict[str, Any]]:
    items = {}
    for ident in sim.order_ids:
        for item in sim.orders[ident]["items"]:
            items[item["item_id"]] = item
    return items


def _document_routes(sim: Any, method: str, route: list[str], plural: str, single: str,
                     store: dict[int, dict[str, Any]], columns: frozenset[str], action: str,
                     write: Callable[[Any, int, dict[str, Any]], dict[str, Any]]) -> list[tuple]:
    """List, read one and create (``order/{id}/<action>``) for credit memos or shipments."""
    n, head = len(route), route[0] if route else ""
    return [
        (method == "GET" and route == [plural],
         lambda r: _list(sim, [store[k] for k in sorted(store)], columns, r), plural, []),
        (method == "GET" and head == single and n == 2, lambda r, i: _one(store, i), plural, route[1:]),
        (method == "POST" and head == "order" and n == 3 and route[2] == action,
         lambda r, i: (200, write(sim, _order(sim, i)["entity_id"], _body(sim, r))["entity_id"]), action, route[1:2]),
    ]


def sales_routes(sim: Any, method: str, route: list[str]) -> list[tuple[bool, Callable[..., tuple[int, Any]], str,
                                                                           list[str]]]:
    """The routes of this module as :meth:`MagentoSim._match` table rows (ok, handler, ACL name, args)."""
    state: SalesState = sim.sales
    get, n = method == "GET", len(route)
    return [
        *_document_routes(sim, method, route, "creditmemos", "creditmemo", state.creditmemos, MEMO_COLUMNS,
                          "refund", refund),
        *_document_routes(sim, method, route, "shipments", "shipment", state.shipments, SHIPMENT_COLUMNS,
                          "ship", ship),
        (get and route == ["orders", "items"],
         lambda r: _list(sim, list(_all_items(sim).values()), ITEM_COLUMNS, r), "orders", []),
        (get and route[:2] == ["orders", "items"] and n == 3, lambda r, i: _one(_all_items(sim), i), "orders",
         route[2:]),
    ]
