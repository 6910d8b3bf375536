"""What protocol hooks use while compiling a connector definition: located errors, templates whose
placeholders are checked, compiled expressions."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from engine.connectors.base import FilterSupport, SettingDecl
from engine.connectors.templates import Template, TemplateError, TreeRenderer, compile_tree, tree_templates
from engine.errors import Diagnostic, Loc
from engine.lang.expr import CompiledExpr, ExprError, compile_expression
from engine.util.suggest import hint_for

Locate = Callable[[tuple], Loc | None]


def _label(path: Iterable) -> str:
    out = "connector"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


class ConnectorCompiler:
    """What protocol hooks use to compile their part: located errors, templates, expressions."""

    def __init__(self, name: str, locate: Locate, settings: Mapping[str, SettingDecl]):
        self.name = name
        self.locate = locate
        self.settings = settings
        self.diagnostics: list[Diagnostic] = []

    def error(self, code: str, message: str, path: tuple, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, self.locate(path), _label(path), hint))

    def template(self, text: Any, path: tuple, *, allowed: Iterable[str] = (),
                 needs: set | None = None) -> Template | None:
        """A parsed template whose placeholders are ``settings.NAME``, one of ``allowed``, or (when
        ``needs`` is given) a value the flow supplies, collected into ``needs``."""
        if not isinstance(text, str):
            return None
        try:
            template = Template(text)
        except TemplateError as exc:
            self.error("bad-template", str(exc), path)
            return None
        allowed = set(allowed)
        for parts in template.paths:
            root = parts[0]
            if root == "settings":
                if len(parts) != 2 or parts[1] not in self.settings:
                    shown = ".".join(parts)
                    self.error("unknown-placeholder", f"{{{shown}}} is not a setting of connector "
                               f"'{self.name}'", path, hint_for(parts[1] if len(parts) > 1 else "",
                                                              self.settings, "settings"))
            elif root in allowed:
                continue
            elif needs is not None:
                needs.add(root)
            else:
                known = ", ".join(f"{{{name}}}" for name in sorted(allowed | {"settings.NAME"}))
                self.error("unknown-placeholder", f"unknown placeholder {{{'.'.join(parts)}}}", path,
                           f"known here: {known}")
        return template

    def tree(self, value: Any, path: tuple, *, allowed: Iterable[str] = (),
             needs: set | None = None) -> TreeRenderer | None:
        """A nested structure of templates (query params, token request bodies, SOAP settings)."""
        if value is None:
            return None
        ok = True
        for sub, text in tree_templates(value):
            before = len(self.diagnostics)
            self.template(text, path + sub, allowed=allowed, needs=needs)
            ok = ok and len(self.diagnostics) == before
        return compile_tree(value) if ok else None

    def expression(self, text: Any, path: tuple, what: str = "expression") -> CompiledExpr | None:
        if not isinstance(text, str):
            return None
        try:
            return compile_expression(text)
        except ExprError as exc:
            self.error("bad-expression", f"invalid {what} {text!r}: {exc.message}", path)
            return None


def filter_support(spec: Mapping | None) -> FilterSupport | None:
    """A declared filter (``where``/``since``/``keys``) and the fields it accepts (any when unsaid)."""
    if not spec:
        return None
    fields = spec.get("fields")
    return FilterSupport(frozenset(fields) if isinstance(fields, list) else None)
