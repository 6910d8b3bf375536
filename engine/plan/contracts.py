"""``validate`` against target contracts: a flow's compiled mapping (the node tree of
:mod:`engine.plan.mapping`) walked beside the ``accepts:`` schema of the operation it writes.

Reported, located at the field's key, only where the contract says (no contract, no check):

* ``unknown-field`` — a mapped field an object closed by ``additionalProperties: false`` does not
  declare (with the nearest declared name as hint);
* ``contract`` — a constant (``value:``) the contract refuses (type, enum, const, maxLength, pattern…),
  and a required field the map never produces (a warning when it is produced only under a ``when``
  without ``else``, or with ``omit_null``: some records may lack it).

Values read from the record (``from:``) are checked per record, before sending (the pipeline).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.connectors.contract import Contract, contract_errors, object_schemas
from engine.connectors.contract_words import describe, field_path
from engine.errors import Diagnostic
from engine.plan.mapping import OMIT, ListNode, ObjNode, ValueNode
from engine.project.load import Item
from engine.spec.yamlsrc import format_path
from engine.util.suggest import hint_for


class _Walker:
    def __init__(self, item: Item, contract: Contract, what: str):
        self.item, self.contract, self.what = item, contract, what
        self.diags: list[Diagnostic] = []

    def report(self, code: str, message: str, spec_path: tuple, hint: str | None = None,
               severity: str = "error") -> None:
        path = format_path(("flows", self.item.name) + tuple(spec_path))
        self.diags.append(Diagnostic(code, message, self.item.key_loc(*spec_path), path, hint, severity))

    def constant(self, value: Any, schema: Any, out: list, spec_path: tuple) -> None:
        """A constant against the schema of its field (checked once, here, for every record)."""
        if not isinstance(schema, dict):
            return
        for error in contract_errors(schema, value):
            for path, text in describe(error, self.contract.system)[:1]:
                shown = field_path(out + _parts(path))
                self.report("contract", f"{shown}: {text}", spec_path, "the contract of " + self.what)
            return  # the first rule broken is enough: one constant, one error

    def obj(self, node: ObjNode, spec: Any, schema: Any, spec_path: tuple, out: list) -> None:
        consts = {key: v.const for key, v in node.fields
                  if isinstance(v, ValueNode) and _is_const(v, _entry(spec, key))}
        shapes = list(object_schemas(schema, consts))
        if not shapes:
            return
        known: dict[str, Any] = {}
        for shape in shapes:
            for name, sub in (shape.get("properties") or {}).items():
                known.setdefault(name, sub)
        closed = all(shape.get("additionalProperties") is False for shape in shapes)
        mapped: dict[str, Any] = {}
        for key, value in node.fields:
            mapped[key] = value
            at = spec_path + (key,)
            if key not in known:
                if closed:
                    self.report("unknown-field", f"`{field_path(out + [key])}` is not a field "
                                f"{self.contract.system} accepts in {self.what}", at,
                                hint_for(key, known, "fields"))
                continue
            self.value(value, _entry(spec, key), known[key], at, out + [key])
        required = set.intersection(*(set(s.get("required") or ()) for s in shapes))
        order = list(known)
        missing = sorted((n for n in required if n not in mapped), key=lambda n: order.index(n) if n in order else 0)
        if missing:
            names = ", ".join(f"`{field_path(out + [n])}`" for n in missing)
            self.report("contract", f"{names} {'is' if len(missing) == 1 else 'are'} required by "
                        f"{self.contract.system} ({self.what}) and the map never produces "
                        f"{'it' if len(missing) == 1 else 'them'}", spec_path,
                        "map " + ", ".join(f"`{n}`" for n in missing))
        for name in sorted(required - set(missing), key=lambda n: order.index(n) if n in order else 0):
            value = mapped[name]
            if isinstance(value, ValueNode) and _may_omit(value):
                self.report("contract", f"`{field_path(out + [name])}` is required by {self.contract.system} "
                            f"({self.what}), but the map leaves it out for some records (`when` without "
                            "`else`, or `omit_null`)", spec_path + (name,), "give it an `else`, or a `default`",
                            "warning")

    def value(self, node: Any, spec: Any, schema: Any, spec_path: tuple, out: list) -> None:
        if isinstance(node, ListNode):
            self.list(node, spec, schema, spec_path, out)
            return
        if not isinstance(node, ValueNode):
            return
        if node.obj is not None:
            inner = spec.get("map") if isinstance(spec, dict) and "map" in spec else spec
            sub_path = spec_path + ("map",) if isinstance(spec, dict) and "map" in spec else spec_path
            self.obj(node.obj, inner, schema, sub_path, out)
        elif _is_const(node, spec):
            self.constant(node.const, schema, out, spec_path)
        if isinstance(node.otherwise, ValueNode):
            other = spec.get("else") if isinstance(spec, dict) else None
            self.value(node.otherwise, other, schema, spec_path + ("else",), out)
        elif node.otherwise is not OMIT and not node.transforms:
            self.constant(node.otherwise, schema, out, spec_path + ("else",))

    def list(self, node: ListNode, spec: Any, schema: Any, spec_path: tuple, out: list) -> None:
        items = schema.get("items") if isinstance(schema, dict) else None
        if items is None or not isinstance(spec, list):
            return
        entries = [(index, entry) for index, entry in enumerate(spec) if isinstance(entry, dict)]
        for (index, entry), item in zip(entries, node.items):
            self.value(item.value, entry, items, spec_path + (index,), out + [None])  # any element


def _entry(spec: Any, key: str) -> Any:
    return spec.get(key) if isinstance(spec, dict) else None


def _is_const(node: ValueNode, spec: Any) -> bool:
    """A `value:` sent as written (no transform changes it)."""
    return isinstance(spec, dict) and "value" in spec and node.obj is None and node.expr is None \
        and not node.transforms


def _may_omit(node: ValueNode) -> bool:
    return node.omit_null or (node.when is not None and node.otherwise is OMIT)


def _parts(path: str) -> list:
    """``lignes[0].Quantite`` back to its parts (the path of a constant's own inner field)."""
    if path == "(payload)":
        return []
    parts: list = []
    for piece in path.replace("[", ".[").split("."):
        if piece.startswith("["):
            parts.append(int(piece[1:-1]))
        elif piece:
            parts.append(piece)
    return parts


def check_contract(item: Item, root: ObjNode | None, spec: Any, spec_path: tuple, contract: Contract | None,
                   what: str) -> list[Diagnostic]:
    """The diagnostics of one write's map (``spec_path``: where its ``map:`` is, in the flow)
    against its operation's contract (``what`` names it: ``sage.insert_document``)."""
    if contract is None or root is None or not isinstance(contract.schema, Mapping):
        return []
    walker = _Walker(item, contract, what)
    walker.obj(root, spec, contract.schema, spec_path, [])
    return walker.diags


__all__ = ["check_contract"]
