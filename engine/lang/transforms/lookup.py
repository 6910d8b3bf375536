"""The ``lookup`` transform: map a value through a lookup table (see :mod:`engine.lang.lookups`)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.lang.lookups import LOOKUP_SPEC_SCHEMA, MISSING, build_lookup
from engine.lang.registry import ArgError, CompileContext, Example as E, Registry
from engine.lang.transforms._common import relocate

CATEGORY = "lookup"

_CARRIERS = {"carriers": {"map": {"UPS Ground": "UPS_GND", "Colissimo": "COLI", "DHL Express": "DHL_EXP"},
                          "default": "DIVERS"}}
_TAX_CODES = {"tax_codes": {"match": "number",
                            "map": {"20": "S_20", "5.5": "S_5", "10": "S_10", "2.1": "S_2", "0": "EXO"}}}

ARGS_SCHEMA = {
    "description": "A table name, a table name with a default, or an inline table.",
    "oneOf": [
        {"type": "string", "minLength": 1, "description": "Name of a table declared under lookups."},
        {"type": "object", "description": "A declared table with a default of its own.",
         "properties": {
             "table": {"type": "string", "minLength": 1,
                       "description": "Name of a table declared under lookups."},
             "default": {"description": "Result when no key matches (replaces the table's default)."}},
         "required": ["table"], "additionalProperties": False},
        LOOKUP_SPEC_SCHEMA,
    ],
}


def register(reg: Registry) -> None:
    @reg.transform("lookup", category=CATEGORY, args=ARGS_SCHEMA,
                   summary="Map the value through a lookup table; a miss gives the default, or an error "
                           "when the table has none.",
                   examples=[E("carriers", "UPS Ground", "UPS_GND", lookups=_CARRIERS),
                             E("carriers", "Chronopost", "DIVERS", lookups=_CARRIERS),
                             E("tax_codes", "20.000", "S_20", lookups=_TAX_CODES),
                             E("tax_codes", Decimal("19.6"), raises="no entry for 19.6 in lookup 'tax_codes'",
                               lookups=_TAX_CODES),
                             E({"table": "tax_codes", "default": "S_AUTRE"}, "19.6", "S_AUTRE",
                               lookups=_TAX_CODES),
                             E({"map": {"ps_checkout": "CB", "ps_wirepayment": "VIR"}, "match": "text_ci"},
                               "PS_Checkout", "CB")])
    def lookup(arg: Any, ctx: CompileContext):
        default = MISSING
        if isinstance(arg, str):
            table = ctx.lookup(arg)
        elif "table" in arg:
            try:
                table = ctx.lookup(arg["table"])
            except ArgError as exc:
                raise relocate(exc, ("table",)) from None
            default = arg.get("default", MISSING)
        else:
            table = build_lookup("(inline)", arg, ctx.base_dir)
        return table.resolver(default)
