"""Compiling the file protocol's connector definitions: the folder, each resource's glob or inbox and
format, each operation's path template, format, mode and time zone (:mod:`engine.connectors.file`
runs them). Every path a spec writes is checked here (:func:`path_problem`), and again when rendered.
"""
from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.connectors.codecs.textformat import TEXT_TYPES, TextFormat, compile_format
from engine.connectors.codecs.xmlcodec import XmlOptions
from engine.connectors.codecs.xmlfile import XmlFileFormat, compile_xml_format
from engine.connectors.context import ConnectorCompiler
from engine.connectors.file_inbox import Inbox
from engine.connectors.file_write import CLOCK_NAMES
from engine.connectors.http.plan import xml_options
from engine.connectors.templates import Template
from engine.util.records import frozen


@frozen
class FileConnector:
    """The file protocol's connector: the folder its paths are read from and written to."""

    dir: Template | None
    format: str  # the connector's `format.type`: XML options for `dry-run --input` too
    xml: XmlOptions


@frozen
class FileResource:
    """A file resource: the path template of the files to read, their format, the inbox moves."""

    path: Template | None
    format: str | None  # None: detected from each file's content
    text: TextFormat | None = None  # CSV / fixed width
    inbox: Inbox | None = None
    xml: XmlFileFormat | None = None  # an XML file declared with root and record elements


@frozen
class FileOperation:
    """A file operation: the path template of the file to write, and how."""

    path: Template | None
    format: str  # json | jsonl | csv | fixed
    text: TextFormat | None = None
    mode: str = "per_record"  # or batch: one file per run
    zone: ZoneInfo | None = None  # of {date} / {timestamp}
    xml: XmlFileFormat | None = None  # an XML file: root, record element, attributes, lists
    rows: tuple[str, ...] = ()  # csv / fixed: the payload field whose list items are the file's lines


@lru_cache(maxsize=4096)  # a pure function of the text: a batch run renders the same names again and again
def path_problem(text: str) -> str | None:
    """Why a relative path written in a spec (or rendered from values) may not be used, or None."""
    if not text.strip():
        return "is empty"
    if "\x00" in text:
        return "holds a NUL character"
    if text.startswith(("/", "\\")) or PurePosixPath(text).is_absolute() or PureWindowsPath(text).drive:
        return "is absolute (write it relative to the connector's `dir`)"
    if ".." in PurePosixPath(text.replace("\\", "/")).parts:
        return "goes up with `..` (paths stay inside the connector's `dir`)"
    return None


def _path(text: Any, ctx: ConnectorCompiler, path: tuple, needs: set | None, allowed=()) -> Template | None:
    template = ctx.template(text, path, needs=needs, allowed=allowed)
    if template is not None:
        problem = path_problem(text)
        if problem:
            ctx.error("bad-path", f"path {text!r} {problem}", path)
            return None
    return template


def _format(spec: Any, ctx: ConnectorCompiler, path: tuple, types: Mapping
            ) -> tuple[str | None, TextFormat | None, XmlFileFormat | None]:
    if spec in TEXT_TYPES:  # `format: csv`: every option at its default
        spec = {"type": spec}
    if not isinstance(spec, Mapping):
        return spec, None, None
    kind = spec.get("type")
    def error(message: str, sub: tuple) -> None:
        ctx.error("bad-format", message, path + sub)

    if kind == "xml" and ("record" in spec or "root" in spec):  # an XML file declared element by element
        return kind, None, compile_xml_format(spec, error)
    if kind not in TEXT_TYPES:
        return kind, None, None
    text = compile_format(spec, error)
    return kind, text.typed(types) if text is not None else None, None


def compile_connector(data: Mapping, ctx: ConnectorCompiler) -> FileConnector:
    block = data.get("file") or {}
    fmt = data.get("format") or {"type": "json"}
    return FileConnector(ctx.template(block.get("dir", "{settings.dir}"), ("file", "dir")),
                         fmt.get("type", "json"), xml_options(fmt))


def compile_resource(name: str, res: Mapping, ctx: ConnectorCompiler, conn: FileConnector
                     ) -> tuple[FileResource, tuple[None, None, None]]:
    path = ("resources", name)
    box = res.get("inbox") if isinstance(res.get("inbox"), Mapping) else None
    if ("path" in res) == (box is not None):
        ctx.error("missing-key", "a file resource needs `path` (a glob under the connector's `dir`, e.g. "
                  "orders/*.json) or `inbox` (files moved to done/ once read), one of them", path)
    inbox = None
    if box is not None:
        for key in ("done", "failed"):
            problem = path_problem(str(box.get(key, f"{key}/")))
            if problem:
                ctx.error("bad-path", f"inbox.{key} {box.get(key)!r} {problem}", path + ("inbox", key))
        inbox = Inbox(str(box.get("done", "done/")), str(box.get("failed", "failed/")))
    glob = _path(box.get("path") if box is not None else res.get("path"), ctx,
                 path + (("inbox", "path") if box is not None else ("path",)), None)
    kind, text, xml = _format(res.get("format"), ctx, path + ("format",), res.get("types") or {})
    return FileResource(glob, kind, text, inbox, xml), (None, None, None)


def compile_operation(name: str, op: Mapping, ctx: ConnectorCompiler, conn: FileConnector,
                      needs: set) -> FileOperation:
    path = ("operations", name)
    if "path" not in op:
        ctx.error("missing-key", "a file operation needs `path` (the file to write under the connector's "
                  "`dir`, e.g. out/{key}.json)", path)
    template = _path(op.get("path"), ctx, path + ("path",), needs, CLOCK_NAMES)
    kind, text, xml = _format(op.get("format", "json"), ctx, path + ("format",), {})
    if kind == "xml" and xml is None and isinstance(op.get("format"), (str, Mapping)) and \
            not (isinstance(op.get("format"), Mapping) and ("record" in op["format"] or "root" in op["format"])):
        ctx.error("bad-format", "an XML file written needs its elements: `format: {type: xml, root: Orders, "
                  "record: Order}`", path + ("format",))
    mode = op.get("mode", "per_record")
    if mode == "batch" and kind not in ("csv", "fixed", "jsonl", "xml"):
        ctx.error("bad-format", f"`mode: batch` collects records in one file: format csv, fixed, jsonl or xml, "
                  f"not {kind}", path + ("mode",))
    zone = None
    if "timezone" in op:
        try:
            zone = ZoneInfo(str(op["timezone"]))
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder of the database, `Europe`
            ctx.error("bad-timezone", f"unknown time zone {op['timezone']!r}", path + ("timezone",),
                      "an IANA name such as Europe/Paris or UTC")
    elif template is not None and any(p[0] in CLOCK_NAMES for p in template.paths):
        ctx.error("missing-key", "a path with {date} or {timestamp} needs `timezone` (e.g. Europe/Paris)",
                  path + ("path",))
    rows = tuple(str(op["rows"]).split(".")) if "rows" in op else ()
    if rows and text is None:
        ctx.error("bad-format", f"`rows` picks the lines of a csv or fixed-width file, not of {kind}", path + ("rows",))
    return FileOperation(template, str(kind), text, str(mode), zone, xml, rows)
