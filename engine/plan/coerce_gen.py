"""Typing source records with generated code (the per-record half of :mod:`engine.plan.coerce`).

:func:`engine.plan.coerce.compile_types` turns the declarations into a tree (``("leaf", type)``,
``("dict", {name: node})``, ``("list", node)``); :mod:`~engine.plan.coerce` compiles it into small
closures, one call per node and per value. Typing every record of a large export through them costs
more than the conversions themselves, so this module writes, once per tree, one Python function per
dict node with every field inlined: the common value of each type (a plain ASCII-digit text for
``int``, a plain decimal text for ``decimal``) is converted in place, anything else goes to that
type's converter in :mod:`~engine.plan.coerce`, which stays the rule (same value, same failure with
the same concrete path). A list of items is one comprehension; when an item fails, the list is typed
again by the general closure, which names the failing index (typing never changes its input, so the
second pass fails at the same place). ``tests/unit/test_coerce_gen.py`` compares both (hypothesis).
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

Node = tuple  # ("leaf", type) | ("dict", {name: node}) | ("list", node)


class _Writer:
    """Source of the functions of one tree, and the objects they refer to by name."""

    def __init__(self, converters: dict[str, Callable], general: Callable[[Node], Callable],
                 fail: type, plain_decimal: Callable):
        self.converters, self.general = converters, general
        self.names: dict[str, Any] = {"_Fail": fail, "_Decimal": Decimal, "_plain_decimal": plain_decimal,
                                      "_int": int, "_str": str, "_dict": dict, "_list": list,
                                      "_isinstance": isinstance, "_len": len}
        self.lines: list[str] = []

    def ref(self, value: Any) -> str:
        name = f"_r{len(self.names)}"
        self.names[name] = value
        return name

    def node(self, node: Node) -> str:
        """The name of the function typing ``node`` (a leaf's converter, or one written here)."""
        kind, body = node
        if kind == "leaf":
            return self.ref(self.converters[body])
        if kind == "list":
            return self._list(node, self.node(body["[]"]))
        return self._dict(body)

    def _list(self, node: Node, item: str) -> str:
        name, general = f"_list{len(self.names)}", self.ref(self.general(node))
        self.names[name] = None
        self.lines += [f"def {name}(value):",
                       "    if not _isinstance(value, _list):",
                       "        return value",
                       "    try:",
                       f"        return [{item}(element) for element in value]",
                       "    except _Fail:",
                       f"        return {general}(value)  # again, naming the failing index",
                       ""]
        return name

    def _dict(self, fields: dict[str, Node]) -> str:
        inner = {field: self.node(child) for field, child in fields.items() if child[0] != "leaf"}
        name = f"_dict{len(self.names)}"
        self.names[name] = None
        lines = [f"def {name}(value):",
                 "    if not _isinstance(value, _dict):",
                 "        return value",
                 "    out = _dict(value)"]
        for field, child in fields.items():
            key = repr(field)
            lines += [f"    if {key} in out:", f"        v = out[{key}]"]
            fast = _fast(child)
            if fast is not None:
                lines += [f"        if {fast}:", f"            out[{key}] = {_FAST_VALUE[child[1]]}",
                          "        else:", "            try:"]
                indent = "                "
            else:
                lines += ["        try:"]
                indent = "            "
            convert = inner[field] if field in inner else self.ref(self.converters[child[1]])
            lines += [f"{indent}out[{key}] = {convert}(v)",
                      f"{indent[:-4]}except _Fail as fail:",
                      f"{indent}fail.parts.append({key})",
                      f"{indent}raise"]
        self.lines += [*lines, "    return out", ""]
        return name


# The common value of a type, converted without a call (exactly what the converter gives for it).
_FAST_TEST = {"int": "v.__class__ is _str and v.isascii() and v.isdigit() and _len(v) < 19",
              "decimal": "v.__class__ is _str and _plain_decimal(v)"}
_FAST_VALUE = {"int": "_int(v)", "decimal": "_Decimal(v)"}


def _fast(node: Node) -> str | None:
    return _FAST_TEST.get(node[1]) if node[0] == "leaf" else None


def generate_dict(fields: dict[str, Node], converters: dict[str, Callable],
                  general: Callable[[Node], Callable], fail: type, plain_decimal: Callable) -> Callable[[object], object]:
    """``value -> typed value`` for a dict node of the declaration tree (see the module's text)."""
    writer = _Writer(converters, general, fail, plain_decimal)
    top = writer._dict(fields)
    code = compile("\n".join(writer.lines), "<source types>", "exec")
    exec(code, writer.names)  # noqa: S102 - our own text, written from validated field names (repr)
    return writer.names[top]


__all__ = ["generate_dict"]
