"""Where an expression's names and operators stand in its text, for the checks run at ``validate``.

JMESPath's tree has no positions. ``spanned_tree`` parses the text once more with a parser that
records, on every node it builds, the span of text it covers (``span``: start, end offsets, quotes
and brackets included, from the lexer's tokens, so quoted text never confuses it) and, for a node
written inside parentheses, the span with them (``paren``). It runs at compile time only, never per record.

``root_names`` lists the names read at the *start* of a path (``_index`` in ``_index``,
``_parent.id``, ``length(_index)``, ``a || _key``), each with its offset and whether it is read on the
scope itself (``at_root``) or on something else: an element inside a filter or a projection, the
right side of a pipe, a ``&expr`` argument.
"""
from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from jmespath import exceptions as jexc
from jmespath import parser as jparser

from engine.lang import names
from engine.spec import yamlcache
from engine.util.records import frozen
from engine.util.suggest import closest

# the first child continues the parent's path, on the same value (`a` in `a.b`, `a[0]`, `a | b`)
_LEFT = frozenset({"subexpression", "index_expression", "projection", "value_projection", "filter_projection",
                   "pipe", "flatten"})
# every child starts a path, on the same value as the node (`f(a, b)`, `a == b`, `[a, b]`, `{k: a}`)
_SAME = frozenset({"comparator", "or_expression", "and_expression", "not_expression", "function_expression",
                   "multi_select_list", "multi_select_dict", "key_val_pair"})


def _child_context(kind: str, index: int, at_root: bool, head: bool) -> tuple[bool, bool]:
    """(read on the scope, starts a path) for child ``index`` of a ``kind`` node."""
    if kind in _LEFT and index == 0:
        return at_root, head
    if kind in _SAME:
        return at_root, True
    if (kind == "filter_projection" and index == 2) or (kind == "pipe" and index == 1) or kind == "expref":
        return False, True  # a filter's condition, a pipe's right side, `&expr`: on another value
    return False, False  # `b` in `a.b`, `a[*].b`: a step of a path, not its start


class _SpanningParser(jparser.Parser):
    """jmespath's parser, recording each node's span. It keeps its own cache (none): the trees it
    builds carry extra keys and must never be handed to the evaluator's cache."""

    _CACHE: dict = {}
    _MAX_SIZE = 0

    def parse(self, expression):
        self._text = expression
        return self._do_parse(expression)

    def _end(self) -> int:
        """Where the last token read ends: the next one's start, less blanks (the lexer's own ``end``
        is wrong for some literals)."""
        end = self._tokens[self._index]["start"]
        while end > 0 and self._text[end - 1] in " \t\r\n":
            end -= 1
        return end

    def _expression(self, binding_power=0):  # the parent's loop, plus the spans
        first = self._lookahead_token(0)
        self._advance()
        nud: Any = getattr(self, f"_token_nud_{first['type']}", self._error_nud_token)
        left = nud(first)
        _mark(left, first["start"], self._end(), first["type"] == "lparen")
        current = self._current_token()
        while binding_power < self.BINDING_POWER[current]:
            led: Any = getattr(self, f"_token_led_{current}", None)
            if led is None:
                self._error_led_token(self._lookahead_token(0))
            self._advance()
            left = led(left)
            _mark(left, first["start"], self._end(), False)
            current = self._current_token()
        return left


def _mark(node: dict, start: int, end: int, paren: bool) -> None:
    """``span``: the node's own text; ``paren``: its text with the parentheses written around it."""
    if not isinstance(node, dict):
        return
    if paren:
        node["paren"] = (start, end)
        return
    node["span"] = (start, end)
    if "paren" in node and node["paren"][1] < end:  # `(a.b).c`: the path grew past its parentheses
        del node["paren"]


def outer_span(node: dict) -> tuple[int, int]:
    """The node's text, with its parentheses when it has some."""
    return node.get("paren") or node["span"]


_TREES: dict[str, dict | None] = {}  # text -> tree: the checks ask for the same text several times
_TREES_MAX = 2048


