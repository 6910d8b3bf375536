"""Where flow nesting passes the depth limit, found without libyaml (see :func:`deep_flow_cut`)."""
from __future__ import annotations

import re

from engine.spec.yamlbuild import MAX_DEPTH

# -- flow nesting beyond MAX_DEPTH, found without libyaml ----------------------------------------
#
# libyaml hands out a flow collection's start token only once it knows whether the collection is an
# implicit key, so on ``[[[[…`` its scanner reads ahead (up to 1024 characters) and, since 0.2.6,
# fails at 1000 flow levels before the builder has seen the level it must refuse. When libyaml stops
# with an error, `_deep_flow_cut` finds, in the text before that error, the opener at which flow
# nesting alone passes MAX_DEPTH; the text up to just past it is parsed again on its own, where
# libyaml cannot look further: the builder reports `too-deep` where it would have without libyaml's
# limit (one level later only if a collection that deep is also the implicit key of a one-pair
# mapping, which adds a level the truncated text cannot show). Documents that parse never get here,
# so the scan costs nothing on valid specs. The scan can only fail to find a place, never invent one:
# the truncated parse must confirm `too-deep`, and a prefix of a text never nests deeper than the
# text, so a valid document is never rejected.

_SCAN_STOPS = re.compile(r"[\[\]{}#\"'|>]")
_BLANKS = " \t\r\n"
_BLOCK_SCALAR_HEADER = re.compile(r"[|>][0-9+-]*(?:[ \t]|\r|\n|\Z)")
_BLANK_LINE = re.compile(r"[ \t]*(?:\r?\n|\r|\Z)")
_CUT_TRIES = 4  # places tried when the truncated parse does not confirm one


def _line_end(text: str, line: int, start: int = 0) -> int:
    """Offset just past the end of the ``line``-th line from ``start`` (1-based), counting '\n'
    only: never before the end of libyaml's line of that number."""
    end = start - 1
    for _ in range(line):
        end = text.find("\n", end + 1)
        if end < 0:
            return len(text)
    return end + 1


def _deep_flow_cut(text: str, start: int, end: int) -> int | None:
    """The offset just past the opener at which flow nesting reaches ``MAX_DEPTH + 1`` in
    ``text[start:end]`` (``start`` a line start in block context), or None. Comments, quoted scalars,
    block scalars and brackets inside plain scalars of block context do not count."""
    if text.count("[", start, end) + text.count("{", start, end) <= MAX_DEPTH:
        return None  # fast path: not enough openers
    depth = 0
    i = start
    search = _SCAN_STOPS.search
    while True:
        found = search(text, i, end)
        if found is None:
            return None
        j = found.start()
        ch = text[j]
        i = j + 1
        if ch == "[" or ch == "{":
            if depth or _starts_node(text, j):
                depth += 1
                if depth > MAX_DEPTH:
                    return j + 1
        elif ch == "]" or ch == "}":
            if depth:
                depth -= 1
        elif ch == "#":
            if j == 0 or text[j - 1] in _BLANKS:  # a comment runs to the end of the line
                newline = text.find("\n", j, end)
                i = end if newline < 0 else newline + 1
        elif ch == '"' or ch == "'":
            if (text[j - 1] in _BLANKS or text[j - 1] in "[{,:?") if j and depth else _starts_node(text, j):
                i = _quoted_end(text, j, end)
        elif not depth and _starts_node(text, j) and _BLOCK_SCALAR_HEADER.match(text, j):  # | or >
            i = _block_scalar_end(text, j, end)


def _starts_node(text: str, j: int) -> bool:
    """In block context: does the character at ``j`` start a node (and not continue a plain scalar)?
    Only indentation, '- ', '? ', a key's ': ' or node properties (&anchor, !tag) may come before it
    on its line."""
    k = j
    while True:
        stop = k
        while k and text[k - 1] in " \t":
            k -= 1
        if not k or text[k - 1] in "\r\n":
            return True
        if k == stop:
            return False  # glued to the previous character: part of a plain scalar
        if text[k - 1] == ":":
            return True
        start = max(text.rfind(" ", 0, k), text.rfind("\t", 0, k), text.rfind("\n", 0, k),
                    text.rfind("\r", 0, k)) + 1
        word = text[start:k]
        if word in ("-", "?", "---"):
            return True
        if word[0] not in "&!":
            return False
        k = start  # a property: look at what comes before it


def _quoted_end(text: str, j: int, end: int) -> int:
    """The offset just past the quoted scalar opening at ``j`` (or ``end`` if it is not closed)."""
    quote = text[j]
    k = j + 1
    while True:
        k = text.find(quote, k, end)
        if k < 0:
            return end
        if quote == '"':
            backslashes = 0
            while text[k - 1 - backslashes] == "\\":
                backslashes += 1
            if backslashes % 2:
                k += 1
                continue
        elif k + 1 < end and text[k + 1] == "'":  # '' is an escaped quote
            k += 2
            continue
        return k + 1


def _block_scalar_end(text: str, j: int, end: int) -> int:
    """The offset of the first line after the block scalar whose header (| or >) is at ``j``: its
    content lines are blank or indented more than the node that holds it (the key, or the '-' of the
    entry it is)."""
    line_start = text.rfind("\n", 0, j) + 1
    k = line_start
    while text[k] == " ":
        k += 1
    parent = k - line_start - 1  # no key or dash before it: any deeper line belongs to it
    while text[k] in "-?" and text[k + 1] in " \t":
        parent = k - line_start
        k += 1
        while text[k] in " \t":
            k += 1
    if k != j:
        parent = k - line_start  # a key (or a property) comes before the header
    newline = text.find("\n", j, end)
    if newline < 0:
        return end
    k = newline + 1
    while k < end:
        indent = k
        while indent < end and text[indent] == " ":
            indent += 1
        if not _BLANK_LINE.match(text, indent) and indent - k <= parent:
            return k
        newline = text.find("\n", indent, end)
        if newline < 0:
            return end
        k = newline + 1
    return end
