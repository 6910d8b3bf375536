"""Reading the files of a file resource: the glob's matches in sorted order (dot-files and the
temporary files of writes skipped), each read by the codec of its declared format, in pages.

A CSV or fixed-width file streams line by line; a malformed line is an
:class:`~engine.connectors.base.IncompleteRecord` the pipeline sets aside. A file none of whose lines
can be read (an encoding that is not the declared one throughout, a file that is not CSV) is refused
whole, as is one the reader cannot start (:class:`~engine.connectors.codecs.records.InputError`).
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from engine.connectors.base import IncompleteRecord
from engine.connectors.codecs.csvfile import read_csv
from engine.connectors.codecs.fixedwidth import read_fixed
from engine.connectors.codecs.records import InputError, read_input
from engine.connectors.codecs.textformat import TextFormat
from engine.connectors.codecs.xmlcodec import XmlOptions

HELD_BAD_LINES = 1000  # bad lines kept, before the first good one, to tell a broken file from bad lines


def visible(path: Path) -> bool:
    """Files a reader takes: not hidden (temporary files of writes, batch partials), not `.reason`."""
    return not path.name.startswith(".") and not path.name.endswith((".tmp", ".partial"))


def text_records(real: Path, fmt: TextFormat, shown: str, key: str | None) -> Iterator[dict]:
    """The records of a CSV / fixed-width file; InputError when it cannot be read at all."""
    reader = read_csv if fmt.type == "csv" else read_fixed
    records = reader(real, fmt, shown, key)
    held: list[Any] = []
    for record in records:  # until the first good record, bad lines are held
        if type(record) is not IncompleteRecord:
            yield from held
            held.clear()
            yield record
            yield from records
            return
        held.append(record)
        if len(held) >= HELD_BAD_LINES:
            break
    if held:
        first = held[0].reason.split(": ", 1)[-1]
        raise InputError(f"no line of the file can be read ({len(held)}{'+' if len(held) >= HELD_BAD_LINES else ''} "
                         f"bad, the first: {first}); is it {fmt.type.upper()} in {fmt.encoding}?", real)


def file_records(real: Path, shown: str, resource: str, fmt: str | None, text: TextFormat | None,
                 xml: XmlOptions | None, key: str | None) -> Iterator[dict]:
    if text is not None:
        return text_records(real, text, shown, key)
    sets = read_input(real, name=resource, default_resource=resource, xml_options=xml, fmt=fmt)
    return iter(sets[0][1] if sets else [])


def paged(records: Iterator[dict], size: int) -> Iterator[list]:
    page: list = []
    for record in records:
        page.append(record)
        if len(page) >= size:
            yield page
            page = []
    if page:
        yield page
