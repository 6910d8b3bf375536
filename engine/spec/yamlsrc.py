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

from pathlib import Path
from typing import Any

from engine.errors import Diagnostic, Loc
from engine.util.fileio import read_bytes
from engine.spec import yamlcache
from engine.spec.yamldoc import Path_, YamlDoc, format_path  # noqa: F401  (re-exported)

MAX_FILE_BYTES = 5_000_000
# PyYAML, the builder and the depth scan are imported when a text is parsed: a ``validate`` whose
# files all come from the cache (engine/spec/yamlcache.py) never imports them
_LAZY = {"MAX_DEPTH": "engine.spec.yamlbuild", "_deep_flow_cut": "engine.spec.yamldepth",
         "_CUT_TRIES": "engine.spec.yamldepth", "_line_end": "engine.spec.yamldepth"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def load_file(path: str | Path, display_name: str | None = None) -> YamlDoc:
    """Read and parse one YAML file; never raises for bad content (problems become diagnostics)."""
    name = display_name or str(path)
    doc = YamlDoc(name)
    try:
        raw = read_bytes(path)
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
    cache = yamlcache.active()
    if cache is not None and not doc.diagnostics and doc.data is None:
        cached = cache.get(raw, name)
        if cached is not None:
            doc.data, doc.locs, doc.key_locs, doc.styles = cached.data, cached.locs, cached.key_locs, cached.styles
            doc.diagnostics, doc.digest = cached.diagnostics, cached.digest
            return doc
    text = _decode(raw, doc)
    if text is not None:
        load_text(text, name, doc)
    if cache is not None:
        cache.put(raw, name, doc)
    return doc


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
    from engine.spec.yamldepth import _CUT_TRIES, _deep_flow_cut, _line_end

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
    import yaml

    from engine.spec.yamlbuild import _Abort, _Builder

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
