"""The WordPress media library of the WooCommerce simulator: ``/wp-json/wp/v2/media`` and the uploaded files.

Facts, from WordPress' source (https://github.com/WordPress/WordPress: ``wp-includes/rest-api/endpoints/
class-wp-rest-attachments-controller.php``, ``wp-includes/user.php``, ``wp-includes/functions.php``) and the
REST handbook (https://developer.wordpress.org/rest-api/reference/media/,
https://make.wordpress.org/core/2020/11/05/application-passwords-integration-guide/):

* authentication: HTTP Basic with a user's login and one of its **application passwords** (24 letters and
  digits, shown in groups of four: spaces are ignored). Application passwords are only available over
  HTTPS or on a site whose environment type is ``local`` (``wp_is_application_passwords_supported``): this
  plain-HTTP simulator is such a local site unless ``application_passwords=False``, where the Basic header
  is not looked at. A wrong password: 401 ``incorrect_password`` "The provided password is an invalid
  application password."; an unknown login: 401 ``invalid_username``; no credentials: the request is
  anonymous and an upload answers 401 ``rest_cannot_create`` "Sorry, you are not allowed to create posts as
  this user." (403 for a user whose role cannot upload: the attachment type's ``create_posts`` capability
  is ``upload_files``);
* ``POST /wp-json/wp/v2/media`` with the file as the raw body (``upload_from_data``): no body → 400
  ``rest_upload_no_data`` "No data supplied."; no ``Content-Type`` → 400 ``rest_upload_no_content_type``;
  no ``Content-Disposition`` → 400 ``rest_upload_no_content_disposition`` "No Content-Disposition supplied.";
  one without a file name → 400 ``rest_upload_invalid_disposition``; a ``Content-MD5`` that does not match →
  412 ``rest_upload_hash_mismatch``; a file type WordPress does not allow → 500 ``rest_upload_sideload_error``
  "Sorry, you are not allowed to upload this file type."; success: **201**, the attachment (context
  ``edit``) and a ``Location`` header. Query parameters ``title``, ``alt_text``, ``caption``, ``post`` are taken;
* the file is stored under ``/wp-content/uploads/<year>/<month>/`` (the upload's date), its name sanitised
  and made unique in that folder (``wp_unique_filename``: ``name-1.jpg``, ``name-2.jpg``…); the
  attachment's ``source_url`` serves the bytes (GET, no authentication);
* ``GET /wp-json/wp/v2/media`` (newest first, ``order=asc`` oldest first; paged: ``page``, ``per_page`` ≤ 100,
  ``X-WP-Total``/``X-WP-TotalPages``) and
  ``GET /wp-json/wp/v2/media/<id>`` (404 ``rest_post_invalid_id`` "Invalid post ID."); other methods and
  routes under ``/wp-json/wp/v2/``: 501 not simulated.

Each uploaded attachment is also a media item WooCommerce's ``images: [{id}]`` can name (``sim.media``);
its bytes are in :attr:`MediaLibrary.files` (by ``source_url`` path) for assertions.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from passerelle_sandbox._http import Request, Response

__all__ = ["MediaLibrary", "media_response"]

API, UPLOADS = "/wp-json/wp/v2/", "/wp-content/uploads/"
TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp",
         "pdf": "application/pdf"}  # a part of WordPress' get_allowed_mime_types()
UPLOADERS = ("administrator", "editor", "author", "shop_manager")  # roles with upload_files


class WpError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class MediaLibrary:
    """Users with their application passwords, the attachments and their files."""

    users: dict[str, tuple[str, str]]  # login -> (application password, role)
    available: bool = True  # application passwords usable (HTTPS or a local environment)
    attachments: dict[int, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # path -> (bytes, MIME type)


def _user(lib: MediaLibrary, request: Request) -> tuple[str, str] | None:
    header = request.header("Authorization") or ""
    if not lib.available or header[:6].lower() != "basic ":
        return None
    try:
        login, _, password = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
    except ValueError:
        return None
    if login not in lib.users:
        raise WpError(401, "invalid_username", "<strong>Error:</strong> Unknown username. Check again or try your "
                      "email address.")
    known, role = lib.users[login]
    if re.sub(r"[^a-z\d]", "", password, flags=re.I) != re.sub(r"[^a-z\d]", "", known, flags=re.I):
        raise WpError(401, "incorrect_password", "The provided password is an invalid application password.")
    return login, role


def _filename(disposition: str) -> str | None:
    """``get_filename_from_disposition``: the ``filename`` parameter after the first ``;``, unquoted."""
    if ";" not in disposition:
        return None
    found = None
    for part in disposition.split(";", 1)[1].split(";"):
        key, eq, value = part.partition("=")
        if eq and key.strip() == "filename" and value.strip():
            found = value.strip()
            if len(found) > 1 and found[0] == found[-1] == '"':
                found = found[1:-1]
    return found


def _unique(lib: MediaLibrary, folder: str, name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    base, n = (stem, ext) if dot else (name, ""), 0
    candidate = name
    while folder + candidate in lib.files:
        n += 1
        candidate = f"{base[0]}-{n}.{base[1]}" if base[1] else f"{base[0]}-{n}"
    return candidate


def _upload(sim: Any, lib: MediaLibrary, request: Request, site: str, login: str, now: datetime) -> dict[str, Any]:
    body = request.body or b""
    if not body:
        raise WpError(400, "rest_upload_no_data", "No data supplied.")
    if not request.header("Content-Type"):
        raise WpError(400, "rest_upload_no_content_type", "No Content-Type supplied.")
    disposition = request.header("Content-Disposition")
    if not disposition:
        raise WpError(400, "rest_upload_no_content_disposition", "No Content-Disposition supplied.")
    name = _filename(disposition)
    if not name:
        raise WpError(400, "rest_upload_invalid_disposition", "Invalid Content-Disposition supplied. "
                      "Content-Disposition needs to be formatted as `attachment; filename=\"image.png\"` or similar.")
    md5 = request.header("Content-MD5")
    if md5 and md5.strip() != hashlib.md5(body).hexdigest():  # noqa: S324 (the header's own algorithm)
        raise WpError(412, "rest_upload_hash_mismatch", "Content hash did not match expected.")
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", name.rsplit("/", 1)[-1]).strip("-.") or "file"
    ext = name.rpartition(".")[2].lower()
    if ext not in TYPES:
        raise WpError(500, "rest_upload_sideload_error", "Sorry, you are not allowed to upload this file type.")
    local = now.astimezone(sim.tz)
    folder = f"{UPLOADS}{local:%Y/%m}/"
    name = _unique(lib, folder, name)
    lib.files[folder + name] = (body, TYPES[ext])
    sim.media_id += 1
    ident, params = sim.media_id, dict(request.params)
    title = params.get("title") or name.rpartition(".")[0]
    record = {"id": ident, **sim.builder.dates_of("date", now), **sim.builder.dates_of("modified", now),
              "slug": title.lower(), "status": "inherit", "type": "attachment", "link": f"{site}/?attachment_id={ident}",
              "title": {"raw": title, "rendered": title}, "author": sorted(lib.users).index(login) + 1,
              "caption": {"raw": params.get("caption", ""), "rendered": params.get("caption", "")},
              "alt_text": params.get("alt_text", ""), "media_type": "file" if ext == "pdf" else "image",
              "mime_type": TYPES[ext], "media_details": {"filesize": len(body)},
              "post": int(params["post"]) if str(params.get("post", "")).isdigit() else None,
              "source_url": f"{site}{folder}{name}"}
    lib.attachments[ident] = record
    sim.media[ident] = {"id": ident, "src": record["source_url"], "name": title, "image": ext != "pdf"}
    return record


def _answer(status: int, body: Any, headers: list | None = None) -> Response:
    return Response(status, json.dumps(body, ensure_ascii=False).encode("utf-8"),
                    [*(headers or []), ("Content-Type", "application/json; charset=UTF-8")])


def media_response(sim: Any, request: Request, site: str) -> Response:
    """Answer a request under ``/wp-json/wp/v2/`` or ``/wp-content/uploads/``."""
    lib: MediaLibrary = sim.wp
    method, path = request.method.upper(), unquote(request.path)
    with sim.lock:
        if path.startswith(UPLOADS):
            found = lib.files.get(path)
            if found is None or method not in ("GET", "HEAD"):
                return Response(404, b"Not Found", [("Content-Type", "text/html")])
            return Response(200, found[0], [("Content-Type", found[1])], head_only=method == "HEAD")
        parts = path[len(API):].strip("/").split("/")
        try:
            user = _user(lib, request)
            if parts == ["media"] and method == "POST":
                if user is None:
                    raise WpError(401, "rest_cannot_create", "Sorry, you are not allowed to create posts as this user.")
                if user[1] not in UPLOADERS:
                    raise WpError(403, "rest_cannot_create", "Sorry, you are not allowed to create posts as this user.")
                record = _upload(sim, lib, request, site, user[0], sim.clock())
                return _answer(201, record, [("Location", f"{site}{API}media/{record['id']}")])
            if parts == ["media"] and method in ("GET", "HEAD"):
                args = dict(request.params)  # newest first unless order=asc (by date or id: the same order here)
                rows = [lib.attachments[i] for i in sorted(lib.attachments, reverse=args.get("order") != "asc")]
                per = min(max(int(args.get("per_page", "10") or 10), 1), 100)
                page = max(int(args.get("page", "1") or 1), 1)
                total_pages = max(1, -(-len(rows) // per))
                return _answer(200, rows[(page - 1) * per:page * per], [("X-WP-Total", str(len(rows))),
                                                                        ("X-WP-TotalPages", str(total_pages))])
            if len(parts) == 2 and parts[0] == "media" and parts[1].isdigit() and method in ("GET", "HEAD"):
                if int(parts[1]) not in lib.attachments:
                    raise WpError(404, "rest_post_invalid_id", "Invalid post ID.")
                return _answer(200, lib.attachments[int(parts[1])])
        except WpError as error:
            return _answer(error.status, {"code": error.code, "message": error.message,
                                          "data": {"status": error.status}})
        except ValueError:
            return _answer(400, {"code": "rest_invalid_param", "message": "Invalid parameter(s): page",
                                 "data": {"status": 400}})
    return _answer(501, {"code": "passerelle_sandbox_not_simulated",
                         "message": f"The Passerelle sandbox does not simulate {method} {path}.", "data": {"status": 501}})
