"""Values fetched inside the write transaction — the Sage 100 piece number of ``F_DOCCURRENTPIECE``, read,
used for the header and the lines, incremented with ``next_number`` and stored, all in one transaction —
and SQL written per dialect, through the real SQLite ODBC driver."""
from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest

from odbc_support import make_sage_db, rows, sqlite_driver, write_at_once

from engine.connectors.compile import compile_connector, open_connector
from engine.connectors.errors import EncodeError, EndpointError

PIECE_TABLE = """
CREATE TABLE F_DOCCURRENTPIECE (DC_Domaine SMALLINT NOT NULL, DC_IdCol SMALLINT NOT NULL,
  DC_Souche SMALLINT NOT NULL, DC_Piece VARCHAR(13) NOT NULL, PRIMARY KEY (DC_Domaine, DC_IdCol, DC_Souche));
INSERT INTO F_DOCCURRENTPIECE VALUES (0, 1, 0, 'BC00042'), (0, 3, 0, 'BL00007');
"""

WHERE_PIECE = "WHERE DC_Domaine = 0 AND DC_IdCol = {settings.piece_column} AND DC_Souche = 0"


def definition() -> dict:
    return {
        "name": "sage100-sql", "protocol": "odbc",
        "settings": {"database": {"required": True}, "driver": {"required": True},
                     "dialect": {"default": "sqlite"}, "piece_column": {"default": 1}},
        "odbc": {"connection": "DRIVER={{{settings.driver}}};Database={settings.database};FKSupport=1",
                 "dialects": ["mssql", "postgresql", "sqlite"], "dialect": "{settings.dialect}"},
        "resources": {},
        "operations": {
            "insert_order": {
                "creates": True,
                "statements": [
                    # take the lock first: two writers never read the same piece
                    "UPDATE F_DOCCURRENTPIECE SET DC_Piece = DC_Piece " + WHERE_PIECE,
                    {"fetch": {"mssql": "SELECT DC_Piece FROM F_DOCCURRENTPIECE WITH (UPDLOCK, ROWLOCK) " + WHERE_PIECE,
                               "postgresql": "SELECT DC_Piece FROM F_DOCCURRENTPIECE " + WHERE_PIECE + " FOR UPDATE",
                               "default": "SELECT DC_Piece FROM F_DOCCURRENTPIECE " + WHERE_PIECE},
                     "as": "piece"},
                    "INSERT INTO F_DOCENTETE (DO_Domaine, DO_Type, DO_Piece, DO_Date, DO_Ref, DO_Tiers) "
                    "VALUES (0, 1, {piece.DC_Piece}, {payload.date}, {payload.reference}, {payload.customer})",
                    {"sql": "INSERT INTO F_DOCLIGNE (DO_Domaine, DO_Type, DO_Piece, CT_Num, DL_Ligne, AR_Ref, DL_Qte) "
                            "VALUES (0, 1, {piece.DC_Piece}, {payload.customer}, {item.line}, {item.ref}, {item.qty})",
                     "each": "lines"},
                    "UPDATE F_DOCCURRENTPIECE SET DC_Piece = {piece.DC_Piece | next_number} " + WHERE_PIECE,
                ],
                "result": "{piece.DC_Piece}",
            },
        },
    }


ORDER = {"date": "2024-05-14", "reference": "PS_1042", "customer": "WEB000056",
         "lines": [{"line": 1000, "ref": "BAAR01", "qty": Decimal("2")},
                   {"line": 2000, "ref": "MUG-CLASSIC", "qty": Decimal("1")}]}


@pytest.fixture
def db(tmp_path):
    path = make_sage_db(tmp_path / "sage.db")
    with sqlite3.connect(path) as con:
        con.executescript(PIECE_TABLE)
    return path


def settings(db, **extra) -> dict:
    return {"database": str(db), "driver": sqlite_driver(), "dialect": "sqlite", "piece_column": 1, **extra}


def test_the_piece_is_fetched_used_and_incremented_in_one_transaction(db):
    with open_connector("sage", definition(), settings(db)) as sage:
        assert sage.write("insert_order", ORDER).result == "BC00042"
        assert sage.write("insert_order", {**ORDER, "reference": "PS_1043"}).result == "BC00043"
    assert rows(db, "SELECT DO_Piece, DO_Ref FROM F_DOCENTETE ORDER BY DO_Piece") == \
        [("BC00042", "PS_1042"), ("BC00043", "PS_1043")]
    assert rows(db, "SELECT DO_Piece, DL_Ligne FROM F_DOCLIGNE ORDER BY DO_Piece, DL_Ligne") == \
        [("BC00042", 1000), ("BC00042", 2000), ("BC00043", 1000), ("BC00043", 2000)]
    assert rows(db, "SELECT DC_IdCol, DC_Piece FROM F_DOCCURRENTPIECE ORDER BY DC_IdCol") == \
        [(1, "BC00044"), (3, "BL00007")]


