"""Reading the files of a file resource: the glob's matches in sorted order (dot-files and the
temporary files of writes skipped), each read by the codec of its declared format, in pages.

A CSV or fixed-width file streams line by line; a malformed line is an
:class:`~engine.connectors.base.IncompleteRecord` the pipeline sets aside. A file none of whose lines
can be read (an encoding that is not the declared one throughout, a file that is not CSV) is refused
whole, as is one the reader cannot start (:class:`~engine.connectors.codecs.records.InputError`).
"""
from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from engine.connectors.codecs.records import read_input
from engine.connectors.codecs.textread import text_pages
from engine.connectors.codecs.textformat import TextFormat
from engine.connectors.codecs.xmlcodec import XmlOptions
from engine.connectors.codecs.xmlfile import XmlFileFormat, read_xml


def visible(path: Path) -> bool:
    """Files a reader takes: not hidden, not the temporary files of writes or batch partials."""
    return not path.name.startswith(".") and not path.name.endswith((".tmp", ".partial"))


def file_pages(real: Path, shown: str, resource: str, fmt: str | None, text: TextFormat | XmlFileFormat | None,
               xml: XmlOptions | None, key: str | None, size: int) -> Iterator[list]:
    """The records of one file in pages of at most ``size`` (a CSV / fixed-width codec fills them
    itself: no generator per record); ``text``: the declared CSV / fixed-width / XML file format."""
    if isinstance(text, XmlFileFormat):
        return read_xml(real, text, shown, key, size)
    if text is not None:
        return text_pages(real, text, shown, key, size)
    sets = read_input(real, name=resource, default_resource=resource, xml_options=xml, fmt=fmt)
    return paged(iter(sets[0][1] if sets else []), size)


def paged(records: Iterator[dict], size: int) -> Iterator[list]:
    while page := list(islice(records, size)):  # filled in C, not record by record here
        yield page
