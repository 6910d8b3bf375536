"""``passerelle test --update``: what the records gave written into the tests that failed (or have no
``expect`` yet), to be reviewed like code.

A targeted text rewrite, not a YAML round trip: the parser gives the line and column of every key, so
only the expectation blocks concerned are replaced (the lines of the record's key and those indented
below it), or a new ``expect:`` block is added at the end of a test. Everything else of the file — its
comments, order, quoting and layout — stays byte for byte as it was. (A round-tripping library such as
ruamel.yaml would keep comments too, but re-indents and re-quotes what it writes back, and would be a
new dependency for this one command.) An expectation written in flow style (``expect: {...}``) is left
alone and named: rewrite it in block style to have it updated.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from engine.runtime.spectests import Actual, FileResult, SpecTestResult
from engine.util.fileio import read_bytes
from engine.util.jsonout import number_text

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_ ./@:+#()'-]*\Z")  # a text YAML reads back as that text
_TRAPS = {"true", "false", "null", "yes", "no", "on", "off", "y", "n"}


def _plain_ok(text: str) -> bool:
    return bool(_PLAIN.match(text)) and text.lower() not in _TRAPS and text == text.strip() \
        and ": " not in text and " #" not in text and not text.endswith(":")


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return number_text(value)
    if isinstance(value, int):
        return str(value)
    if _plain_ok(str(value)):
        return str(value)
    text = json.dumps(str(value), ensure_ascii=False)  # JSON's escapes are YAML's double-quoted ones
    return "".join(f"\\u{ord(c):04x}" if 0x7f <= ord(c) <= 0x9f or c in "\u2028\u2029\ufeff" else c for c in text)


def key_text(key: Any) -> str:
    return scalar(str(key))


def block(value: Any, indent: int) -> list[str]:
    """``value`` as block-style YAML lines at ``indent`` (a mapping's keys or a list's dashes there)."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            lines += _entry(pad + key_text(key) + ":", item, indent)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)) and item:
                inner = block(item, indent + 2)
                lines.append(pad + "- " + inner[0][indent + 2:])
                lines += inner[1:]
            else:
                lines.append(pad + "- " + _inline(item))
    return lines


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return scalar(value)


def _entry(head: str, value: Any, indent: int) -> list[str]:
    if isinstance(value, (dict, list)) and value:
        return [head] + block(value, indent + 2)
    return [f"{head} {_inline(value)}"]


def expectation_lines(actual: Actual, indent: int) -> list[str]:
    """The expectation of one record, as ``KEY:`` at ``indent`` and its body below."""
    head = " " * indent + scalar(actual.key) + ":"
    if actual.kind == "skipped":
        return [head, " " * (indent + 2) + "skipped: true"]
    if actual.kind == "rejected":
        return [head, " " * (indent + 2) + "rejected: " + scalar(actual.value.detail)]
    return [head] + _entry(" " * (indent + 2) + "equals:", actual.value, indent + 2)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def block_end(lines: list[str], start: int, indent: int, siblings: bool = False) -> int:
    """The index after the last line of the block whose first line is ``lines[start]``: the lines
    below indented more than ``indent`` (or as much, with ``siblings``, unless a new list item);
    blank and comment lines count only when followed by one of them."""
    end = start + 1
    for index in range(start + 1, len(lines)):
        text = lines[index].strip()
        if not text or text.startswith("#"):
            continue
        depth = _indent(lines[index])
        if depth > indent or (siblings and depth == indent and not text.startswith("- ")):
            end = index + 1
        else:
            break
    return end


def update_file(found: FileResult) -> tuple[str | None, list[str]]:
    """The file's new text (None: nothing to change), and notes on the tests left as they were."""
    path = found.file.doc.file
    lines = read_bytes(path).decode("utf-8-sig").splitlines()
    edits: list[tuple[int, int, list[str]]] = []  # (first index, end index, new lines)
    notes: list[str] = []
    for result in found.results:
        if result.passed:
            continue
        edit = _edits(result, lines)
        if isinstance(edit, str):
            notes.append(edit)
        else:
            edits += edit
    if not edits:
        return None, notes
    for start, end, new in sorted(edits, key=lambda e: e[0], reverse=True):
        lines[start:end] = new
    return "\n".join(lines) + "\n", notes


def _block_key(lines: list[str], loc) -> tuple[int, int] | None:
    """(line index, indent) of a key written in block style at ``loc``; None in flow style."""
    index, column = loc.line - 1, loc.col - 1
    if index >= len(lines) or lines[index][:column].strip(" -"):
        return None
    return index, column


def _edits(result: SpecTestResult, lines: list[str]) -> list[tuple[int, int, list[str]]] | str:
    test = result.test
    doc = test.doc
    by_key: dict[str, Actual] = {}
    for actual in result.actual:
        by_key.setdefault(actual.key, actual)
    flow_style = f"{doc.file}: test '{test.name}' left as it is: its `expect` is written in flow style " \
                 "({...}); write it in block style to have it updated"
    if not test.has_expect:
        first = _block_key(lines, test.key_loc(next(iter(test.data))))
        if first is None:
            return flow_style
        index, indent = first
        end = block_end(lines, index, indent, siblings=True)
        new = [" " * indent + "expect:"]
        for actual in by_key.values():
            new += expectation_lines(actual, indent + 2)
        return [(end, end, new)]
    edits = []
    known = {e.key: e for e in test.expectations}
    expect_at = _block_key(lines, test.key_loc("expect"))
    if expect_at is None or lines[expect_at[0]].partition(":")[2].strip(" ").split("#")[0].strip() or any(_block_key(lines, doc.key_loc(e.path)) is None for e in test.expectations):
        return flow_style
    depth = expect_at[1] + 2
    if test.expectations:
        depth = doc.key_loc(test.expectations[0].path).col - 1
    for key in sorted(result.failed_keys):
        found = by_key.get(key)
        if found is None:
            continue  # no record has the key: nothing to write (the failure says so)
        expectation = known.get(key)
        if expectation is None:  # an unexpected rejection: added at the end of `expect`
            end = block_end(lines, expect_at[0], expect_at[1])
            edits.append((end, end, expectation_lines(found, depth)))
            continue
        at = _block_key(lines, doc.key_loc(expectation.path))
        assert at is not None
        index, indent = at
        end = block_end(lines, index, indent)
        used = _anchors_used_elsewhere(lines, index, end)
        if used:
            return f"{doc.file}: test '{test.name}' left as it is: the expectation of {key} defines " \
                   f"{', '.join('&' + name for name in used)}, which the file uses elsewhere; update it by hand"
        edits.append((index, end, expectation_lines(found, indent)))
    return edits


_ANCHOR = re.compile(r"(?:^|[\s\[{,])&([^\s,\[\]{}]+)")


def _anchors_used_elsewhere(lines: list[str], start: int, end: int) -> list[str]:
    """The anchors (``&name``) defined in ``lines[start:end]`` that an alias (``*name``) outside uses:
    replacing the block would leave the alias dangling."""
    names = _ANCHOR.findall("\n".join(lines[start:end]))
    outside = "\n".join(lines[:start] + lines[end:])
    return [name for name in dict.fromkeys(names)
            if re.search(r"(?:^|[\s\[{,:-])\*" + re.escape(name) + r"(?=$|[\s,\]}])", outside, re.M)]


__all__ = ["block", "expectation_lines", "update_file"]
