"""``reserve``: the goods of a record held in the target before its document is created.

The last-item race (two orders for the last item within half a second) is solved by asking the
system holding the stock to reserve it atomically — every line of the order or none — before the
document is created and the order confirmed in the shop. The flow names the operation (an
operation of a connector, like a ``target`` or an acknowledgement's write) and maps its payload
from the source record; ``on_refused`` lists the writes that follow a refusal (cancel the shop
order, tell the customer), written and recorded like acknowledgements (:mod:`engine.plan.acks`),
their scope the record plus ``_refused.reason``.

A reservation is sent again after a crash or a lost answer (the runtime cannot tell whether it was
applied), so its operation must be idempotent by reference (``idempotent: true`` in the connector:
the system answers the same reservation again for the same reference) — otherwise ``validate``
says so (``reserve-not-idempotent``). Which answers are refusals is the connector's to say
(``refused:``): a reservation operation without it is an error too (``reserve-no-refusal``), since
any rejection would then be taken for a failure and the customer never told.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Any

from engine.errors import Diagnostic
from engine.lang import names
from engine.plan.acks import AckCompiler
from engine.plan.codegen import generate
from engine.spec.yamlsrc import format_path

KEY = "reserve"


class ReserveCompiler:
    """Checks a flow's ``reserve`` (``fc``: the flow's compiler); ``broken`` when an operation is missing."""

    def __init__(self, fc: Any, given: Any, diags: list[Diagnostic]):
        self.fc, self.given, self.broken, self.root, self.values, self.op = fc, given, False, None, {}, None
        self.refused: AckCompiler | None = None
        if not isinstance(given, dict):
            return
        item, path = fc.item, (KEY,)
        _, self.op = fc.write(given, path, "write")
        self.root = fc.builder.build_root(given.get("map") or {}, path + ("map",))
        self.values = fc.values(given.get("with"), path + ("with",))
        self.refused = AckCompiler(fc, given.get("on_refused"), diags, path + ("on_refused",), names.REFUSED,
                                   "writes of a refusal")
        self.broken = self.op is None or self.root is None or self.refused.broken
        where = format_path(("flows", item.name) + path + ("write",))
        if self.op is not None and not self.op.idempotent:
            diags.append(Diagnostic(
                "reserve-not-idempotent", f"operation '{self.op.name}' of endpoint '{given.get('endpoint')}' is "
                "not declared idempotent: a reservation is sent again after a crash or a lost answer, and a second "
                "one would hold the goods twice", item.loc(*path, "write"), where,
                "use the connector's reservation operation (idempotent by reference: `idempotent: true`)"))
        if self.op is not None and not self.op.refused and not getattr(self.op.detail, "refuses", False):
            diags.append(Diagnostic(
                "reserve-no-refusal", f"operation '{self.op.name}' of endpoint '{given.get('endpoint')}' declares "
                "no refusal (`refused:` in the connector): a lack of stock could not be told from an error",
                item.loc(*path, "write"), where, "use the connector's reservation operation"))

    def plan(self, flow: str) -> Any:
        """The compiled reservation (call only when the flow has no error); None without ``reserve``."""
        if not isinstance(self.given, dict) or self.root is None or self.refused is None or self.op is None:
            return None
        from engine.plan.model import ReservePlan, WritePlan  # built only with a Plan (validate never imports it)

        mapper, _ = generate(f"{flow}.{KEY}", self.root)
        write = WritePlan(str(self.given["endpoint"]), str(self.given["write"]), self.op, mapper,
                          MappingProxyType(self.values), KEY, None, self.fc.item.loc(KEY))
        return ReservePlan(write, self.refused.plans(flow))


__all__ = ["KEY", "ReserveCompiler"]
