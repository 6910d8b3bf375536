"""WCF JSON dates, as Sage 100's WebServices100 writes them: ``/Date(ms±hhmm)/``."""
from __future__ import annotations

import re
from datetime import datetime, timedelta


def wcf_date(moment: datetime) -> str:
    """``/Date(ms±hhmm)/`` for an aware datetime (ms are UTC; the offset is the local one)."""
    ms = int(moment.timestamp() * 1000)
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"/Date({ms}{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d})/"


def parse_wcf_date(text: str) -> tuple[int, str]:
    match = re.fullmatch(r"/Date\((-?\d+)([+-]\d{4})?\)/", text)
    if not match:
        raise ValueError(f"not a WCF date: {text!r}")
    return int(match.group(1)), match.group(2) or ""
