"""The ODBC features of incremental reads and numbered writes proven on PostgreSQL (psqlODBC) as on SQLite
(SQLite ODBC driver), on the full Sage 100c schema: ``since`` with time zones and equal stamps (and its
ORDER BY, quoted so PostgreSQL finds the mixed-case columns), ``keys`` bound in batches, ``where``,
a ``fetch`` step with ``next_number`` under ``FOR UPDATE`` (PostgreSQL) or the database lock (SQLite),
and two writers at once. ``test_odbc_incremental.py`` and ``test_odbc_fetch.py`` hold the SQLite-only
details (validation, dry-run text); this file runs the same behaviours over both engines."""
from __future__ import annotations

from decimal import Decimal

import pytest

from odbc_support import write_at_once

from engine.connectors.compile import open_connector
from engine.connectors.errors import EndpointError
from engine.spec.env import Secret

pytestmark = pytest.mark.slow  # starts the session's PostgreSQL cluster

COUNTER = '"F_DOCCURRENTPIECE" WHERE "DC_Domaine" = 0 AND "DC_IdCol" = 1 AND "DC_Souche" = 0'
BC = '"DC_Domaine" = 0 AND "DC_IdCol" = 1 AND "DC_Souche" = 0'


def definition(max_params: int = 500) -> dict:
    return {
        "name": "sage100-sql", "protocol": "odbc",
        "settings": {"connection": {"required": True, "secret": True}, "dialect": {"required": True},
                     "tz": {"default": "Europe/Paris"}},
        "odbc": {"connection": "{settings.connection}", "dialects": ["mssql", "postgresql", "sqlite"],
                 "dialect": "{settings.dialect}", "timezone": "{settings.tz}", "batch": 2,
                 "max_params": max_params},
        "resources": {
            "articles": {
                "sql": 'SELECT a."AR_Ref", a."AR_PrixVen", a."cbModification" FROM "F_ARTICLE" a '
                       'WHERE a."FA_CodeFamille" = \'THE\' AND {filters}',
                "key": "AR_Ref",
                "since": {"column": "cbModification",
                          "sql": {"sqlite": 'a."cbModification" >= datetime({since})',
                                  "default": 'a."cbModification" >= {since}'}},
                "keys": {"column": "AR_Ref", "sql": 'a."AR_Ref" IN {keys}'},
                "where": {"AR_PrixVen": 'a."AR_PrixVen" = {value}'},
            },
        },
        "operations": {
            "insert_order": {
                "creates": True,
                "statements": [
                    f'UPDATE "F_DOCCURRENTPIECE" SET "DC_Piece" = "DC_Piece" WHERE {BC}',  # the lock first
                    {"fetch": {"mssql": f'SELECT "DC_Piece" FROM "F_DOCCURRENTPIECE" WITH (UPDLOCK) WHERE {BC}',
                               "postgresql": f'SELECT "DC_Piece" FROM {COUNTER} FOR UPDATE',
                               "default": f'SELECT "DC_Piece" FROM {COUNTER}'},
                     "as": "piece"},
                    'INSERT INTO "F_DOCENTETE" ("DO_Domaine", "DO_Type", "DO_Piece", "DO_Date", "DO_Ref", "DO_Tiers") '
                    'VALUES (0, 1, {piece.DC_Piece}, {payload.date}, {payload.reference}, {payload.customer})',
                    {"each": "lines",
                     "sql": 'INSERT INTO "F_DOCLIGNE" ("DL_No", "DO_Domaine", "DO_Type", "DO_Piece", "CT_Num", '
                            '"DL_Ligne", "AR_Ref", "DL_Qte") SELECT COALESCE(MAX("DL_No"), 0) + 1, 0, 1, '
                            '{piece.DC_Piece}, {payload.customer}, {item.line}, {item.ref}, {item.qty} '
                            'FROM "F_DOCLIGNE"'},
                    'UPDATE "F_DOCCURRENTPIECE" SET "DC_Piece" = {piece.DC_Piece | next_number} WHERE ' + BC,
                ],
                "result": "{piece.DC_Piece}",
            },
        },
    }


# naive local (Paris) stamps, as Sage stores them: winter +01:00, summer +02:00
STAMPS = {"THE-EARLGREY": "2024-01-15 10:00:00", "THE-SENCHA": "2024-07-15 10:00:00",
          "THE-MATCHA": "2024-07-15 10:00:00", "ROOIBOS-AGRUM": "2024-07-16 09:30:00",
          "INFUS-VERVEINE": "2024-07-17 08:00:00", "CHAI-EPICES": "2024-07-14 23:59:59",
          "BOITE-THE": "2023-12-31 00:00:00", "FILTRE-THE": "2023-12-31 00:00:00",
          "COFFRET-DEGUST": "2023-12-31 00:00:00"}
ORDER = {"date": "2024-05-14", "reference": "PS_1042", "customer": "CL-DUPONT",
         "lines": [{"line": 1000, "ref": "BOUG-VANILLE", "qty": Decimal("2")},
                   {"line": 2000, "ref": "THEIERE-08", "qty": Decimal("1")}]}


