"""YAML text -> plain values with a location for every node.

We build values from libyaml's event stream ourselves rather than with ``yaml.safe_load``:

* PyYAML applies YAML 1.1 rules: ``NO`` becomes False, ``0123`` becomes 83, ``1:30`` becomes 90 and
  ``2024-05-14`` a ``date``. Here only ``true``/``false`` are booleans, leading-zero numbers stay text,
  and every such trap gets a warning that says how to write it unambiguously.
* duplicate keys are errors (PyYAML silently keeps the last one);
* non-integer numbers become ``Decimal`` (money is never float);
* nesting depth and alias expansion are bounded, so hostile input gets an error, not a crash
  (libyaml's own composer segfaults on very deep nesting). The depth check is ours whatever libyaml
  does: since libyaml 0.2.6 (PyYAML 6.0.4) its scanner looks ahead through ``[[[[…`` and gives up
  at 1000 flow levels before we see the 65th; see :func:`_deep_flow_cut` for how we still answer
  ``too-deep`` at the exact place.

A value's location is kept in ``YamlDoc.locs`` under its path (a tuple of keys and indexes), the
location of the key that holds it in ``YamlDoc.key_locs``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from engine.errors import Diagnostic, Loc

MAX_FILE_BYTES = 5_000_000
MAX_DEPTH = 64
MAX_NODES = 200_000
MAX_NUMBER_DIGITS = 40
MAX_NUMBER_EXPONENT = 100

Path_ = tuple  # a path inside a document: keys (str) and list indexes (int)

_INT = re.compile(r"[-+]?[0-9]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_YAML11_BOOL = re.compile(r"(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|True|TRUE|False|FALSE)\Z")
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?\Z")
_DATE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}.*)?\Z")
_OCTAL_HEX = re.compile(r"[-+]?0(?:[xX][0-9a-fA-F_]+|[oO]?[0-7_]+|[bB][01_]+)\Z")
_NULL = frozenset(("", "~", "null", "Null", "NULL"))
# plain scalars YAML 1.1 would turn into something else: kept as text, with a warning
_TEXT_TRAPS = (
    (_SEXAGESIMAL, "yaml11-sexagesimal", "YAML 1.1 would read it as a base-60 number"),
    (_DATE, "yaml11-date", "YAML 1.1 would read it as a date"),
    (_OCTAL_HEX, "yaml11-number", "YAML would read it as an octal/hex number"),
)


@dataclass
class YamlDoc:
    """One parsed YAML file."""

    file: str
    data: Any = None
    locs: dict = field(default_factory=dict)
    key_locs: dict = field(default_factory=dict)
    styles: dict = field(default_factory=dict)  # path -> scalar style for quoted/block strings
    diagnostics: list = field(default_factory=list)

    def loc(self, path: Path_) -> Loc:
        """The location of the value at ``path``, or of its nearest located ancestor."""
        path = tuple(path)
        while path:
            found = self.locs.get(path)
            if found is not None:
                return found
            path = path[:-1]
        return self.locs.get((), Loc(self.file, 1, 1))

    def key_loc(self, path: Path_) -> Loc:
        """The location of the key that holds ``path`` (falls back to the value's location)."""
        return self.key_locs.get(tuple(path)) or self.loc(path)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def format_path(path: Path_) -> str:
    """``('flows', 'x', 'map', 'lignes', 0)`` -> ``flows.x.map.lignes[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = str(part)
    return out


def load_file(path: str | Path, display_name: str | None = None) -> YamlDoc:
    """Read and parse one YAML file; never raises for bad content (problems become diagnostics)."""
    name = display_name or str(path)
    doc = YamlDoc(name)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        doc.diagnostics.append(Diagnostic("io-error", f"cannot read file: {exc.strerror or exc}",
                                          Loc(name, 1, 1)))
        return doc
    return load_bytes(raw, name, doc)


def load_bytes(raw: bytes, name: str, doc: YamlDoc | None = None) -> YamlDoc:
    doc = doc or YamlDoc(name)
    if len(raw) > MAX_FILE_BYTES:
        doc.diagnostics.append(Diagnostic(
            "file-too-large", f"spec file is {len(raw)} bytes; the limit is {MAX_FILE_BYTES}",
            Loc(name, 1, 1), hint="split the project into several smaller files"))
        return doc
    text = _decode(raw, doc)
    if text is None:
        return doc
    return load_text(text, name, doc)


def _decode(raw: bytes, doc: YamlDoc) -> str | None:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        doc.diagnostics.append(Diagnostic(
            "encoding", f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
            Loc(doc.file, line, col), hint="save the file as UTF-8"))
        return None


def load_text(text: str, name: str, doc: YamlDoc | None = None) -> YamlDoc:
    doc = doc or YamlDoc(name)
    before = len(doc.diagnostics)
    stopped_at = _parse(text, name, doc)
    if stopped_at is None:
        return doc
    # libyaml stopped the parse. If it did so while looking ahead through flow collections nested
    # deeper than we allow, the first too-deep place lies before where it stopped: parse the text only
    # up to just past that place's opener, and let the builder say `too-deep` there.
    end = _line_end(text, stopped_at.line)
    start = 0
    for _ in range(_CUT_TRIES):
        cut = _deep_flow_cut(text, start, end)
        if cut is None:
            break
        trial = YamlDoc(name)
        _parse(text[:cut], name, trial)
        if any(d.code == "too-deep" for d in trial.diagnostics):
            doc.data, doc.locs, doc.key_locs, doc.styles = trial.data, trial.locs, trial.key_locs, trial.styles
            doc.diagnostics[before:] = trial.diagnostics
            break
        # not confirmed (brackets the scan took for openers were text): look further, from the next line
        start = _line_end(text, 1, cut)
    return doc


def _parse(text: str, name: str, doc: YamlDoc) -> Loc | None:
    """Build ``doc`` from ``text``; returns where libyaml stopped with an error of its own, if it did."""
    builder = _Builder(doc)
    try:
        builder.run(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Loc(name, mark.line + 1, mark.column + 1) if mark else Loc(name, 1, 1)
        message = exc.problem or "invalid YAML"
        if exc.context:
            message = f"{exc.context}: {message}" if exc.problem else exc.context
        opened = exc.context_mark
        if opened is not None and mark is not None and (opened.line, opened.column) != (mark.line, mark.column):
            message += f" (the construct starts at line {opened.line + 1}, column {opened.column + 1})"
        lines = text.splitlines()
        bad_char = ""
        if mark is not None and mark.line < len(lines) and mark.column < len(lines[mark.line]):
            bad_char = lines[mark.line][mark.column]
        doc.diagnostics.append(Diagnostic("yaml-syntax", message, loc,
                                          hint=_syntax_hint(message, bad_char)))
        return loc
    except yaml.YAMLError as exc:  # reader errors (control characters...) have no problem_mark
        loc = _reader_loc(exc, text, name)
        doc.diagnostics.append(Diagnostic("yaml-syntax", _reader_message(exc), loc,
                                          hint="remove the control character, or quote the value with "
                                               "an escape such as \"\\t\""))
        return loc
    except _Abort:
        pass
    return None


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


def _reader_loc(exc: Exception, text: str, name: str) -> Loc:
    """libyaml's reader errors give a position, not a mark: the offset of the character."""
    position = getattr(exc, "position", None)
    if not isinstance(position, int):
        return Loc(name, 1, 1)
    data = text.encode("utf-8")
    if getattr(exc, "character", None) is not None and 0 <= position < len(data) \
            and len(text) != len(data):  # libyaml counts bytes of the UTF-8 text
        before = data[:position].decode("utf-8", "replace")
    else:
        before = text[:position]
    line = before.count("\n") + 1
    return Loc(name, line, len(before) - (before.rfind("\n") + 1) + 1)


def _reader_message(exc: Exception) -> str:
    character = getattr(exc, "character", None)
    if isinstance(character, str):
        return f"special character {character!r} (U+{ord(character):04X}) is not allowed in YAML"
    if isinstance(character, int):
        return f"special character (U+{character:04X}) is not allowed in YAML"
    return str(exc).splitlines()[0]


def _syntax_hint(message: str, bad_char: str = "") -> str | None:
    if bad_char == "\t" or "tab" in message.lower():
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in message:
        return "quote a value that contains ': ', or check the indentation"
    if "expected ',' or '}'" in message or "expected ',' or ']'" in message:
        return "close the bracket opened where the construct starts, or separate items with ','"
    if "could not find expected ':'" in message:
        return "check the indentation of this line and the one before"
    return None


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
        loader = yaml.CSafeLoader(text)
        try:
            stack: list[_Frame] = []
            root_holder: list = []
            while True:
                event = loader.get_event()
                if event is None:
                    break
                kind = type(event)
                if kind is yaml.ScalarEvent:
                    self._add(stack, root_holder, *self._scalar(event, stack), event, None)
                elif kind in (yaml.MappingStartEvent, yaml.SequenceStartEvent):
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
                self.doc.locs[()] = Loc(self.doc.file, 1, 1)
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
        if not located:
            self._count(1, event.start_mark)
        if not stack:
            root_holder.append(value)
            self.doc.locs[()] = self._loc(event.start_mark)
            return
        top = stack[-1]
        if top.is_map and top.key is _NO_KEY:  # this value is a key
            self._take_key(top, value, event)
            return
        if top.is_map and top.key is _SKIP:
            top.key = _NO_KEY
            return
        if top.is_map and top.key == "<<" and top.merge_key_plain:
            top.merges.append((value, event))
            top.key = _NO_KEY
            return
        if top.discard:
            if top.is_map:
                top.key = _NO_KEY
            return
        path = self._child_path(stack)
        self.doc.locs[path] = self._loc(event.start_mark)
        if style:
            self.doc.styles[path] = style
        if top.is_map:
            top.value[top.key] = value
            top.key = _NO_KEY
        else:
            top.value.append(value)

    def _take_key(self, frame, value, event):
        if isinstance(value, (dict, list)):
            self._diag("complex-key", "a mapping key must be a plain value", event.start_mark, frame.path)
            frame.key = _SKIP
            return
        key = self._last_key_text if self._last_key_text is not None else str(value)
        self._last_key_text = None
        frame.merge_key_plain = key == "<<" and self._last_key_plain
        if key in frame.value or key in frame.key_marks:
            first = frame.key_marks.get(key)
            where = f" (first defined at line {first.line})" if first else ""
            self._diag("duplicate-key", f"duplicate key '{key}'{where}", event.start_mark,
                       frame.path + (key,), hint="remove one of them: YAML keeps only one value")
            frame.key = _SKIP
            return
        loc = self._loc(event.start_mark)
        frame.key_marks[key] = loc
        self.doc.key_locs[frame.path + (key,)] = loc
        frame.key = key

    _last_key_text: str | None = None
    _last_key_plain: bool = False

    # -- scalars -------------------------------------------------------------------------------
    def _check_tag(self, event, stack):
        tag = event.tag
        if tag and tag not in ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "!"):
            self._diag("yaml-tag", f"unsupported YAML tag {tag}", event.start_mark,
                       self._child_path(stack), hint="remove the tag; specs use plain YAML values")

    def _scalar(self, event, stack):
        text = event.value
        path = self._child_path(stack)
        is_key = bool(stack) and stack[-1].is_map and stack[-1].key is _NO_KEY
        plain = not event.style and event.implicit[0]
        if is_key:
            self._last_key_text = text
            self._last_key_plain = plain
            return text, path
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
                        builder.doc.key_locs.setdefault(self.path + (key,), builder._loc(event.start_mark))
                        builder.doc.locs.setdefault(self.path + (key,), builder._loc(event.start_mark))
