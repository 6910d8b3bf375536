"""The image and PDF files of the seeded Sage 100c catalogue (``passerelle_sandbox.sage100sql_media``) are
real files of their format, read back here by their structure: the PNG's pixels, the JPEG's segments and
its one block's DC coefficient, the PDF's cross-reference offsets."""
from __future__ import annotations

import re
import struct
import zlib

import pytest

from passerelle_sandbox.sage100sql_media import MEDIA_ROOT, jpeg, media_files, pdf, png, sage_path, write_media


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        assert struct.unpack(">I", data[at + 8 + length:at + 12 + length])[0] == zlib.crc32(kind + body)
        chunks.append((kind, body))
        at += 12 + length
    return chunks


def test_a_png_holds_its_colour_in_every_pixel():
    chunks = dict(_png_chunks(png((12, 200, 34), size=4)))
    assert struct.unpack(">IIBBBBB", chunks[b"IHDR"]) == (4, 4, 8, 2, 0, 0, 0)
    raw = zlib.decompress(chunks[b"IDAT"])
    assert raw == (b"\x00" + bytes((12, 200, 34)) * 4) * 4 and b"IEND" in chunks


def _segments(data: bytes) -> dict[int, bytes]:
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"
    out, at = {}, 2
    while data[at + 1] != 0xDA:
        marker, length = data[at + 1], struct.unpack(">H", data[at + 2:at + 4])[0]
        out[marker] = data[at + 4:at + 2 + length]
        at += 2 + length
    length = struct.unpack(">H", data[at + 2:at + 4])[0]
    out[0xDA] = data[at + 4:at + 2 + length]
    out[0x00] = data[at + 2 + length:-2]  # the entropy-coded data
    return out


@pytest.mark.parametrize("level", [1, 60, 127, 129, 200, 254])
def test_a_jpeg_is_one_baseline_block_of_its_grey_level(level):
    parts = _segments(jpeg(level))
    assert parts[0xE0].startswith(b"JFIF\x00") and parts[0xDB] == b"\x00" + b"\x01" * 64
    assert struct.unpack(">BHHB", parts[0xC0][:6]) == (8, 8, 8, 1)  # 8-bit, 8 x 8, one component
    dht = parts[0xC4]
    category = dht[17]
    assert dht[:17] == b"\x00\x01" + bytes(15) and dht[18:35] == b"\x10\x01" + bytes(15) and dht[35] == 0
    bits = "".join(format(b, "08b") for b in parts[0x00].replace(b"\xff\x00", b"\xff"))
    assert bits[0] == "0"  # the one DC code
    value = int(bits[1:1 + category], 2)
    if bits[1] == "0":  # a negative value, in JPEG's one's-complement form
        value -= (1 << category) - 1
    assert value == 8 * (level - 128) and bits[1 + category] == "0"  # then the end-of-block code
    assert set(bits[2 + category:]) <= {"1"}  # padding
    with pytest.raises(ValueError):
        jpeg(128)


def test_a_pdf_has_exact_cross_reference_offsets():
    data = pdf("Théière (notice)")
    assert data.startswith(b"%PDF-1.4\n") and data.endswith(b"%%EOF\n")
    start = int(re.search(rb"startxref\n(\d+)\n", data).group(1))
    assert data[start:start + 4] == b"xref"
    offsets = [int(m) for m in re.findall(rb"(\d{10}) 00000 n ", data)]
    assert len(offsets) == 5
    for number, offset in enumerate(offsets, 1):
        assert data[offset:].startswith(f"{number} 0 obj".encode())
    assert "Théière \\(notice\\)".encode("cp1252") in data


def test_the_seeded_files_are_written_under_the_folder_sage_paths_name(tmp_path):
    files = media_files()
    assert media_files() == files  # deterministic
    written = write_media(tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == sorted(files)
    assert sage_path("articles/nappe-lin.jpg") == MEDIA_ROOT + "articles\\nappe-lin.jpg"
    assert MEDIA_ROOT == "\\\\SAGE-SRV\\Medias\\"
