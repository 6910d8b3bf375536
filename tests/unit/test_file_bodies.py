"""The `multipart` and `binary` body formats and files in JSON bodies: the bytes on the wire (boundary,
part headers, order of parts), file references read confined and bounded, once, and hashed."""
from __future__ import annotations

import base64
import hashlib
import json
import os
from decimal import Decimal

import httpx
import pytest

from engine.connectors.compile import compile_connector, open_connector
from engine.connectors.errors import EncodeError
from engine.connectors.http.files import FileContent
from engine.connectors.http.multipart import MultipartBody
from engine.util.jsonout import dumps

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4 + b"\xff\xd9"


def definition(**ops) -> dict:
    return {"name": "shop", "protocol": "http", "settings": {"images_dir": {"default": "media"}},
            "http": {"base_url": "http://127.0.0.1:9/api"}, "operations": ops}


UPLOAD = {"method": "POST", "path": "/images/products/{product_id}", "body": "multipart",
          "files": {"image": {"content_type": "image/jpeg", "max_bytes": 2000}}}


@pytest.fixture
def project(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "A1.jpg").write_bytes(JPEG)
    return tmp_path


def shop(project, **ops):
    endpoint = open_connector("shop", definition(**ops), {"images_dir": "media"})
    endpoint.files_root = project
    return endpoint


def test_multipart_bytes_fields_first_then_the_file(project):
    with shop(project, upload=UPLOAD) as ep:
        req = ep.build_write("upload", {"image": {"file": "images/A1.jpg"}, "legend": "Front", "position": 2,
                                        "price": Decimal("9.50"), "tags": ["a", "b"], "none": None},
                             {"product_id": 7})
    body = req["content"]
    assert isinstance(body, MultipartBody)
    wire = b"".join(body)
    boundary = body.boundary
    assert req["headers"]["Content-Type"] == f"multipart/form-data; boundary={boundary}"
    assert req["headers"]["Content-Length"] == str(len(wire)) == str(len(body))
    b = boundary.encode()
    expected = (b"--" + b + b'\r\nContent-Disposition: form-data; name="legend"\r\n\r\nFront\r\n'
                + b"--" + b + b'\r\nContent-Disposition: form-data; name="position"\r\n\r\n2\r\n'
                + b"--" + b + b'\r\nContent-Disposition: form-data; name="price"\r\n\r\n9.5\r\n'
                + b"--" + b + b'\r\nContent-Disposition: form-data; name="tags"\r\n\r\na\r\n'
                + b"--" + b + b'\r\nContent-Disposition: form-data; name="tags"\r\n\r\nb\r\n'
                + b"--" + b + b'\r\nContent-Disposition: form-data; name="image"; filename="A1.jpg"\r\n'
                + b"Content-Type: image/jpeg\r\n\r\n" + JPEG + b"\r\n"
                + b"--" + b + b"--\r\n")
    assert wire == expected
    assert b"".join(body) == wire  # iterated again (a retried request) gives the same bytes
    assert req["path"] == "/images/products/7"


def test_the_boundary_is_stable_and_never_inside_a_part(project):
    with shop(project, upload=UPLOAD) as ep:
        first = ep.build_write("upload", {"image": {"file": "images/A1.jpg"}}, {"product_id": 1})["content"]
        again = ep.build_write("upload", {"image": {"file": "images/A1.jpg"}}, {"product_id": 1})["content"]
        assert first.boundary == again.boundary
        # a file that holds the boundary it would get: another boundary is chosen
        evil = b"x--" + first.boundary.encode() + b"--y"
        (project / "images" / "evil.jpg").write_bytes(evil)
        body = ep.build_write("upload", {"image": {"file": "images/evil.jpg", "name": "A1.jpg"}},
                              {"product_id": 1})["content"]
    parts = b"".join(body).split(b"--" + body.boundary.encode())
    assert len(parts) == 3 and evil in parts[1]


def test_file_name_template_type_and_escaping(project):
    op = {**UPLOAD, "files": {"image": {"filename": "{stem}-front.{suffix}"}}}
    with shop(project, upload=op) as ep:
        wire = b"".join(ep.build_write("upload", {"image": {"file": "images/A1.jpg", "name": 'a"b.png'}},
                                       {"product_id": 1})["content"])
    assert b'filename="a%22b-front.png"\r\nContent-Type: image/png\r\n' in wire


