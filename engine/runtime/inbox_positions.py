"""Where the records left open sit in a source's read, so that an inbox moves each file on its own.

A file resource read from an inbox hands out the records of its files one file after the other; the
runner tells the endpoint, when the run ends, the positions (0-based, in read order) of the records
whose outcome is not final (``settled(resource, all_final, open_at)``), and the endpoint moves every
file none of whose records is among them (:mod:`engine.connectors.file_inbox`).
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def positions(page: list, left: list, base: int) -> Iterator[int]:
    """The positions of the raw records ``left`` (the very objects of ``page``) in the read, the
    page starting at ``base``; nothing is computed when every record of the page is final."""
    if not left:
        return iter(())
    at = {id(raw): base + index for index, raw in enumerate(page)}
    return (at[id(raw)] for raw in left if id(raw) in at)


def settle(runner: Any, complete: bool) -> None:
    """Tell the flow's source endpoint, when it reads inboxes (it has ``settled``), that the run
    processed what it read: ``complete`` (every record read was processed) with the positions left
    open, so that each file whose records are all final moves; nothing moves when the run was cut or
    stopped."""
    settled = getattr(runner.endpoints[runner.flow.source_endpoint], "settled", None)
    if settled is not None:
        settled(runner.flow.source_resource, complete and not runner.open_outcomes,
                runner.open_at if complete else None)
