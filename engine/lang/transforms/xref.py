"""The ``xref`` transform: a source id -> the target id a flow created or found for it (or back).

``{xref: {from: shop, type: customers}}`` turns shop customer 56 into the Sage code recorded when
``customers_to_sage`` created or found it. The store is not known at compile time: the run binds it
(:mod:`engine.lang.xref`). Strict without ``default``: an id with no pair fails the record, naming the
flows that record that type. A null id (a guest order has no customer) stays null, or takes the ``default``.
"""
from __future__ import annotations

from typing import Any

from engine.errors import TransformError
from engine.lang.registry import CompileContext, Example as E, Registry
from engine.lang.transforms._common import stringify
from engine.lang.xref import XrefMissing, current

CATEGORY = "lookup"
NO_DEFAULT = object()

ARGS_SCHEMA = {
    "type": "object",
    "description": "Which cross-references to translate through.",
    "properties": {
        "from": {"type": "string", "minLength": 1,
                 "description": "The source system: the endpoint the ids come from (a flow's source endpoint)."},
        "type": {"type": "string", "minLength": 1,
                 "description": "The type the pairs are kept under (the flow's `target.xref`, else its source "
                                "resource, e.g. `customers`)."},
        "to": {"type": "string", "minLength": 1,
               "description": "The target system (an endpoint), when ids of that type went to several."},
        "reverse": {"type": "boolean", "description": "Translate a target id back to its source id."},
        "default": {"description": "Result when the id has no pair yet, or is null (e.g. a generic customer "
                                   "account for guest orders); without it such a record fails (a null stays null)."},
    },
    "required": ["from", "type"],
    "additionalProperties": False,
}


def register(reg: Registry) -> None:
    @reg.transform("xref", category=CATEGORY, args=ARGS_SCHEMA,
                   summary="Translate an id through the cross-reference store (the pairs flows created or "
                           "found): a source id to its target id, or back with `reverse`; strict unless "
                           "`default`.",
                   examples=[E({"from": "shop", "type": "customers", "default": "CLIENT-WEB"}, 56, "CLIENT-WEB"),
                             E({"from": "shop", "type": "customers"}, 56,
                               raises="shop customers 56: no cross-reference store yet"),
                             E({"from": "shop", "type": "customers"}, None, None),
                             E({"from": "shop", "type": "customers", "default": "CLIENT-WEB"}, None, "CLIENT-WEB")])
    def xref(arg: dict, ctx: CompileContext):
        system, kind, to = arg["from"], arg["type"], arg.get("to")
        recorded = getattr(ctx, "xref_recorded", None)  # a project's compiler knows which pairs its flows keep
        if recorded is not None:
            recorded(system, kind)
        reverse = bool(arg.get("reverse", False))
        default = arg.get("default", NO_DEFAULT)
        side = "target id" if reverse else ""

        def translate(value: Any) -> Any:
            if value is None:  # no id at all (a guest order): the default account when there is one
                return None if default is NO_DEFAULT else default
            text = stringify(value)
            resolver = current()
            try:
                if resolver is None:
                    raise XrefMissing([], "no cross-reference store yet (no run has recorded a pair)")
                return resolver.translate(system, kind, text, to, reverse)
            except XrefMissing as missing:
                if default is not NO_DEFAULT:
                    return default
                what = f"{system} {kind} {side + ' ' if side else ''}{text}"
                if missing.detail:
                    raise TransformError(f"{what}: {missing.detail}") from None
                run = (f"run the flow that creates it ({', '.join(missing.flows)}) first" if missing.flows
                       else f"no flow of this project records {system} {kind}")
                if missing.others:  # they ran: the id may be gone from their source, or set aside there
                    run += (f" (it recorded other {system} {kind}: if it ran since, is {text} still in what it "
                            "reads, not deleted there, nor set aside: `passerelle failures`?)")
                raise TransformError(f"{what} has no cross-reference yet: {run}") from None

        return translate
