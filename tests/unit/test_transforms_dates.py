"""Date transforms: parsing with time zones (DST included), epochs and Microsoft JSON dates."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from engine.lang.context import SimpleContext
from engine.errors import TransformError
from engine.lang.registry import ArgError, Registry
from engine.lang.transforms import register_all

REG = Registry()
register_all(REG)
PARIS = ZoneInfo("Europe/Paris")
UTC = timezone.utc
FMT = "%Y-%m-%d %H:%M:%S"


def make(name, arg=None):
    return REG.get("transform", name).factory(arg, SimpleContext())


def parse_paris(text):
    return make("parse_date", {"format": FMT, "tz": "Europe/Paris"})(text)


def test_the_sage_round_trip_from_prestashop():
    moment = parse_paris("2024-05-14 10:21:07")
    assert make("ms_json_date")(moment) == "/Date(1715674867000+0200)/"


# Around daylight-saving changes in Europe/Paris (2024-03-31 02:00 -> 03:00, 2024-10-27 03:00 -> 02:00):
# an ambiguous local time is its first occurrence (+02:00); a skipped one moves forward by the gap.
@pytest.mark.parametrize(("local", "utc", "offset_hours"), [
    ("2024-03-31 01:59:59", "2024-03-31 00:59:59", 1),
    ("2024-03-31 02:00:00", "2024-03-31 01:00:00", 2),   # does not exist: becomes 03:00+02:00
    ("2024-03-31 02:30:00", "2024-03-31 01:30:00", 2),   # does not exist: becomes 03:30+02:00
    ("2024-03-31 03:00:00", "2024-03-31 01:00:00", 2),
    ("2024-10-27 01:59:59", "2024-10-26 23:59:59", 2),
    ("2024-10-27 02:30:00", "2024-10-27 00:30:00", 2),   # ambiguous: first occurrence
    ("2024-10-27 03:00:00", "2024-10-27 02:00:00", 1),
    ("2024-01-15 09:00:00", "2024-01-15 08:00:00", 1),
])
def test_parse_date_across_dst(local, utc, offset_hours):
    moment = parse_paris(local)
    assert moment.tzinfo is not None
    assert moment.utcoffset() == timedelta(hours=offset_hours)
    # (compared in UTC: Python never finds an ambiguous local time equal to a time in another zone)
    assert moment.astimezone(UTC) == datetime.strptime(utc, FMT).replace(tzinfo=UTC)


def test_skipped_time_is_normalised_to_the_wall_clock_after_the_gap():
    moment = parse_paris("2024-03-31 02:30:00")
    assert (moment.hour, moment.minute) == (3, 30)
    assert make("ms_json_date")(moment).endswith("+0200)/")


def test_ambiguous_time_is_written_with_the_summer_offset():
    assert make("ms_json_date")(parse_paris("2024-10-27 02:30:00")) == "/Date(1729989000000+0200)/"


@pytest.mark.parametrize(("arg", "text", "expected"), [
    ({"tz": "Europe/Paris"}, "2024-05-14T10:21:07", datetime(2024, 5, 14, 10, 21, 7, tzinfo=PARIS)),
    ({"tz": "Europe/Paris"}, "2024-05-14", datetime(2024, 5, 14, tzinfo=PARIS)),
    ({"tz": "Europe/Paris"}, "2024-05-14T10:21:07-04:00", datetime(2024, 5, 14, 14, 21, 7, tzinfo=UTC)),
    ({"tz": "Europe/Paris"}, "2024-05-14T08:21:07Z", datetime(2024, 5, 14, 8, 21, 7, tzinfo=UTC)),
    ({"format": "%d/%m/%Y %H:%M%z"}, "14/05/2024 10:21+0200", datetime(2024, 5, 14, 8, 21, tzinfo=UTC)),
    ({"format": "%d/%m/%Y", "tz": "UTC"}, " 14/05/2024 ", datetime(2024, 5, 14, tzinfo=UTC)),
])
def test_parse_date_formats(arg, text, expected):
    result = make("parse_date", arg)(text)
    assert result == expected


def test_parse_date_keeps_the_offset_written_in_the_text():
    result = make("parse_date", {"tz": "Europe/Paris"})("2024-05-14T10:21:07-04:00")
    assert result.utcoffset() == timedelta(hours=-4)


@pytest.mark.parametrize("empty", [None, "", "  ", "0000-00-00", "0000-00-00 00:00:00"])
def test_prestashop_empty_dates_are_null(empty):
    assert parse_paris(empty) is None


def test_parse_date_accepts_dates_and_datetimes():
    parse = make("parse_date", {"tz": "Europe/Paris"})
    aware = datetime(2024, 5, 14, 8, tzinfo=UTC)
    assert parse(aware) is aware
    assert parse(datetime(2024, 5, 14, 10)) == datetime(2024, 5, 14, 8, tzinfo=UTC)
    assert parse(date(2024, 5, 14)) == datetime(2024, 5, 14, tzinfo=PARIS)


@pytest.mark.parametrize(("arg", "value", "message"), [
    ({"format": FMT, "tz": "UTC"}, "14/05/2024", "cannot read '14/05/2024' as a date with format '%Y-%m-%d %H:%M:%S'"),
    ({"tz": "UTC"}, "hier", "cannot read 'hier' as a date with format 'ISO 8601'"),
    ({"format": FMT, "tz": "UTC"}, "2024-02-30 00:00:00", "cannot read"),
    ({"tz": "UTC"}, 1715674867, "parse_date expects a date text, got 1715674867"),
])
def test_parse_date_errors(arg, value, message):
    with pytest.raises(TransformError, match=message.replace("(", r"\(")):
        make("parse_date", arg)(value)


@pytest.mark.parametrize(("arg", "at", "message", "hint"), [
    ({"format": FMT}, (), "needs tz", "Europe/Paris"),
    ({}, (), "needs tz", "Europe/Paris"),
    ({"tz": "Europe/Pari"}, ("tz",), "unknown time zone 'Europe/Pari'", "did you mean 'Europe/Paris'?"),
    ({"tz": "europe/paris"}, ("tz",), "unknown time zone", "did you mean 'Europe/Paris'?"),
    ({"tz": "CEST"}, ("tz",), "unknown time zone 'CEST'", "not an abbreviation"),
    ({"tz": "../etc"}, ("tz",), "unknown time zone", "IANA name"),
    ({"format": "%Y-%m-%Q", "tz": "UTC"}, ("format",), "unknown directive '%Q'", "strptime"),
])
def test_parse_date_arg_errors(arg, at, message, hint):
    with pytest.raises(ArgError) as info:
        make("parse_date", arg)
    assert info.value.at == at
    assert message in info.value.message
    assert hint in info.value.hint


def test_percent_literal_is_a_valid_format():
    assert make("parse_date", {"format": "%Y%%%m", "tz": "UTC"})("2024%05") == datetime(2024, 5, 1, tzinfo=UTC)


# --- format_date / to_tz / epochs -----------------------------------------------------------------

MAY_14_UTC = datetime(2024, 5, 14, 8, 21, 7, tzinfo=UTC)


@pytest.mark.parametrize(("arg", "value", "expected"), [
    ({"format": "%d/%m/%Y %H:%M", "tz": "Europe/Paris"}, MAY_14_UTC, "14/05/2024 10:21"),
    ({"format": "%d/%m/%Y %H:%M"}, MAY_14_UTC, "14/05/2024 08:21"),
    ({"format": "%d/%m/%Y %H:%M"}, datetime(2024, 5, 14, 10, 21), "14/05/2024 10:21"),
    ({"format": "%d/%m/%Y", "tz": "Europe/Paris"}, date(2024, 5, 14), "14/05/2024"),
    ({"format": "%Y%m%d", "tz": "Europe/Paris"}, datetime(2024, 5, 14, 23, 30, tzinfo=UTC), "20240515"),
    ({"format": "%Y"}, None, None),
])
def test_format_date(arg, value, expected):
    assert make("format_date", arg)(value) == expected


@pytest.mark.parametrize(("arg", "value", "message"), [
    ({"format": "%Y", "tz": "UTC"}, datetime(2024, 5, 14), "has no time zone"),
    ({"format": "%Y"}, "2024-05-14", "expected a date, got '2024-05-14': use parse_date first"),
    ({"format": "%Y"}, 2024, "format_date expects a date, got 2024"),
])
def test_format_date_errors(arg, value, message):
    with pytest.raises(TransformError, match=message):
        make("format_date", arg)(value)


def test_to_tz():
    result = make("to_tz", "Europe/Paris")(MAY_14_UTC)
    assert result == MAY_14_UTC and result.utcoffset() == timedelta(hours=2) and result.hour == 10
    with pytest.raises(ArgError) as info:
        make("to_tz", "Paris")
    assert info.value.at == () and "unknown time zone 'Paris'" in info.value.message


@pytest.mark.parametrize(("value", "seconds", "millis"), [
    (MAY_14_UTC, 1715674867, 1715674867000),
    (datetime(2024, 5, 14, 10, 21, 7, 999999, tzinfo=PARIS), 1715674867, 1715674867999),
    (datetime(1970, 1, 1, tzinfo=UTC), 0, 0),
    (datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC), -1, -500),
])
def test_epochs(value, seconds, millis):
    assert make("epoch_seconds")(value) == seconds
    assert make("epoch_ms")(value) == millis


def test_epochs_need_an_aware_datetime():
    with pytest.raises(TransformError, match="has no time zone"):
        make("epoch_ms")(datetime(2024, 5, 14))
    with pytest.raises(TransformError, match="use parse_date first"):
        make("epoch_seconds")("2024-05-14")


@pytest.mark.parametrize(("arg", "value", "expected"), [
    (None, 1715674867, MAY_14_UTC),
    (None, "1715674867", MAY_14_UTC),
    (None, Decimal("1715674867.25"), MAY_14_UTC + timedelta(microseconds=250000)),
    ({"unit": "ms"}, 1715674867123, MAY_14_UTC + timedelta(milliseconds=123)),
    ({"unit": "ms"}, -500, datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC)),
    ({"tz": "Europe/Paris"}, 1715674867, datetime(2024, 5, 14, 10, 21, 7, tzinfo=PARIS)),
])
def test_from_epoch(arg, value, expected):
    result = make("from_epoch", arg)(value)
    assert result == expected and result.utcoffset() == expected.utcoffset()


def test_from_epoch_errors():
    with pytest.raises(TransformError, match="out of the date range"):
        make("from_epoch")(10 ** 15)
    with pytest.raises(TransformError, match="expected a number for from_epoch, got true"):
        make("from_epoch")(True)


# --- Microsoft JSON dates ---------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    (datetime(2024, 5, 14, 10, 21, 7, tzinfo=PARIS), "/Date(1715674867000+0200)/"),
    (datetime(2024, 1, 15, 9, 0, tzinfo=PARIS), "/Date(1705305600000+0100)/"),
    (datetime(2024, 5, 14, 4, 21, 7, tzinfo=ZoneInfo("America/New_York")), "/Date(1715674867000-0400)/"),
    (datetime(2024, 5, 14, 13, 51, 7, tzinfo=ZoneInfo("Asia/Kolkata")), "/Date(1715674867000+0530)/"),
    (datetime(1969, 12, 31, tzinfo=UTC), "/Date(-86400000+0000)/"),
])
def test_ms_json_date(value, expected):
    assert make("ms_json_date")(value) == expected


@pytest.mark.parametrize(("text", "expected", "offset"), [
    ("/Date(1715682067000+0200)/", datetime(2024, 5, 14, 10, 21, 7, tzinfo=UTC), timedelta(hours=2)),
    ("/Date(1715674867000)/", MAY_14_UTC, timedelta(0)),
    ("/Date(1715674867000-0430)/", MAY_14_UTC, -timedelta(hours=4, minutes=30)),
    ("/Date(1715674867000+0000)/", MAY_14_UTC, timedelta(0)),
    ("\\/Date(1715674867000)\\/", MAY_14_UTC, timedelta(0)),
    (" /Date(-86400000)/ ", datetime(1969, 12, 31, tzinfo=UTC), timedelta(0)),
])
def test_parse_ms_json_date(text, expected, offset):
    result = make("parse_ms_json_date")(text)
    assert result == expected and result.utcoffset() == offset


def test_parse_ms_json_date_to_a_zone():
    result = make("parse_ms_json_date", {"tz": "Europe/Paris"})("/Date(1715674867000-0400)/")
    assert result.tzinfo is PARIS and result.hour == 10


@pytest.mark.parametrize("zone", ["Europe/Paris", "America/New_York", "Asia/Kolkata", "UTC"])
def test_ms_json_round_trip(zone):
    moment = datetime(2024, 10, 27, 2, 30, 15, 123000, tzinfo=ZoneInfo(zone))
    back = make("parse_ms_json_date")(make("ms_json_date")(moment))
    assert back.astimezone(UTC) == moment.astimezone(UTC) and back.utcoffset() == moment.utcoffset()


@pytest.mark.parametrize("value", ["14/05/2024", "/Date(abc)/", "/Date(1715674867000+2)/",
                                   "/Date(1715674867000+9900)/", "/Date(99999999999999999)/", 1715674867])
def test_parse_ms_json_date_errors(value):
    with pytest.raises(TransformError):
        make("parse_ms_json_date")(value)


def test_ms_json_date_null_and_naive():
    assert make("ms_json_date")(None) is None
    assert make("parse_ms_json_date")("") is None
    with pytest.raises(TransformError, match="has no time zone"):
        make("ms_json_date")(datetime(2024, 5, 14))
