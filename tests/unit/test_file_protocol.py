"""The file protocol through its endpoint API: reading a folder of JSON / JSON Lines / XML files,
writing payloads atomically, never outside ``dir``, and finding what a write created."""
from __future__ import annotations

import json
import os
from decimal import Decimal

import pytest

from engine.connectors.errors import EncodeError, EndpointError
from engine.connectors.compile import open_connector

DEFINITION = {
    "name": "drop", "protocol": "file", "settings": {"dir": {"required": True}},
    "file": {"dir": "{settings.dir}"},
    "resources": {
        "orders": {"path": "orders/*", "key": "id"},
        "json_orders": {"path": "orders/*.json", "format": "json"},
        "journal": {"path": "log/*.jsonl", "format": "jsonl"},
    },
    "operations": {
        "save": {"path": "out/{key}.json", "creates": True, "find": "find_saved"},
        "find_saved": {"path": "out/{reference}.json"},
        "log": {"path": "log/{day}.jsonl", "format": "jsonl"},
    },
}


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "exchange"
    (root / "orders").mkdir(parents=True)
    return root


@pytest.fixture
def drop(folder):
    with open_connector("drop", DEFINITION, {"dir": str(folder)}) as endpoint:
        yield endpoint


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_reads_json_jsonl_and_xml_files_in_sorted_order_one_page_per_file(drop, folder):
    write(folder / "orders" / "b.jsonl", '{"id": 3}\n{"id": 4, "total": 1.10}\n')
    write(folder / "orders" / "a.json", '{"orders": [{"id": 1}, {"id": 2}]}')
    write(folder / "orders" / "c.xml", "<orders><order><id>5</id></order></orders>")
    write(folder / "orders" / "d.json", '{"order": {"id": 6}}')
    pages = list(drop.read("orders"))
    assert pages == [[{"id": 1}, {"id": 2}], [{"id": 3}, {"id": 4, "total": Decimal("1.10")}],
                     [{"id": "5"}], [{"id": 6}]]
    assert [len(p) for p in drop.read("orders", page_size=1)] == [1, 1, 1, 1, 1, 1]


def test_a_declared_format_is_checked(drop, folder):
    write(folder / "orders" / "a.json", '{"id": 1}\n{"id": 2}\n')  # JSON Lines under a .json name
    with pytest.raises(EndpointError, match=r"orders/a.json:2:1: invalid JSON: Extra data"):
        list(drop.read("json_orders"))


def test_an_unreadable_file_names_itself(drop, folder):
    write(folder / "orders" / "a.json", '{"id": 1,}')
    with pytest.raises(EndpointError, match=r"resource 'orders': orders/a.json:1:10: invalid JSON"):
        list(drop.read("orders"))


def test_a_missing_folder_is_a_clear_error(tmp_path):
    with open_connector("drop", DEFINITION, {"dir": str(tmp_path / "nowhere")}) as drop:
        with pytest.raises(EndpointError, match="the folder does not exist"):
            list(drop.read("orders"))


def test_writes_exact_json_atomically(drop, folder):
    payload = {"ref": "BAAR01", "quantity": Decimal("10.50"), "big": 12345678901234567890}
    result = drop.write("save", payload, {"key": "BAAR01"})
    assert result.result == "out/BAAR01.json"
    text = (folder / "out" / "BAAR01.json").read_text(encoding="utf-8")
    assert json.loads(text, parse_float=Decimal) == payload and "10.5" in text
    drop.write("save", {"ref": "BAAR01", "quantity": 7}, {"key": "BAAR01"})  # replaced, not appended
    assert json.loads((folder / "out" / "BAAR01.json").read_text()) == {"ref": "BAAR01", "quantity": 7}
    assert sorted(os.listdir(folder / "out")) == ["BAAR01.json"]  # no temporary file left behind


def test_jsonl_appends_one_line_per_write(drop, folder):
    drop.write("log", {"n": 1}, {"day": "2024-05-14"})
    assert list(drop.read("journal")) == [[{"n": 1}]]  # one line is JSON Lines too, when declared
    drop.write("log", {"n": 2}, {"day": "2024-05-14"})
    assert (folder / "log" / "2024-05-14.jsonl").read_text() == '{"n":1}\n{"n":2}\n'
    write(folder / "log" / "2024-05-15.jsonl", "")
    assert list(drop.read("journal")) == [[{"n": 1}, {"n": 2}]]  # an empty journal holds no record


@pytest.mark.parametrize("key", ["../escaped", "../../etc/passwd", "/tmp/absolute", "a/../../b", ""])
def test_a_value_cannot_lead_a_write_outside_dir(drop, folder, key):
    with pytest.raises(EncodeError, match="refused"):
        drop.write("save", {"x": 1}, {"key": key})
    assert not (folder.parent / "escaped.json").exists()


def test_a_symlink_leading_outside_is_refused(drop, folder, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (folder / "out").symlink_to(outside)
    with pytest.raises(EncodeError, match="outside"):
        drop.write("save", {"x": 1}, {"key": "A"})
    assert list(outside.iterdir()) == []
    (outside / "secret.json").write_text('{"id": 1}')
    (folder / "orders" / "link.json").symlink_to(outside / "secret.json")
    with pytest.raises(EndpointError, match="is a link leading outside .*: refused"):
        list(drop.read("orders"))


def test_a_symlink_inside_dir_is_followed(drop, folder):
    (folder / "real").mkdir()
    (folder / "out").symlink_to(folder / "real")
    drop.write("save", {"x": 1}, {"key": "A"})
    assert json.loads((folder / "real" / "A.json").read_text()) == {"x": 1}


def test_find_looks_for_the_file_a_write_creates(drop):
    assert drop.find("find_saved", {"reference": "BAAR01"}) == []
    drop.write("save", {"ref": "BAAR01", "quantity": Decimal("2.5")}, {"key": "BAAR01"})
    assert drop.find("find_saved", {"reference": "BAAR01"}) == \
        [{"path": "out/BAAR01.json", "ref": "BAAR01", "quantity": Decimal("2.5")}]
    with pytest.raises(EncodeError, match="refused"):
        drop.find("find_saved", {"reference": "../x"})


def test_describe_write_shows_the_file_and_its_content(drop, folder):
    shown = drop.describe_write("save", {"ref": "A", "quantity": Decimal("1.50")}, {"key": "A"})
    assert shown == {"method": "WRITE", "url": "file:out/A.json", "headers": {},
                     "body": '{\n  "ref": "A",\n  "quantity": 1.5\n}'}
    assert drop.describe_write("log", {"n": 1}, {"day": "d"})["method"] == "APPEND"
    assert not (folder / "out").exists()  # describing writes nothing
    assert drop.location() == f"file:{folder.resolve()}"


def test_a_payload_without_json_form_is_an_encode_error(drop):
    from datetime import date

    with pytest.raises(EncodeError, match="cannot be written as JSON"):
        drop.write("save", {"when": date(2024, 5, 14)}, {"key": "A"})
