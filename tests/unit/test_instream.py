"""Streaming input files (dry-run --input): the same records as the whole-file reader, errors located,
records handed out before the file is read whole, a configurable size limit."""
from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from engine.connectors.codecs import instream
from engine.connectors.codecs.instream import stream_input
from engine.connectors.codecs.records import InputError, read_input
from engine.connectors.codecs.xmlcodec import XmlOptions

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "prestashop").glob("*")) + sorted(
    (ROOT / "specs" / "examples" / "prestashop-sage100" / "samples").glob("*.xml"))
PS = XmlOptions(root="prestashop", list_attribute="nodeType", list_containers=("associations",),
                i18n_element="language", list_item_names={"taxes": "tax"})
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'


def whole(path: Path, **kwargs):
    try:
        return read_input(path, default_resource="orders", xml_options=PS, **kwargs)
    except InputError as exc:
        return ("error", exc.message, exc.line, exc.col)


def streamed(path: Path, **kwargs):
    try:
        return [(name, list(rows)) for name, rows in
                stream_input(path, default_resource="orders", xml_options=PS, **kwargs)]
    except InputError as exc:
        return ("error", exc.message, exc.line, exc.col)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_fixture_gives_the_records_of_the_whole_file_reader(path):
    assert streamed(path) == whole(path)
    assert streamed(path, name="things") == whole(path, name="things")


def write(tmp_path: Path, text: str, name: str = "input") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


JSON_TEXTS = [
    '[]', ' \n [ ] \n', '[{"id": 1}]', '\ufeff[{"id": 1, "price": 12.50, "big": 1e400, "n": null}]',
    '[{"a": {"b": [1, 2.5, {"c": "é\\u2028"}]}}, {"id": "x"}]\n',
    '[{"id": 1}, 2]', '[{"id": 1}, [3]]', '[{"id": 1},]', '[{"id": 1} {"id": 2}]', '[{"id": 1}] x',
    '[{"id": 1}, {"id": NaN}]', '[{"id": 1}, {"id": 1, "id": 2}]', '[{"id": 1}, {"id": 2}',
    '[{"id": 1}, {"id": "unterminated}]', '[{"x": Infinity}]',
]


@pytest.mark.parametrize("text", JSON_TEXTS)
@pytest.mark.parametrize("chunk", [3, 1 << 20])
def test_json_arrays_read_value_by_value_give_the_same_records(tmp_path, monkeypatch, text, chunk):
    monkeypatch.setattr(instream, "CHUNK", chunk)  # values cut at every place by small chunks
    path = write(tmp_path, text)
    assert streamed(path) == whole(path)  # errors too: same message, line and column


def test_a_json_error_late_in_an_array_names_its_line_and_column(tmp_path, monkeypatch):
    monkeypatch.setattr(instream, "CHUNK", 64)
    lines = [json.dumps({"id": n, "name": "é" * 10}) + "," for n in range(500)]
    path = write(tmp_path, "[\n" + "\n".join(lines) + '\n  {"id": 500, "x": tru}\n]')
    [(_, rows)] = stream_input(path, default_resource="orders", xml_options=None)
    assert next(rows) == {"id": 0, "name": "é" * 10}  # handed out before the error is reached
    with pytest.raises(InputError) as info:
        list(rows)
    expected = whole(path)
    assert (info.value.message, info.value.line, info.value.col) == expected[1:] == (
        "invalid JSON: Expecting value", 502, 20)


JSONL_TEXTS = [
    '{"id": 1}\n{"id": 2}\n', '{"id": 1}\r\n\r\n  \n{"id": 2.50}', '\ufeff{"id": 1}\n{"id": 2}',
    '{"id": 1}\n{"id": }\n', '{"id": 1}\n[1]\n', '{"id": 1}\n{"a": 1, "a": 2}\n', '{"id": 1}\n{"a": NaN}\n',
    '{"note": "a\u2028b"}\r\n{"note": "c"}\r\n', '{"id": 1}\n   {"id": 2}   \n', '{"id": 1}',
    '{"a": 1, "a": 2}\n{"id": 2}', '{"id": 1}\n\xff\n',
]


@pytest.mark.parametrize("text", JSONL_TEXTS)
def test_json_lines_read_line_by_line_give_the_same_records_and_errors(tmp_path, text):
    path = tmp_path / "input"
    path.write_bytes(text.encode("utf-8", errors="surrogateescape") if "\xff" not in text
                     else text.replace("\xff", "").encode() + b"\xff\n")
    assert streamed(path) == whole(path)


