"""The generated mapper's conditions (``when:``), for :class:`engine.plan.codegen.CodeGen`.

A condition is inlined when it is made of, with ``&&``, ``||`` and ``!``:

* a path (``a.b``, also with literal indexes ``a.b[0]``), true unless null, false, empty or zero;
* ``path OP number`` — inlined when the value is a number, null is false for ``<``/``>``;
* ``path == 'text'`` / ``!=`` — inlined when the value is a text (the reference example's guest test,
  ``customer.is_guest == '1'``).

Any other value goes through the full JMESPath evaluation of that comparison, so the result is the
interpreter's — a text compared with a number raises a located error instead of silently being false.
Anything else is evaluated by the compiled expression.
"""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from engine.lang.expr import CompiledExpr, simple_path_of
from engine.lang.indexpath import indexed_path_of

_OPS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "==", "ne": "!="}


class Conditions:
    if TYPE_CHECKING:  # provided by CodeGen
        def tmp(self, prefix: str) -> str: ...
        def emit(self, indent: int, line: str) -> None: ...
        def bind(self, value: object) -> str: ...
        def scope_expr(self, expr: CompiledExpr, scopes: list[str]) -> str: ...
        def _resolve(self, path: tuple, scopes: list[str]) -> tuple: ...
        def _path_value(self, base: str, rest: tuple, indent: int) -> str: ...

    def gen_condition(self, expr: CompiledExpr, scopes: list[str], indent: int) -> str:
        var = self.tmp("c")
        parsed = expr.tree
        if not self._inline_condition(parsed, var, expr, scopes, indent):
            self.emit(indent, f"{var} = TRUTHY({self.bind(expr)}.search({self.scope_expr(expr, scopes)}))")
        return var

    def _inline_condition(self, node: dict, var: str, expr: CompiledExpr, scopes, indent) -> bool:
        kind = node.get("type")
        if kind in ("and_expression", "or_expression"):
            left, right = node["children"]
            if not (self._inlinable(left, scopes) and self._inlinable(right, scopes)):
                return False
            self._inline_condition(left, var, expr, scopes, indent)
            self.emit(indent, f"if {var}:" if kind == "and_expression" else f"if not {var}:")
            self._inline_condition(right, var, expr, scopes, indent + 1)
            return True
        if kind == "not_expression":
            if not self._inlinable(node["children"][0], scopes):
                return False
            self._inline_condition(node["children"][0], var, expr, scopes, indent)
            self.emit(indent, f"{var} = not {var}")
            return True
        if not self._inlinable(node, scopes):
            return False
        if kind == "comparator":
            left, right = node["children"]
            value = self._read_path(left, scopes, indent)  # a plain path (_inlinable)
            literal = self.bind(right["value"])
            op = _OPS[node["value"]]
            fallback = f"{var} = TRUTHY({self.bind(expr.sub(node))}.search({self.scope_expr(expr, scopes)}))"
            if right["value"].__class__ is str:  # == / != a text (_inlinable): a text compares as in Python
                self.emit(indent, f"if {value}.__class__ is str:")
            elif node["value"] in ("eq", "ne"):
                self.emit(indent, f"if {value}.__class__ in NUM and {literal}.__class__ in NUM:")
            else:
                self.emit(indent, f"if {value}.__class__ in NUM:")
                self.emit(indent + 1, f"{var} = {value} {op} {literal}")
                self.emit(indent, f"elif {value} is None:")
                self.emit(indent + 1, f"{var} = False")
                self.emit(indent, "else:")
                self.emit(indent + 1, fallback)
                return True
            self.emit(indent + 1, f"{var} = {value} {op} {literal}")
            self.emit(indent, "else:")
            self.emit(indent + 1, fallback)
            return True
        self.emit(indent, f"{var} = TRUTHY({self._read_path(node, scopes, indent)})")
        return True

    def _inlinable(self, node: dict, scopes) -> bool:
        kind = node.get("type")
        if kind in ("and_expression", "or_expression"):
            return all(self._inlinable(c, scopes) for c in node["children"])
        if kind == "not_expression":
            return self._inlinable(node["children"][0], scopes)
        if kind == "comparator":
            left, right = node["children"]
            left_path = simple_path_of(left)
            if left_path is None or right.get("type") != "literal" or self._resolve(left_path, scopes)[0] is None:
                return False
            literal = right["value"].__class__
            return literal in (int, Decimal) or (literal is str and node["value"] in ("eq", "ne"))
        steps = indexed_path_of(node)
        if not steps or steps[0].__class__ is not str or any(s.__class__ is int and s < 0 for s in steps):
            return False
        named = _named_prefix(steps)
        return self._resolve(named, scopes)[0] is not None

    def _read_path(self, node: dict, scopes: list[str], indent: int) -> str:
        """A variable holding the value of the path ``node`` (fields and indexes >= 0; _inlinable): its
        leading fields read (and remembered) as any path, then each step as the interpreter takes it —
        a field of an object, an index of a list, null past its end or on anything else."""
        steps = indexed_path_of(node)
        assert steps
        named = _named_prefix(steps)
        base, rest = self._resolve(named, scopes)
        assert base is not None
        value = self._path_value(base, rest, indent)
        for step in steps[len(named):]:
            var, key = self.tmp("p"), self.bind(step)
            if step.__class__ is int:
                self.emit(indent, f"{var} = {value}[{key}] if {value}.__class__ is list and len({value}) > {key} "
                                  "else None")
            else:
                self.emit(indent, f"{var} = {value}.get({key}) if {value}.__class__ is dict else None")
            value = var
        return value


def _named_prefix(steps: tuple) -> tuple:
    """The leading field names of a path's steps (up to its first index)."""
    count = 0
    while count < len(steps) and steps[count].__class__ is str:
        count += 1
    return steps[:count]
