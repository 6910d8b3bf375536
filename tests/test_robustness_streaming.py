"""Robustness of the streaming input readers (property-based, derandomized).

For random JSON arrays, JSON Lines and mutated XML list files, read in chunks of any size:
``stream_input`` never raises anything but a located :class:`InputError`, and it gives exactly what the
whole-file reader (``read_input``) gives — the same records, or the same error (message, line, column).
"""
from __future__ import annotations

import json
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.connectors.codecs import instream
from engine.connectors.codecs.instream import stream_input
from engine.connectors.codecs.records import InputError, read_input
from engine.connectors.codecs.xmlcodec import XmlOptions

SETTINGS = settings(max_examples=80, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
PS = XmlOptions(root="prestashop", list_attribute="nodeType", list_containers=("associations",),
                i18n_element="language")
SAMPLE = (Path(__file__).resolve().parent / "fixtures" / "prestashop" / "orders.xml").read_bytes()

keys = st.sampled_from(["id", "name", "é", "a\u2028b", "", "price", "x y"])
leaves = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.text(max_size=6),
                   st.decimals(allow_nan=False, allow_infinity=False, places=3).map(lambda d: Decimal(str(d))))
values = st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(keys, inner, max_size=3)), max_leaves=8)
records = st.lists(st.one_of(st.dictionaries(keys, values, max_size=4), values), max_size=6)
noise = st.sampled_from(["", " ", "\n", ",", "]", "[", "{", "}", '"', "NaN", "x", "\ufeff", "\\", "1e999", ":"])


def outcome(read):
    try:
        return [(name, list(rows)) for name, rows in read()]
    except InputError as exc:
        assert exc.file and exc.message, exc
        return ("error", exc.message, exc.line, exc.col)


def both(path: Path, chunk: int):
    old = instream.CHUNK
    instream.CHUNK = chunk
    try:
        got = outcome(lambda: stream_input(path, default_resource="orders", xml_options=PS))
    finally:
        instream.CHUNK = old
    return got, outcome(lambda: read_input(path, default_resource="orders", xml_options=PS))



@SETTINGS
@given(records, st.integers(1, 64), st.lists(st.tuples(st.integers(0, 400), noise), max_size=2),
       st.sampled_from(["array", "lines"]))
def test_json_streams_give_what_the_whole_reader_gives(items, chunk, edits, shape):
    def dump(item) -> str:
        return json.dumps(item, ensure_ascii=False, default=float)

    if shape == "array":
        text = "[" + ",\n ".join(map(dump, items)) + "]"
    else:
        text = "\n".join(map(dump, items)) + "\n"
    for position, piece in edits:
        position = min(position, len(text))
        text = text[:position] + piece + text[position:]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input"
        path.write_text(text, encoding="utf-8")
        got, expected = both(path, chunk)
    assert got == expected


xml_noise = st.sampled_from(["", "<", ">", "</order>", "<order>", "<!-- c -->", "<?pi x?>", "&amp;", "&x;",
                             "<!DOCTYPE x>", "]]>", "<a/>", '<orders nodeType="order">', "\x00", "é"])


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, len(SAMPLE)), xml_noise), max_size=3), st.integers(1, 3))
def test_mutated_xml_lists_stream_as_the_whole_reader_reads_them(edits, copies):
    text = SAMPLE.replace(b"</orders>", SAMPLE.split(b"<orders>")[1].split(b"</orders>")[0] * (copies - 1)
                          + b"</orders>")
    for position, piece in edits:
        text = text[:position] + piece.encode() + text[position:]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input"
        path.write_bytes(text)
        got, expected = both(path, 64)
    assert got == expected
