"""Robustness of file bodies (property-based): any `files:` declaration on any body format validates
without a traceback or an internal error, every error located in the connector file; any payload (file
references of every shape, form fields of every type) either builds a request whose multipart body
parses back into the same fields and files, or fails with an EncodeError naming the operation — never
another exception, never the content of a file outside the folder."""
from __future__ import annotations

import base64
from email.parser import BytesParser
from email.policy import HTTP

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support import validate_connector

from engine.connectors.compile import open_connector
from engine.connectors.errors import EncodeError

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

texts = st.sampled_from(["", "{name}", "{stem}.jpg", "{sku}", "{settings.dir}", "{settings.nope}", "{", "a/b",
                         "image/jpeg", "x", "é"])
values = texts | st.integers(-2, 4_000_000) | st.none() | st.booleans() | st.lists(texts, max_size=2)
decls = st.dictionaries(st.sampled_from(["filename", "content_type", "max_bytes", "folder", "other"]), values,
                        max_size=3) | values
members = st.sampled_from(["image", "entry.content.data", "", "a b", "1x", "file-1"])
files_specs = st.dictionaries(members, decls, max_size=3) | values

PROJECT = """\
endpoints:
  media: { use: media, settings: { url: "http://127.0.0.1:9" } }
flows:
  pictures:
    source: { endpoint: media, read: pictures }
    target: { endpoint: media, write: upload, with: { product_id: id } }
    map: { image: { file: { from: path } } }
"""


@SETTINGS
@given(files_specs, st.sampled_from(["multipart", "binary", "json", "xml", "graphql", "none"]))
def test_any_files_declaration_validates_with_located_errors(tmp_path_factory, files, body):
    op = {"method": "POST", "path": "/images/{product_id}", "body": body, "files": files}
    if body == "graphql":
        op["graphql"] = "mutation { x }"
    connector = {"name": "media", "protocol": "http", "settings": {"url": {"required": True}, "dir": {"default": "."}},
                 "http": {"base_url": "{settings.url}"},
                 "resources": {"pictures": {"path": "/pictures", "key": "id"}}, "operations": {"upload": op}}
    validate_connector(tmp_path_factory.mktemp("files"), connector, PROJECT)


refs = st.fixed_dictionaries({"file": st.sampled_from(["a.jpg", "sub/b.png", "../out.jpg", "/etc/hostname", "sub",
                                                       "missing.gif", "", "a.jpg\x00"])},
                             optional={"name": st.text(max_size=6), "type": st.sampled_from(["image/png", "x\ny"])}) \
    | st.fixed_dictionaries({"base64": st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode())
                             | st.text(max_size=8)}, optional={"name": st.text(min_size=1, max_size=6)}) \
    | st.text(max_size=4) | st.none() | st.integers() | st.dictionaries(st.text(max_size=4), st.integers(), max_size=2)
scalars = st.text(max_size=8) | st.integers() | st.booleans() | st.none() | st.lists(st.text(max_size=4), max_size=2) \
    | st.dictionaries(st.text(max_size=3), st.integers(), max_size=1)
payloads = st.fixed_dictionaries({"image": refs}, optional={"legend": scalars, "position": scalars, "é x": scalars})


@SETTINGS
@given(payloads)
def test_any_payload_builds_a_parsable_body_or_a_clear_error(tmp_path_factory, payload):
    root = tmp_path_factory.mktemp("media")
    (root / "project" / "sub").mkdir(parents=True)
    (root / "project" / "a.jpg").write_bytes(b"\xff\xd8A--passerelle-\r\n\xff\xd9")
    (root / "project" / "sub" / "b.png").write_bytes(b"\x89PNG\r\n")
    (root / "out.jpg").write_bytes(b"OUTSIDE")
    spec = {"name": "media", "protocol": "http", "settings": {}, "http": {"base_url": "http://127.0.0.1:9"},
            "operations": {"upload": {"method": "POST", "path": "/i/{id}", "body": "multipart",
                                      "files": {"image": {"max_bytes": 30}}}}}
    with open_connector("media", spec, {}) as media:
        media.files_root = root / "project"
        try:
            req = media.build_write("upload", payload, {"id": 1})
        except EncodeError as exc:
            assert exc.message.startswith("upload: ") and "OUTSIDE" not in exc.message
            return
    wire = b"".join(req["content"])
    assert len(wire) == int(req["headers"]["Content-Length"])
    parsed = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + req["headers"]["Content-Type"].encode()
                                                 + b"\r\n\r\n" + wire)
    names = [part.get_param("name", header="content-disposition") for part in parsed.iter_parts()]
    expected = [n for n, v in payload.items() if n != "image" and v is not None
                for _ in (v if isinstance(v, list) else [v])]
    assert names == expected + (["image"] if payload["image"] is not None else [])
    if payload["image"] is not None:
        image = list(parsed.iter_parts())[-1].get_payload(decode=True)
        assert image == req["payload"]["image"].data
