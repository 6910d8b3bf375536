"""ODBC reads filtered by the conditions a resource declares — the incremental cursor (``since``), related
look-ups (``keys``) and ``where`` — through the real SQLite ODBC driver; datetimes read in the connector's
time zone."""
from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest

from odbc_support import make_sage_db, sqlite_driver

from engine.connectors.compile import compile_connector, open_connector
from engine.connectors.errors import EndpointError
from engine.connectors.sqlfilters import build


def definition(**odbc) -> dict:
    return {
        "name": "sage100-sql", "protocol": "odbc",
        "settings": {"database": {"required": True}, "driver": {"required": True}},
        "odbc": {"connection": "DRIVER={{{settings.driver}}};Database={settings.database}", "batch": 2,
                 "timezone": "Europe/Paris", **odbc},
        "resources": {
            "articles": {
                "sql": "SELECT a.AR_Ref, a.AR_PrixVen, a.cbModification FROM F_ARTICLE a "
                       "WHERE a.AR_Sommeil = 0 AND {filters}",
                "key": "AR_Ref",
                "since": {"column": "cbModification",  # SQLite keeps datetimes as text: compare as datetimes
                          "sql": "a.cbModification >= datetime({since})"},
                "keys": {"column": "AR_Ref", "sql": "a.AR_Ref IN {keys}"},
                "where": {"AR_PrixVen": "a.AR_PrixVen = {value}"},
            },
            "stock": {"sql": "SELECT s.AR_Ref, s.DE_No, s.AS_QteSto FROM F_ARTSTOCK s WHERE {filters} "
                             "ORDER BY s.AR_Ref", "keys": {"column": "AR_Ref", "sql": "s.AR_Ref IN {keys}"}},
        },
        "operations": {},
    }


@pytest.fixture
def db(tmp_path):
    path = make_sage_db(tmp_path / "sage.db", articles=6)
    with sqlite3.connect(path) as con:  # naive local datetimes, as Sage stores them
        con.executemany("UPDATE F_ARTICLE SET cbModification = ? WHERE AR_Ref = ?", [
            ("2024-01-15 10:00:00", "ART00001"), ("2024-07-15 10:00:00", "ART00002"),
            ("2024-07-15 10:00:00", "ART00003"), ("2024-07-16 09:30:00", "ART00004"),
            ("2024-07-17 08:00:00", "ART00005"), ("2024-07-14 23:59:59", "ART00006"),
            ("2023-12-31 00:00:00", "BAAR01"), ("2023-12-31 00:00:00", "MUG-CLASSIC")])
    return path


@pytest.fixture
def sage(db):
    endpoint = open_connector("sage", definition(), {"database": str(db), "driver": sqlite_driver()})
    yield endpoint
    endpoint.close()


def read(endpoint, resource="articles", **kwargs) -> list[dict]:
    return [r for page in endpoint.read(resource, **kwargs) for r in page]


def test_a_full_read_is_in_cursor_order_with_time_zones(sage):
    found = read(sage)
    assert [r["AR_Ref"] for r in found] == ["BAAR01", "MUG-CLASSIC", "ART00001", "ART00006", "ART00002",
                                            "ART00003", "ART00004", "ART00005"]  # then by key on a tie
    stamps = {r["AR_Ref"]: r["cbModification"] for r in found}
    assert stamps["ART00001"] == "2024-01-15T10:00:00+01:00"  # winter
    assert stamps["ART00002"] == "2024-07-15T10:00:00+02:00"  # summer
    assert isinstance(found[0]["AR_PrixVen"], Decimal)


def test_since_binds_the_cursor_converted_to_local_time_and_keeps_equal_stamps(sage):
    # 08:00 UTC is 10:00 in Paris in July: both rows stamped 10:00 are read again (>=)
    found = read(sage, since=("cbModification", "2024-07-15T08:00:00+00:00"))
    assert [r["AR_Ref"] for r in found] == ["ART00002", "ART00003", "ART00004", "ART00005"]
    assert [r["AR_Ref"] for r in read(sage, since=("cbModification", "2024-07-15 10:00:00+02:00"))] == \
        ["ART00002", "ART00003", "ART00004", "ART00005"]
    assert read(sage, since=("cbModification", "2024-07-17T08:00:01+02:00")) == []


