"""The ``multipart`` and ``binary`` body formats, and files in JSON bodies (base64).

``multipart`` (RFC 7578 ``multipart/form-data``): one part per scalar member of the payload, in the
payload's order (a list of scalars: one part per item), then one part per declared file, in the
order of ``files`` — the file last, as staged-upload targets (S3 forms) require. Each part::

    --BOUNDARY\r\n
    Content-Disposition: form-data; name="image"; filename="A1.jpg"\r\n
    Content-Type: image/jpeg\r\n
    \r\n
    <bytes>\r\n

A file declaration's ``disposition`` adds parameters to its part's Content-Disposition, templates over
the write's values (Smartstore's ``fileId="{target_id}"`` replaces that media file in place); a
parameter whose value is not known (no ``target_id`` on a create) or empty is left out.

The body ends with ``--BOUNDARY--\r\n``. The boundary is derived from the parts' hashes (the same
payload gives the same bytes, which dry-run output and tests rely on) and checked absent from every
part. The body is sent as a sequence of chunks — the file's bytes are never copied into a second
buffer — with its exact ``Content-Length``.

``binary``: the one declared file's bytes as the whole body, with its content type.

A ``json`` body whose operation declares ``files`` sends each file member as its base64 text
(Magento's ``content.base64_encoded_data``).
"""
from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from engine.connectors.http.files import (
    DEFAULT_MAX_BYTES, NAME_PLACEHOLDERS, FileContent, FileDecl, get_member, set_member,
)
from engine.connectors.templates import TemplateError, text_of
from engine.util.jsonout import dumps_bytes, number_text

FILE_BODIES = ("multipart", "binary", "json")  # the body formats that read `files`


def compile_files(spec: Any, body: str, ctx, path: tuple, needs: set | None = None) -> tuple[FileDecl, ...]:
    """The operation's `files:` (schema-valid shape), every mistake a located `bad-files`."""
    if not spec:
        return ()
    if body not in FILE_BODIES:
        ctx.error("bad-files", f"`files` is sent by the multipart, binary and json bodies, not by `body: {body}`",
                  path + ("files",), "use `body: multipart` (a form with file parts) or `body: binary`")
        return ()
    if body == "binary" and len(spec) != 1:
        ctx.error("bad-files", f"`body: binary` sends one file: `files` declares {len(spec)}", path + ("files",),
                  "declare one file, or use `body: multipart` for several")
    decls = []
    for member, decl in spec.items():
        where = path + ("files", member)
        decl = decl if isinstance(decl, Mapping) else {}
        parts = tuple(str(member).split("."))
        if body != "json" and len(parts) > 1:
            ctx.error("bad-files", f"a {body} file is a top-level member of the payload, not {member!r}", where,
                      "name the member itself (e.g. `image`); a nested member is for base64 in a json body")
        filename = ctx.template(decl.get("filename"), where + ("filename",), allowed=NAME_PLACEHOLDERS)
        folder = ctx.template(decl.get("folder"), where + ("folder",))
        disposition = decl.get("disposition") or {}
        if disposition and body != "multipart":
            ctx.error("bad-files", f"`disposition` is a multipart part's header: `body: {body}` has none",
                      where + ("disposition",), "remove it, or use `body: multipart`")
        params = tuple((str(name), ctx.template(str(text), where + ("disposition", name), needs=needs))
                       for name, text in disposition.items())
        decls.append(FileDecl(parts, filename, decl.get("content_type"),
                              int(decl.get("max_bytes", DEFAULT_MAX_BYTES)), folder,
                              tuple((name, t) for name, t in params if t is not None)))
    return tuple(decls)


# -- multipart --------------------------------------------------------------------------------------

class MultipartBody:
    """A multipart/form-data body as chunks: iterated again for a retried request, never joined."""

    def __init__(self, parts: list[tuple[bytes, Any]], boundary: str):
        self.parts, self.boundary = parts, boundary  # (part head, its bytes or FileContent)
        self.tail = f"--{boundary}--\r\n".encode()

    def __iter__(self) -> Iterator[bytes]:
        for head, value in self.parts:
            yield head
            yield value.data if isinstance(value, FileContent) else value
            yield b"\r\n"
        yield self.tail

    def __len__(self) -> int:
        return sum(len(head) + _size(value) + 2 for head, value in self.parts) + len(self.tail)

    def describe(self) -> str:
        """The body as text, each file shown by name, size and hash (what a dry-run prints)."""
        out = []
        for head, value in self.parts:
            shown = (f"<{value.name}: {value.size} bytes, sha256 {value.sha256}>".encode()
                     if isinstance(value, FileContent) else value)
            out.append(head + shown + b"\r\n")
        return (b"".join(out) + self.tail).decode("utf-8", "replace")


