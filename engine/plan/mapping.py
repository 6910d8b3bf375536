"""From a flow's ``map:`` (plain data) to a small tree of mapping nodes, checked and located.

Every JMESPath is compiled here, every transform factory runs here, and every problem becomes a
diagnostic pointing at the spec. The node tree is then turned into one Python function by
``codegen`` (nothing is parsed per record).
"""
from __future__ import annotations

from dataclasses import field
from typing import Any, Callable

from engine.checks.expr_lint import check_expression
from engine.errors import Diagnostic, Loc
from engine.lang import names as reserved
from engine.lang.expr import CompiledExpr, ExprError, compile_expression
from engine.lang.registry import ArgError, Registry
from engine.plan.args_check import args_validator
from engine.schema.validate import FIELD_SPEC_KEYS
from engine.util.records import mutable
from engine.util.suggest import hint_for
from engine.spec.yamlsrc import YamlDoc, format_path

OMIT = object()  # `when` false and no `else`: the field is left out
MAX_NESTING = 48  # values within values: `map` in `map`, `when` in `else`, lists in lists
MAX_LIST_NESTING = 12  # lists made with `each` within each other (the mapper nests a loop per level)


@mutable
class Transform:
    """One transform step of a value: its name and the function applying it."""

    name: str
    fn: Callable
    needs_scope: bool
    reads: str = ""  # what a transform reading the scope was given (its `from`), for the code generator


@mutable
class ValueNode:
    """One produced value: a source (expression, constant or nested object) and what follows."""

    path: tuple  # output path; None marks a list position (filled in at run time)
    loc: Loc
    expr: CompiledExpr | None = None
    const: Any = None
    obj: "ObjNode | None" = None
    transforms: list[Transform] = field(default_factory=list)
    when: CompiledExpr | None = None
    otherwise: Any = OMIT  # OMIT, a constant, or a ValueNode
    required: bool = False
    omit_null: bool = False


@mutable
class ListItemNode:
    """One entry of a list spec: a value, or one value per element of ``each``."""

    value: ValueNode
    each: CompiledExpr | None = None


@mutable
class ListNode:
    """A produced list: its entries, in order."""

    path: tuple
    loc: Loc
    items: list[ListItemNode]


@mutable
class ObjNode:
    """A produced object: its fields, in order."""

    fields: list[tuple[str, "ValueNode | ListNode"]]