def test_keys_are_bound_in_batches_never_pasted(db):
    spec = definition(max_params=3)
    with open_connector("sage", spec, {"database": str(db), "driver": sqlite_driver()}) as sage:
        wanted = ["ART00001", "ART00003", "x') OR 1=1 --", "ART00005", "BAAR01", "NOPE", "ART00002"]
        found = read(sage, keys=("AR_Ref", wanted))
        assert sorted(r["AR_Ref"] for r in found) == ["ART00001", "ART00002", "ART00003", "ART00005", "BAAR01"]
        assert read(sage, keys=("AR_Ref", [])) == []
        assert [r["AR_Ref"] for r in read(sage, "stock", keys=("AR_Ref", ["BAAR01"]))] == ["BAAR01"]


def test_keys_statements_hold_at_most_max_params_markers():
    plan, diags = compile_connector(definition(), lambda path: None)
    assert not diags
    res = plan.resources["articles"].detail
    statements = build(res, None, {}, where=None, since=None, keys=[f"K{i}" for i in range(1201)], max_params=500)
    assert [len(params) for _, params in statements] == [500, 500, 201]
    assert statements[0][0].count("?") == 500 and "ORDER BY" not in statements[0][0]
    assert all("K" not in text for text, _ in statements)


def test_where_binds_its_value(sage):
    assert [r["AR_Ref"] for r in read(sage, where={"AR_PrixVen": Decimal("3.25")})] == ["ART00003"]
    assert [r["AR_Ref"] for r in read(sage, where={"AR_PrixVen": 45}, since=("cbModification", "2023-01-01"))] \
        == ["BAAR01"]


def test_an_undeclared_filter_is_refused(sage):
    with pytest.raises(EndpointError, match="cannot be filtered by since"):
        read(sage, "stock", since=("x", "2024-01-01"))


def test_the_time_zone_may_be_a_setting(db):
    spec = definition(timezone="{settings.tz}")
    spec["settings"]["tz"] = {"default": "UTC"}
    with open_connector("sage", spec, {"database": str(db), "driver": sqlite_driver(), "tz": "UTC"}) as sage:
        assert read(sage, keys=("AR_Ref", ["ART00002"]))[0]["cbModification"] == "2024-07-15T10:00:00+00:00"
    with pytest.raises(EndpointError, match="unknown time zone 'Mars/Olympus'"):
        open_connector("sage", spec, {"database": str(db), "driver": sqlite_driver(), "tz": "Mars/Olympus"})


def codes(spec) -> list[tuple[str, str]]:
    _, diags = compile_connector(spec, lambda path: None)
    return [(d.code, d.path) for d in diags]


def test_validate_locates_filter_mistakes():
    spec = definition(timezone="Europe/Pariss")
    res = spec["resources"]
    res["stock"]["sql"] = "SELECT AR_Ref FROM F_ARTSTOCK"  # declares keys, has no {filters}
    res["articles"]["sql"] += " ORDER BY a.AR_Ref"
    res["articles"]["since"]["sql"] = "a.cbModification >= {cursor}"
    res["articles"]["keys"]["sql"] = "a.AR_Ref = {key}"
    res["articles"]["where"]["bad column"] = "x = {value}"
    assert sorted(codes(spec)) == [
        ("bad-column", "connector.resources.articles.where.bad column"),
        ("bad-sql", "connector.resources.articles.keys.sql"),
        ("bad-sql", "connector.resources.articles.sql"),
        ("bad-timezone", "connector.odbc.timezone"),
        ("missing-filters", "connector.resources.stock.sql"),
        ("unknown-placeholder", "connector.resources.articles.since.sql")]


def test_lookback_keeps_the_offset_of_an_odbc_cursor():
    from engine.runtime.runner import _lookback

    assert _lookback("2024-07-15T10:00:00+02:00", 90) == "2024-07-15T09:58:30+02:00"
    assert _lookback("2024-07-15 10:00:00", 60) == "2024-07-15 09:59:00"  # naive forms as before