def orders_xml(count: int, tail: str = "</orders>\n</prestashop>\n", every: str = "") -> str:
    body = "".join(f"  <order>\n    <id>{n}</id>\n    <total>{n}.50</total>\n    <associations>\n"
                   f'      <order_rows nodeType="order_row"><order_row><id>{n}</id></order_row></order_rows>\n'
                   f"    </associations>\n  </order>\n{every}" for n in range(count))
    return HEAD + "<orders>\n" + body + tail


def test_xml_records_come_before_the_end_of_the_file_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(instream, "EXACT_ERRORS_BYTES", 0)
    path = write(tmp_path, orders_xml(3000, tail="  <order><id>x</id>\n</orders>\n</prestashop>\n"))
    [(name, rows)] = stream_input(path, default_resource="orders", xml_options=PS)
    assert name == "orders"
    assert next(rows)["id"] == "0"  # the malformed end is not read yet
    with pytest.raises(InputError) as info:
        list(rows)
    assert info.value.file == str(path) and info.value.line == 3 + 7 * 3000 + 2  # at </orders>
    assert "malformed XML" in info.value.message


def peak_of(read) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = read()
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_xml_stream_holds_one_record_at_a_time(tmp_path):
    path = write(tmp_path, orders_xml(20_000))  # ~4 MB of records
    count, peak = peak_of(lambda: sum(1 for _ in stream_input(path, default_resource="orders", xml_options=PS)[0][1]))
    _, whole_peak = peak_of(lambda: len(read_input(path, default_resource="orders", xml_options=PS)[0][1]))
    assert count == 20_000 and peak < 2_000_000 and peak * 10 < whole_peak, (peak, whole_peak)


@pytest.mark.parametrize("text, message, line", [
    (HEAD.replace("<prestashop", '<!DOCTYPE x [<!ENTITY a "b">]>\n<prestashop') + "<orders/></prestashop>",
     "DOCTYPE and ENTITY declarations are not allowed", 2),
    (orders_xml(3, tail="  <note>x</note>\n</orders>\n</prestashop>\n"), "<note> inside <orders>", 25),
    (orders_xml(3, tail="</orders>\n<customers/>\n</prestashop>\n"), "holds several elements", 26),
    (orders_xml(2, every="<!-- a comment -->\n"), None, None),
])
def test_xml_errors_are_located(tmp_path, monkeypatch, text, message, line):
    path = write(tmp_path, text)
    assert streamed(path) == whole(path)  # a small file: the error exactly as the whole reader gives it
    monkeypatch.setattr(instream, "EXACT_ERRORS_BYTES", 0)  # a large one: the stream's own, located
    got = streamed(path)
    if message is None:
        assert got == whole(path) and len(got[0][1]) == 2
        return
    assert got[0] == "error" and message in got[1] and got[2] == line, got
    assert whole(path)[0] == "error"  # the whole-file reader refuses it too


def test_a_list_by_its_attribute_streams_items_of_any_name(tmp_path):
    text = (HEAD + '<orders nodeType="order">\n' + "".join(f"<order><id>{n}</id></order>\n" for n in range(3))
            + "<other><id>x</id></other>\n<order><id>4</id></order>\n</orders>\n</prestashop>\n")
    path = write(tmp_path, text)
    assert streamed(path) == whole(path)
    assert [r["id"] for r in streamed(path)[0][1]] == ["0", "1", "2", "x", "4"]


def test_size_limit_is_configurable_and_absent_by_default(tmp_path):
    path = write(tmp_path, orders_xml(50))
    size = path.stat().st_size
    assert len(streamed(path)[0][1]) == 50
    error = streamed(path, max_bytes=size - 1)
    assert error == ("error", f"the file is {size} bytes, above the limit of {size - 1} bytes (--max-input-bytes)",
                     None, None)
    assert len(streamed(path, max_bytes=size)[0][1]) == 50


def test_a_file_read_whole_keeps_the_configured_limit(tmp_path):
    path = write(tmp_path, '{"orders": [{"id": 1}], "customers": [{"id": 2}]}')
    assert streamed(path) == whole(path)
    assert streamed(path, max_bytes=10)[1].startswith("the file is")


def test_missing_file_and_directory(tmp_path):
    assert streamed(tmp_path / "nope") == ("error", "file not found", None, None)
    assert streamed(tmp_path) == ("error", "is a directory, not a file", None, None)
