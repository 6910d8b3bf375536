"""Dates and times: parsing, time zones, epochs and Microsoft JSON dates (``/Date(ms+hhmm)/``).

Time zones are IANA names (``Europe/Paris``) resolved with :mod:`zoneinfo` once, at compile time.
Dates travel between transforms as *aware* ``datetime`` objects; a transform that needs one and gets
text says to use ``parse_date`` first.

Local times around daylight-saving changes (``parse_date`` with ``tz``, or a naive datetime):

* an *ambiguous* time (the hour repeated in autumn, e.g. 2024-10-27 02:30 in Europe/Paris) is read as
  its first occurrence, before the change (+02:00);
* a *non-existent* time (the hour skipped in spring, e.g. 2024-03-31 02:30 in Europe/Paris) is read
  with the offset in force before the gap and normalised, so it becomes 03:30+02:00 (the same instant
  as 01:30 UTC).
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_FLOOR
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from engine.errors import TransformError
from engine.lang.registry import ArgError, CompileContext, Example as E, Registry
from engine.util.suggest import closest
from engine.lang.transforms._common import show, to_decimal
from engine.lang.transforms._datefast import iso_reader, local_ms_json

CATEGORY = "date"
UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EMPTY_DATES = frozenset(("", "0000-00-00", "0000-00-00 00:00:00", "0000-00-00T00:00:00"))
_STRPTIME_DIRECTIVES = frozenset("aAwdbBmyYHIpMSfzjUWcxXGuV%")
_MS_JSON = re.compile(r"\\?/Date\((-?[0-9]+)(?:([+-])([0-9]{2})([0-9]{2}))?\)\\?/\Z")
_PARIS = ZoneInfo("Europe/Paris")
_MAY_14 = datetime(2024, 5, 14, 10, 21, 7, tzinfo=_PARIS)  # order 1042, 08:21:07 UTC
_PS_DATE = {"format": "%Y-%m-%d %H:%M:%S", "tz": "Europe/Paris"}  # PrestaShop date_add


def _zone_schema(description: str) -> dict:
    return {"type": "string", "minLength": 1, "description": description}


def get_zone(name: Any, at: tuple = ()) -> ZoneInfo:
    """The IANA time zone called ``name``; an ArgError with a did-you-mean hint when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):  # OSError: a folder of the database, `Europe`
        text = str(name)
        guess = None if text.isupper() else closest(text, available_timezones())
        hint = f"did you mean '{guess}'?" if guess else \
            "use an IANA name such as Europe/Paris or UTC, not an abbreviation such as CEST"
        raise ArgError(f"unknown time zone '{name}'", at=at, hint=hint) from None


_FAST_FIELDS = {"Y": ("year", r"(\d{4})"), "m": ("month", r"(\d{2})"), "d": ("day", r"(\d{2})"),
                "H": ("hour", r"(\d{2})"), "M": ("minute", r"(\d{2})"), "S": ("second", r"(\d{2})")}


def fast_parser(fmt: str | None):
    """For formats made only of %Y %m %d %H %M %S and literal text, a regex reader that is about
    five times faster than strptime on the zero-padded texts shops send (strptime stays the fallback
    for anything else, so results are identical)."""
    if fmt is None:
        return None
    pattern, names, i = "", [], 0
    while i < len(fmt):
        char = fmt[i]
        if char == "%":
            code = fmt[i + 1:i + 2]
            if code not in _FAST_FIELDS or _FAST_FIELDS[code][0] in names:
                return None
            names.append(_FAST_FIELDS[code][0])
            pattern += _FAST_FIELDS[code][1]
            i += 2
        else:
            pattern += re.escape(char)
            i += 1
    if not {"year", "month", "day"} <= set(names):
        return None
    match = re.compile(pattern + r"\Z").match
    order = tuple(names)
    positional = order == ("year", "month", "day", "hour", "minute", "second")[:len(order)]

    def read(text: str) -> datetime | None:
        found = match(text)
        if found is None:
            return None
        try:
            if positional:  # year, month, day[, hour, minute, second]
                return datetime(*map(int, found.groups()))  # type: ignore[arg-type]
            return datetime(**dict(zip(order, map(int, found.groups()))))  # type: ignore[arg-type]
        except ValueError:
            return None

    return read


