"""``{settings.key}``-style templates of connector definitions, parsed once at compile time.

Placeholders are dotted names looked up in a context dict (``settings``, ``value``, ``field``,
``values``, ``index``, a write's ``with`` values...). ``{{`` and ``}}`` are literal braces. A template
that is only one placeholder keeps the value's type (a number stays a number).

A :class:`~engine.spec.env.Secret` in the context renders as ``***`` unless the caller is the
transport putting the request on the wire (``reveal=True``): a dry-run, a log line or an error
message built from the same template shows the mask.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from engine.spec.env import MASK, Secret

_PART = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_.]*)\}")


class TemplateError(ValueError):
    pass


class Template:
    """A parsed template; ``names`` are its placeholders (``settings.key``, ``id``...)."""

    __slots__ = ("text", "_parts", "_single")

    def __init__(self, text: str):
        self.text = text
        parts: list = []
        pos = 0
        for match in _PART.finditer(text):
            self._literal(text[pos:match.start()], parts)
            token = match.group(0)
            if token in ("{{", "}}"):
                parts.append(token[0])
            else:
                parts.append(tuple(match.group(1).split(".")))
            pos = match.end()
        self._literal(text[pos:], parts)
        self._parts = tuple(parts)
        self._single = len(parts) == 1 and isinstance(parts[0], tuple)

    def _literal(self, segment: str, parts: list) -> None:
        if "{" in segment or "}" in segment:
            raise TemplateError(f"unbalanced brace in template {self.text!r} (write {{{{ or }}}} for a "
                                "literal brace)")
        if segment:
            parts.append(segment)

    @property
    def names(self) -> list[str]:
        return [".".join(p) for p in self._parts if isinstance(p, tuple)]

    @property
    def paths(self) -> list[tuple[str, ...]]:
        return [p for p in self._parts if isinstance(p, tuple)]

    def render(self, context: dict, reveal: bool = False) -> Any:
        if self._single:
            value = lookup(context, self._parts[0])
            return (value.reveal() if reveal else MASK) if isinstance(value, Secret) else value
        out = []
        for part in self._parts:
            if isinstance(part, tuple):
                out.append(text_of(lookup(context, part), reveal))
            else:
                out.append(part)
        return "".join(out)

    def text_for(self, context: dict, reveal: bool = False) -> str:
        return text_of(self.render(context, reveal), reveal)

    def __repr__(self) -> str:
        return f"Template({self.text!r})"


def lookup(context: dict, path: tuple) -> Any:
    value: Any = context
    for step in path:
        if isinstance(value, dict) and step in value:
            value = value[step]
        else:
            raise TemplateError(f"unknown placeholder {{{'.'.join(path)}}}")
    return value


def text_of(value: Any, reveal: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, Secret):
        return value.reveal() if reveal else MASK
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str):
        return value
    return str(value)


TreeRenderer = Callable[[dict, bool], Any]


def compile_tree(value: Any) -> TreeRenderer:
    """A renderer for every string of a nested structure (query params, token request bodies, SOAP
    settings), parsed once: ``render(context, reveal) -> value``."""
    if isinstance(value, str):
        template = Template(value)

        def render_text(context: dict, reveal: bool = False) -> Any:
            return template.render(context, reveal)

        return render_text
    if isinstance(value, dict):
        items = [(key, compile_tree(item)) for key, item in value.items()]

        def render_dict(context: dict, reveal: bool = False) -> Any:
            return {key: render(context, reveal) for key, render in items}

        return render_dict
    if isinstance(value, list):
        renderers = [compile_tree(item) for item in value]

        def render_list(context: dict, reveal: bool = False) -> Any:
            return [render(context, reveal) for render in renderers]

        return render_list

    def constant(context: dict, reveal: bool = False) -> Any:
        return value

    return constant


def tree_templates(value: Any, path: tuple = ()) -> list[tuple[tuple, str]]:
    """Every template string of a nested structure with its path (to check placeholders)."""
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in tree_templates(item, path + (key,))]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in tree_templates(item, path + (index,))]
    return []


def render_tree(value: Any, context: dict, reveal: bool = False) -> Any:
    """Render a nested structure once (for a value that is not worth compiling)."""
    return compile_tree(value)(context, reveal)
