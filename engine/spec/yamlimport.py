"""``import yaml`` without compiling regular expressions Passerelle never uses (start-up time).

PyYAML's pure-Python modules compile their patterns as ``yaml`` is imported: the reader's class of
every non-printable Unicode range (about 4 ms alone), the resolver's implicit types, the
constructor's timestamps — some 6 ms, a few percent of ``passerelle validate``. Passerelle reads
libyaml's event stream (``yaml.CSafeLoader``, whose C reader checks the characters itself) and
builds values with its own rules, so those patterns are only needed if something in the process
uses PyYAML's pure-Python loading. Imported here, ``yaml`` gets, for each pattern its own modules
compile, a stand-in that compiles the same pattern on first use: same patterns, same results. Any
other ``re.compile`` call goes through untouched.
"""
from __future__ import annotations

import re
import sys
import threading
from typing import Any

_lock = threading.Lock()


class _LazyPattern:
    """A compiled pattern made on first use; every attribute is the compiled pattern's."""

    def __init__(self, compile_: Any, pattern: str, flags: int):
        self._args = (compile_, pattern, flags)
        self._compiled: re.Pattern | None = None

    def __getattr__(self, name: str) -> Any:
        compiled = self._compiled
        if compiled is None:
            compile_, pattern, flags = self._args
            compiled = self._compiled = compile_(pattern, flags)
        return getattr(compiled, name)


def import_yaml() -> Any:
    """The ``yaml`` module, imported (the first time) with its patterns left for their first use."""
    module = sys.modules.get("yaml")
    if module is not None:
        return module
    with _lock:
        real = re.compile

        def compile_(pattern, flags=0):
            if str(sys._getframe(1).f_globals.get("__name__")).startswith("yaml."):  # PyYAML's own
                return _LazyPattern(real, pattern, flags)
            return real(pattern, flags)

        re.compile = compile_
        try:
            import yaml
        finally:
            re.compile = real
    return yaml


__all__ = ["import_yaml"]
