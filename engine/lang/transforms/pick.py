"""The ``pick`` transform: an element of another list of the record, chosen by the value.

A JMESPath filter sees only the element it tests, so "the order line whose SKU is this delivery line's
article" cannot be written as a path. ``pick`` does it::

    order_item_id:
      from: RefArticle
      transform:
        - pick: { from: "_parent.order.items", match: sku, take: item_id }

``from`` is read on the record (or list item) being mapped, like ``{multiply: {from: …}}``, ``_parent``
included; ``match`` is read on each element and compared with the value, numbers by value (``"56"``
equals ``56``, ``"20.000"`` equals ``20``) and texts exactly; ``take`` is read on the first element that
matches (the element itself when absent). No match, or a null value, gives null; ``all: true`` gives
every match (an empty list when none).
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from engine.errors import TransformError
from engine.lang.registry import ArgError, CompileContext, Example as E, Registry
from engine.lang.transforms._common import relocate

CATEGORY = "lookup"

ARGS_SCHEMA = {
    "type": "object",
    "description": "Where the list is and how its elements are matched.",
    "properties": {
        "from": {"type": "string", "minLength": 1,
                 "description": "JMESPath of the list, read on the record or list item being mapped "
                                "(`_parent.order.items`)."},
        "match": {"type": "string", "minLength": 1,
                  "description": "JMESPath read on each element and compared with the value (`sku`)."},
        "take": {"type": "string", "minLength": 1,
                 "description": "JMESPath read on the element found (`item_id`); the element itself when absent."},
        "all": {"type": "boolean", "description": "Every element that matches, as a list (default: the first)."},
    },
    "required": ["from", "match"],
    "additionalProperties": False,
}

_ORDER = {"order": {"items": [{"item_id": 71, "sku": "MUG-CLASSIC", "qty": 2},
                              {"item_id": 72, "sku": "TSHIRT-BLU-M", "qty": 1},
                              {"item_id": 73, "sku": "MUG-CLASSIC", "qty": 1}]},
          "rates": [{"id": "3", "rate": "20.000"}, {"id": "5", "rate": "0.000"}]}


def _same(value: Any) -> Any:
    """The value as compared: a number (or numeric text) by value, anything else as it is."""
    if isinstance(value, bool):
        return ("bool", value)  # true is not 1
    if value is None:
        return value
    if isinstance(value, (int, Decimal)):
        return Decimal(value).normalize()
    if isinstance(value, str):
        try:
            return Decimal(value.strip()).normalize() if value.strip() else value
        except InvalidOperation:
            return value
    return value


def register(reg: Registry) -> None:
    @reg.transform("pick", category=CATEGORY, args=ARGS_SCHEMA, needs_scope=True,
                   summary="The element of another list of the record whose `match` equals the value (its "
                           "`take`), or every such element with `all`; null when none.",
                   examples=[E({"from": "order.items", "match": "sku", "take": "item_id"}, "TSHIRT-BLU-M", 72,
                               scope=_ORDER),
                             E({"from": "order.items", "match": "sku", "take": "item_id", "all": True},
                               "MUG-CLASSIC", [71, 73], scope=_ORDER),
                             E({"from": "rates", "match": "id", "take": "rate"}, 5, "0.000", scope=_ORDER),
                             E({"from": "order.items", "match": "sku"}, "POSTER", None, scope=_ORDER),
                             E({"from": "order.items", "match": "sku", "take": "qty"}, None, None, scope=_ORDER),
                             E({"from": "order", "match": "sku"}, "MUG-CLASSIC", scope=_ORDER,
                               raises="pick (from: order): expected a list, got an object")])
    def pick(arg: dict, ctx: CompileContext):
        expressions = {}
        for name in ("from", "match", "take"):
            if name in arg:
                try:
                    expressions[name] = ctx.expression(arg[name])
                except ArgError as exc:
                    raise relocate(exc, (name,)) from None
        read_list, read_key, take = expressions["from"], expressions["match"], expressions.get("take")
        every, where = bool(arg.get("all", False)), f"pick (from: {arg['from']})"

        def apply(value: Any, scope: Any) -> Any:
            if value is None:
                return [] if every else None
            items = read_list(scope)
            if items is None:
                return [] if every else None
            if not isinstance(items, list):
                kind = "an object" if isinstance(items, dict) else type(items).__name__
                raise TransformError(f"{where}: expected a list, got {kind}")
            wanted, found = _same(value), []
            for item in items:
                if _same(read_key(item)) == wanted:
                    result = take(item) if take is not None else item
                    if not every:
                        return result
                    found.append(result)
            return found if every else None

        return apply
