"""The records of a CSV or fixed-width file (the file connector's resources and ``dry-run --input``):
the codec's pages, except that a file none of whose lines can be read (an encoding that is not the
declared one throughout, a file that is not CSV) is refused whole with an
:class:`~engine.connectors.codecs.records.InputError`, rather than set aside line by line.

The codecs hand out whole pages (a list filled by one generated loop per format), and this check
looks at pages, not records: nothing runs per record between the codec and the runner."""
from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Any

from engine.connectors.base import IncompleteRecord
from engine.connectors.codecs.csvfile import read_csv
from engine.connectors.codecs.fixedwidth import read_fixed
from engine.connectors.codecs.records import InputError
from engine.connectors.codecs.textformat import TextFormat

HELD_BAD_LINES = 1000  # bad lines kept, before the first good one, to tell a broken file from bad lines
PAGE = 1000


def text_pages(real: Path, fmt: TextFormat, shown: str, key: str | None, size: int = PAGE) -> Iterator[list]:
    """The records of a CSV / fixed-width file in pages; InputError when it cannot be read at all."""
    reader = read_csv if fmt.type == "csv" else read_fixed
    pages = reader(real, fmt, shown, key, size)
    held: list[Any] = []
    for page in pages:  # until the first good record, bad lines are held
        if not all(type(record) is IncompleteRecord for record in page):
            if held:
                yield held
            yield page
            yield from pages
            return
        held.extend(page)
        if len(held) >= HELD_BAD_LINES:
            break
    if held:
        first = held[0].reason.split(": ", 1)[-1]
        raise InputError(f"no line of the file can be read ({len(held)}{'+' if len(held) >= HELD_BAD_LINES else ''} "
                         f"bad, the first: {first}); is it {fmt.type.upper()} in {fmt.encoding}?", real)


def text_records(real: Path, fmt: TextFormat, shown: str, key: str | None) -> Iterator[dict]:
    """The same, record by record (``dry-run --input``)."""
    return chain.from_iterable(text_pages(real, fmt, shown, key))
