"""Counters kept as text: a document number such as Sage 100's next piece (``BC00042`` -> ``BC00043``).

``next_number`` adds a step (default 1) to the last run of digits of a text, keeping everything else —
the prefix, a suffix after the digits, and the width of the digits with their leading zeros
(``BC00042`` -> ``BC00043``, ``FA2024-0099`` -> ``FA2024-0100``). A counter that would need more
digits than it has (``BC99999``) is an error rather than a silently longer number that the ERP's
column (13 characters for a Sage piece) or its ordering would not expect.
"""
from __future__ import annotations

import re
from typing import Any

from engine.errors import TransformError
from engine.lang.registry import CompileContext, Example as E, Registry

_LAST_DIGITS = re.compile(r"([0-9]+)([^0-9]*)$")  # ASCII digits: `\d` counts ١٢ as 12 and writes 13


def next_number_of(value: Any, step: int = 1) -> Any:
    """The text with its last run of digits increased by ``step``, same width."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TransformError(f"next_number expects a text such as 'BC00042', got {type(value).__name__}")
    if isinstance(value, int):
        return value + step
    match = _LAST_DIGITS.search(value)
    if match is None:
        raise TransformError(f"next_number: {value!r} has no digits to count on")
    digits = match.group(1)
    number = int(digits) + step
    if number < 0:
        raise TransformError(f"next_number: {value!r} minus {-step} is below zero")
    text = str(number).zfill(len(digits))
    if len(text) > len(digits):
        raise TransformError(f"next_number: {value!r} has run out of numbers ({len(digits)} digits); "
                             "start a new prefix in the ERP")
    return value[:match.start(1)] + text + match.group(2)


def register(reg: Registry) -> None:
    @reg.transform(
        "next_number", category="text", args_optional=True,
        summary="The next number of a counter kept as text, keeping its prefix and width (BC00042 -> BC00043).",
        args={"type": "integer", "minimum": 1, "description": "The step (default 1)."},
        examples=[E(None, "BC00042", "BC00043"), E(None, "FA2024-0099", "FA2024-0100"), E(10, "BL0090", "BL0100"),
                  E(None, "A9Z", raises="run out of numbers"), E(None, 41, 42), E(None, None, None),
                  E(None, "BC", raises="no digits")])
    def next_number(arg: Any, ctx: CompileContext):
        step = 1 if arg is None else int(arg)

        def apply(value: Any) -> Any:
            return next_number_of(value, step)

        return apply
