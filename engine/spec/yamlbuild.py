"""libyaml's event stream -> plain values with locations: the rules of Passerelle's YAML.

Only ``true``/``false`` are booleans, leading-zero numbers stay text, YAML 1.1 traps get a warning,
duplicate keys are errors, non-integer numbers are ``Decimal``, and nesting depth and alias expansion
are bounded (see :mod:`engine.spec.yamlsrc`).
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from yaml.cyaml import CParser

from engine.errors import Diagnostic, Loc
from engine.spec.yamldoc import YamlDoc, format_path

MAX_DEPTH = 64
MAX_NODES = 200_000
MAX_NUMBER_DIGITS = 40
MAX_NUMBER_EXPONENT = 100

_INT = re.compile(r"[-+]?[0-9]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_YAML11_BOOL = re.compile(r"(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|True|TRUE|False|FALSE)\Z")
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?\Z")
_DATE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}.*)?\Z")
_OCTAL_HEX = re.compile(r"[-+]?0(?:[xX][0-9a-fA-F_]+|[oO]?[0-7_]+|[bB][01_]+)\Z")
_NULL = frozenset(("", "~", "null", "Null", "NULL"))
# plain scalars `run` hands to `_plain` (the common ones, other words, it keeps as they are without a call)
_SPECIAL = _NULL | {"true", "false"} | {word for word in _YAML11_BOOL.pattern[3:-3].split("|")}
# plain scalars YAML 1.1 would turn into something else: kept as text, with a warning
_TEXT_TRAPS = (
    (_SEXAGESIMAL, "yaml11-sexagesimal", "YAML 1.1 would read it as a base-60 number"),
    (_DATE, "yaml11-date", "YAML 1.1 would read it as a date"),
    (_OCTAL_HEX, "yaml11-number", "YAML would read it as an octal/hex number"),
)


class _Abort(Exception):
    pass


class _Builder:
    """Turns the event stream into plain values, recording locations as it goes."""

    def __init__(self, doc: YamlDoc):
        self.doc = doc
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.nodes = 0
        self.documents = 0

    # -- helpers -------------------------------------------------------------------------------
    def _loc(self, mark) -> Loc:
        return Loc(self.doc.file, mark.line + 1, mark.column + 1)

    def _diag(self, code, message, mark_or_loc, path=(), hint=None, severity="error"):
        loc = mark_or_loc if isinstance(mark_or_loc, Loc) else self._loc(mark_or_loc)
        self.doc.diagnostics.append(Diagnostic(code, message, loc, format_path(path), hint, severity))

    def _count(self, n: int, mark) -> None:
        self.nodes += n
        if self.nodes > MAX_NODES:
            self._diag("too-large", f"document expands to more than {MAX_NODES} values "
                       "(aliases included)", mark, hint="check for alias loops or a runaway file")
            raise _Abort

    # -- main loop -----------------------------------------------------------------------------
    def run(self, text: str) -> None:
        loader = CParser(text)  # libyaml's parser alone: only its events are used
        get_event, add, scalar = loader.get_event, self._add, self._scalar
        locs, key_locs, styles = self.doc.locs, self.doc.key_locs, self.doc.styles
        scalar_event, starts = yaml.ScalarEvent, (yaml.MappingStartEvent, yaml.SequenceStartEvent)
        try:
            stack: list[_Frame] = []
            root_holder: list = []
            while True:
                event = get_event()
                if event is None:
                    break
                kind = type(event)
                if kind is scalar_event:
                    top = stack[-1] if stack else None
                    if top is not None and top.is_map and top.key is _NO_KEY:  # a key: what `_add` does
                        key = event.value
                        plain = self._last_key_plain = not event.style and event.implicit[0]
                        if self.nodes >= MAX_NODES:
                            self._count(1, event.start_mark)  # says so and stops
                        self.nodes += 1
                        if key in top.value or key in top.key_marks:
                            self._take_key(top, key, event)  # a duplicate: said there
                            continue
                        top.merge_key_plain = key == "<<" and plain  # what `_take_key` does for a new key
                        mark = event.start_mark
                        loc = (mark.line + 1, mark.column + 1)
                        top.key_marks[key] = loc
                        key_locs[top.path + (key,)] = loc
                        top.key = key
                        continue
                    if top is not None and not top.discard and (not top.is_map or (
                            top.key.__class__ is str and not (top.key == "<<" and top.merge_key_plain))):
                        text, style = event.value, event.style
                        if event.tag or style or not event.implicit[0] or text in _SPECIAL or (
                                text[0].isdigit() or text[0] in "+-."):
                            self._value(top, event)  # tagged, quoted, null, boolean, number-like
                            continue
                        # a plain word kept as text: what `_value` does for it
                        mark = event.start_mark
                        if self.nodes >= MAX_NODES:
                            self._count(1, mark)  # says so and stops
                        self.nodes += 1
                        if top.is_map:
                            locs[top.path + (top.key,)] = (mark.line + 1, mark.column + 1)
                            top.value[top.key] = text
                            top.key = _NO_KEY
                        else:
                            locs[top.path + (len(top.value),)] = (mark.line + 1, mark.column + 1)
                            top.value.append(text)
                        continue
                    add(stack, root_holder, *scalar(event, stack), event, None)
                elif kind in starts:
                    if len(stack) >= MAX_DEPTH:
                        self._diag("too-deep", f"nesting deeper than {MAX_DEPTH} levels",
                                   event.start_mark, self._child_path(stack[:3]))
                        raise _Abort
                    self._check_tag(event, stack)
                    is_map = kind is yaml.MappingStartEvent
                    path = self._child_path(stack)
                    frame = _Frame({} if is_map else [], path, is_map, event, self.nodes)
                    if stack and stack[-1].is_map and stack[-1].key is _NO_KEY:
                        self._diag("complex-key", "a mapping key must be a plain value",
                                   event.start_mark, stack[-1].path)
                        frame.discard = True
                    elif stack and (stack[-1].discard or (stack[-1].is_map and stack[-1].key is _SKIP)):
                        frame.discard = True
                    stack.append(frame)
                    self._count(1, event.start_mark)
                elif kind in (yaml.MappingEndEvent, yaml.SequenceEndEvent):
                    frame = stack.pop()
                    if frame.is_map:
                        frame.apply_merges(self)
                    if frame.discard:
                        parent = stack[-1] if stack else None
                        if parent is not None and parent.is_map and not parent.discard:
                            parent.key = _SKIP if parent.key is _NO_KEY else _NO_KEY
                        continue
                    if frame.start.anchor:
                        self.anchors[frame.start.anchor] = (frame.value, self.nodes - frame.first_node)
                    self._add(stack, root_holder, frame.value, frame.path, frame.start, None,
                              located=True)
                elif kind is yaml.AliasEvent:
                    target = self.anchors.get(event.anchor)
                    if target is None:
                        self._diag("yaml-syntax", f"unknown alias *{event.anchor}", event.start_mark)
                        raise _Abort
                    value, size = target
                    self._count(size, event.start_mark)
                    self._add(stack, root_holder, value, self._child_path(stack), event, None)
                elif kind is yaml.DocumentStartEvent:
                    self.documents += 1
                    if self.documents > 1:
                        self._diag("multiple-documents", "a spec file holds one YAML document",
                                   event.start_mark, hint="remove the '---' separator or split the file")
                        raise _Abort
            self.doc.data = root_holder[0] if root_holder else None
            if not root_holder:
                self.doc.locs[()] = (1, 1)
        finally:
            loader.dispose()

    def _child_path(self, stack) -> tuple:
        if not stack:
            return ()
        top = stack[-1]
        if top.is_map:
            return top.path + (top.key,) if isinstance(top.key, str) else top.path
        return top.path + (len(top.value),)

    def _add(self, stack, root_holder, value, path, event, style, located=False):
        """Attach a finished value to its parent (as a key or as a value)."""
        mark = event.start_mark
        if not located:
            if self.nodes >= MAX_NODES:
                self._count(1, mark)  # says so and stops
            self.nodes += 1
        if not stack:
            root_holder.append(value)
            self.doc.locs[()] = (mark.line + 1, mark.column + 1)
            return
        top = stack[-1]
        if top.is_map:
            key = top.key
            if key is _NO_KEY:  # this value is a key
                self._take_key(top, value, event)
                return
            if key is _SKIP:
                top.key = _NO_KEY
                return
            if key == "<<" and top.merge_key_plain:
                top.merges.append((value, event))
                top.key = _NO_KEY
                return
        if top.discard:
            if top.is_map:
                top.key = _NO_KEY
            return
        # `path` is the child path of the stack as it is now: computed by the caller just before
        self.doc.locs[path] = (mark.line + 1, mark.column + 1)  # YamlDoc.loc makes the Loc
        if style:
            self.doc.styles[path] = style
        if top.is_map:
            top.value[top.key] = value
            top.key = _NO_KEY
        else:
            top.value.append(value)

    def _value(self, top: _Frame, event) -> None:
        """A scalar value going straight into its collection (the common case): what ``_scalar``
        then ``_add`` do, in the same order."""
        is_map = top.is_map
        path = top.path + ((top.key,) if is_map else (len(top.value),))
        text, tag, style = event.value, event.tag, event.style
        if tag and tag != "!":
            value = self._tagged(text, tag, event, path)
        elif style or not event.implicit[0]:
            if style:
                self.doc.styles[path] = style
            value = text
        else:
            value = self._plain(text, event, path)
        mark = event.start_mark
        if self.nodes >= MAX_NODES:
            self._count(1, mark)  # says so and stops
        self.nodes += 1
        self.doc.locs[path] = (mark.line + 1, mark.column + 1)
        if is_map:
            top.value[top.key] = value
            top.key = _NO_KEY
        else:
            top.value.append(value)

    def _take_key(self, frame, value, event):
        if isinstance(value, (dict, list)):
            self._diag("complex-key", "a mapping key must be a plain value", event.start_mark, frame.path)
            frame.key = _SKIP
            return
        key = str(value)  # a scalar key is its text; an alias to a plain value, that value's text
        frame.merge_key_plain = key == "<<" and self._last_key_plain
        if key in frame.value or key in frame.key_marks:
            first = frame.key_marks.get(key)
            where = f" (first defined at line {first[0]})" if first else ""
            self._diag("duplicate-key", f"duplicate key '{key}'{where}", event.start_mark,
                       frame.path + (key,), hint="remove one of them: YAML keeps only one value")
            frame.key = _SKIP
            return
        mark = event.start_mark
        loc = (mark.line + 1, mark.column + 1)  # YamlDoc.key_loc makes the Loc
        frame.key_marks[key] = loc
        self.doc.key_locs[frame.path + (key,)] = loc
        frame.key = key

    _last_key_plain: bool = False  # whether the last scalar key was written plain (`<<` merges)

    # -- scalars -------------------------------------------------------------------------------
    def _check_tag(self, event, stack):
        tag = event.tag
        if tag and tag not in ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "!"):
            self._diag("yaml-tag", f"unsupported YAML tag {tag}", event.start_mark,
                       self._child_path(stack), hint="remove the tag; specs use plain YAML values")

    def _scalar(self, event, stack) -> tuple[Any, tuple]:
        """A value's scalar (keys are taken in ``run``): its value and path."""
        text = event.value
        plain = not event.style and event.implicit[0]
        path = self._child_path(stack)
        tag = event.tag
        if tag and tag != "!":
            return self._tagged(text, tag, event, path), path
        if not plain:
            if event.style:
                self.doc.styles[path] = event.style
            return text, path
        return self._plain(text, event, path), path

    def _tagged(self, text, tag, event, path):
        short = tag.replace("tag:yaml.org,2002:", "!!")
        if short == "!!str":
            return text
        if short == "!!null":
            return None
        if short == "!!bool" and text in ("true", "false"):
            return text == "true"
        if short == "!!int" and _INT.match(text):
            return self._number(text, event, path, integer=True)
        if short == "!!float" and _FLOAT.match(text):
            return self._number(text, event, path, integer=False)
        self._diag("yaml-tag", f"unsupported YAML tag {short} on {text!r}", event.start_mark, path,
                   hint="remove the tag; quote the value to make it text")
        return text

    def _plain(self, text, event, path):
        if text in _NULL:
            return None
        if text == "true" or text == "false":
            return text == "true"
        first = text[0]
        if first.isdigit() or first in "+-.":
            if _INT.match(text) or _FLOAT.match(text):
                digits = text.lstrip("+-")
                if len(digits) > 1 and digits[0] == "0" and digits[1].isdigit():
                    self._warn(event, path, "leading-zero",
                               f"'{text}' has a leading zero: it is kept as the text \"{text}\"",
                               f"quote it (\"{text}\") to say it is text, or drop the zero for a number")
                    return text
                return self._number(text, event, path, integer=bool(_INT.match(text)))
            for pattern, code, reading in _TEXT_TRAPS:
                if pattern.match(text):
                    self._warn(event, path, code, f"'{text}' is kept as text ({reading})",
                               f"quote it: \"{text}\"")
                    return text
        elif _YAML11_BOOL.match(text):
            self._warn(event, path, "yaml11-bool",
                       f"'{text}' is kept as the text \"{text}\" (YAML 1.1 would read it as a boolean)",
                       f"quote it (\"{text}\") for text, or write true/false for a boolean")
            return text
        return text

    def _warn(self, event, path, code, message, hint):
        self._diag(code, message, event.start_mark, path, hint, severity="warning")

    def _number(self, text, event, path, integer):
        digits = sum(ch.isdigit() for ch in text.split("e")[0].split("E")[0])
        try:
            value = Decimal(text.replace("_", ""))
        except InvalidOperation:  # pragma: no cover - guarded by the regexes
            return text
        if digits > MAX_NUMBER_DIGITS or (value and abs(value.adjusted()) > MAX_NUMBER_EXPONENT):
            self._diag("number-range", f"number {text[:30]}{'…' if len(text) > 30 else ''} is out of "
                       f"range (at most {MAX_NUMBER_DIGITS} digits, exponent within "
                       f"±{MAX_NUMBER_EXPONENT})", event.start_mark, path,
                       hint="quote it if it is an identifier, not a quantity")
            return text
        return int(value) if integer else value


_NO_KEY = object()
_SKIP = object()


class _Frame:
    __slots__ = ("value", "path", "is_map", "start", "first_node", "key", "key_marks", "merges",
                 "merge_key_plain", "discard")

    def __init__(self, value, path, is_map, start, first_node):
        self.value = value
        self.path = path
        self.is_map = is_map
        self.start = start
        self.first_node = first_node
        self.key = _NO_KEY
        self.key_marks: dict = {}
        self.merges: list = []
        self.merge_key_plain = False
        self.discard = False

    def apply_merges(self, builder: _Builder) -> None:
        """YAML merge keys (``<<: *defaults``): explicit keys win over merged ones."""
        for value, event in self.merges:
            sources = value if isinstance(value, list) else [value]
            for source in sources:
                if not isinstance(source, dict):
                    builder._diag("yaml-merge", "'<<' merges a mapping or a list of mappings",
                                  event.start_mark, self.path)
                    continue
                for key, item in source.items():
                    if key not in self.value:
                        self.value[key] = item
                        mark = event.start_mark
                        builder.doc.key_locs.setdefault(self.path + (key,), (mark.line + 1, mark.column + 1))
                        builder.doc.locs.setdefault(self.path + (key,), (mark.line + 1, mark.column + 1))
