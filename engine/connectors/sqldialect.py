"""SQL dialects declared by a connector, never known by the engine.

A connector lists the dialects it supports and says which one an endpoint uses::

    odbc: { dialect: "{settings.dialect}", dialects: [mssql, postgresql, sqlite] }

Any SQL text of the definition (a resource's ``sql``, a filter's ``sql``, an operation's ``sql``,
``statements`` entries, ``result``, ``fetch``) may then be a mapping from dialect name to text, with
``default`` for the dialects it does not name::

    sql: { mssql: "SELECT TOP 1 ...", default: "SELECT ... LIMIT 1" }

Every text is compiled at validate (a dialect the mapping neither names nor covers with ``default`` is
a located ``missing-dialect`` error); the endpoint picks its dialect's text once, when it opens.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from engine.connectors.context import ConnectorCompiler
from engine.connectors.templates import Template
from engine.util.suggest import hint_for
from engine.util.records import frozen

DEFAULT = "default"


@frozen
class Dialects:
    """The connector's dialect declaration: the names it supports and the template choosing one."""

    names: tuple[str, ...] = ()
    choice: Template | None = None

    def resolve(self, settings: Mapping[str, Any]) -> str | None:
        """The endpoint's dialect (None when the connector declares none); ValueError when unknown."""
        if self.choice is None:
            return None
        name = self.choice.text_for({"settings": settings}, reveal=True).strip()
        if name not in self.names:
            raise ValueError(f"dialect {name!r} is not one the connector supports ({', '.join(self.names)})")
        return name


@frozen
class Variants:
    """One SQL entry compiled for every dialect it names (``default`` for the others)."""

    texts: Mapping[str, Any]

    def pick(self, dialect: str | None) -> Any:
        if dialect is not None and dialect in self.texts:
            return self.texts[dialect]
        if DEFAULT in self.texts:
            return self.texts[DEFAULT]
        return next(iter(self.texts.values()))

    def all(self) -> list:
        return list(self.texts.values())


def compile_dialects(odbc: Mapping, ctx: ConnectorCompiler) -> Dialects:
    names = odbc.get("dialects")
    names = tuple(str(n) for n in names) if isinstance(names, list) else ()
    choice = odbc.get("dialect")
    if names and choice is None:
        ctx.error("missing-key", "`dialects` is declared: `dialect` must say which one an endpoint uses, "
                  "e.g. `dialect: \"{settings.dialect}\"`", ("odbc", "dialects"))
    if choice is not None and not names:
        ctx.error("missing-key", "`dialect` needs `dialects`: the list of dialect names this connector's "
                  "SQL is written for", ("odbc", "dialect"))
    if DEFAULT in names:
        ctx.error("bad-dialect", "`default` is not a dialect: it names the text of every dialect a mapping "
                  "does not name", ("odbc", "dialects"))
    return Dialects(names, ctx.template(choice, ("odbc", "dialect")) if choice is not None else None)


def compile_variants(value: Any, ctx: ConnectorCompiler, path: tuple, dialects: Dialects,
                     parse: Callable[[str, tuple], Any]) -> Variants | None:
    """``value`` (a text, or a mapping dialect -> text) compiled with ``parse(text, path)`` (None when
    it found an error, already reported). None when anything is wrong or nothing is written."""
    if isinstance(value, str):
        compiled = parse(value, path)
        return Variants({DEFAULT: compiled}) if compiled is not None else None
    if not isinstance(value, Mapping):
        return None
    if not dialects.names:
        ctx.error("undeclared-dialects", "SQL written per dialect needs the connector's dialects: declare "
                  "`odbc: { dialects: [...], dialect: \"{settings.dialect}\" }`", path)
        return None
    ok, texts = True, {}
    for name, text in value.items():
        if name != DEFAULT and name not in dialects.names:
            ctx.error("unknown-dialect", f"'{name}' is not a dialect of connector '{ctx.name}' "
                      f"(dialects: {', '.join(dialects.names)}, or `default`)", path + (name,),
                      hint_for(str(name), [*dialects.names, DEFAULT], "dialects"))
            ok = False
            continue
        compiled = parse(text, path + (name,)) if isinstance(text, str) else None
        ok = ok and compiled is not None
        texts[name] = compiled
    missing = [n for n in dialects.names if n not in value]
    if missing and DEFAULT not in value:
        ctx.error("missing-dialect", f"no SQL for dialect {', '.join(repr(n) for n in missing)} (write it, or a "
                  "`default:` text for the dialects not named)", path)
        ok = False
    return Variants(texts) if ok and texts else None