def _size(value: Any) -> int:
    return value.size if isinstance(value, FileContent) else len(value)


def _quoted(text: str) -> str:
    """A name or file name in a Content-Disposition header (RFC 7578 4.2, as browsers escape)."""
    return text.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _field_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return number_text(value)
    if isinstance(value, (str, int)):
        return str(value)
    raise TypeError(f"a form field is text, a number or a boolean, not {type(value).__name__}")


def _disposition(decl: FileDecl | None, context: dict) -> str:
    """The declared extra Content-Disposition parameters whose values the write knows."""
    out = ""
    for name, template in decl.disposition if decl is not None else ():
        try:
            value = text_of(template.render(context, reveal=True), reveal=True)
        except TemplateError:  # e.g. {target_id} on a create: nothing to replace yet
            continue
        if value:
            out += f'; {_quoted(name)}="{_quoted(value)}"'
    return out


def multipart_body(decls: tuple[FileDecl, ...], payload: Any, context: dict | None = None
                   ) -> tuple[MultipartBody, dict]:
    if not isinstance(payload, Mapping):
        raise TypeError("a multipart body is built from an object of fields and files")
    files = {decl.member[0] for decl in decls}
    fields: list[tuple[str, bytes]] = []
    for name, value in payload.items():
        if name in files or value is None:
            continue
        if isinstance(value, Mapping):
            raise TypeError(f"member {name!r} is an object: a form field is a scalar (or a list of scalars); "
                            "declare it in `files` if it is a file")
        for item in value if isinstance(value, (list, tuple)) else [value]:
            fields.append((name, _field_text(item).encode("utf-8")))
    parts: list[tuple[str, Any]] = [(n, v) for n, v in fields]
    declared: dict[str, FileDecl] = {}
    for decl in decls:
        content = payload.get(decl.member[0])
        if content is not None:
            parts.append((decl.member[0], content))
            declared[decl.member[0]] = decl
    import hashlib  # (when a multipart body is written: compiling `files` loads no OpenSSL binding)

    digest = hashlib.sha256()
    for name, value in parts:
        digest.update(name.encode() + b"\0" + (value.sha256.encode() if isinstance(value, FileContent) else value))
    boundary = "passerelle-" + digest.hexdigest()[:32]
    while any(boundary.encode() in (v.data if isinstance(v, FileContent) else v) for _, v in parts):
        boundary = "passerelle-" + hashlib.sha256(boundary.encode()).hexdigest()[:32]
    chunks = []
    for name, value in parts:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"'
        if isinstance(value, FileContent):
            head += (f'; filename="{_quoted(value.name)}"{_disposition(declared.get(name), context or {})}'
                     f'\r\nContent-Type: {value.content_type}')
        chunks.append(((head + "\r\n\r\n").encode("utf-8"), value))
    body = MultipartBody(chunks, boundary)
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(len(body))}


def binary_body(decls: tuple[FileDecl, ...], payload: Any) -> tuple[bytes, dict]:
    """The file's bytes as the body, its type and name in the headers: ``Content-Disposition: attachment;
    filename="…"`` (RFC 6266; WordPress' media endpoint refuses an upload without it), an ASCII name with
    ``filename*`` (RFC 8187) for one that is not."""
    content = get_member(payload, decls[0].member) if decls else None
    if not isinstance(content, FileContent):
        raise TypeError(f"the payload has no file at {decls[0].label if decls else '(no file declared)'}")
    plain = content.name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    disposition = f'attachment; filename="{_quoted(plain)}"'
    if plain != content.name:
        disposition += f"; filename*=UTF-8''{quote(content.name, safe='')}"
    return content.data, {"Content-Type": content.content_type, "Content-Disposition": disposition}


def json_with_files(decls: tuple[FileDecl, ...], payload: Any) -> bytes:
    """The payload as JSON, each declared file member as its content in base64 text."""
    for decl in decls:
        content = get_member(payload, decl.member)
        if isinstance(content, FileContent):
            payload = set_member(payload, decl.member, base64.b64encode(content.data).decode("ascii"))
    return dumps_bytes(payload)


def shown_body(content: Any, payload: Any, op: Any) -> str | None:
    """A request body as a dry-run prints it: text, with each file as its name, size and hash."""
    if content is None:
        return None
    if isinstance(content, MultipartBody):
        return content.describe()
    if op.body.name == "binary":
        file = get_member(payload, op.files[0].member) if op.files else None
        return f"<{len(content)} bytes" + (f", sha256 {file.sha256}>" if isinstance(file, FileContent) else ">")
    return content.decode("utf-8", "replace")
