"""Files an HTTP operation sends (``operations.X.files``): declared once, read once per record.

An operation names the payload members that hold a file, with the part's file name, its content type
and the most bytes the system accepts::

    files:
      image: { filename: "{name}", content_type: image/jpeg, max_bytes: 3000000, folder: "{settings.images_dir}" }

In the mapped payload such a member is a file reference, one of:

* ``{file: "images/A1.jpg"}`` — a path relative to the operation's ``folder`` (the project folder when
  none is declared; a relative folder is taken from the project folder). The path is confined: an
  absolute path, a way up with ``..`` or a symbolic link leading out is refused before a byte is read
  (:func:`engine.util.fileio.confine`); the file must be a regular file.
* ``{base64: "iVBORw0K..."}`` — the content itself, as base64 text read from the source (a picture
  stored in the ERP's database).

Either may carry ``name`` (the file name sent; default: the path's last part, or ``file``) and ``type``
(its content type, over the declaration's). :func:`resolve` turns each reference into a
:class:`FileContent`: the bytes (read once, bounded by ``max_bytes``: a larger file is refused, not
sent) and their SHA-256. A ``FileContent`` writes itself into the run state's JSON as
``{file, sha256, size}``: the ledger's payload hash covers the file's content, so an unchanged file is
not sent again and a changed one is (the flow's ``update`` operation replaces it).
"""
from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from engine.connectors.templates import Template
from engine.util.fileio import FileTooLarge, NotRegularFile, OutsideFolder, confine, read_limited
from engine.util.records import frozen

DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # no operation takes more in one request
NAME_PLACEHOLDERS = ("name", "stem", "suffix")
REF_KEYS = frozenset({"file", "base64", "name", "type", "sha256", "size"})  # sha256/size: the ledger's copy


class FileRefError(ValueError):
    """A file reference that cannot be sent (the message names the member, never the content)."""


@frozen
class FileDecl:
    """One payload member holding a file."""

    member: tuple[str, ...]  # its path in the payload (``entry.content.base64_encoded_data``)
    filename: Template | None = None  # over {name}, {stem}, {suffix}; None: the file's own name
    content_type: str | None = None  # None: guessed from the file name
    max_bytes: int = DEFAULT_MAX_BYTES
    folder: Template | None = None  # over {settings.*}; None: the project folder
    disposition: tuple[tuple[str, Template], ...] = ()  # a multipart part's extra Content-Disposition parameters

    @property
    def label(self) -> str:
        return ".".join(self.member)


class FileContent:
    """A file read for one record: its bytes, held once, and their hash."""

    __slots__ = ("name", "content_type", "data", "sha256", "source", "encoded")

    def __init__(self, name: str, content_type: str, data: bytes, source: str | None, encoded: str | None = None):
        self.name, self.content_type, self.data = name, content_type, data
        import hashlib  # (when a file is sent: a dry-run or a validate compiling file members loads neither)

        self.sha256 = hashlib.sha256(data).hexdigest()
        self.source, self.encoded = source, encoded  # the path as written, or the base64 text as read

    @property
    def size(self) -> int:
        return len(self.data)

    def __jsonout__(self) -> dict:
        """What the run state keeps: enough to read the file again, and its hash (never the bytes)."""
        if self.source is not None:
            return {"file": self.source, "name": self.name, "sha256": self.sha256, "size": self.size}
        return {"base64": self.encoded, "name": self.name, "sha256": self.sha256, "size": self.size}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FileContent) and (self.name, self.content_type, self.sha256) == \
            (other.name, other.content_type, other.sha256)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<file {self.name}: {self.size} bytes, sha256 {self.sha256[:12]}>"


def get_member(payload: Any, member: tuple[str, ...]) -> Any:
    for part in member:
        if not isinstance(payload, Mapping):
            return None
        payload = payload.get(part)
    return payload


def set_member(payload: Any, member: tuple[str, ...], value: Any) -> Any:
    """A copy of ``payload`` with ``member`` set (only the dicts on the way are copied)."""
    if not member:
        return value
    out = dict(payload)
    out[member[0]] = set_member(out.get(member[0]) or {}, member[1:], value)
    return out


