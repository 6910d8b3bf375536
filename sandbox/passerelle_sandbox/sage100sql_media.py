"""The files a seeded Sage 100c catalogue points at: small real PNG and JPEG images and one PDF sheet.

Sage 100c stores an article's photo as a path in ``F_ARTICLE.AR_Photo`` and its other files as paths in
``F_ARTICLEMEDIA.ME_Fichier`` (paths on the Sage server, never the bytes), so a connector reads the files
from the share those paths name. The seeded paths start with :data:`MEDIA_ROOT` (a share as a Windows
server names it); :func:`write_media` writes the files under a folder standing for that share, at the
same relative paths (``/`` for ``\\``), e.g. next to the database (``python -m passerelle_sandbox
sage100-sql --sqlite db --media DIR``). Every file is built here byte for byte (no imaging library) and
deterministically: the same bytes on every run, a different colour per file.
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

__all__ = ["MEDIA_ROOT", "jpeg", "media_files", "pdf", "png", "sage_path", "write_media"]

MEDIA_ROOT = "\\\\SAGE-SRV\\Medias\\"  # \\SAGE-SRV\Medias\ : the share the seeded paths start with

# relative path -> (kind, colour or title): the files the seeded rows name
_FILES = {
    "articles/bougie-vanille.png": ("png", (236, 214, 160)),
    "articles/theiere-fonte-08.jpg": ("jpeg", 60),
    "articles/theiere-fonte-08-dos.jpg": ("jpeg", 90),
    "articles/tshirt-bio.png": ("png", (40, 70, 150)),
    "articles/tshirt-bio-rouge.png": ("png", (170, 30, 40)),
    "articles/nappe-lin.jpg": ("jpeg", 200),
    "documents/theiere-fonte-notice.pdf": ("pdf", "Théière fonte 0,8 L - notice d'entretien"),
}


def sage_path(relative: str) -> str:
    """The path Sage stores for a file of the media folder (``articles/x.png`` -> ``\\\\SAGE-SRV\\Medias\\articles\\x.png``)."""
    return MEDIA_ROOT + relative.replace("/", "\\")


def png(rgb: tuple[int, int, int], size: int = 8) -> bytes:
    """A ``size`` × ``size`` PNG of one colour (8-bit RGB, no interlace)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))  # filter 0 per scanline
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def jpeg(level: int) -> bytes:
    """An 8 × 8 baseline JPEG (JFIF, one grey component) of one grey ``level`` (1..254): one block whose
    DC coefficient is 8 × (level − 128) under a quantisation of 1, every AC coefficient 0; Huffman tables
    of one code each (DC: the value's category, AC: end of block)."""
    if not 0 < level < 255 or level == 128:
        raise ValueError("level must be 1..254 and not 128")
    dc = 8 * (level - 128)
    category = abs(dc).bit_length()
    bits = dc if dc > 0 else dc + (1 << category) - 1  # JPEG's one's-complement form of a negative value
    stream = "0" + format(bits, f"0{category}b") + "0"  # DC code, its bits, EOB code
    stream += "1" * (-len(stream) % 8)
    data = int(stream, 2).to_bytes(len(stream) // 8, "big").replace(b"\xff", b"\xff\x00")

    def segment(marker: int, body: bytes) -> bytes:
        return struct.pack(">HH", 0xFF00 | marker, len(body) + 2) + body

    def huffman(table: int, symbol: int) -> bytes:  # one code of length 1
        return bytes([table]) + bytes([1] + [0] * 15) + bytes([symbol])

    return (b"\xff\xd8" + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
            + segment(0xDB, b"\x00" + b"\x01" * 64)
            + segment(0xC0, struct.pack(">BHHB", 8, 8, 8, 1) + b"\x01\x11\x00")
            + segment(0xC4, huffman(0x00, category) + huffman(0x10, 0x00))
            + segment(0xDA, b"\x01\x01\x00\x00\x3f\x00") + data + b"\xff\xd9")


def pdf(title: str) -> bytes:
    """A one-page PDF 1.4 showing ``title`` (Helvetica, WinAnsi), with an exact cross-reference table."""
    text = title.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    content = b"BT /F1 14 Tf 56 780 Td (" + text + b") Tj ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def media_files() -> dict[str, bytes]:
    """Every seeded file: its path relative to the media folder and its bytes."""
    makers = {"png": png, "jpeg": jpeg, "pdf": pdf}
    return {path: makers[kind](arg) for path, (kind, arg) in _FILES.items()}  # type: ignore[operator]


def write_media(folder: Path) -> list[Path]:
    """Write every seeded file under ``folder`` (the share :data:`MEDIA_ROOT` stands for); the files written."""
    written = []
    for relative, content in media_files().items():
        path = Path(folder) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        written.append(path)
    return written
