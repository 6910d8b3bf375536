"""Regular expressions written in a spec, run with a time bound.

A pattern is untrusted: with nested repetition (``^(a|aa)+$``) a backtracking engine takes
exponential time on one unlucky value, and Python's ``re`` can neither be interrupted nor bounded.
Patterns are therefore compiled with the ``regex`` module (version 0: Python ``re`` syntax and
behaviour, backreferences and lookarounds included) and every match runs with its ``timeout``: a
value that makes a pattern run longer than :data:`TIMEOUT` seconds is a record error naming the field,
not a hang. (A linear-time engine such as RE2 would need no bound, but refuses backreferences and
lookarounds that specs written for Python ``re`` may use, and differs in details; one engine with a
bound keeps every pattern's meaning.)

The replacement text is checked at compile time with Python's own ``re`` rules (``\\1`` for a group
that does not exist, an unknown ``\\g<name>``, a bad escape), on a stand-in pattern with the same
groups: ``regex`` would only find such mistakes on the first value that matches.
"""
from __future__ import annotations

import re
from typing import Any

from engine.errors import TransformError
from engine.lang.registry import ArgError

TIMEOUT = 0.25  # seconds one pattern may run on one value


class BoundedPattern:
    """A compiled pattern whose ``sub`` stops after :data:`TIMEOUT` seconds."""

    def __init__(self, pattern: str, timeout: float = TIMEOUT):
        import regex

        try:  # Python's own rules and messages first: the syntax the documentation promises
            re.compile(pattern)
            self._compiled: Any = regex.compile(pattern, flags=regex.VERSION0)
        except (re.error, regex.error, ValueError, OverflowError, RecursionError) as exc:
            raise ArgError(f"invalid regular expression: {exc}", at=("pattern",),
                           offset=getattr(exc, "pos", None) or 0) from None
        self.pattern = pattern
        self.timeout = timeout

    def check_replacement(self, template: str, at: tuple = ("replace",)) -> None:
        """ArgError when ``template`` refers to a group the pattern lacks or holds a bad escape."""
        names = {index: name for name, index in self._compiled.groupindex.items()}
        groups = "".join(f"(?P<{names[i]}>)" if i in names else "()" for i in range(1, self._compiled.groups + 1))
        try:
            standin = re.compile(groups)
        except (re.error, RecursionError, OverflowError):  # group names re cannot take: regex checks alone
            return
        try:
            standin.sub(template, "")  # the empty groups match "": the replacement is parsed
        except (re.error, IndexError) as exc:
            raise ArgError(f"invalid replacement: {exc}", at=at,
                           hint="\\1 inserts the first group; write \\\\ for a backslash") from None

    def sub(self, template: str, text: str) -> str:
        try:
            return self._compiled.sub(template, text, timeout=self.timeout)
        except TimeoutError:
            raise TransformError(
                f"regular expression {self.pattern!r} ran longer than {self.timeout} s on a value of "
                f"{len(text)} characters and was stopped (it backtracks: avoid nested repetition such "
                "as (a+)+ or (a|aa)+)") from None