def test_disposition_parameters_only_when_the_write_knows_them(project):
    # Smartstore's SaveFiles replaces a media file when its id is the part's `fileId`
    op = {**UPLOAD, "files": {"image": {"disposition": {"fileId": "{target_id}"}}}}
    with shop(project, upload=op) as ep:
        update = b"".join(ep.build_write("upload", {"image": {"file": "images/A1.jpg"}},
                                         {"product_id": 1, "target_id": 6166})["content"])
        create = b"".join(ep.build_write("upload", {"image": {"file": "images/A1.jpg"}}, {"product_id": 1})["content"])
        odd = b"".join(ep.build_write("upload", {"image": {"file": "images/A1.jpg"}},
                                      {"product_id": 1, "target_id": 'x"y'})["content"])
    assert b'name="image"; filename="A1.jpg"; fileId="6166"\r\nContent-Type: image/jpeg\r\n' in update
    assert b'name="image"; filename="A1.jpg"\r\nContent-Type: image/jpeg\r\n' in create  # nothing to replace
    assert b'fileId="x%22y"' in odd


def test_binary_body_is_the_file_alone(project):
    op = {"method": "PUT", "path": "/media/{product_id}", "body": "binary", "files": {"image": {}}}
    with shop(project, put=op) as ep:
        req = ep.build_write("put", {"image": {"file": "images/A1.jpg"}}, {"product_id": 3})
        shown = ep.describe_write("put", {"image": {"file": "images/A1.jpg"}}, {"product_id": 3})
    assert req["content"] == JPEG and req["headers"] == {"Content-Type": "image/jpeg",
                                                         "Content-Disposition": 'attachment; filename="A1.jpg"'}
    assert shown["body"] == f"<{len(JPEG)} bytes, sha256 {hashlib.sha256(JPEG).hexdigest()}>"


def test_binary_body_names_a_non_ascii_file_both_ways(project):
    op = {"method": "POST", "path": "/media", "body": "binary", "files": {"image": {}}}
    with shop(project, put=op) as ep:
        req = ep.build_write("put", {"image": {"file": "images/A1.jpg", "name": 'théière "08".jpg'}}, {})
    assert req["headers"]["Content-Disposition"] == \
        'attachment; filename="th_i_re %2208%22.jpg"; filename*=UTF-8\'\'th%C3%A9i%C3%A8re%20%2208%22.jpg'


def test_json_body_sends_declared_files_as_base64(project):
    op = {"method": "POST", "path": "/V1/products/{product_id}/media", "body": "json",
          "files": {"entry.content.base64_encoded_data": {}}}
    payload = {"entry": {"media_type": "image", "content": {"base64_encoded_data": {"file": "images/A1.jpg"},
                                                              "type": "image/jpeg", "name": "A1.jpg"}}}
    with shop(project, media=op) as ep:
        sent = json.loads(ep.build_write("media", payload, {"product_id": "A1"})["content"])
    assert base64.b64decode(sent["entry"]["content"]["base64_encoded_data"]) == JPEG
    assert sent["entry"]["content"]["type"] == "image/jpeg"
    assert payload["entry"]["content"]["base64_encoded_data"] == {"file": "images/A1.jpg"}  # not changed


def test_base64_reference_and_the_run_state_json(project):
    with shop(project, upload=UPLOAD) as ep:
        from_path = ep.attach_files("upload", {"image": {"file": "images/A1.jpg"}})
        from_text = ep.attach_files("upload", {"image": {"base64": base64.b64encode(JPEG).decode(),
                                                         "name": "A1.jpg"}})
    digest = hashlib.sha256(JPEG).hexdigest()
    assert json.loads(dumps(from_path)) == {"image": {"file": "images/A1.jpg", "name": "A1.jpg", "sha256": digest,
                                                      "size": len(JPEG)}}
    assert isinstance(from_text["image"], FileContent) and from_text["image"] == from_path["image"]
    assert json.loads(dumps(from_text))["image"]["sha256"] == digest


def test_the_dry_run_shows_files_by_name_size_and_hash(project):
    with shop(project, upload=UPLOAD) as ep:
        shown = ep.describe_write("upload", {"image": {"file": "images/A1.jpg"}, "legend": "x"}, {"product_id": 1})
    assert f"<A1.jpg: {len(JPEG)} bytes, sha256 {hashlib.sha256(JPEG).hexdigest()}>" in shown["body"]
    assert "\xff" not in shown["body"]


def test_a_missing_file_names_the_folder_it_was_looked_for_in(project):
    """A consultant who copied the media share to the wrong place sees where the file was looked for."""
    with shop(project, upload=UPLOAD) as ep:
        with pytest.raises(EncodeError) as caught:
            ep.build_write("upload", {"image": {"file": "images/missing.jpg"}}, {"product_id": 1})
    assert f"'images/missing.jpg' does not exist in {str(project)!r}" in str(caught.value)


