"""The file protocol: records read from, and payloads written to, files in one folder.

A connector definition says::

    protocol: file
    file: { dir: "{settings.dir}" }
    resources:
      orders: { path: "orders/*.json", key: id }           # a glob under dir; format detected
      stock:                                               # an inbox: files moved once read
        inbox: { path: "in/*.csv", done: "done/", failed: "failed/" }
        format: { type: csv, delimiter: ";", encoding: cp1252, decimal: "," }
    operations:
      save_stock: { path: "stock/{ref}.json", format: json }   # {ref}: a `with` value of the flow

Formats: JSON, JSON Lines and XML (:mod:`engine.connectors.codecs.records`), CSV and fixed-width
text (:mod:`~engine.connectors.codecs.csvfile`, :mod:`~engine.connectors.codecs.fixedwidth`, declared
in :mod:`~engine.connectors.codecs.textformat`). Reading: :mod:`engine.connectors.file_read`; inbox
moves: :mod:`engine.connectors.file_inbox`; atomic writes and batch files:
:mod:`engine.connectors.file_write`. ``find`` looks for the file a write would create.

Everything a spec names is untrusted: a path is relative to ``dir``, never absolute, never through
``..``, and symbolic links are resolved before the check, so nothing is read or written outside ``dir``.
"""
from __future__ import annotations

import errno
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from decimal import Decimal
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.connectors.base import ConnectorPlan, ProtocolSpec, WriteResult
from engine.connectors.codecs.csvfile import CellError, CsvWriter, rows_of
from engine.connectors.codecs.fixedwidth import FixedWriter
from engine.connectors.codecs.records import InputError
from engine.connectors.codecs.textformat import TEXT_TYPES, TextFormat, compile_format
from engine.connectors.codecs.xmlcodec import XmlOptions
from engine.connectors.context import ConnectorCompiler
from engine.connectors.errors import EncodeError, EndpointError
from engine.connectors.file_inbox import Inbox, InboxRun, settle
from engine.connectors.file_read import file_pages, visible
from engine.connectors.file_write import CLOCK_NAMES, BatchFiles, any_clock, append_durably, clock_values, \
    replace_atomically
from engine.connectors.http.plan import xml_options
from engine.connectors.secrets import settings_scrubber
from engine.connectors.templates import Template, TemplateError, lookup, text_of
from engine.util.fileio import OutsideFolder, confine, inside
from engine.util.jsonout import OutputError, dumps

PAGE = 1000  # records per page when a file holds many
_TRANSIENT = {errno.ENOSPC, errno.EAGAIN, errno.EBUSY, errno.EIO, errno.EDQUOT, errno.ETIMEDOUT}


@dataclass(frozen=True)
class FileConnector:
    """The file protocol's connector: the folder its paths are read from and written to."""

    dir: Template | None
    format: str  # the connector's `format.type`: XML options for `dry-run --input` too
    xml: XmlOptions


@dataclass(frozen=True)
class FileResource:
    """A file resource: the path template of the files to read, their format, the inbox moves."""

    path: Template | None
    format: str | None  # None: detected from each file's content
    text: TextFormat | None = None  # CSV / fixed width
    inbox: Inbox | None = None


@dataclass(frozen=True)
class FileOperation:
    """A file operation: the path template of the file to write, and how."""

    path: Template | None
    format: str  # json | jsonl | csv | fixed
    text: TextFormat | None = None
    mode: str = "per_record"  # or batch: one file per run
    zone: ZoneInfo | None = None  # of {date} / {timestamp}


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


def _format(spec: Any, ctx: ConnectorCompiler, path: tuple, types: Mapping) -> tuple[str | None, TextFormat | None]:
    if spec in TEXT_TYPES:  # `format: csv`: every option at its default
        spec = {"type": spec}
    if not isinstance(spec, Mapping):
        return spec, None
    kind = spec.get("type")
    if kind not in TEXT_TYPES:
        return kind, None
    text = compile_format(spec, lambda message, sub: ctx.error("bad-format", message, path + sub))
    return kind, text.typed(types) if text is not None else None


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
    kind, text = _format(res.get("format"), ctx, path + ("format",), res.get("types") or {})
    return FileResource(glob, kind, text, inbox), (None, None, None)