def resolve(decls: tuple[FileDecl, ...], payload: Any, folder_of: Callable[[FileDecl], Path]) -> Any:
    """``payload`` with each declared member's reference read into a :class:`FileContent` (absent or
    null members stay so). Raises FileRefError naming the member."""
    if not isinstance(payload, Mapping):
        return payload
    for decl in decls:
        ref = get_member(payload, decl.member)
        if ref is None or isinstance(ref, FileContent):
            continue
        payload = set_member(payload, decl.member, read_ref(decl, ref, folder_of))
    return payload


def read_ref(decl: FileDecl, ref: Any, folder_of: Callable[[FileDecl], Path]) -> FileContent:
    label = decl.label
    if not isinstance(ref, Mapping) or ("file" in ref) == ("base64" in ref):
        raise FileRefError(f"{label}: a file is given as {{file: <path>}} or {{base64: <text>}}, "
                           f"not {_kind(ref)}")
    extra = sorted(set(ref) - REF_KEYS)
    if extra:
        raise FileRefError(f"{label}: unknown key {extra[0]!r} in a file reference (file, base64, name, type)")
    source = encoded = None
    if "file" in ref:
        source = ref["file"]
        if not isinstance(source, str) or not source.strip():
            raise FileRefError(f"{label}: `file` must be a non-empty path, not {_kind(source)}")
        data = _read_file(decl, source, folder_of(decl))
        default_name = PurePosixPath(source.replace("\\", "/")).name or "file"
    else:
        encoded = ref["base64"]
        if not isinstance(encoded, str):
            raise FileRefError(f"{label}: `base64` must be text, not {_kind(encoded)}")
        if len(encoded) > (decl.max_bytes + 2) // 3 * 4 + 4:  # refused before it is decoded
            raise FileRefError(f"{label}: the file is larger than {decl.max_bytes} bytes, the most this "
                               "operation accepts: not sent")
        try:
            data = base64.b64decode("".join(encoded.split()), validate=True)
        except (binascii.Error, ValueError):
            raise FileRefError(f"{label}: `base64` is not valid base64 text") from None
        if len(data) > decl.max_bytes:
            raise FileRefError(f"{label}: the file is {len(data)} bytes, more than the {decl.max_bytes} this "
                               "operation accepts: not sent")
        default_name = "file"
    name = ref.get("name", default_name)
    if not isinstance(name, str) or not name or any(c in name for c in "\r\n\x00"):
        raise FileRefError(f"{label}: `name` must be a file name on one line, not {_kind(name)}")
    if decl.filename is not None:
        stem, dot, suffix = name.rpartition(".")
        parts = {"name": name, "stem": stem if dot else name, "suffix": suffix if dot else ""}
        name = decl.filename.text_for(parts, reveal=True)
    import mimetypes

    kind = ref.get("type") or decl.content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    if not isinstance(kind, str) or any(c in kind for c in "\r\n"):
        raise FileRefError(f"{label}: `type` must be a content type on one line")
    return FileContent(name, kind, data, source, encoded)


def _read_file(decl: FileDecl, relative: str, folder: Path) -> bytes:
    label = decl.label
    try:
        real = confine(folder, relative)
        return read_limited(real, decl.max_bytes, inside_of=folder.resolve())
    except OutsideFolder:
        raise FileRefError(f"{label}: {relative!r} is outside the folder files are read from "
                           "(an absolute path, '..' or a symbolic link leading out): refused") from None
    except FileTooLarge as exc:
        raise FileRefError(f"{label}: {relative!r} is larger than {exc.limit} bytes, the most this operation "
                           "accepts: not sent") from None
    except NotRegularFile as exc:
        raise FileRefError(f"{label}: {relative!r} {exc}") from None
    except FileNotFoundError:
        raise FileRefError(f"{label}: {relative!r} does not exist in {str(folder)!r} (the folder this operation "
                           "reads files from)") from None
    except OSError as exc:
        raise FileRefError(f"{label}: {relative!r} cannot be read: {exc.strerror or exc}") from None


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object with " + (", ".join(repr(k) for k in list(value)[:3]) or "no key")
    return {str: "text", bool: "a boolean", int: "a number", list: "a list", type(None): "null"}.get(
        type(value), type(value).__name__)
