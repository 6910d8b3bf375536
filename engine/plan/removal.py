"""``target.remove`` compiled once: the operation that removes a document from the target when its
record is no longer in the source, the values it needs, and the safety limit.

The ``with`` values are JMESPath on the removed record's ledger entry, ``{_target: {id: TARGET_ID},
_payload: LAST_PAYLOAD, _key: LEDGER_KEY}``: the record itself is gone, only what was sent is known.

Checks (all located): ``write`` is an operation of the target endpoint's connector (``unknown-operation``
with did-you-mean), it gets every placeholder it needs (``missing-value``), each value compiles and
names only ``_target``, ``_payload`` or ``_key`` (``bad-expression``, ``unknown-name``), and the flow
can tell what disappeared (``remove-needs-full-read``): a flow without ``fan_out`` reads its whole
source (no ``since``, no ``where``); a fan-out flow may read part of it (its records' items are
compared with what each record gave before). The runtime is :mod:`engine.runtime.removals`.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Protocol

from engine.errors import Diagnostic, Loc
from engine.lang.expr import CompiledExpr
from engine.lang.names import KEY, PAYLOAD, TARGET
from engine.project.load import Item
from engine.util.records import frozen

Getter = Callable[[Any], Any]
PATH = ("target", "remove")
NAMES = frozenset({TARGET, PAYLOAD, KEY})
MAX_PERCENT, ALWAYS_UP_TO = Decimal(20), 10  # the safety limit's defaults


@frozen
class RemovePlan:
    """How a flow removes a target document whose record disappeared from the source."""

    operation: str
    values: Mapping[str, Getter]
    max_percent: Decimal
    always_up_to: int
    whole_read: bool  # keys absent from a complete read are removed (no since, no where)
    loc: Loc | None = None

    def write_values(self, target_id: Any, payload: Any, key: str) -> dict:
        scope = {TARGET: {"id": target_id}, PAYLOAD: payload, KEY: key}
        return {name: get(scope) for name, get in self.values.items()}

    def held(self, removing: int, created: int) -> bool:
        """True when removing ``removing`` of ``created`` records passes the safety limit."""
        return removing > self.always_up_to and Decimal(removing) * 100 > self.max_percent * created


class _Compiler(Protocol):
    def expr(self, text: Any, path: tuple, what: str, allowed: frozenset[str] | None = None
             ) -> CompiledExpr | None: ...
    def write(self, block: dict, path: tuple, op_key: str, provided: tuple = ()) -> tuple[Any, Any]: ...


def compile_remove(fc: _Compiler, item: Item, data: dict, target: dict,
                   diags: list[Diagnostic]) -> RemovePlan | None:
    """The flow's RemovePlan, or None (no ``remove``, or a problem reported in ``diags``)."""
    spec = target.get("remove")
    if not isinstance(spec, dict):
        return None
    source = data.get("source")
    fan_out = isinstance(data.get("fan_out"), dict)
    partial = [name for name in ("since", "where") if isinstance(source, dict) and source.get(name) is not None]
    if partial and not fan_out:
        diags.append(Diagnostic(
            "remove-needs-full-read", f"`target.remove` removes what a complete read no longer gives, and "
            f"`source.{partial[0]}` reads only part of the source: every record it leaves out would be removed",
            item.loc("source", partial[0]), f"flows.{item.name}.source.{partial[0]}",
            f"remove `{partial[0]}` (unchanged records are skipped by their payload hash), or remove records from a "
            "fan-out flow, whose items are compared per source record read"))
    _, operation = fc.write({"endpoint": target.get("endpoint"), **spec}, PATH, "write")
    given = spec.get("with")
    values = {name: fc.expr(text, PATH + ("with", name), "value", NAMES)
              for name, text in (given.items() if isinstance(given, dict) else ())}
    if operation is None or any(v is None for v in values.values()) or partial and not fan_out:
        return None
    percent = spec.get("max_percent", MAX_PERCENT)
    return RemovePlan(str(spec.get("write")), MappingProxyType({n: v.search for n, v in values.items() if v}),
                      Decimal(str(percent)), int(spec.get("always_up_to", ALWAYS_UP_TO)), not partial,
                      item.loc(*PATH))


__all__ = ["NAMES", "RemovePlan", "compile_remove"]
