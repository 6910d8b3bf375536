"""``${env:NAME}`` references: where secrets and per-machine settings come from.

A setting's value may be a literal or contain references; they are resolved only when an endpoint
is actually used (never at validation, never in dry-run from files), and a resolved secret is
wrapped in a :class:`Secret`, which is not a string and shows as ``***`` wherever it ends up.
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


MASK = "***"


class Secret:
    """A resolved secret. It is not a string: it cannot be concatenated, JSON-encoded or written into a
    message by accident (``str()``, ``repr()`` and f-strings show ``***``; ``"x" + secret`` and
    ``json.dumps(secret)`` raise). Only a transport putting a request on the wire calls
    :meth:`reveal`."""

    __slots__ = ("_text",)

    def __init__(self, text: str):
        self._text = str(text)

    def reveal(self) -> str:
        """The real text, for the wire only."""
        return self._text

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __bool__(self) -> bool:
        return bool(self._text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._text == self._text

    def __hash__(self) -> int:
        return hash((Secret, self._text))

    def __copy__(self) -> "Secret":
        return self

    def __deepcopy__(self, memo: dict) -> "Secret":
        return self

    def __reduce__(self):  # never pickled into a file or a queue
        raise TypeError("a Secret cannot be pickled")


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


def resolve(text: str, environ: Mapping[str, str] | None = None, secret: bool = False) -> str | Secret:
    """Substitute every ``${env:NAME}``; raises MissingEnv for an unset variable."""
    environ = os.environ if environ is None else environ

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        if name not in environ:
            raise MissingEnv(name)
        return environ[name]

    value = ENV_REF.sub(substitute, text)
    return Secret(value) if secret else value
