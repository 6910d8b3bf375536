"""The file protocol: records read from, and payloads written to, files in one folder.

A connector definition says::

    protocol: file
    file: { dir: "{settings.dir}" }
    resources:
      orders: { path: "orders/*.json", key: id }           # a glob under dir; format detected
    operations:
      save_stock: { path: "stock/{ref}.json", format: json }   # {ref}: a `with` value of the flow

Reading: the files matching the glob, in sorted order, each read as JSON, JSON Lines or XML by
:mod:`engine.connectors.codecs.records` (from the content, or the resource's ``format``); one page per
file (per ``page_size`` records of a large file). Writing: ``format: json`` writes the payload as exact
JSON to a temporary file then renames it over the target (a reader never sees half a file);
``format: jsonl`` appends one line. ``find`` looks for the file a write would create.

Everything a spec names is untrusted: a path is relative to ``dir``, never absolute, never through
``..``, and symbolic links are resolved before the check, so nothing is read or written outside ``dir``.
"""
from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from engine.connectors.base import ConnectorPlan, ProtocolSpec, WriteResult
from engine.connectors.codecs.records import InputError, read_input
from engine.connectors.codecs.xmlcodec import XmlOptions
from engine.connectors.context import ConnectorCompiler
from engine.connectors.errors import EncodeError, EndpointError
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
    """A file resource: the path template of the file to read."""

    path: Template | None
    format: str | None  # None: detected from each file's content


@dataclass(frozen=True)
class FileOperation:
    """A file operation: the path template of the file to write."""

    path: Template | None
    format: str  # json | jsonl


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


def _path(text: Any, ctx: ConnectorCompiler, path: tuple, needs: set | None) -> Template | None:
    template = ctx.template(text, path, needs=needs)
    if template is not None:
        problem = path_problem(text)
        if problem:
            ctx.error("bad-path", f"path {text!r} {problem}", path)
            return None
    return template


def compile_connector(data: Mapping, ctx: ConnectorCompiler) -> FileConnector:
    block = data.get("file") or {}
    fmt = data.get("format") or {"type": "json"}
    return FileConnector(ctx.template(block.get("dir", "{settings.dir}"), ("file", "dir")),
                         fmt.get("type", "json"), xml_options(fmt))


def compile_resource(name: str, res: Mapping, ctx: ConnectorCompiler, conn: FileConnector
                     ) -> tuple[FileResource, tuple[None, None, None]]:
    path = ("resources", name)
    if "path" not in res:
        ctx.error("missing-key", "a file resource needs `path` (a glob under the connector's `dir`, e.g. "
                  "orders/*.json)", path)
    return FileResource(_path(res.get("path"), ctx, path + ("path",), None), res.get("format")), (None, None, None)