@pytest.fixture
def db(sage_engine, sage_database):
    db = sage_database(sage_engine, options=";UseDeclareFetch=1;Fetch=3" if sage_engine == "postgresql" else "")
    with db.connect() as conn:
        for ref, stamp in STAMPS.items():
            conn.execute('UPDATE "F_ARTICLE" SET "cbModification" = ? WHERE "AR_Ref" = ?', stamp, ref)
    return db


def opened(db, **settings):
    return open_connector("sage", definition(**settings), {"connection": Secret(db.connection_string),
                                                           "dialect": db.engine, "tz": "Europe/Paris"})


def read(endpoint, **kwargs) -> list[dict]:
    return [r for page in endpoint.read("articles", **kwargs) for r in page]


def test_a_full_read_is_in_cursor_order_with_time_zones(db):
    with opened(db) as sage:
        found = read(sage)
    assert [r["AR_Ref"] for r in found] == ["BOITE-THE", "COFFRET-DEGUST", "FILTRE-THE", "THE-EARLGREY",
                                            "CHAI-EPICES", "THE-MATCHA", "THE-SENCHA", "ROOIBOS-AGRUM",
                                            "INFUS-VERVEINE"]  # by stamp, then by key on a tie
    stamps = {r["AR_Ref"]: r["cbModification"] for r in found}
    assert stamps["THE-EARLGREY"] == "2024-01-15T10:00:00+01:00"  # winter
    assert stamps["THE-SENCHA"] == "2024-07-15T10:00:00+02:00"  # summer


def test_since_binds_the_cursor_in_local_time_and_reads_equal_stamps_again(db):
    with opened(db) as sage:
        # 08:00 UTC is 10:00 in Paris in July: both rows stamped 10:00 are read again (>=)
        assert [r["AR_Ref"] for r in read(sage, since=("cbModification", "2024-07-15T08:00:00+00:00"))] == \
            ["THE-MATCHA", "THE-SENCHA", "ROOIBOS-AGRUM", "INFUS-VERVEINE"]
        assert [r["AR_Ref"] for r in read(sage, since=("cbModification", "2024-07-16T09:30:00+02:00"))] == \
            ["ROOIBOS-AGRUM", "INFUS-VERVEINE"]
        assert read(sage, since=("cbModification", "2024-07-17T08:00:01+02:00")) == []
        # a row committed later within the cursor's own second is not lost
        with db.connect() as conn:
            conn.execute('UPDATE "F_ARTICLE" SET "cbModification" = ? WHERE "AR_Ref" = ?',
                         "2024-07-17 08:00:00", "THE-EARLGREY")
        assert [r["AR_Ref"] for r in read(sage, since=("cbModification", "2024-07-17T06:00:00+00:00"))] == \
            ["INFUS-VERVEINE", "THE-EARLGREY"]


def test_keys_are_bound_in_batches_never_pasted(db):
    with opened(db, max_params=3) as sage:
        wanted = ["THE-SENCHA", "x') OR 1=1 --", "THE-MATCHA", "CHAI-EPICES", "NOPE", "BOITE-THE", "THE-EARLGREY"]
        found = read(sage, keys=("AR_Ref", wanted))
        assert sorted(r["AR_Ref"] for r in found) == ["BOITE-THE", "CHAI-EPICES", "THE-EARLGREY", "THE-MATCHA",
                                                      "THE-SENCHA"]
        assert read(sage, keys=("AR_Ref", [])) == []


def test_where_and_since_bind_their_values_together(db):
    with opened(db) as sage:
        assert [r["AR_Ref"] for r in read(sage, where={"AR_PrixVen": Decimal("9.9")})] == ["THE-SENCHA"]
        assert read(sage, where={"AR_PrixVen": Decimal("9.9")}, since=("cbModification", "2024-08-01")) == []


def test_the_piece_is_fetched_and_incremented_in_the_transaction(db):
    with opened(db) as sage:
        assert sage.write("insert_order", ORDER).result == "BC00042"
        assert sage.write("insert_order", {**ORDER, "reference": "PS_1043"}).result == "BC00043"
        with pytest.raises(EndpointError) as info:  # a failing line: header, lines and counter roll back
            sage.write("insert_order", {**ORDER, "reference": "PS_BAD",
                                        "lines": [{"line": 1000, "ref": "NO-SUCH-REF", "qty": 1}]})
        assert not info.value.transient
        assert sage.write("insert_order", {**ORDER, "reference": "PS_1044"}).result == "BC00044"
    assert db.rows(f'SELECT "DC_Piece" FROM {COUNTER}') == [("BC00045",)]
    assert db.rows('SELECT "DO_Piece", "DO_Ref" FROM "F_DOCENTETE" WHERE "DO_Piece" > ? ORDER BY "DO_Piece"',
                   "BC00041") == [("BC00042", "PS_1042"), ("BC00043", "PS_1043"), ("BC00044", "PS_1044")]


def test_two_writers_at_once_never_get_the_same_piece(db):
    pieces = write_at_once(lambda: opened(db), ORDER, 8)
    assert sorted(pieces) == [f"BC{n:05d}" for n in range(42, 58)]  # 16 distinct, no gap
    assert db.rows('SELECT COUNT(DISTINCT "DL_No"), COUNT(*) FROM "F_DOCLIGNE"') == [(34, 34)]  # 2 seeded + 32
