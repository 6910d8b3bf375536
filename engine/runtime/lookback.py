"""``source.lookback``: the incremental cursor moved back by some seconds, in the cursor's own format
(the run re-reads what a strictly "after" date filter would miss; re-reading is safe)."""
from __future__ import annotations

import contextlib
from datetime import datetime, timedelta


def lookback(cursor: str, seconds: int) -> str:
    if not seconds:
        return cursor
    with contextlib.suppress(ValueError):  # an ISO datetime with its offset (ODBC reads): same form back
        moment = datetime.fromisoformat(cursor)
        if moment.tzinfo is not None and not cursor.endswith("Z"):  # `Z` forms keep their format below
            return (moment - timedelta(seconds=seconds)).isoformat()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return (datetime.strptime(cursor, fmt) - timedelta(seconds=seconds)).strftime(fmt)
        except ValueError:
            continue
    return cursor


__all__ = ["lookback"]
