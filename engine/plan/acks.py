"""``acknowledge``: what is written back to the source once the target confirmed a record.

The key holds one acknowledgement (a mapping) or a list of them; a single mapping is a list of one.
Each has an identity in the ledger — its ``name``, by default ``<endpoint>.<write>`` — under which the
runtime records that it was confirmed, so each is sent once and retried on its own. Two
acknowledgements of a flow with the same identity are an error (``duplicate-name``): the ledger could
not tell them apart.

Checking (operations, placeholder values, maps, ``when``) happens in :class:`AckCompiler` while the
flow is checked, every problem located at its list item; :meth:`AckCompiler.plans` generates the
mapping functions once the flow has no error.
"""
from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from engine.errors import Diagnostic, RecordError, TransformError
from engine.lang import names
from engine.plan.codegen import generate, truthy
from engine.spec.yamlsrc import format_path
from engine.util.records import mutable

if TYPE_CHECKING:
    from engine.plan.model import WritePlan

KEY = "acknowledge"


def ack_blocks(given: Any, at: tuple = (KEY,)) -> list[tuple[tuple, dict]]:
    """``(path, block)`` of every acknowledgement written under ``at`` (a mapping or a list)."""
    if isinstance(given, dict):
        return [(at, given)]
    if isinstance(given, list):
        return [(at + (index,), block) for index, block in enumerate(given) if isinstance(block, dict)]
    return []


def identity(block: dict) -> str:
    """The acknowledgement's name in the ledger: ``name``, else ``<endpoint>.<write>``."""
    name = block.get("name")
    return name if isinstance(name, str) and name else f"{block.get('endpoint')}.{block.get('write')}"


@mutable
class _Part:
    """One acknowledgement of a flow while it is checked: its name, place and operation."""

    name: str
    path: tuple
    block: dict
    op: Any
    root: Any
    values: dict
    when: Any


class AckCompiler:
    """Checks every acknowledgement of one flow (``fc`` is the flow's compiler: ``write``, ``values``,
    ``expr`` and ``builder``); ``broken`` when one names an operation that does not exist. ``at`` and
    ``extra``: where the writes are and the name their scope adds to the record (``reserve.on_refused``
    writes see ``_refused``, :mod:`engine.plan.reserve`)."""

    def __init__(self, fc: Any, given: Any, diags: list[Diagnostic], at: tuple = (KEY,),
                 extra: str = names.TARGET, what: str = "acknowledgements"):
        self.fc, self.parts, self.broken = fc, [], False
        item = fc.item
        seen: dict[str, tuple] = {}
        for path, block in ack_blocks(given, at):
            _, op = fc.write(block, path, "write")
            scope = fc.builder.scope_names | {extra}  # the record, and what the target answered
            root = fc.builder.build_root(block.get("map") or {}, path + ("map",), frozenset({extra}))
            values = fc.values(block.get("with"), path + ("with",), scope)
            when = fc.expr(block.get("when"), path + ("when",), "condition", scope) if "when" in block else None
            name = identity(block)
            if name in seen:
                at = path + ("name",) if "name" in block else path
                first = format_path(seen[name])
                diags.append(Diagnostic(
                    "duplicate-name", f"two {what} are named '{name}' (the first at {first}): the "
                    "ledger could not tell which one was confirmed", item.loc(*at),
                    format_path(("flows", item.name) + at),
                    "give each acknowledgement its own `name:` (e.g. `name: sage_number`, `name: note`)"))
            seen.setdefault(name, path)
            if op is None or root is None:
                self.broken = True
            self.parts.append(_Part(name, path, block, op, root, values, when))

    def plans(self, flow: str) -> tuple[WritePlan, ...]:
        """The compiled acknowledgements, in the order written (call only when the flow has no error)."""
        from engine.plan.model import WritePlan  # built only with a Plan (validate never imports it)

        out = []
        for part in self.parts:
            mapper, _ = generate(f"{flow}.{part.name}", part.root)
            when = _condition(part.when.search, self.fc.item.loc(*part.path, "when"), part.path) \
                if part.when is not None else None
            out.append(WritePlan(str(part.block["endpoint"]), str(part.block["write"]), part.op, mapper,
                                 MappingProxyType(part.values), part.name, when,
                                 self.fc.item.loc(*part.path)))
        return tuple(out)


def _condition(search: Callable[[Any], Any], loc: Any, path: tuple) -> Callable[[dict], bool]:
    field = ".".join(map(str, path + ("when",)))

    def applies(scope: dict) -> bool:
        try:
            return truthy(search(scope))
        except TransformError as exc:
            raise RecordError(str(exc), field=field, loc=loc) from None

    return applies


__all__ = ["AckCompiler", "ack_blocks", "identity"]
