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

Python's ``re`` alone cannot stand in for ``regex`` when a spec is checked: ``regex`` refuses some
patterns ``re`` takes (``a{d``, ``{s}``: its fuzzy-matching syntax). Under ``passerelle validate``
with the cache of parsed files (engine/spec/yamlcache.py), a pattern and replacement that passed
both checks before are remembered there (keyed by their text, the Python version and ``regex``'s
installed files), and ``regex`` itself is then compiled — and imported — on first use only.
"""
from __future__ import annotations

import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from engine.errors import TransformError
from engine.lang.registry import ArgError
from engine.spec import yamlcache
from engine.util.digest import blake2b

TIMEOUT = 0.25  # seconds one pattern may run on one value


class BoundedPattern:
    """A compiled pattern whose ``sub`` stops after :data:`TIMEOUT` seconds."""

    def __init__(self, pattern: str, timeout: float = TIMEOUT, replacement: str | None = None):
        """``replacement``: checked too (:meth:`check_replacement`)."""
        self.pattern = pattern
        self.timeout = timeout
        self._compiled: Any = None
        cache = yamlcache.active()
        passed = "" if cache is None else blake2b(
            f"{pattern}\0{replacement}".encode("utf-8", "surrogatepass"), digest_size=32).hexdigest()
        if cache is not None and cache.knows_valid(passed, _checks_stamp()):
            return  # checked in an earlier run: compiled when first used
        self._compiled = self._compile()
        if replacement is not None:
            self.check_replacement(replacement)
        if cache is not None:
            cache.remember_valid(passed, _checks_stamp())

    def _compile(self) -> Any:
        import regex

        try:  # Python's own rules and messages first: the syntax the documentation promises
            re.compile(self.pattern)
            return regex.compile(self.pattern, flags=regex.VERSION0)
        except (re.error, regex.error, ValueError, OverflowError, RecursionError) as exc:
            raise ArgError(f"invalid regular expression: {exc}", at=("pattern",),
                           offset=getattr(exc, "pos", None) or 0) from None

    @property
    def compiled(self) -> Any:
        if self._compiled is None:
            self._compiled = self._compile()
        return self._compiled

    def check_replacement(self, template: str, at: tuple = ("replace",)) -> None:
        """ArgError when ``template`` refers to a group the pattern lacks or holds a bad escape."""
        compiled = self.compiled
        names = {index: name for name, index in compiled.groupindex.items()}
        groups = "".join(f"(?P<{names[i]}>)" if i in names else "()" for i in range(1, compiled.groups + 1))
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
            return self.compiled.sub(template, text, timeout=self.timeout)
        except TimeoutError:
            raise TransformError(
                f"regular expression {self.pattern!r} ran longer than {self.timeout} s on a value of "
                f"{len(text)} characters and was stopped (it backtracks: avoid nested repetition such "
                "as (a+)+ or (a|aa)+)") from None


@lru_cache(maxsize=1)
def _checks_stamp() -> bytes:
    """What the checks of a pattern depend on besides its text: Python (``re``), ``regex``'s files,
    this module's source."""
    return f"patterns|{sys.version}|{yamlcache.package_stamp('regex')}|".encode() + Path(__file__).read_bytes()