def test_a_failing_line_leaves_the_counter_as_it_was(db):
    bad = {**ORDER, "lines": [{"line": 1000, "ref": "NO-SUCH-ARTICLE", "qty": 1}]}
    with open_connector("sage", definition(), settings(db)) as sage:
        with pytest.raises(EndpointError, match="FOREIGN KEY constraint failed"):
            sage.write("insert_order", bad)
        assert sage.write("insert_order", ORDER).result == "BC00042"  # the piece was not spent
    assert rows(db, "SELECT DC_Piece FROM F_DOCCURRENTPIECE WHERE DC_IdCol = 1") == [("BC00043",)]


def test_a_missing_counter_row_rolls_back(db):
    with open_connector("sage", definition(), settings(db, piece_column=9)) as sage:
        with pytest.raises(EndpointError, match="`fetch` step 'piece' found no row"):
            sage.write("insert_order", ORDER)
    assert rows(db, "SELECT COUNT(*) FROM F_DOCENTETE") == [(0,)]


def test_an_exhausted_counter_is_an_encode_error_and_nothing_is_written(db):
    with sqlite3.connect(db) as con:
        con.execute("UPDATE F_DOCCURRENTPIECE SET DC_Piece = 'BC99999' WHERE DC_IdCol = 1")
    with open_connector("sage", definition(), settings(db)) as sage:
        with pytest.raises(EncodeError, match="run out of numbers"):
            sage.write("insert_order", ORDER)
    assert rows(db, "SELECT COUNT(*) FROM F_DOCENTETE") == [(0,)]


def test_two_writers_at_once_never_get_the_same_piece(db):
    pieces = write_at_once(lambda: open_connector("sage", definition(), settings(db)), ORDER, 10)
    assert sorted(pieces) == [f"BC{n:05d}" for n in range(42, 62)]  # 20 distinct, no gap
    assert rows(db, "SELECT COUNT(DISTINCT DO_Piece), COUNT(*) FROM F_DOCENTETE") == [(20, 20)]


def test_a_dry_run_shows_where_fetched_values_come_from(db):
    with open_connector("sage", definition(), settings(db)) as sage:
        body = sage.describe_write("insert_order", ORDER)["body"]
    assert "-- fetch piece, in the transaction:\nSELECT DC_Piece FROM F_DOCCURRENTPIECE WHERE" in body
    assert "UPDLOCK" not in body and '"<fetched: piece.DC_Piece>"' not in body
    assert "-- ? = <fetched: piece.DC_Piece>, \"2024-05-14\"" in body
    assert "<fetched: piece.DC_Piece | next_number>" in body
    assert body.endswith("-- then, for the created id: <fetched: piece.DC_Piece>")
    assert rows(db, "SELECT DC_Piece FROM F_DOCCURRENTPIECE WHERE DC_IdCol = 1") == [("BC00042",)]


def test_the_dialect_is_chosen_when_the_endpoint_opens(db):
    with open_connector("sage", definition(), settings(db, dialect="mssql")) as sage:
        assert "WITH (UPDLOCK, ROWLOCK)" in sage.describe_write("insert_order", ORDER)["body"]
    with pytest.raises(EndpointError, match="dialect 'oracle' is not one the connector supports"):
        open_connector("sage", definition(), settings(db, dialect="oracle"))


def codes(spec) -> list[tuple[str, str]]:
    _, diags = compile_connector(spec, lambda path: None)
    return sorted((d.code, d.path) for d in diags)


def test_validate_locates_fetch_and_dialect_mistakes():
    spec = definition()
    steps = spec["operations"]["insert_order"]["statements"]
    steps[1]["fetch"] = {"mssql": "SELECT 1", "oracle": "SELECT 1"}  # postgresql, sqlite missing; oracle unknown
    steps[4] = "UPDATE F_DOCCURRENTPIECE SET DC_Piece = {piece.DC_Piece | next_numbr}"
    spec["operations"]["other"] = {"sql": {"default": "SELECT {settings.nope}"}, "result": "{later.x}"}
    spec["operations"]["fetch_as_payload"] = {"statements": [{"fetch": "SELECT 1", "as": "payload"}]}
    assert codes(spec) == [
        ("bad-fetch", "connector.operations.fetch_as_payload.statements[0].as"),
        ("missing-dialect", "connector.operations.insert_order.statements[1].fetch"),
        ("unknown-dialect", "connector.operations.insert_order.statements[1].fetch.oracle"),
        ("unknown-placeholder", "connector.operations.other.result"),
        ("unknown-placeholder", "connector.operations.other.sql.default"),
        ("unknown-transform", "connector.operations.insert_order.statements[4]")]
    plain = definition()
    del plain["odbc"]["dialects"]
    assert ("missing-key", "connector.odbc.dialect") in codes(plain)
    assert ("undeclared-dialects", "connector.operations.insert_order.statements[1].fetch") in codes(plain)
