"""Names the engine itself puts in a record's scope. They all start with ``_``; any other name
starting with ``_`` used as the first step of an expression is a mistake that ``validate`` reports
(a source field whose name starts with ``_`` is read as ``@._links``).

Which of them a given expression may use depends on where it stands (see each constant)."""
from __future__ import annotations

PARENT = "_parent"      # inside a `- each:` item of `map`: the enclosing record (or item)
INDEX = "_index"        # inside a `- each:` item, or a fan-out item: 0-based position
POSITION = "_position"  # the same, 1-based (Sage numbers lines 1000, 2000, ...: see `line_number`)
KEY = "_key"            # a fan-out item's or a group's ledger key
TARGET = "_target"      # in `acknowledge`: what the target answered (`_target.id`); in `target.remove.with`
PAYLOAD = "_payload"    # in `target.remove.with`: the last payload sent for the removed record
REFUSED = "_refused"    # in `reserve.on_refused`: the refusal (`_refused.reason`, as the system stated it)

RESERVED = frozenset({PARENT, INDEX, POSITION, KEY, TARGET, PAYLOAD, REFUSED})

__all__ = ["INDEX", "KEY", "PARENT", "PAYLOAD", "POSITION", "REFUSED", "RESERVED", "TARGET"]
