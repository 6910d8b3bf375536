"""Locations, diagnostics and the exceptions that carry them.

Every problem Passerelle reports points at the spec: ``file:line:col: error[CODE] path: message``,
followed by an optional ``hint`` line. Runtime failures of one record carry the flow, the record key,
the target field and the spec location of that field.
"""
from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Loc:
    """A position in a spec file (1-based line and column)."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def shifted(self, columns: int) -> "Loc":
        return Loc(self.file, self.line, self.col + columns)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding of validation: an error or a warning, with where and why."""

    code: str
    message: str
    loc: Loc | None = None
    path: str = ""
    hint: str | None = None
    severity: str = "error"  # "error" | "warning"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def format_text(self) -> str:
        where = f"{self.loc}: " if self.loc else ""
        path = f"{self.path}: " if self.path else ""
        text = f"{where}{self.severity}[{self.code}] {path}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def format_github(self) -> str:
        kind = "error" if self.is_error else "warning"
        props = []
        if self.loc:
            props += [f"file={self.loc.file}", f"line={self.loc.line}", f"col={self.loc.col}"]
        props.append(f"title={self.code}")
        msg = f"{self.path}: {self.message}" if self.path else self.message
        if self.hint:
            msg += f" (hint: {self.hint})"
        return f"::{kind} {','.join(_gh_prop(p) for p in props)}::{_gh_escape(msg)}"

    def to_json(self) -> dict:
        return {
            "file": self.loc.file if self.loc else None,
            "line": self.loc.line if self.loc else None,
            "col": self.loc.col if self.loc else None,
            "severity": self.severity,
            "code": self.code,
            "path": self.path,
            "message": self.message,
            "hint": self.hint,
        }


def _gh_escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(prop: str) -> str:
    key, _, value = prop.partition("=")
    return key + "=" + _gh_escape(value).replace(":", "%3A").replace(",", "%2C")


def format_diagnostics(diags: list[Diagnostic], fmt: str = "text") -> str:
    """Render diagnostics as ``text``, ``json`` (one array) or ``github`` workflow annotations."""
    if fmt == "json":
        return json.dumps([d.to_json() for d in diags], indent=2, ensure_ascii=False)
    if fmt == "github":
        return "\n".join(d.format_github() for d in diags)
    return "\n".join(d.format_text() for d in diags)


def sort_diagnostics(diags: list[Diagnostic]) -> list[Diagnostic]:
    """Stable, readable order: by file, line, column, then code; duplicates removed."""
    seen = set()
    unique = []
    for d in diags:
        ident = (d.loc, d.code, d.path, d.message)
        if ident not in seen:
            seen.add(ident)
            unique.append(d)
    return sorted(unique, key=lambda d: (d.loc.file, d.loc.line, d.loc.col, d.code) if d.loc
                  else ("", 0, 0, d.code))


class SpecError(Exception):
    """A spec that cannot be compiled; carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__(format_diagnostics([d for d in diagnostics if d.is_error]) or "invalid spec")


class OperatorError(Exception):
    """A problem of the machine or the setup that the operator can fix (a state file, a setting): the
    message says what and where; the command line prints it as ``error[<code>] <message>``."""

    code = "setup"


class TransformError(ValueError):
    """Raised by a compiled transform or expression on a value it cannot handle.

    The message must never contain secrets; it names the value and the reason."""


class RecordError(Exception):
    """One source record that could not be mapped (or was rejected); the flow goes on."""

    def __init__(self, reason: str, flow: str = "", key: object = None, field: str = "",
                 loc: Loc | None = None):
        super().__init__(reason)
        self.reason = reason
        self.flow = flow
        self.key = key
        self.field = field
        self.loc = loc

    def __str__(self) -> str:
        parts = []
        if self.loc:
            parts.append(f"{self.loc}:")
        parts.append(f"flow {self.flow!r}" if self.flow else "")
        if self.key is not None:
            parts.append(f"record {self.key!r}")
        if self.field:
            parts.append(f"field {self.field}")
        head = " ".join(p for p in parts if p)
        return f"{head}: {self.reason}" if head else self.reason

    @property
    def detail(self) -> str:
        """The reason with the field it concerns: the same text in dry-runs, logs and the dead letter."""
        return f"field {self.field}: {self.reason}" if self.field else self.reason

    def line(self) -> str:
        """``file:line:col: error[record] flow F record K: field X: reason`` (one line, for people)."""
        where = f"{self.loc}: " if self.loc else ""
        return f"{where}error[record] flow {self.flow} record {self.key}: {self.detail}"

    def to_json(self) -> dict:
        return {
            "flow": self.flow,
            "key": self.key if isinstance(self.key, (str, int)) or self.key is None else str(self.key),
            "field": self.field,
            "file": self.loc.file if self.loc else None,
            "line": self.loc.line if self.loc else None,
            "col": self.loc.col if self.loc else None,
            "reason": self.reason,
        }
