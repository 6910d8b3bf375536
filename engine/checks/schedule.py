"""Flow schedules: ``every 5m`` or a cron expression (UTC), checked at validate, used by ``serve``."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone

_EVERY = re.compile(r"every\s+(\d+)\s*(s|sec|m|min|h|hour|d|day)s?\Z", re.I)
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def schedule_interval(text: str | None) -> Callable[[float], float] | None:
    """``every 5m`` or a cron expression -> function(now epoch) -> next run epoch; None if unset."""
    if not text:
        return None
    match = _EVERY.match(text.strip())
    if match:
        seconds = int(match.group(1)) * _UNITS[match.group(2).lower()]
        return lambda now: now + seconds
    from croniter import croniter

    if not croniter.is_valid(text):
        raise ValueError(f"invalid schedule {text!r}: write 'every 5m' or a cron expression")
    return lambda now: croniter(text, datetime.fromtimestamp(now, timezone.utc)).get_next(float)