class MappingBuilder:
    """Builds nodes for one flow; collects diagnostics instead of stopping at the first."""

    def __init__(self, doc: YamlDoc, base: tuple, registry: Registry, ctx, diags: list[Diagnostic],
                 scope_names: frozenset[str] = frozenset()):
        self.doc = doc
        self.scope_names = scope_names  # the reserved `_` names of the flow's scope (fan-out: _index...)
        self.names = scope_names  # those valid where the builder stands (an `each` item adds its own)
        self.base = base  # path of the flow in the document, e.g. ('flows', 'orders_to_sage')
        self.registry = registry
        self.ctx = ctx
        self.diags = diags
        self.depth = 0  # values being built within each other
        self.loops = 0  # of them, lists made with `each`
        self.too_deep = False  # reported once per flow (aliases can repeat a deep node many times)

    # -- helpers -------------------------------------------------------------------------------
    def error(self, code: str, message: str, path: tuple, hint: str | None = None,
              at_key: bool = False, offset: int = 0) -> None:
        full = self.base + path
        loc = self.doc.key_loc(full) if at_key else self.doc.loc(full)
        if offset:
            loc = loc.shifted(offset + (1 if self.doc.styles.get(full) in ("'", '"') else 0))
        self.diags.append(Diagnostic(code, message, loc, format_path(full), hint))

    def expression(self, text: Any, path: tuple, what: str) -> CompiledExpr | None:
        if not isinstance(text, str):
            return None  # the schema reported it
        try:
            compiled = compile_expression(text)
        except ExprError as exc:
            shown = text if len(text) <= 120 else text[:119] + "…"
            self.error("bad-expression", f"invalid {what} {shown!r}: {exc.message}", path,
                       hint="JMESPath syntax: a.b, a[0], a[?x > `1`], f(a) — quote the whole value "
                            "in YAML if it contains ': ' or starts with a special character",
                       offset=exc.offset)
            return None
        full = self.base + path
        start = self.doc.loc(full).shifted(1 if self.doc.styles.get(full) in ("'", '"') else 0)
        self.diags.extend(check_expression(text, self.names, start, format_path(full)))
        return compiled

    def build_root(self, spec: Any, path: tuple, extra: frozenset[str] = frozenset()) -> ObjNode:
        """A whole ``map`` whose scope also holds ``extra`` (``_target`` in `acknowledge`)."""
        self.names = self.scope_names | extra
        try:
            return self.build_object(spec, path)
        finally:
            self.names = self.scope_names

    def _deeper(self, path: tuple, each: bool = False) -> bool:
        """Enter one more level (``each``: a list made per element); False past the bounds, with one
        located error at the first node too deep (YAML aliases can nest without limit, and the
        generated mapper nests a block per level)."""
        if self.depth >= MAX_NESTING or (each and self.loops >= MAX_LIST_NESTING):
            if not self.too_deep:
                self.too_deep = True
                lists = self.depth < MAX_NESTING
                what = (f"lists made with `each` nested more than {MAX_LIST_NESTING} levels deep" if lists
                        else f"values nested more than {MAX_NESTING} levels deep (`map` within `map`, "
                        "`when`/`else` within `else`, lists within lists)")
                self.error("too-deep", what, path, at_key=True,
                           hint="flatten the lists (a JMESPath projection such as rows[].taxes[])" if lists
                           else "flatten the mapping: a lookup table instead of a ladder of when/else, "
                                "fewer nested objects")
            return False
        self.depth += 1
        self.loops += each
        return True

    def _leave(self, each: bool = False) -> None:
        self.depth -= 1
        self.loops -= each

    # -- objects and fields --------------------------------------------------------------------
    def build_object(self, spec: Any, path: tuple, out: tuple = ()) -> ObjNode:
        fields: list = []
        if not isinstance(spec, dict) or not self._deeper(path):
            return ObjNode(fields)
        try:
            return self._build_object(spec, path, out, fields)
        finally:
            self._leave()

    def _build_object(self, spec: dict, path: tuple, out: tuple, fields: list) -> ObjNode:
        for key, entry in spec.items():
            sub = path + (key,)
            sub_out = out + (key,)
            if isinstance(entry, list):
                fields.append((key, self.build_list(entry, sub, sub_out)))
            elif isinstance(entry, dict):
                if any(k in entry for k in FIELD_SPEC_KEYS):
                    fields.append((key, self.build_value(entry, sub, sub_out)))
                else:
                    fields.append((key, ValueNode(sub_out, self.doc.loc(self.base + sub),
                                                  obj=self.build_object(entry, sub, sub_out))))
        return ObjNode(fields)

    def build_list(self, entries: list, path: tuple, out: tuple) -> ListNode:
        items: list[ListItemNode] = []
        for index, entry in enumerate(entries):
            sub = path + (index,)
            if not isinstance(entry, dict):
                continue
            each = "each" in entry
            if not self._deeper(sub, each):
                break
            try:
                self._build_item(entry, sub, out, items)
            finally:
                self._leave(each)
        return ListNode(out, self.doc.loc(self.base + path), items)

    def _build_item(self, entry: dict, sub: tuple, out: tuple, items: list) -> None:
        has_body = any(k in entry for k in ("map", "from", "value"))
        # a misspelt key is reported by the schema with a "did you mean"; don't pile on
        misspelt = any(k not in FIELD_SPEC_KEYS and k != "description" for k in entry)
        if not has_body and not misspelt:
            self.error("incomplete-item", "an `each` item needs `map` (an object per element) or "
                       "`from` (a value per element)" if "each" in entry else
                       "a list item needs `map`, `from` or `value`", sub)
        each = self.expression(entry["each"], sub + ("each",), "list path") if "each" in entry else None
        outer = self.names
        if "each" in entry:  # the element's scope: the element, its parent and its position
            self.names = outer | {reserved.PARENT, reserved.INDEX, reserved.POSITION}
        try:
            items.append(ListItemNode(self.build_value(entry, sub, out + (None,)), each))
        finally:
            self.names = outer

    def build_value(self, spec: dict, path: tuple, out: tuple) -> ValueNode:
        node = ValueNode(out, self.doc.loc(self.base + path))
        if not self._deeper(path):
            return node
        try:
            return self._build_value(spec, path, node)
        finally:
            self._leave()

    def _build_value(self, spec: dict, path: tuple, node: ValueNode) -> ValueNode:
        out = node.path
        sources = [k for k in ("from", "value", "map") if k in spec]
        if len(sources) > 1:
            self.error("conflicting-keys", f"use only one of `from`, `value`, `map` (found "
                       f"{', '.join(sources)})", path + (sources[1],), at_key=True)
        if "from" in spec:
            node.expr = self.expression(spec["from"], path + ("from",), "source path")
        elif "value" in spec:
            node.const = spec["value"]
        elif "map" in spec:
            node.obj = self.build_object(spec["map"], path + ("map",), out)
        elif "each" not in spec and any(k in spec for k in ("when", "transform", "required", "omit_null", "else")):
            self.error("missing-source", "say where the value comes from: `from: PATH` or "
                       "`value: CONST`", path)
        if "each" in spec and not (path and isinstance(path[-1], int)):
            self.error("each-outside-list", "`each` builds list items: write this field as a list, "
                       "`- each: ...`", path + ("each",), at_key=True,
                       hint="put a dash before `each:` so the field holds a list")
        if "when" in spec:
            node.when = self.expression(spec["when"], path + ("when",), "condition")
        if "else" in spec:
            if "when" not in spec:
                self.error("else-without-when", "`else` only applies with `when`", path + ("else",),
                           at_key=True)
            other = spec["else"]
            if isinstance(other, dict) and any(k in other for k in ("from", "value", "map")):
                node.otherwise = self.build_value(other, path + ("else",), out)
            else:
                node.otherwise = other
        node.required = spec.get("required") is True
        node.omit_null = spec.get("omit_null") is True
        if node.required and node.omit_null:
            self.error("conflicting-keys", "`required` and `omit_null` contradict each other",
                       path + ("omit_null",), at_key=True)
        if "transform" in spec:
            node.transforms = self.build_pipeline(spec["transform"], path + ("transform",))
        return node

    # -- transforms ----------------------------------------------------------------------------
    def build_pipeline(self, spec: Any, path: tuple) -> list[Transform]:
        steps = spec if isinstance(spec, list) else [spec]
        out = []
        for index, step in enumerate(steps):
            sub = path + (index,) if isinstance(spec, list) else path
            built = self.build_transform(step, sub)
            if built is not None:
                out.append(built)
        return out

    def build_transform(self, step: Any, path: tuple) -> Transform | None:
        known = self.registry.names("transform")
        if isinstance(step, str):
            name, args, written_bare = step, None, True
        elif isinstance(step, dict) and len(step) == 1:
            (name, args), written_bare = next(iter(step.items())), False
        else:
            self.error("bad-transform", "a transform is a name (`upper`) or a one-key mapping "
                       "(`{prefix: PS_}`)", path)
            return None
        spec = self.registry.get("transform", name)
        if spec is None:
            self.error("unknown-transform", f"unknown transform '{name}'",
                       path if written_bare else path + (name,), hint_for(name, known, "transforms"),
                       at_key=not written_bare)
            return None
        arg_path = path + (name,)
        if written_bare and spec.args_schema is not None and not spec.args_optional:
            example = _example_args(spec)
            self.error("missing-argument", f"transform '{name}' needs an argument", path,
                       f"write {{{name}: {example}}}")
            return None
        if not written_bare and spec.args_schema is None:
            self.error("unexpected-argument", f"transform '{name}' takes no argument", arg_path,
                       f"write it as a bare name: `{name}`")
            return None
        if not written_bare and not self._args_valid(spec, args, arg_path):
            return None
        try:
            fn = spec.factory(args, self.ctx)
        except ArgError as exc:
            self.error(exc.code or "bad-argument", f"{name}: {exc.message}", arg_path + tuple(exc.at), exc.hint,
                       offset=exc.offset)
            return None
        reads = args.get("from") if spec.needs_scope and isinstance(args, dict) else None
        if isinstance(reads, str):  # `{multiply: {from: PATH}}`: a path read on the scope
            full = self.base + arg_path + ("from",)
            start = self.doc.loc(full).shifted(1 if self.doc.styles.get(full) in ("'", '"') else 0)
            self.diags.extend(check_expression(reads, self.names, start, format_path(full)))
        return Transform(name, fn, spec.needs_scope, reads if isinstance(reads, str) else "")

    def _args_valid(self, spec, args, arg_path) -> bool:
        from engine.schema.validate import error_to_diagnostics
        validator = args_validator(spec)
        found = False
        for error in validator.iter_errors(args):
            found = True
            for diag in error_to_diagnostics(error, self.doc, self.base + arg_path):
                self.diags.append(Diagnostic("bad-argument", f"{spec.name}: {diag.message}", diag.loc,
                                             diag.path, diag.hint or _example_hint(spec)))
        return not found


def _example_args(spec) -> str:
    for example in spec.examples:
        if example.args is not None:
            return _yaml_inline(example.args)
    return "..."


def _example_hint(spec) -> str | None:
    text = _example_args(spec)
    return f"for example {{{spec.name}: {text}}}" if text != "..." else None


def _yaml_inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_yaml_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_inline(v) for v in value) + "]"
    if isinstance(value, str):
        plain = value and value.replace("_", "").isalnum() and not value[0].isdigit() \
            and value not in ("true", "false", "null", "yes", "no", "on", "off")
        return value if plain else f'"{value}"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
