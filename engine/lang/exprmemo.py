"""JMESPath's parse of an expression text, remembered by ``passerelle validate``'s cache.

A spec's expressions are parsed again on every ``validate``; the parse is a pure function of the
text and of jmespath's version, so under ``validate``'s cache of parsed files (engine/spec/yamlcache.py)
a text parsed in an earlier run is taken from there (keyed by jmespath's installed files). Without
the cache (``run``, ``serve``, tests calling the compiler) this is ``jmespath.compile``.
"""
from __future__ import annotations

from typing import Any

import jmespath
from jmespath import parser as jparser

from engine.spec import yamlcache


def parse_remembered(text: str) -> Any:
    """``jmespath.compile(text)`` (its ``ParsedResult``), from the cache when it holds the text."""
    cache = yamlcache.active()
    if cache is None:
        return jmespath.compile(text)
    memo = cache.memo("jmespath", f"jmespath tree 1|{yamlcache.package_stamp('jmespath')}".encode())
    tree = memo.get(text)
    if isinstance(tree, dict):
        return jparser.ParsedResult(text, tree)
    parsed = jmespath.compile(text)
    memo.put(text, parsed.parsed)
    return parsed


__all__ = ["parse_remembered"]