def localize(naive: datetime, zone: ZoneInfo) -> datetime:
    """Attach ``zone`` to a naive local time (first occurrence when ambiguous; a skipped time moves
    forward by the gap)."""
    aware = naive.replace(tzinfo=zone)
    if aware.utcoffset() == aware.replace(fold=1).utcoffset():
        return aware  # the usual case: one offset for that local time
    return aware.astimezone(UTC).astimezone(zone)  # in a DST fold or gap: normalised as documented


def need_datetime(value: Any, name: str) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        raise TransformError(f"expected a date, got {show(value)}: use parse_date first")
    raise TransformError(f"{name} expects a date, got {show(value)}")


def need_aware(value: Any, name: str) -> datetime:
    moment = need_datetime(value, name)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise TransformError(f"{name}: the date {moment.isoformat()} has no time zone "
                             "(use parse_date with tz, or to_tz)")
    return moment


def epoch_ms(moment: datetime) -> int:
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _check_format(fmt: str) -> None:
    for match in re.finditer(r"%(.?)", fmt.replace("%%", "")):
        if match.group(1) not in _STRPTIME_DIRECTIVES:
            raise ArgError(f"unknown directive '%{match.group(1)}' in date format", at=("format",),
                           offset=match.start(),
                           hint="e.g. %Y-%m-%d %H:%M:%S; see the strptime documentation")