def spanned_tree(text: str) -> dict | None:
    """The parsed tree of ``text`` with spans, or None when it does not parse (reported elsewhere).
    Trees are shared between callers (one parse per text): read them, never change them."""
    if isinstance(text, str) and text in _TREES:
        return _TREES[text]
    cache = yamlcache.active() if isinstance(text, str) else None
    memo = None if cache is None else cache.memo("spanned", _memo_stamp())
    tree = None if memo is None else memo.get(text)
    if isinstance(tree, dict):  # parsed in an earlier `validate` (engine/spec/yamlcache.py)
        _TREES[text] = tree
        return tree
    try:
        tree = _SpanningParser().parse(text).parsed
    except RecursionError:
        return None  # depends on the caller's stack depth: not remembered
    except (jexc.JMESPathError, KeyError, IndexError, TypeError):
        tree = None
    if not isinstance(text, str):
        return tree
    if len(_TREES) >= _TREES_MAX:
        _TREES.clear()
    _TREES[text] = tree
    if memo is not None and tree is not None:
        memo.put(text, tree)
    return tree


@lru_cache(maxsize=1)
def _memo_stamp() -> bytes:
    """What a spanned tree depends on besides its text: jmespath's files and this module's source."""
    return f"spanned 1|{yamlcache.package_stamp('jmespath')}|".encode() + Path(__file__).read_bytes()


@frozen
class RootName:
    """A name read at the start of a path, where it is written."""

    name: str
    offset: int  # in the expression text
    at_root: bool  # read on the scope itself (False: on an element, or on what a pipe gives)


def root_names(tree: dict) -> list[RootName]:
    """Every name read at the start of a path, in text order."""
    found: list[RootName] = []
    stack: list[tuple[dict, bool, bool]] = [(tree, True, True)]  # node, read on the scope, starts a path
    while stack:
        node, at_root, head = stack.pop()
        kind = str(node.get("type"))
        if kind == "field":
            if head:
                found.append(RootName(node["value"], node.get("span", (0, 0))[0], at_root))
            continue
        for index, child in enumerate(node.get("children", ())):
            if isinstance(child, dict):
                stack.append((child, *_child_context(kind, index, at_root, head)))
    return sorted(found, key=lambda r: r.offset)


def reserved_here(allowed: frozenset[str]) -> str:
    shown = ", ".join(f"`{n}`" for n in sorted(allowed)) if allowed else "none"
    return f"reserved names valid here: {shown}"


_WHERE = {
    names.INDEX: "only inside a `- each:` item (or a fan-out item)",
    names.POSITION: "only inside a `- each:` item (or a fan-out item)",
    names.PARENT: "only inside a `- each:` item",
    names.TARGET: "only in `acknowledge` (its `map` and `with`)",
    names.KEY: "only in a fan-out or grouped flow",
    names.PAYLOAD: "only in `target.remove.with`",
    names.REFUSED: "only in `reserve.on_refused` (its `when`, `map` and `with`)",
}


def name_problems(text: str, allowed: frozenset[str]) -> Iterator[tuple[int, str, str]]:
    """``(offset, message, hint)`` for every ``_``-name of ``text`` that is not available where it
    is read (``allowed``: the reserved names of this place's scope). Nothing when it does not parse."""
    tree = spanned_tree(text)
    if tree is None:
        return
    for found in root_names(tree):
        name = found.name
        if not name.startswith("_") or (found.at_root and name in allowed) or \
                (not found.at_root and name not in names.RESERVED):
            continue  # off the scope, `_links` is a field of what is read there
        literal = f"a source field whose name starts with `_`: write `@.{name}`"
        if not found.at_root:
            yield (found.offset, f"`{name}` is read here on an element or a piped value, not on the "
                   "record's scope, so it is always null",
                   f"write it at the start of the expression; {literal}")
        elif name in names.RESERVED:
            yield (found.offset, f"`{name}` is not available here", f"{_WHERE[name]}; "
                   f"{reserved_here(allowed)}")
        else:
            guess = closest(name, allowed)
            yield (found.offset, f"unknown name `{name}`: names starting with `_` are reserved",
                   (f"did you mean `{guess}`? " if guess else "") + f"{reserved_here(allowed)}; or {literal}")


__all__ = ["RootName", "name_problems", "outer_span", "reserved_here", "root_names", "spanned_tree"]
