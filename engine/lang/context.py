"""A plain :class:`~engine.lang.registry.CompileContext`: named lookup tables and JMESPath compilation."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.lang.expr import ExprError, compile_expression, getter
from engine.lang.lookups import build_lookup
from engine.lang.registry import ArgError
from engine.util.suggest import hint_for


class SimpleContext:
    """What a transform factory may ask for at compile time.

    ``lookups`` maps table names to compiled :class:`~engine.lang.lookups.LookupTable` objects;
    ``base_dir`` is the directory of the spec (files such as lookup CSVs are read beside it)."""

    def __init__(self, lookups: dict[str, Any] | None = None, base_dir: Path = Path("."),
                 missing_ok: bool = False, xrefs: dict[tuple[str, str], tuple[str, ...]] | None = None):
        self.lookups: dict[str, Any] = dict(lookups or {})
        self.base_dir = Path(base_dir)
        self.missing_ok = missing_ok  # a file that could not be read may define the table
        # (source system, type) -> the flows of the project that record such pairs; None: not known here
        self.xrefs = xrefs
        self.xrefs_used: set[tuple[str, str]] = set()  # the pairs the `xref` transforms compiled here read

    def xref_recorded(self, system: str, kind: str) -> None:
        """Raise ArgError when no flow of the project records (``system``, ``kind``) pairs: a misspelt
        `from` or `type` would otherwise never find a pair (and silently give its `default`)."""
        self.xrefs_used.add((system, kind))
        if self.xrefs is None or self.missing_ok or (system, kind) in self.xrefs:
            return
        systems = sorted({s for s, _ in self.xrefs})
        if system not in systems:
            raise ArgError(f"no flow of this project reads from '{system}': no id of it has a pair",
                           hint=hint_for(system, systems, "source endpoints of the flows"), at=("from",),
                           code="unknown-xref")
        kinds = sorted(k for s, k in self.xrefs if s == system)
        raise ArgError(f"no flow of this project records {system} '{kind}' pairs",
                       hint=hint_for(kind, kinds, f"types recorded from {system}"), at=("type",),
                       code="unknown-xref")

    def lookup(self, name: str) -> Any:
        try:
            return self.lookups[name]
        except (KeyError, TypeError):
            if self.missing_ok and isinstance(name, str):
                # a stand-in: the unreadable file's own error says what to fix
                return build_lookup(name, {"map": {}, "default": None}, self.base_dir)
            raise ArgError(f"unknown lookup '{name}'",
                           hint=hint_for(name, self.lookups, "lookups")) from None

    def expression(self, text: str) -> Callable[[Any], Any]:
        try:
            return getter(compile_expression(text))
        except ExprError as exc:
            raise ArgError(exc.message, offset=exc.offset) from None
