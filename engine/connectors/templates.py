"""``{settings.key}``-style templates used in connector definitions, parsed once.

Placeholders are dotted names looked up in a context dict (``settings``, ``value``, ``field``,
``values``, ``offset``, ``count``, ``record``...). ``{{`` and ``}}`` are literal braces. A template
that is only one placeholder keeps the value's type (a number stays a number).
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

_PART = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_.]*)\}")


class TemplateError(ValueError):
    pass


class Template:
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

    def render(self, context: dict) -> Any:
        if self._single:
            return lookup(context, self._parts[0])
        out = []
        for part in self._parts:
            if isinstance(part, tuple):
                value = lookup(context, part)
                out.append(text_of(value))
            else:
                out.append(part)
        return "".join(out)


def lookup(context: dict, path: tuple) -> Any:
    value: Any = context
    for step in path:
        if isinstance(value, dict) and step in value:
            value = value[step]
        else:
            raise TemplateError(f"unknown placeholder {{{'.'.join(path)}}}")
    return value


def text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str):
        return str.__str__(value)  # a Secret renders its real text only inside a request
    return str(value)


def render_tree(value: Any, context: dict) -> Any:
    """Render every string of a nested structure (query params, bodies of token requests)."""
    if isinstance(value, str):
        return Template(value).render(context)
    if isinstance(value, dict):
        return {k: render_tree(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [render_tree(v, context) for v in value]
    return value