def register(reg: Registry) -> None:
    @reg.transform("parse_date", category=CATEGORY,
                   args={"type": "object", "description": "How to read the date.",
                         "properties": {
                             "format": {"type": "string", "minLength": 1,
                                        "description": "strptime format (default: ISO 8601)."},
                             "tz": _zone_schema("Time zone of the source when the text has no offset "
                                                "(required unless the format has %z).")},
                         "additionalProperties": False},
                   summary="Read a date text into a time-zone-aware date; PrestaShop's 0000-00-00 "
                           "gives null.",
                   examples=[E(_PS_DATE, "2024-05-14 10:21:07", _MAY_14),
                             E({"tz": "Europe/Paris"}, "2024-05-14T08:21:07Z",
                               datetime(2024, 5, 14, 8, 21, 7, tzinfo=UTC)),
                             E(_PS_DATE, "0000-00-00 00:00:00", None),
                             E({"format": "%d/%m/%Y", "tz": "Europe/Paris"}, "2024-05-14",
                               raises="cannot read '2024-05-14' as a date with format '%d/%m/%Y'")])
    def parse_date(arg: dict, ctx: CompileContext):
        fmt = arg.get("format")
        zone = get_zone(arg["tz"], ("tz",)) if "tz" in arg else None
        if fmt is not None:
            _check_format(fmt)
        if zone is None and (fmt is None or "%z" not in fmt):
            raise ArgError("parse_date needs tz: the time zone of dates written without an offset",
                           hint="add tz: Europe/Paris (or put %z in the format when every date has one)")
        shown = fmt or "ISO 8601"
        fast = fast_parser(fmt)
        iso = iso_reader(fmt)

        def parse(value: Any) -> Any:
            if value is None:
                return None
            if isinstance(value, str):
                if iso is not None:  # an ISO-shaped format: the C reader (see _datefast)
                    moment = iso(value)
                    if moment is not None:
                        return localize(moment, zone) if zone is not None else moment
                text = value.strip()
                if text in EMPTY_DATES:
                    return None
                moment = fast(text) if fast is not None else None
                if moment is not None:
                    return localize(moment, zone) if zone is not None else moment
                try:
                    moment = datetime.fromisoformat(text) if fmt is None else datetime.strptime(text, fmt)
                except ValueError:
                    raise TransformError(
                        f"cannot read {show(value)} as a date with format '{shown}'") from None
            elif isinstance(value, datetime):
                moment = value
            elif isinstance(value, date):
                moment = datetime.combine(value, time())
            else:
                raise TransformError(f"parse_date expects a date text, got {show(value)}")
            if moment.tzinfo is not None:
                return moment
            if zone is None:
                raise TransformError(f"the date {show(value)} has no UTC offset and parse_date has no tz")
            return localize(moment, zone)

        if iso is not None and zone is not None and fmt is not None:  # then ms_json_date: one function
            setattr(parse, "fuse", lambda name, then: local_ms_json(fmt, zone, parse, then)
                    if name == "ms_json_date" else None)
        return parse

    @reg.transform("format_date", category=CATEGORY,
                   args={"type": "object", "description": "How to write the date.",
                         "properties": {
                             "format": {"type": "string", "minLength": 1, "description": "strftime format."},
                             "tz": _zone_schema("Convert to this time zone first (optional).")},
                         "required": ["format"], "additionalProperties": False},
                   summary="Write a date as text with a strftime format, optionally in another time zone.",
                   examples=[E({"format": "%d/%m/%Y %H:%M", "tz": "Europe/Paris"},
                               datetime(2024, 5, 14, 8, 21, 7, tzinfo=UTC), "14/05/2024 10:21"),
                             E({"format": "%Y-%m-%dT%H:%M:%S%z"}, _MAY_14, "2024-05-14T10:21:07+0200"),
                             E({"format": "%d/%m/%Y"}, "2024-05-14", raises="use parse_date first")])
    def format_date(arg: dict, ctx: CompileContext):
        fmt = arg["format"]
        zone = get_zone(arg["tz"], ("tz",)) if "tz" in arg else None

        def write(value: Any) -> Any:
            if value is None:
                return None
            if isinstance(value, date) and not isinstance(value, datetime):
                moment: date = value
            else:
                moment = need_aware(value, "format_date") if zone else need_datetime(value, "format_date")
                if zone:
                    moment = moment.astimezone(zone)
            try:
                return moment.strftime(fmt)
            except ValueError as exc:
                raise TransformError(f"cannot write {show(value)} with format '{fmt}': {exc}") from None

        return write

    @reg.transform("to_tz", category=CATEGORY, args=_zone_schema("IANA time zone, e.g. Europe/Paris or UTC."),
                   summary="Convert an aware date to another time zone (same instant).",
                   examples=[E("Europe/Paris", datetime(2024, 5, 14, 8, 21, 7, tzinfo=UTC), _MAY_14),
                             E("UTC", datetime(2024, 1, 15, 9, 0, tzinfo=_PARIS),
                               datetime(2024, 1, 15, 8, 0, tzinfo=UTC)),
                             E("UTC", datetime(2024, 5, 14, 10, 21, 7), raises="has no time zone")])
    def to_tz(arg: str, ctx: CompileContext):
        zone = get_zone(arg)
        return lambda value: None if value is None else need_aware(value, "to_tz").astimezone(zone)

    @reg.transform("epoch_seconds", category=CATEGORY, summary="Seconds since 1970-01-01 UTC (an int).",
                   examples=[E(None, _MAY_14, 1715674867),
                             E(None, "2024-05-14", raises="use parse_date first"),
                             E(None, None, None)])
    def epoch_seconds(arg: None, ctx: CompileContext):
        return lambda value: None if value is None else epoch_ms(need_aware(value, "epoch_seconds")) // 1000

    @reg.transform("epoch_ms", category=CATEGORY, summary="Milliseconds since 1970-01-01 UTC (an int).",
                   examples=[E(None, _MAY_14, 1715674867000),
                             E(None, datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC), -500)])
    def epoch_ms_(arg: None, ctx: CompileContext):
        return lambda value: None if value is None else epoch_ms(need_aware(value, "epoch_ms"))

    @reg.transform("from_epoch", category=CATEGORY, args_optional=True,
                   args={"type": "object", "description": "Unit of the number and time zone of the result.",
                         "properties": {
                             "unit": {"enum": ["s", "ms"],
                                      "description": "s: seconds (default), ms: milliseconds."},
                             "tz": _zone_schema("Time zone of the resulting date (default: UTC).")},
                         "additionalProperties": False},
                   summary="A number of seconds (or ms) since 1970-01-01 UTC to an aware date.",
                   examples=[E(None, 1715674867, datetime(2024, 5, 14, 8, 21, 7, tzinfo=UTC)),
                             E({"unit": "ms", "tz": "Europe/Paris"}, "1715674867000", _MAY_14),
                             E(None, "hier", raises="expected a number")])
    def from_epoch(arg: dict | None, ctx: CompileContext):
        arg = arg or {}
        zone = get_zone(arg["tz"], ("tz",)) if "tz" in arg else UTC
        per_second = 1000 if arg.get("unit") == "ms" else 1

        def convert(value: Any) -> Any:
            if value is None:
                return None
            micros = (to_decimal(value, "from_epoch") * 1_000_000 / per_second).to_integral_value(ROUND_FLOOR)
            try:
                return (EPOCH + timedelta(microseconds=int(micros))).astimezone(zone)
            except OverflowError:
                raise TransformError(f"{show(value)} is out of the date range") from None

        return convert

    @reg.transform("ms_json_date", category=CATEGORY,
                   summary="Write an aware date as a Microsoft JSON date /Date(ms+hhmm)/ "
                           "(Sage web services).",
                   examples=[E(None, _MAY_14, "/Date(1715674867000+0200)/"),
                             E(None, datetime(2024, 1, 15, 8, 0, tzinfo=UTC), "/Date(1705305600000+0000)/"),
                             E(None, datetime(2024, 5, 14, 10, 21, 7), raises="has no time zone")])
    def ms_json_date(arg: None, ctx: CompileContext):
        def write(value: Any) -> Any:
            if value is None:
                return None
            moment = need_aware(value, "ms_json_date")
            offset = moment.utcoffset()
            assert offset is not None  # need_aware: the moment has a time zone
            minutes = int(offset.total_seconds()) // 60
            sign = "-" if minutes < 0 else "+"
            hours, minutes = divmod(abs(minutes), 60)
            return f"/Date({epoch_ms(moment)}{sign}{hours:02d}{minutes:02d})/"

        return write

    @reg.transform("parse_ms_json_date", category=CATEGORY, args_optional=True,
                   args={"type": "object", "description": "Time zone to convert the date to.",
                         "properties": {"tz": _zone_schema("Convert to this time zone (default: keep the "
                                                           "offset written in the text, UTC when none).")},
                         "required": ["tz"], "additionalProperties": False},
                   summary="Read a Microsoft JSON date /Date(ms+hhmm)/ into an aware date.",
                   examples=[E(None, "/Date(1715682067000+0200)/",
                               datetime(2024, 5, 14, 12, 21, 7, tzinfo=timezone(timedelta(hours=2)))),
                             E({"tz": "Europe/Paris"}, "/Date(1715674867000)/", _MAY_14),
                             E(None, "/Date(-86400000)/", datetime(1969, 12, 31, tzinfo=UTC)),
                             E(None, "14/05/2024", raises="not a /Date(ms)/ date")])
    def parse_ms_json_date(arg: dict | None, ctx: CompileContext):
        zone = get_zone(arg["tz"], ("tz",)) if arg else None

        def parse(value: Any) -> Any:
            if value is None or value == "":
                return None
            match = _MS_JSON.match(value.strip()) if isinstance(value, str) else None
            if match is None:
                raise TransformError(
                    f"{show(value)} is not a /Date(ms)/ date (e.g. /Date(1715682067000+0200)/)")
            millis, sign, hh, mm = match.groups()
            try:
                delta = timedelta(hours=int(hh or 0), minutes=int(mm or 0))
                offset = timezone(-delta if sign == "-" else delta) if delta else UTC
                moment = EPOCH + timedelta(milliseconds=int(millis))
            except (OverflowError, ValueError):
                raise TransformError(f"{show(value)} is out of the date range") from None
            return moment.astimezone(zone or offset)

        return parse
