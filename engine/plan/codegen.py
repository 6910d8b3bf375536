"""Mapping nodes -> one Python function per flow, generated and compiled once.

Why generate source: closures ran at 0.55x a hand-written mapping, generated code (dict displays,
paths read once per block, transforms inlined or fused) at about 1.0x (bench/README.md). Safety rule:
**no spec value is ever pasted into the code text**. Field names, constants, compiled expressions and
transform closures are bound as arguments of a factory function (``K0``, ``K1``, ...); the text holds
only generated identifiers and small integers, so no spec can inject code.

Semantics kept identical to the interpreter one would write by hand:
* a plain dotted path ``a.b.c`` is read with ``dict.get`` (null when a step is missing or not an
  object), anything else goes through the compiled JMESPath;
* ``_parent`` as the first step of a path inside ``each`` reads the enclosing record; ``_index``
  (0-based) and ``_position`` (1-based) read the item's place in its list. A loop numbers its items
  (``enumerate``) only when an expression within it names them: a mapping without them pays nothing;
* conditions of the form ``path OP literal`` (and ``&&``, ``||``, ``!`` of them) are inlined when the
  value is a number (a text for ``==``/``!=`` a text); otherwise they fall back to the full JMESPath
  evaluation, so a text compared with a number raises a located error instead of silently being
  false (codegen_cond.py);
* a condition is true unless it is null, false, empty text/list/object or the number zero.
"""
from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any, Callable

from engine.errors import OperatorError, RecordError, TransformError
from engine.lang.expr import CompiledExpr
from engine.plan.fuse import fuse_steps, inline_call
from engine.plan.codegen_cond import Conditions
from engine.plan.codegen_rt import NUM, Relocate, iter_list, missing, render_field, truthy, with_parent
from engine.plan.mapping import OMIT, ListNode, ObjNode, ValueNode
from engine.plan.positions import POSITIONS, names_position, uses_position, with_position