def compile_operation(name: str, op: Mapping, ctx: ConnectorCompiler, conn: FileConnector,
                      needs: set) -> FileOperation:
    path = ("operations", name)
    if "path" not in op:
        ctx.error("missing-key", "a file operation needs `path` (the file to write under the connector's "
                  "`dir`, e.g. out/{key}.json)", path)
    return FileOperation(_path(op.get("path"), ctx, path + ("path",), needs), op.get("format", "json"))


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

    def location(self) -> str:
        return self.scrub(f"file:{self.base if self.base is not None else '(no dir)'}")

    def close(self) -> None:
        pass

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
        res: FileResource = self.plan.resources[resource].detail
        pattern = res.path.text_for({"settings": self.settings}, reveal=True) if res.path else ""
        problem = path_problem(pattern)
        if problem:
            raise self._fail(f"resource '{resource}': path {pattern!r} {problem}")
        folder = self._folder()
        try:
            found = sorted((p for p in folder.glob(pattern) if p.is_file()),
                           key=lambda p: p.relative_to(folder).as_posix())
        except (ValueError, OSError) as exc:  # a malformed glob (`**x`), an unreadable sub-folder
            raise self._fail(f"resource '{resource}': cannot list {pattern!r}: {exc}") from None
        size = page_size or PAGE
        options = self.detail.xml if self.detail.format == "xml" else None
        for file in found:
            shown = file.relative_to(folder).as_posix()
            try:
                real = confine(folder, shown)
            except (OutsideFolder, OSError):
                raise self._fail(f"resource '{resource}': {shown} is a link leading outside {folder}: refused") from None
            try:
                sets = read_input(real, name=resource, default_resource=resource, xml_options=options,
                                  fmt=res.format)
            except InputError as exc:
                where_ = ":".join(str(p) for p in (shown, exc.line, exc.col) if p is not None)
                raise self._fail(f"resource '{resource}': {where_}: {exc.message}") from None
            records = sets[0][1] if sets else []
            for start in range(0, len(records), size):
                yield records[start:start + size]

    # -- writing -----------------------------------------------------------------------------------
    def _target(self, operation: str, values: Mapping[str, Any] | None) -> tuple[str, Path]:
        """The relative path a write goes to (for messages) and the real path (links resolved)."""
        op: FileOperation = self.plan.operations[operation].detail
        ctx = {**(values or {}), "settings": self.settings}
        try:
            for parts in op.path.paths if op.path else ():
                value = text_of(lookup(ctx, parts)) if parts[0] != "settings" else "-"
                if value in ("", ".", "..") or any(char in value for char in "/\\\x00"):
                    raise TemplateError(f"{{{'.'.join(parts)}}} = {value!r} cannot be part of a file name (empty, "
                                        "'.', '..', or holding '/' or '\\'): refused")
            text = op.path.text_for(ctx, reveal=True) if op.path else ""
        except TemplateError as exc:
            raise EncodeError(self.scrub(f"operation '{operation}': {exc}")) from None
        problem = path_problem(text)
        if problem:
            raise EncodeError(self.scrub(f"operation '{operation}': path {text!r} {problem}: refused"))
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

    def _text(self, operation: str, payload: Any, indent: int | None) -> str:
        try:
            return dumps(payload, indent=indent)
        except OutputError as exc:
            raise EncodeError(f"operation '{operation}': the payload cannot be written as JSON: {exc}") from None

    def write(self, operation: str, payload: Any, values: Mapping[str, Any] | None = None) -> WriteResult:
        op: FileOperation = self.plan.operations[operation].detail
        shown, real = self._target(operation, values)
        if op.format == "jsonl":
            text = self._text(operation, payload, None) + "\n"
            try:
                real.parent.mkdir(parents=True, exist_ok=True)
                with open(real, "a", encoding="utf-8") as out:
                    out.write(text)
                    out.flush()
                    os.fsync(out.fileno())
            except OSError as exc:
                raise self._fail(f"operation '{operation}': cannot append to {shown}: {exc.strerror or exc}",
                                 transient=exc.errno in _TRANSIENT, outcome_unknown=True) from None
        else:
            self._replace(operation, shown, real, self._text(operation, payload, 2) + "\n")
        return WriteResult(None, {"path": shown}, shown)

    def _replace(self, operation: str, shown: str, real: Path, text: str) -> None:
        """Write ``text`` to a temporary file beside ``real``, then rename it over ``real``."""
        temp = None
        try:
            real.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, real)
            temp = None
        except OSError as exc:
            raise self._fail(f"operation '{operation}': cannot write {shown}: {exc.strerror or exc}",
                             transient=exc.errno in _TRANSIENT) from None
        finally:
            if temp is not None:
                try:
                    os.unlink(temp)
                except OSError:
                    pass

    def find(self, operation: str, values: Mapping[str, Any]) -> list:
        """The file a write would create: ``[{"path": ..., **its JSON object}]``, or [] when absent."""
        op: FileOperation = self.plan.operations[operation].detail
        shown, real = self._target(operation, values)
        if not real.is_file():
            return []
        if op.format == "jsonl":
            return [{"path": shown}]
        try:
            content = json.loads(real.read_text(encoding="utf-8"), parse_float=Decimal)
        except (OSError, ValueError) as exc:
            raise self._fail(f"look-up '{operation}': cannot read {shown}: {exc}", transient=True) from None
        return [{"path": shown, **content}] if isinstance(content, dict) else [{"path": shown}]

    def describe_write(self, operation: str, payload: Any, values: Mapping[str, Any] | None = None) -> dict:
        op: FileOperation = self.plan.operations[operation].detail
        shown, _ = self._target(operation, values)
        jsonl = op.format == "jsonl"
        body = self._text(operation, payload, None if jsonl else 2)
        return {"method": "APPEND" if jsonl else "WRITE", "url": f"file:{shown}", "headers": {},
                "body": self.scrub(body)}


def open_endpoint(name: str, plan: ConnectorPlan, settings: Mapping[str, Any], **options) -> FileEndpoint:
    return FileEndpoint(name, plan, settings, **options)


PROTOCOL = ProtocolSpec(
    "file", "JSON, JSON Lines or XML files in a folder: globs read, payloads written atomically",
    compile_connector, compile_resource, compile_operation, open_endpoint,
    frozenset({"path", "format"}), frozenset({"path", "format"}))
