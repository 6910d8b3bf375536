"""GraphQL document parser for the Shopify simulator: tokens, AST, syntax errors.

Supported: operations (``query``/``mutation``, the anonymous ``{…}`` shorthand), variable definitions with
types and defaults, fields with arguments (literals, variables, lists, input objects, enums, block
strings), aliases, nested selection sets, inline fragments ``... on Type { … }``, directives, comments
and commas. Named fragments and subscriptions are refused with an error. Syntax errors read like
Shopify's: ``syntax error, unexpected NAME ("foo") at [line, column]`` with ``locations``.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EnumValue", "Field", "GqlError", "Inline", "Operation", "Var", "parse"]

_TOKEN = re.compile(r'''
  (?P<skip>[\s,\ufeff]+|\#[^\n\r]*)
| (?P<spread>\.\.\.)
| (?P<punct>[!$&():=@\[\]{}|])
| (?P<block>"""(?:\\"""|[^"]|"(?!""))*""")
| (?P<string>"(?:\\u[0-9A-Fa-f]{4}|\\["\\/bfnrt]|[^"\\\n\r])*")
| (?P<number>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
| (?P<name>[_A-Za-z][_0-9A-Za-z]*)
''', re.X)


class GqlError(Exception):
    """One GraphQL error (rendered in the ``errors`` array)."""

    def __init__(self, message: str, loc: tuple[int, int] | None = None, code: str | None = None,
                 path: list | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message, self.loc, self.code, self.path, self.extra = message, loc, code, path, extra

    def render(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message}
        if self.loc:
            out["locations"] = [{"line": self.loc[0], "column": self.loc[1]}]
        if self.path:
            out["path"] = self.path
        if self.code:
            out["extensions"] = {"code": self.code, **self.extra}
        return out


@dataclass
class Field:
    name: str
    alias: str
    args: dict[str, Any]
    selections: list | None
    loc: tuple[int, int]
    directives: list = field(default_factory=list)


@dataclass
class Inline:
    on: str | None
    selections: list
    loc: tuple[int, int]
    directives: list = field(default_factory=list)


@dataclass
class Var:
    name: str


@dataclass
class EnumValue:
    name: str


@dataclass
class Operation:
    kind: str
    name: str | None
    variables: dict[str, tuple[str, Any]]  # name -> (type text, default)
    selections: list
    loc: tuple[int, int]


# -- parsing -------------------------------------------------------------------------------------

class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None:
                raise GqlError(f'syntax error, unexpected invalid token ("{text[pos]}") at '
                               f'[{self._lc(pos)[0]}, {self._lc(pos)[1]}]', self._lc(pos))
            if match.lastgroup != "skip":
                self.tokens.append((match.lastgroup, match.group(), pos))
            pos = match.end()
        self.tokens.append(("eof", "", len(text)))
        self.i = 0

    def _lc(self, pos: int) -> tuple[int, int]:
        line = self.text.count("\n", 0, pos) + 1
        return line, pos - (self.text.rfind("\n", 0, pos) + 1) + 1

    def peek(self, value: str | None = None, kind: str | None = None) -> bool:
        tk, tv, _ = self.tokens[self.i]
        if tk == "eof":
            return kind == "eof"
        return (value is None or tv == value) and (kind is None or tk == kind)

    def loc(self) -> tuple[int, int]:
        return self._lc(self.tokens[self.i][2])

    def fail(self) -> GqlError:
        tk, tv, pos = self.tokens[self.i]
        what = "end of file" if tk == "eof" else f'{tk.upper()} ("{tv}")'
        line, col = self._lc(pos)
        return GqlError(f"syntax error, unexpected {what} at [{line}, {col}]", (line, col))

    def take(self, value: str | None = None, kind: str | None = None) -> str:
        if not self.peek(value, kind) or self.tokens[self.i][0] == "eof":
            raise self.fail()
        self.i += 1
        return self.tokens[self.i - 1][1]

    def document(self) -> list[Operation]:
        ops = []
        while not self.peek(kind="eof"):
            ops.append(self.operation())
        if not ops:
            raise self.fail()
        return ops

    def operation(self) -> Operation:
        loc = self.loc()
        if self.peek("{"):
            return Operation("query", None, {}, self.selection_set(), loc)
        kind = self.take(kind="name")
        if kind == "fragment":
            raise GqlError("Named fragments are not supported by the Passerelle sandbox", loc)
        if kind not in ("query", "mutation"):
            raise GqlError(f"{kind} operations are not supported", loc) if kind == "subscription" else self._back()
        name = self.take(kind="name") if self.peek(kind="name") else None
        variables: dict[str, tuple[str, Any]] = {}
        if self.peek("("):
            self.take("(")
            while not self.peek(")"):
                self.take("$")
                var = self.take(kind="name")
                self.take(":")
                vtype = self.type_ref()
                default = self.value(const=True) if self.peek("=") and self.take("=") else None
                variables[var] = (vtype, default)
            self.take(")")
        self.directives()
        return Operation(kind, name, variables, self.selection_set(), loc)

    def _back(self) -> GqlError:
        self.i -= 1
        return self.fail()

    def type_ref(self) -> str:
        if self.peek("["):
            self.take("[")
            inner = self.type_ref()
            self.take("]")
            text = f"[{inner}]"
        else:
            text = self.take(kind="name")
        if self.peek("!"):
            self.take("!")
            text += "!"
        return text

    def directives(self) -> list:
        found = []
        while self.peek("@"):
            self.take("@")
            name = self.take(kind="name")
            found.append((name, self.arguments()))
        return found

    def selection_set(self) -> list:
        self.take("{")
        out: list = []
        while not self.peek("}"):
            loc = self.loc()
            if self.peek("...", kind="spread"):
                self.take()
                if not self.peek("on"):
                    raise GqlError("Named fragments are not supported by the Passerelle sandbox", loc)
                self.take("on")
                on = self.take(kind="name")
                directives = self.directives()
                out.append(Inline(on, self.selection_set(), loc, directives))
                continue
            name = self.take(kind="name")
            alias = name
            if self.peek(":"):
                self.take(":")
                name = self.take(kind="name")
            args = self.arguments()
            directives = self.directives()
            selections = self.selection_set() if self.peek("{") else None
            out.append(Field(name, alias, args, selections, loc, directives))
        self.take("}")
        if not out:
            raise self.fail()
        return out

    def arguments(self) -> dict[str, Any]:
        args: dict[str, Any] = {}
        if self.peek("("):
            self.take("(")
            while not self.peek(")"):
                name = self.take(kind="name")
                self.take(":")
                args[name] = self.value()
            self.take(")")
        return args

    def value(self, const: bool = False) -> Any:
        tk, tv, _ = self.tokens[self.i]
        if tv == "$" and not const:
            self.take("$")
            return Var(self.take(kind="name"))
        if tk == "number":
            self.i += 1
            return float(tv) if any(c in tv for c in ".eE") else int(tv)
        if tk == "string":
            self.i += 1
            return json.loads(tv)
        if tk == "block":
            self.i += 1
            return tv[3:-3].replace('\\"""', '"""').strip()
        if tk == "name":
            self.i += 1
            if tv in ("true", "false", "null"):
                return {"true": True, "false": False, "null": None}[tv]
            return EnumValue(tv)
        if tv == "[":
            self.take("[")
            items = []
            while not self.peek("]"):
                items.append(self.value(const))
            self.take("]")
            return items
        if tv == "{":
            self.take("{")
            obj = {}
            while not self.peek("}"):
                key = self.take(kind="name")
                self.take(":")
                obj[key] = self.value(const)
            self.take("}")
            return obj
        raise self.fail()


def parse(text: str) -> list[Operation]:
    return _Parser(text).document()