class CodeGen(Conditions):
    """Generates the mapper. The fast variant carries no per-field bookkeeping; on the first failure
    a *traced* twin (``F = n`` before each field) is generated from the same nodes and re-run on the
    record to name the field, its spec location and the list position (mappings are pure, so the
    failure repeats)."""

    def __init__(self, name: str, traced: bool = False):
        self.name = name
        self.traced = traced
        self.lines: list[str] = []
        self.args: list[Any] = []
        self._arg_ids: dict[tuple[type, Any], str] = {}
        self.fields: list[tuple[tuple, Any, tuple]] = []  # (output path, loc, loop index vars)
        self.counter = 0
        self.index_of: dict[str, str] = {}  # item scope variable -> its index variable (numbered loops)
        self.memo: dict[tuple, tuple[str, int]] = {}  # (scope, steps) -> (variable, indent) read already

    # -- small helpers -------------------------------------------------------------------------
    def bind(self, value: Any) -> str:
        """A name for ``value`` in the generated code (the value itself never enters the text)."""
        if isinstance(value, (str, int, Decimal, bool)) or value is None:
            key = (type(value), value)
            name = self._arg_ids.get(key)
            if name is None:
                name = f"K{len(self.args)}"
                self.args.append(value)
                self._arg_ids[key] = name
            return name
        name = f"K{len(self.args)}"
        self.args.append(value)
        return name

    def tmp(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def emit(self, indent: int, line: str) -> None:
        self.forget_deeper(indent)
        self.lines.append("    " * indent + line)

    def forget_deeper(self, indent: int) -> None:
        """Code at ``indent`` is past the blocks more indented: the paths read there are unknown."""
        if self.memo:
            self.memo = {key: got for key, got in self.memo.items() if got[1] <= indent}

    # -- entry point ---------------------------------------------------------------------------
    def build(self, root: ObjNode) -> tuple[Callable[[dict], dict], str]:
        body_start = len(self.lines)
        if self.traced:
            self.emit(2, "F = 0")
        self.emit(2, "try:")
        self.gen_object(root, "o0", ["s0"], [], 3)
        self.emit(3, "return o0")
        self.emit(2, "except Exception as e:")
        self.emit(3, "raise FAIL(F, e, locals()) from None" if self.traced else "raise FAIL(e, s0) from None")
        body = self.lines[body_start:]
        fail = self._fail if self.traced else \
            Relocate(lambda: CodeGen(self.name, traced=True).build(root)[0])
        helpers = {"TRUTHY": truthy, "ITER": iter_list, "WITH_PARENT": with_parent, "WITH_POS": with_position,
                   "MISSING": missing, "NUM": NUM, "COPY": copy.deepcopy, "FAIL": fail}
        helper_names = list(helpers)
        params = ", ".join(helper_names + [f"K{i}" for i in range(len(self.args))])
        source = "\n".join([f"def make({params}):", "    def mapper(s0):", *body, "    return mapper", ""])
        namespace: dict = {"__builtins__": {"len": len, "dict": dict, "list": list, "str": str, "int": int,
                                            "locals": locals, "Exception": Exception, "enumerate": enumerate}}
        code = compile(source, f"<passerelle mapping {self.name}>", "exec")
        exec(code, namespace)  # noqa: S102 - the text contains generated identifiers only
        mapper = namespace["make"](*helpers.values(), *self.args)
        return mapper, source

    def _fail(self, index: int, exc: Exception, scope: dict) -> RecordError:
        if isinstance(exc, RecordError):
            return exc
        if isinstance(exc, OperatorError):  # the machine, not the record (the run state locked): stop
            raise exc
        path, loc, loops = self.fields[index] if index < len(self.fields) else ((), None, ())
        positions = [len(scope[v]) if isinstance(scope.get(v), list) else None for v in loops]
        reason = str(exc) if isinstance(exc, TransformError) else \
            f"internal error: {type(exc).__name__}: {exc}"
        return RecordError(reason, field=render_field(path, positions), loc=loc)

    # -- objects, lists, values ----------------------------------------------------------------
    def gen_object(self, obj: ObjNode, target: str, scopes: list[str], loops: list[str],
                   indent: int) -> None:
        """``target = {...}``. The fast mapper puts the leading fields that are always set in one dict
        display (values that need statements are computed first, in field order); from the first
        conditional field on, fields are set one by one, so the keys keep the spec's order."""
        entries: list[str] | None = None if self.traced else []
        if entries is None:
            self.emit(indent, f"{target} = {{}}")
        for key, node in obj.fields:
            key_name = self.bind(key)
            if entries is not None and (isinstance(node, ListNode) or always_sets(node)):
                if isinstance(node, ListNode):
                    entries.append(f"{key_name}: {self.gen_list(node, scopes, loops, indent)}")
                elif node.when is None:
                    got: list[str] = []
                    self.gen_value(node, lambda value, _: got.append(value), scopes, loops, indent)
                    entries.append(f"{key_name}: {got[0]}")
                else:  # `when` with `else`: each branch sets a variable
                    var = self.tmp("w")
                    self.gen_value(node, self._assign_to(var), scopes, loops, indent)
                    entries.append(f"{key_name}: {var}")
                continue
            if entries is not None:
                self.emit(indent, f"{target} = {{{', '.join(entries)}}}")
                entries = None
            if isinstance(node, ListNode):
                self.emit(indent, f"{target}[{key_name}] = {self.gen_list(node, scopes, loops, indent)}")
            else:
                self.gen_value(node, self._assign_to(f"{target}[{key_name}]"), scopes, loops, indent)
        if entries is not None:
            self.emit(indent, f"{target} = {{{', '.join(entries)}}}")

    def _assign_to(self, slot: str) -> Callable[[str, int], None]:
        def assign(value: str, indent: int) -> None:
            self.emit(indent, f"{slot} = {value}")
        return assign

    def field_index(self, node, loops: list[str]) -> int:
        self.fields.append((node.path, node.loc, tuple(loops)))
        return len(self.fields) - 1

    def mark(self, indent: int, node, loops: list[str]) -> None:
        if self.traced:
            self.emit(indent, f"F = {self.field_index(node, loops)}")

    def gen_list(self, node: ListNode, scopes: list[str], loops: list[str], indent: int) -> str:
        out = self.tmp("l")
        self.emit(indent, f"{out} = []")
        loops = loops + [out]
        for item in node.items:
            value = item.value
            if item.each is None:
                self.gen_value(value, lambda v, ind: self.emit(ind, f"{out}.append({v})"), scopes,
                               loops, indent, in_list=True)
                continue
            self.mark(indent, value, loops)
            source = self.as_var(self.read_expr(item.each, scopes, indent), indent)
            items = f"({source} if {source}.__class__ is list else ITER({source}, {self.bind(item.each.text)}))"
            scope = self.tmp("s")
            if uses_position(value):
                self.index_of[scope] = index = self.tmp("i")
                self.emit(indent, f"for {index}, {scope} in enumerate({items}):")
            else:
                self.emit(indent, f"for {scope} in {items}:")
            self.gen_value(value, lambda v, ind: self.emit(ind, f"{out}.append({v})"),
                           scopes + [scope], loops, indent + 1, in_list=True)
        return out

    def gen_value(self, node: ValueNode, store: Callable[[str, int], None], scopes: list[str],
                  loops: list[str], indent: int, in_list: bool = False) -> None:
        self.mark(indent, node, loops)
        if node.when is not None:
            cond = self.gen_condition(node.when, scopes, indent)
            self.emit(indent, f"if {cond}:")
            self.gen_body(node, store, scopes, loops, indent + 1)
            if node.otherwise is not OMIT:
                self.emit(indent, "else:")
                if isinstance(node.otherwise, ValueNode):
                    self.gen_value(node.otherwise, store, scopes, loops, indent + 1, in_list)
                else:
                    store(self.const_expr(node.otherwise), indent + 1)
        else:
            self.gen_body(node, store, scopes, loops, indent)

    def gen_body(self, node: ValueNode, store, scopes, loops, indent) -> None:
        """The value as one expression (transforms are nested calls, consecutive ones fused where a
        transform offers it); a variable only when it is tested (required, omit_null)."""
        if node.obj is not None:
            value = self.tmp("v")
            self.gen_object(node.obj, value, scopes, loops, indent)
        elif node.expr is not None:
            value = self.read_expr(node.expr, scopes, indent)
        else:
            value = self.const_expr(node.const)
        for step in fuse_steps(node.transforms):
            fn = self.bind(step.fn)
            inline = None if step.needs_scope else getattr(step.fn, "inline", None)
            if inline is not None:  # the transform's common case written out (plan/fuse.py)
                value = inline_call(inline, self.as_var(value, indent), fn, self.bind)
                continue
            scope = scopes[-1] if len(scopes) == 1 else self._chain(scopes, step.reads)
            value = f"{fn}({value}, {scope})" if step.needs_scope else f"{fn}({value})"
        var = value
        if node.required or node.omit_null:
            var = self.tmp("v")
            self.emit(indent, f"{var} = {value}")
        if node.required:
            self.emit(indent, f"if {var} is None: MISSING()")
        if node.omit_null:
            self.emit(indent, f"if {var} is not None:")
            store(var, indent + 1)
        else:
            store(var, indent)

    def as_var(self, value: str, indent: int) -> str:
        """``value`` itself when it is a name, else a variable set to it (an expression used twice)."""
        if value.isidentifier():
            return value
        var = self.tmp("t")
        self.emit(indent, f"{var} = {value}")
        return var

    def const_expr(self, value: Any) -> str:
        if isinstance(value, (dict, list)):
            return f"COPY({self.bind(value)})"
        return self.bind(value)

    # -- reading paths -------------------------------------------------------------------------
    def read_expr(self, expr: CompiledExpr, scopes: list[str], indent: int) -> str:
        """An expression giving the value of ``expr`` (statements emitted for the steps before it)."""
        path = expr.simple_path
        if path is not None:
            base, rest = self._resolve(path, scopes)
            if base is not None:
                return self._path_value(base, rest, indent)
        return f"{self.bind(expr)}.search({self.scope_expr(expr, scopes)})"

    def scope_expr(self, expr: CompiledExpr, scopes: list[str]) -> str:
        if len(scopes) == 1 or ("_parent" not in expr.text and not names_position(expr.text)):
            return scopes[-1]
        return self._chain(scopes, expr.text)

    def _chain(self, scopes: list[str], text: str = "") -> str:
        """The current item with ``_parent`` (and ``_parent._parent``...) attached, and the positions
        of the numbered loops when ``text`` (blank: unknown) may name them."""
        scope = scopes[0]
        positions = not text or names_position(text)
        for inner in scopes[1:]:
            index = self.index_of.get(inner) if positions else None
            scope = f"WITH_PARENT({inner}, {scope})" if index is None else f"WITH_POS({inner}, {scope}, {index})"
        return scope

    def _resolve(self, path: tuple, scopes: list[str]) -> tuple[str | None, tuple]:
        """``_resolve_parent``, plus ``_index``/``_position`` of a numbered loop read as its counter."""
        base, rest = _resolve_parent(path, scopes)
        index = self.index_of.get(base) if base is not None else None
        if index is not None and rest and rest[0] in POSITIONS:
            return (index if rest[0] == "_index" else f"({index} + 1)"), rest[1:]
        return base, rest

    def _is_dict(self, value: str, indent: int) -> str:
        """A variable telling whether ``value`` is an object, tested once per block."""
        got = self.memo.get(("is dict", value))
        if got is None:
            got = (self.tmp("d"), indent)
            self.emit(indent, f"{got[0]} = {value}.__class__ is dict")
            self.memo[("is dict", value)] = got
        return got[0]

    def _path_value(self, base: str, rest: tuple, indent: int) -> str:
        """A variable holding ``base.rest`` (null when a step is missing or not an object). Every step
        read is kept for the lines after it in the same block (``memo``): a path or a prefix read
        again (``detail.tax.rate`` after ``detail.reduction_percent``) costs nothing."""
        value = base
        self.forget_deeper(indent)
        for depth in range(1, len(rest) + 1):
            got = self.memo.get((base, rest[:depth]))
            if got is not None:
                value = got[0]
                continue
            var, step = self.tmp("p"), self.bind(rest[depth - 1])
            if value == "s0":  # the record itself is always an object
                self.emit(indent, f"{var} = s0.get({step})")
            else:
                self.emit(indent, f"{var} = {value}.get({step}) if {self._is_dict(value, indent)} else None")
            self.memo[(base, rest[:depth])] = (var, indent)
            value = var
        return value


def always_sets(node: ValueNode) -> bool:
    """Whether the field is set whatever the record (no omit_null; a `when` has an `else` that is)."""
    if node.omit_null:
        return False
    if node.when is None:
        return True
    other = node.otherwise
    return other is not OMIT and (not isinstance(other, ValueNode) or always_sets(other))


def _resolve_parent(path: tuple, scopes: list[str]):
    """Split leading ``_parent`` steps off ``path``: (scope variable, remaining steps)."""
    depth = 0
    while depth < len(path) and path[depth] == "_parent":
        depth += 1
    if depth >= len(scopes):
        return None, ()
    return scopes[-1 - depth], path[depth:]


def generate(name: str, root: ObjNode) -> tuple[Callable[[dict], dict], str]:
    """Compile the mapping tree of flow ``name`` into ``mapper(record) -> payload``."""
    return CodeGen(name).build(root)
