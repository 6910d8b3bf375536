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
in :mod:`~engine.connectors.codecs.textformat`), XML files declared element by element
(:mod:`~engine.connectors.codecs.xmlfile`). Compiling: :mod:`engine.connectors.file_compile`;
reading: :mod:`engine.connectors.file_read`; inbox moves (file by file, once all of a file's records
are final): :mod:`engine.connectors.file_inbox`; atomic writes and batch files:
:mod:`engine.connectors.file_write`. ``find`` looks for the file a write would create.

Everything a spec names is untrusted: a path is relative to ``dir``, never absolute, never through
``..``, and symbolic links are resolved before the check, so nothing is read or written outside ``dir``.
"""
from __future__ import annotations

import errno
import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

from engine.connectors.base import ConnectorPlan, ProtocolSpec, WriteResult
from engine.connectors.codecs.csvfile import CellError, CsvWriter, rows_of
from engine.connectors.codecs.fixedwidth import FixedWriter
from engine.connectors.codecs.records import InputError
from engine.connectors.codecs.xmlfile import XmlWriter
from engine.connectors.errors import EncodeError, EndpointError
from engine.connectors.file_compile import FileConnector, FileOperation, FileResource, compile_connector, \
    compile_operation, compile_resource, path_problem
from engine.connectors.file_inbox import InboxRun, settle
from engine.connectors.file_read import file_pages, visible
from engine.connectors.file_write import CLOCK_NAMES, BatchFiles, any_clock, append_durably, clock_values, \
    replace_atomically
from engine.connectors.secrets import settings_scrubber
from engine.connectors.templates import TemplateError, lookup, text_of
from engine.util.fileio import OutsideFolder, confine, inside
from engine.util.jsonout import OutputError, dumps

__all__ = ["FileConnector", "FileOperation", "FileResource", "FileEndpoint", "PROTOCOL", "compile_connector",
           "compile_operation", "compile_resource", "path_problem"]

PAGE = 1000  # records per page when a file holds many
_TRANSIENT = {errno.ENOSPC, errno.EAGAIN, errno.EBUSY, errno.EIO, errno.EDQUOT, errno.ETIMEDOUT}


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
                refused = f"{shown} is a link leading outside {folder}: refused"
                if run is None:
                    raise self._fail(f"resource '{resource}': {refused}") from None
                run.failed.append((file, refused))  # the link itself moves to failed/; its target is not touched
                continue
            first = run.position if run is not None else 0
            if run is not None:
                run.begin(real)
            try:
                for page in file_pages(real, shown, resource, res.format, res.text or res.xml, options, plan.key,
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

    def _body(self, operation: str, op: FileOperation, payload: Any) -> tuple[bytes, bytes, bytes]:
        """The bytes one payload writes: (the start of a new file, the record's lines, the end of a file)."""
        if op.xml is not None:
            writer = self.writers.get(operation) or self.writers.setdefault(operation, XmlWriter(op.xml))
            try:
                return writer.header(), writer.lines(payload), writer.trailer()
            except CellError as exc:
                raise EncodeError(self.scrub(f"operation '{operation}': {exc}")) from None
        if op.text is None:
            try:
                return b"", (dumps(payload, indent=None if op.format == "jsonl" else 2) + "\n").encode("utf-8"), b""
            except OutputError as exc:
                raise EncodeError(f"operation '{operation}': the payload cannot be written as JSON: {exc}") from None
        writer = self.writers.get(operation)
        if writer is None:
            writer = self.writers[operation] = CsvWriter(op.text) if op.text.type == "csv" else FixedWriter(op.text)
        for step in op.rows:  # `rows: positions`: only that list of the payload is written, one line each
            payload = payload.get(step) if isinstance(payload, dict) else None
        if op.rows and not isinstance(payload, list):
            raise EncodeError(f"operation '{operation}': the payload's `{'.'.join(op.rows)}` (rows) is not a list")
        try:
            names = writer.columns(rows_of(payload))
            return writer.header(names), writer.lines(payload, names), b""
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
        header, body, trailer = self._body(operation, op, payload)
        try:
            if op.mode == "batch":
                self.batch.append(real, header, body, trailer)
            elif op.format == "jsonl":
                append_durably(real, body)
            else:
                replace_atomically(real, header + body + trailer)
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
        header, body, trailer = self._body(operation, op, payload)
        encoding = op.text.encoding if op.text else op.xml.encoding if op.xml else "utf-8"
        text = (body if op.mode == "batch" else header + body + trailer).decode(encoding)
        method = "APPEND" if op.format == "jsonl" or op.mode == "batch" else "WRITE"
        return {"method": method, "url": f"file:{shown}", "headers": {},
                "body": self.scrub(text.rstrip("\n") if op.text is None and op.xml is None else text)}


def open_endpoint(name: str, plan: ConnectorPlan, settings: Mapping[str, Any], **options) -> FileEndpoint:
    return FileEndpoint(name, plan, settings, **options)


PROTOCOL = ProtocolSpec(
    "file", "CSV, fixed-width, JSON, JSON Lines or XML files in a folder: globs or inboxes read, files written "
    "atomically", compile_connector, compile_resource, compile_operation, open_endpoint,
    frozenset({"path", "format", "inbox"}), frozenset({"path", "format", "mode", "timezone", "rows"}))
