"""``${env:NAME}`` references: where secrets and per-machine settings come from.

A setting's value may be a literal or contain references; they are resolved only when an endpoint
is actually used (never at validation, never in dry-run from files), and a resolved secret is
wrapped so that it prints as ``***`` wherever it ends up.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping

ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
ANY_REF = re.compile(r"\$\{([^}]*)\}?")


class MissingEnv(Exception):
    def __init__(self, name: str):
        super().__init__(f"environment variable {name} is not set")
        self.name = name


class Secret(str):
    """A resolved secret: behaves as its text for use, shows as *** in repr/str formatting."""

    def __repr__(self) -> str:
        return "'***'"

    def __str__(self) -> str:  # str(), %s and f-strings show the mask; the HTTP layer uses reveal()
        return "***"

    def __format__(self, spec: str) -> str:
        return "***"

    def reveal(self) -> str:
        return str.__str__(self)  # the real text, for the wire only


def reference_problems(text: str) -> list[tuple[int, str]]:
    """(offset, problem) for each malformed ``${...}`` in ``text``."""
    problems = []
    for match in ANY_REF.finditer(text):
        if not ENV_REF.fullmatch(match.group(0)):
            problems.append((match.start(), f"malformed reference {match.group(0)!r}: write "
                             "${env:NAME} with NAME made of letters, digits and '_'"))
    return problems


def has_reference(text: object) -> bool:
    return isinstance(text, str) and bool(ENV_REF.search(text))


def resolve(text: str, environ: Mapping[str, str] | None = None, secret: bool = False) -> str:
    """Substitute every ``${env:NAME}``; raises MissingEnv for an unset variable."""
    environ = os.environ if environ is None else environ

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        if name not in environ:
            raise MissingEnv(name)
        return environ[name]

    value = ENV_REF.sub(substitute, text)
    return Secret(value) if secret else value
