"""Fast paths of the date transforms: same results and same errors as the general paths in
:mod:`engine.lang.transforms.dates`, which stay the fallback for anything the fast path does not take.

* :func:`iso_reader` — ``parse_date`` formats that are ISO 8601 shapes (``%Y-%m-%d %H:%M:%S``, the
  PrestaShop ``date_add``; ``%Y-%m-%dT%H:%M:%S``; ``%Y-%m-%d %H:%M``; ``%Y-%m-%d``) read with the C
  ``datetime.fromisoformat``, about 40 times faster than ``strptime`` and 4 times the regex reader. It
  is taken only for a text of exactly the format's length with the format's separators where the
  format puts them (``fromisoformat`` alone also reads week dates, basic formats, fractions and
  offsets, which ``strptime`` refuses); anything else goes to the general reader.
* :func:`local_ms_json` — ``parse_date`` (such a format, with ``tz``) followed by ``ms_json_date``, as
  one function: the offset of the local time is asked of the zone directly, for both folds, and the
  text is written without building the aware date. A local time in a daylight-saving fold or gap
  (both folds disagree) goes through the two general transforms.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable
from zoneinfo import ZoneInfo

_SEPARATORS = {"%Y-%m-%d %H:%M:%S": "-- ::", "%Y-%m-%dT%H:%M:%S": "--T::", "%Y-%m-%d %H:%M": "-- :",
               "%Y-%m-%dT%H:%M": "--T:", "%Y-%m-%d": "--"}
_LENGTHS = {"%Y-%m-%d %H:%M:%S": 19, "%Y-%m-%dT%H:%M:%S": 19, "%Y-%m-%d %H:%M": 16,
            "%Y-%m-%dT%H:%M": 16, "%Y-%m-%d": 10}
_EPOCH = datetime(1970, 1, 1)
_ONE_MS = timedelta(milliseconds=1)
_fromiso = datetime.fromisoformat


def _reads_hour_24() -> bool:
    """Whether this Python's fromisoformat reads 24:00 as the next midnight (strptime refuses it)."""
    try:
        _fromiso("2024-01-01 24:00:00")
    except ValueError:
        return False
    return True  # pragma: no cover - Python versions that accept it


_HOUR_24 = _reads_hour_24()


def iso_reader(fmt: str | None) -> Callable[[str], datetime | None] | None:
    """``text -> naive datetime``, or None when the fast path does not apply to that text (the caller
    then runs the general reader); None when ``fmt`` is not one of the ISO shapes above."""
    if fmt not in _SEPARATORS:
        return None
    separators, length = _SEPARATORS[fmt], _LENGTHS[fmt]
    stop = 3 * len(separators) + 2  # the separators sit at 4, 7, 10, 13, 16

    def read(text: str) -> datetime | None:
        if len(text) != length or text[4:stop:3] != separators:
            return None
        if _HOUR_24 and text[11:13] == "24":  # pragma: no cover - see _reads_hour_24
            return None
        try:
            moment = _fromiso(text)
        except ValueError:
            return None  # e.g. 0000-00-00 00:00:00, month 13: the general reader says what to say
        return moment if moment.tzinfo is None else None

    return read


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60  # as ms_json_date writes it
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{minutes:02d}"


def local_ms_json(fmt: str, zone: ZoneInfo, parse: Callable[[Any], Any],
                  write: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``write(parse(value))`` for ``parse_date`` with the ISO-shaped format ``fmt`` and ``tz: zone``,
    then ``ms_json_date``; the general pair runs for anything the fast path does not read (the tests
    of :func:`iso_reader` hold for the same checks, written out here to save a call)."""
    separators, length = _SEPARATORS[fmt], _LENGTHS[fmt]
    stop = 3 * len(separators) + 2
    offset_of = zone.utcoffset
    known: dict[timedelta, tuple[str, datetime]] = {}  # offset -> (its text, the epoch in that offset)

    def fused(value: Any) -> Any:
        if value.__class__ is str and len(value) == length and value[4:stop:3] == separators \
                and not (_HOUR_24 and value[11:13] == "24"):
            try:
                moment = _fromiso(value)
            except ValueError:
                moment = None
            if moment is not None and moment.tzinfo is None:
                offset = offset_of(moment)  # fold=0: the first occurrence
                later = datetime(moment.year, moment.month, moment.day, moment.hour, moment.minute,
                                 moment.second, 0, None, fold=1)  # these formats have no fraction
                if offset is not None and offset == offset_of(later):  # neither a fold nor a gap
                    got = known.get(offset)
                    if got is None:
                        got = known[offset] = (_offset_text(offset), _EPOCH + offset)
                    return f"/Date({(moment - got[1]) // _ONE_MS}{got[0]})/"
        return write(parse(value))

    return fused