@pytest.mark.parametrize("ref, message", [
    ({"file": "images/missing.jpg"}, "image: 'images/missing.jpg' does not exist"),
    ({"file": "../outside.jpg"}, "is outside the folder files are read from"),
    ({"file": "/etc/passwd"}, "is outside the folder files are read from"),
    ({"file": "images"}, "is a directory, not a regular file"),
    ({"file": "images/big.jpg"}, "is larger than 2000 bytes, the most this operation accepts: not sent"),
    ({"base64": "!!"}, "`base64` is not valid base64 text"),
    ({"base64": base64.b64encode(b"x" * 2001).decode()}, "2001 bytes, more than the 2000"),
    ({"base64": base64.b64encode(b"x" * 9000).decode()}, "larger than 2000 bytes"),
    ("images/A1.jpg", "a file is given as {file: <path>} or {base64: <text>}, not text"),
    ({"file": "a", "base64": "b"}, "a file is given as"),
    ({"file": "images/A1.jpg", "mode": 1}, "unknown key 'mode'"),
    ({"file": 3}, "`file` must be a non-empty path, not a number"),
    ({"file": "images/A1.jpg", "name": "a\r\nX-Evil: 1"}, "`name` must be a file name on one line"),
])
def test_bad_file_references_are_record_errors(project, ref, message):
    (project / "images" / "big.jpg").write_bytes(b"x" * 2001)
    (project.parent / "outside.jpg").write_bytes(b"secret")
    with shop(project, upload=UPLOAD) as ep:
        with pytest.raises(EncodeError) as caught:
            ep.build_write("upload", {"image": ref}, {"product_id": 1})
    assert message in caught.value.message and "upload: image:" in caught.value.message
    assert "secret" not in caught.value.message


def test_a_symbolic_link_out_is_refused(project):
    (project.parent / "secret.jpg").write_bytes(b"secret")
    os.symlink(project.parent / "secret.jpg", project / "images" / "link.jpg")
    with shop(project, upload=UPLOAD) as ep, pytest.raises(EncodeError, match="outside the folder"):
        ep.attach_files("upload", {"image": {"file": "images/link.jpg"}})


def test_the_declared_folder_confines_the_files(project):
    (project / "media").mkdir()
    (project / "media" / "B2.jpg").write_bytes(b"b2")
    op = {**UPLOAD, "files": {"image": {"folder": "{settings.images_dir}"}}}
    with shop(project, upload=op) as ep:
        assert ep.attach_files("upload", {"image": {"file": "B2.jpg"}})["image"].data == b"b2"
        with pytest.raises(EncodeError, match="outside the folder"):
            ep.attach_files("upload", {"image": {"file": "../images/A1.jpg"}})


def test_the_request_sent_carries_the_file_once_with_its_length(project):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.headers.get("content-length"), request.headers.get("transfer-encoding"),
                     request.read()))
        return httpx.Response(200, json={"id": 5})

    definition_ = definition(upload={**UPLOAD, "result": "id"})
    endpoint = open_connector("shop", definition_, {}, transport=httpx.MockTransport(handler))
    endpoint.files_root = project
    with endpoint as ep:
        result = ep.write("upload", {"image": {"file": "images/A1.jpg"}}, {"product_id": 1})
    assert result.result == 5
    length, chunked, body = seen[0]
    assert chunked is None and int(length) == len(body) and body.count(JPEG) == 1


@pytest.mark.parametrize("op, message", [
    ({"body": "graphql", "graphql": "mutation { x }", "files": {"image": {}}},
     "`files` is sent by the multipart, binary and json bodies, not by `body: graphql`"),
    ({"body": "binary", "files": {"a": {}, "b": {}}}, "`body: binary` sends one file: `files` declares 2"),
    ({"body": "multipart", "files": {"entry.image": {}}}, "a multipart file is a top-level member"),
    ({"body": "multipart", "files": {"image": {"filename": "{sku}.jpg"}}}, "unknown placeholder {sku}"),
    ({"body": "multipart", "files": {"image": {"folder": "{settings.nope}"}}},
     "{settings.nope} is not a setting of connector 'shop'"),
    ({"body": "multipart"}, "`body: multipart` needs `files`"),
    ({"body": "binary", "files": {"a": {"disposition": {"fileId": "{target_id}"}}}},
     "`disposition` is a multipart part's header"),
    ({"body": "multipart", "files": {"a": {"disposition": {"fileId": "{settings.nope}"}}}},
     "{settings.nope} is not a setting of connector 'shop'"),
])
def test_bad_file_declarations_are_located(op, message):
    _, diags = compile_connector(definition(upload={"method": "POST", "path": "/x", **op}), lambda path: None)
    assert any(message in d.message and d.path.startswith("connector.operations.upload") for d in diags), diags