def compile_operation(name: str, op: Mapping, ctx: ConnectorCompiler, conn: FileConnector,
                      needs: set) -> FileOperation:
    path = ("operations", name)
    if "path" not in op:
        ctx.error("missing-key", "a file operation needs `path` (the file to write under the connector's "
                  "`dir`, e.g. out/{key}.json)", path)
    template = _path(op.get("path"), ctx, path + ("path",), needs, CLOCK_NAMES)
    kind, text = _format(op.get("format", "json"), ctx, path + ("format",), {})
    mode = op.get("mode", "per_record")
    if mode == "batch" and kind not in ("csv", "fixed", "jsonl"):
        ctx.error("bad-format", f"`mode: batch` collects lines in one file: format csv, fixed or jsonl, not {kind}",
                  path + ("mode",))
    zone = None
    if "timezone" in op:
        try:
            zone = ZoneInfo(str(op["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            ctx.error("bad-timezone", f"unknown time zone {op['timezone']!r}", path + ("timezone",),
                      "an IANA name such as Europe/Paris or UTC")
    elif template is not None and any(p[0] in CLOCK_NAMES for p in template.paths):
        ctx.error("missing-key", "a path with {date} or {timestamp} needs `timezone` (e.g. Europe/Paris)",
                  path + ("path",))
    return FileOperation(template, str(kind), text, str(mode), zone)


class FileEndpoint:
    """One file connector opened with one client's settings: a folder."""

    def __init__(self, name: str, plan: ConnectorPlan, settings: Mapping[str, Any], **options):
        self.name = name
        self.plan = plan
        self.detail: FileConnector = plan.detail
        self.settings = dict(settings)
        self.scrub = settings_scrubber(settings)
        folder = self.detail.dir.text_for({"settings": self.settings}, reveal=True) if self.detail.dir else ""
        self.base = Path(folder).expanduser().resolve() if str(folder).strip() else None
        self.opened = datetime.now().astimezone()  # the run's time: {date} / {timestamp}
        self.batch = BatchFiles()
        self.inbox_runs: dict[str, InboxRun] = {}
        self.writers: dict[str, Any] = {}
        self.clocks: dict[str, dict[str, str]] = {}  # operation -> its {date}/{timestamp}: the run's time
        self.batch_paths: dict[tuple[str, str], tuple[str, Path]] = {}  # (operation, name) -> resolved target

    def location(self) -> str:
        return self.scrub(f"file:{self.base if self.base is not None else '(no dir)'}")

    def close(self) -> None:
        try:
            self.batch.publish()
        except OSError as exc:
            raise self._fail(f"cannot publish the batch files: {exc.strerror or exc}") from None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _fail(self, message: str, **flags) -> EndpointError:
        return EndpointError(self.scrub(message), **flags)

    def _folder(self) -> Path:
        if self.base is None:
            raise self._fail(f"connector '{self.plan.name}': `dir` is empty (check its setting)")
        if not self.base.is_dir():
            raise self._fail(f"{self.location()}: the folder does not exist (check the connector's `dir` setting)")
        return self.base

    def _inside(self, path: Path) -> bool:
        return self.base is not None and inside(path, self.base)

    # -- reading -----------------------------------------------------------------------------------
    def read(self, resource: str, *, where: Mapping[str, Any] | None = None, since: tuple | None = None,
             keys: tuple | None = None, page_size: int | None = None) -> Iterator[list[dict]]:
        """Records of every file matching the resource's glob, files in sorted order."""
        if where or since is not None or keys is not None:  # validate refuses flows asking for these
            raise self._fail(f"resource '{resource}' of connector '{self.plan.name}': file resources cannot "
                             "be filtered (where/since/keys); use `filter:` after reading")
        plan = self.plan.resources[resource]
        res: FileResource = plan.detail
        pattern = res.path.text_for({"settings": self.settings}, reveal=True) if res.path else ""
        problem = path_problem(pattern)
        if problem:
            raise self._fail(f"resource '{resource}': path {pattern!r} {problem}")
        folder = self._folder()
        try:
            found = sorted((p for p in folder.glob(pattern) if p.is_file() and visible(p)),
                           key=lambda p: p.relative_to(folder).as_posix())
        except (ValueError, OSError) as exc:  # a malformed glob (`**x`), an unreadable sub-folder
            raise self._fail(f"resource '{resource}': cannot list {pattern!r}: {exc}") from None
        options = self.detail.xml if self.detail.format == "xml" else None
        run = self.inbox_runs.setdefault(resource, InboxRun()) if res.inbox is not None else None
        for file in found:
            shown = file.relative_to(folder).as_posix()
            try:
                real = confine(folder, shown)
            except (OutsideFolder, OSError):
                raise self._fail(f"resource '{resource}': {shown} is a link leading outside {folder}: refused") from None
            first = run.position if run is not None else 0
            try:
                for page in file_pages(real, shown, resource, res.format, res.text, options, plan.key,
                                       page_size or PAGE):
                    if run is not None:
                        run.position += len(page)
                    yield page
            except InputError as exc:
                where_ = ":".join(str(p) for p in (shown, exc.line, exc.col) if p is not None)
                if run is None:
                    raise self._fail(f"resource '{resource}': {where_}: {exc.message}") from None
                run.failed.append((real, f"{where_}: {exc.message}"))
                continue
            if run is not None:
                run.read.append((real, first, run.position))

    def settled(self, resource: str, all_final: bool, open_at: set[int] | None = None) -> list[str]:
        """The run processed what it read from ``resource``; ``all_final``: every record's outcome is
        final; ``open_at``: the read positions of the records that are not (each file whose records
        are all final moves then). An inbox moves its files (:mod:`engine.connectors.file_inbox`)."""
        res: FileResource = self.plan.resources[resource].detail
        run = self.inbox_runs.pop(resource, None)
        if res.inbox is None or run is None or self.base is None:
            return []
        try:
            return settle(self.base, res.inbox, run, all_final, open_at)
        except OSError as exc:
            raise self._fail(f"resource '{resource}': cannot move an inbox file: {exc.strerror or exc}") from None

    # -- writing -----------------------------------------------------------------------------------
    def _clock(self, operation: str, op: FileOperation) -> dict[str, str]:
        clock = self.clocks.get(operation)
        if clock is None:
            clock = self.clocks[operation] = clock_values(self.opened.astimezone(op.zone)) if op.zone is not None else {}
        return clock

    def _target(self, operation: str, values: Mapping[str, Any] | None,
                clock: Mapping[str, str] | None = None) -> tuple[str, Path]:
        """The relative path a write goes to (for messages) and the real path (links resolved)."""
        return self._resolve(operation, self._render(operation, values, clock))

    def _render(self, operation: str, values: Mapping[str, Any] | None, clock: Mapping[str, str] | None = None) -> str:
        """The file name a write goes to, from the path template (values checked, never a path)."""
        op: FileOperation = self.plan.operations[operation].detail
        ctx = {**(values or {}), "settings": self.settings,
               **(clock if clock is not None else self._clock(operation, op))}
        try:
            for parts in op.path.paths if op.path else ():
                if parts[0] == "settings" or parts[0] in CLOCK_NAMES:
                    continue
                value = text_of(lookup(ctx, parts))
                if value in ("", ".", "..") or any(char in value for char in "/\\\x00*?["):
                    raise TemplateError(f"{{{'.'.join(parts)}}} = {value!r} cannot be part of a file name (empty, "
                                        "'.', '..', or holding '/', '\\', '*', '?' or '['): refused")
            text = op.path.text_for(ctx, reveal=True) if op.path else ""
        except TemplateError as exc:
            raise EncodeError(self.scrub(f"operation '{operation}': {exc}")) from None
        problem = path_problem(text)
        if problem:
            raise EncodeError(self.scrub(f"operation '{operation}': path {text!r} {problem}: refused"))
        return text

    def _resolve(self, operation: str, text: str) -> tuple[str, Path]:
        folder = self._folder()
        target = folder / text
        parent = target.parent.resolve()  # the existing part's links followed
        real = parent / target.name
        if real.is_symlink() or real.exists():
            real = real.resolve()
        if not self._inside(parent) or not self._inside(real):
            raise EncodeError(self.scrub(f"operation '{operation}': {text} leads to {real}, outside {folder} (a "
                                         "symbolic link?): refused"))
        return PurePosixPath(text.replace("\\", "/")).as_posix(), real

    def _body(self, operation: str, op: FileOperation, payload: Any) -> tuple[bytes, bytes]:
        """The bytes one payload writes: (the header line of a new file, the record's lines)."""
        if op.text is None:
            try:
                return b"", (dumps(payload, indent=None if op.format == "jsonl" else 2) + "\n").encode("utf-8")
            except OutputError as exc:
                raise EncodeError(f"operation '{operation}': the payload cannot be written as JSON: {exc}") from None
        writer = self.writers.get(operation)
        if writer is None:
            writer = self.writers[operation] = CsvWriter(op.text) if op.text.type == "csv" else FixedWriter(op.text)
        try:
            names = writer.columns(rows_of(payload))
            return writer.header(names), writer.lines(payload, names)
        except CellError as exc:
            raise EncodeError(self.scrub(f"operation '{operation}': {exc}")) from None

    def write(self, operation: str, payload: Any, values: Mapping[str, Any] | None = None) -> WriteResult:
        op: FileOperation = self.plan.operations[operation].detail
        if op.mode == "batch":  # the target resolved once per file and run: its partial stays open
            name = self._render(operation, values)
            known = self.batch_paths.get((operation, name))
            if known is None or not self.batch.is_open(known[1]):
                known = self.batch_paths[(operation, name)] = self._resolve(operation, name)
            shown, real = known
        else:
            shown, real = self._target(operation, values)
        header, body = self._body(operation, op, payload)
        try:
            if op.mode == "batch":
                self.batch.append(real, header, body)
            elif op.format == "jsonl":
                append_durably(real, body)
            else:
                replace_atomically(real, header + body)
        except OSError as exc:
            raise self._fail(f"operation '{operation}': cannot write {shown}: {exc.strerror or exc}",
                             transient=exc.errno in _TRANSIENT, outcome_unknown=op.format == "jsonl") from None
        return WriteResult(None, {"path": shown}, shown)

    def find(self, operation: str, values: Mapping[str, Any]) -> list:
        """The file a write would create: ``[{"path": ..., **its JSON object}]``, or [] when absent
        (``{date}``/``{timestamp}`` match any value)."""
        op: FileOperation = self.plan.operations[operation].detail
        shown, real = self._target(operation, values, any_clock() if op.zone is not None else None)
        matches = sorted(p for p in real.parent.glob(real.name) if p.is_file()) if "*" in real.name \
            else [real] if real.is_file() else []
        if not matches:
            return []
        shown = PurePosixPath(shown).with_name(matches[-1].name).as_posix()
        if op.format != "json":
            return [{"path": shown}]
        try:
            content = json.loads(matches[-1].read_text(encoding="utf-8"), parse_float=Decimal)
        except (OSError, ValueError) as exc:
            raise self._fail(f"look-up '{operation}': cannot read {shown}: {exc}", transient=True) from None
        return [{"path": shown, **content}] if isinstance(content, dict) else [{"path": shown}]

    def describe_write(self, operation: str, payload: Any, values: Mapping[str, Any] | None = None) -> dict:
        op: FileOperation = self.plan.operations[operation].detail
        shown, _ = self._target(operation, values)
        header, body = self._body(operation, op, payload)
        text = (body if op.mode == "batch" else header + body).decode(op.text.encoding if op.text else "utf-8")
        method = "APPEND" if op.format == "jsonl" or op.mode == "batch" else "WRITE"
        return {"method": method, "url": f"file:{shown}", "headers": {},
                "body": self.scrub(text.rstrip("\n") if op.text is None else text)}


def open_endpoint(name: str, plan: ConnectorPlan, settings: Mapping[str, Any], **options) -> FileEndpoint:
    return FileEndpoint(name, plan, settings, **options)


PROTOCOL = ProtocolSpec(
    "file", "CSV, fixed-width, JSON, JSON Lines or XML files in a folder: globs or inboxes read, files written "
    "atomically", compile_connector, compile_resource, compile_operation, open_endpoint,
    frozenset({"path", "format", "inbox"}), frozenset({"path", "format", "mode", "timezone"}))
