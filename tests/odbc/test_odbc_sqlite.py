"""The ODBC protocol through its endpoint API (``open_connector``), against a Sage 100-shaped SQLite
database reached through pyodbc + unixODBC + the SQLite ODBC driver: nothing of pyodbc is mocked."""
from __future__ import annotations

import builtins
import sqlite3
from decimal import Decimal

import pytest

from odbc_support import make_sage_db, rows, sqlite_driver

from engine.connectors.errors import EncodeError, EndpointError
from engine.connectors.odbc import OdbcUnavailable, load_pyodbc
from engine.connectors.compile import open_connector
from engine.spec.env import Secret

PASSWORD = "s3cret-Pa55"

HEADER = ("INSERT INTO F_DOCENTETE (DO_Domaine, DO_Type, DO_Piece, DO_Date, DO_Ref, DO_Tiers, DO_TotalTTC) "
          "VALUES (0, 1, {payload.piece}, {payload.date}, {payload.reference}, {payload.customer}, {payload.total})")
LINE = ("INSERT INTO F_DOCLIGNE (DO_Domaine, DO_Type, DO_Piece, CT_Num, DL_Ligne, AR_Ref, DL_Qte, DL_PrixUnitaire) "
        "VALUES (0, 1, {payload.piece}, {payload.customer}, {item.line}, {item.ref}, {item.qty}, {item.price})")


def definition(**extra) -> dict:
    return {
        "name": "sage100-sql", "protocol": "odbc",
        "settings": {"database": {"required": True}, "driver": {"required": True},
                     "password": {"secret": True}},
        "odbc": {"connection": "DRIVER={{{settings.driver}}};Database={settings.database};FKSupport=1;"
                               "PWD={settings.password}",
                 "batch": 100, "timeout": 5, **extra},
        "resources": {
            "articles": {"sql": "SELECT AR_Ref, AR_Design, AR_PrixVen FROM F_ARTICLE WHERE AR_Sommeil = 0 "
                                "ORDER BY AR_Ref", "key": "AR_Ref"},
            "stock": {"sql": "SELECT a.AR_Ref, a.AR_PrixVen, s.stock_disponible, s.stock_a_terme FROM F_ARTICLE a "
                             "JOIN V_STOCK s ON s.AR_Ref = a.AR_Ref ORDER BY a.AR_Ref"},
        },
        "operations": {
            "set_stock": {"sql": "UPDATE F_ARTSTOCK SET AS_QteSto = {payload.quantity} WHERE AR_Ref = {ref} "
                                 "AND DE_No = {payload.depot}", "idempotent": True},
            "add_article": {"sql": "INSERT INTO F_ARTICLE (AR_Ref, AR_Design, AR_PrixVen) VALUES "
                                   "({payload.ref}, {payload.design}, {payload.price})"},
            "insert_order": {"statements": [HEADER, {"sql": LINE, "each": "lines"}], "creates": True,
                             "result": "SELECT DO_Piece FROM F_DOCENTETE WHERE DO_Ref = {payload.reference}",
                             "find": "find_order", "find_id": "DO_Piece"},
            "header_then_bad_line": {"statements": [HEADER,
                                                    "INSERT INTO F_DOCLIGNE (DO_Piece) VALUES ({payload.piece})"]},
            "add_line": {"sql": LINE.replace("{item.", "{payload.").replace("{payload.line}", "1000"),
                         "result": "SELECT last_insert_rowid()"},
            "find_order": {"sql": "SELECT DO_Piece, DO_Tiers, DO_TotalTTC FROM F_DOCENTETE WHERE DO_Ref = {reference}"},
        },
    }


@pytest.fixture
def db(tmp_path):
    return make_sage_db(tmp_path / "sage100.db", articles=250)


@pytest.fixture
def sage(db):
    endpoint = open_connector("sage", definition(), settings(db))
    yield endpoint
    endpoint.close()


def settings(db) -> dict:
    return {"database": str(db), "driver": sqlite_driver(), "password": Secret(PASSWORD)}


ORDER = {"piece": "BC00042", "date": "2024-05-14", "reference": "PS_1042", "customer": "WEB000056",
         "total": Decimal("42.50"),
         "lines": [{"line": 1000, "ref": "BAAR01", "qty": Decimal("2"), "price": Decimal("12.5")},
                   {"line": 2000, "ref": "MUG-CLASSIC", "qty": Decimal("1"), "price": Decimal("17.5")}]}


def test_reads_in_batches_of_constant_size_with_exact_values(sage):
    pages = list(sage.read("articles"))
    assert [len(p) for p in pages] == [100, 100, 52]  # 250 generated + BAAR01, MUG-CLASSIC (OLD-REF sleeps)
    first = pages[0][0]
    assert first == {"AR_Ref": "ART00001", "AR_Design": "Article 1", "AR_PrixVen": Decimal("1.25")}
    assert all(not isinstance(v, float) for page in pages for r in page for v in r.values())
    assert [len(p) for p in sage.read("articles", page_size=120)] == [120, 120, 12]


def test_reads_the_stock_view_figures_of_the_reference(sage):
    found = {r["AR_Ref"]: r for page in sage.read("stock") for r in page}
    assert found["BAAR01"]["stock_disponible"] == 7 and found["BAAR01"]["stock_a_terme"] == 12  # reference figures


def test_filters_are_refused_rather_than_ignored(sage):
    with pytest.raises(EndpointError, match="cannot be filtered"):
        next(iter(sage.read("articles", where={"AR_Ref": "BAAR01"})))


def test_a_write_binds_its_values_never_pastes_them(sage, db):
    sage.write("set_stock", {"quantity": Decimal("17.5"), "depot": 1}, {"ref": "BAAR01"})
    assert rows(db, "SELECT AS_QteSto FROM F_ARTSTOCK WHERE AR_Ref = 'BAAR01'") == [(17.5,)]
    evil = "x'; DROP TABLE F_ARTICLE; --"
    sage.write("add_article", {"ref": "EVIL", "design": evil, "price": Decimal("1")})
    assert rows(db, "SELECT AR_Design FROM F_ARTICLE WHERE AR_Ref = 'EVIL'") == [(evil,)]
    assert rows(db, "SELECT COUNT(*) FROM F_ARTICLE") == [(254,)]  # the table is still there


def test_a_document_and_its_lines_commit_together_and_return_the_piece(sage, db):
    result = sage.write("insert_order", ORDER)
    assert result.result == "BC00042"
    assert rows(db, "SELECT DO_Piece, DO_Tiers FROM F_DOCENTETE") == [("BC00042", "WEB000056")]
    assert rows(db, "SELECT DL_Ligne, AR_Ref, DL_Qte FROM F_DOCLIGNE ORDER BY DL_Ligne") == \
        [(1000, "BAAR01", 2), (2000, "MUG-CLASSIC", 1)]


def test_a_failing_second_statement_leaves_nothing(sage, db):
    with pytest.raises(EndpointError) as info:
        sage.write("header_then_bad_line", ORDER)
    assert not info.value.transient and not info.value.outcome_unknown  # rejected: dead letter, no retry
    assert "NOT NULL constraint failed" in info.value.message and "header_then_bad_line" in info.value.message
    assert rows(db, "SELECT COUNT(*) FROM F_DOCENTETE") == [(0,)]  # the header was rolled back
    sage.write("insert_order", ORDER)  # the connection is still good
    assert rows(db, "SELECT COUNT(*) FROM F_DOCLIGNE") == [(2,)]


def test_a_failing_line_rolls_the_header_back(sage, db):
    bad = {**ORDER, "lines": [*ORDER["lines"], {"line": 3000, "ref": "NO-SUCH-ARTICLE", "qty": 1, "price": 1}]}
    with pytest.raises(EndpointError, match="FOREIGN KEY constraint failed"):
        sage.write("insert_order", bad)
    assert rows(db, "SELECT COUNT(*) FROM F_DOCENTETE") == [(0,)]
    assert rows(db, "SELECT COUNT(*) FROM F_DOCLIGNE") == [(0,)]


def test_result_returns_the_created_id(sage, db):
    sage.write("insert_order", {**ORDER, "lines": []})
    line = {"piece": "BC00042", "customer": "WEB000056", "ref": "BAAR01", "qty": 3, "price": Decimal("45")}
    first, second = sage.write("add_line", line), sage.write("add_line", line)
    assert isinstance(first.result, int) and second.result == first.result + 1
    assert rows(db, "SELECT DL_No FROM F_DOCLIGNE ORDER BY DL_No") == [(first.result,), (second.result,)]


def test_find_by_reference(sage):
    assert sage.find("find_order", {"reference": "PS_1042"}) == []
    sage.write("insert_order", ORDER)
    assert sage.find("find_order", {"reference": "PS_1042"}) == \
        [{"DO_Piece": "BC00042", "DO_Tiers": "WEB000056", "DO_TotalTTC": Decimal("42.5")}]


def test_a_payload_that_cannot_be_bound_is_an_encode_error(sage, db):
    with pytest.raises(EncodeError, match=r"\{payload.design\}: payload has no field 'design'"):
        sage.write("add_article", {"ref": "X", "price": 1})
    with pytest.raises(EncodeError, match="is an object"):
        sage.write("add_article", {"ref": "X", "design": {"fr": "x"}, "price": 1})
    with pytest.raises(EncodeError, match="not a list"):
        sage.write("insert_order", {**ORDER, "lines": "none"})
    with pytest.raises(EncodeError, match="is NaN, not a number"):
        sage.write("add_article", {"ref": "X", "design": "x", "price": Decimal("NaN")})
    with pytest.raises(EncodeError, match="a value cannot be bound: int too big"):
        sage.write("add_article", {"ref": "X", "design": "x", "price": 2 ** 70})
    assert rows(db, "SELECT COUNT(*) FROM F_ARTICLE WHERE AR_Ref = 'X'") == [(0,)]


def test_describe_write_shows_the_sql_and_its_values_never_the_password(sage):
    shown = sage.describe_write("insert_order", ORDER)
    assert shown["method"] == "SQL" and shown["headers"] == {}
    assert shown["url"].startswith("odbc:DRIVER={SQLite3") and shown["url"].endswith("PWD=***")
    body = shown["body"]
    assert body.splitlines()[0].startswith("INSERT INTO F_DOCENTETE") and "{payload" not in body
    assert '-- ? = "BC00042", "2024-05-14", "PS_1042", "WEB000056", 42.5' in body
    assert body.count("INSERT INTO F_DOCLIGNE") == 2 and '"MUG-CLASSIC", 1, 17.5' in body
    assert "-- then, for the created id: SELECT DO_Piece FROM F_DOCENTETE WHERE DO_Ref = ?" in body
    assert PASSWORD not in str(shown) and PASSWORD not in sage.location()


def test_a_secret_bound_as_a_value_is_masked_when_shown(db):
    spec = definition()
    spec["operations"]["audit"] = {"sql": "UPDATE F_ARTICLE SET AR_Design = {settings.password} WHERE 0 = 1"}
    with open_connector("sage", spec, settings(db)) as sage:
        assert '-- ? = "***"' in sage.describe_write("audit", {})["body"]
        sage.write("audit", {})  # revealed for the wire only


def test_a_database_lock_is_transient(db):
    spec = definition()
    spec["odbc"]["connection"] += ";Timeout=100"  # the SQLite driver's busy timeout, in ms
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with open_connector("sage", spec, settings(db)) as sage:
            with pytest.raises(EndpointError) as info:
                sage.write("set_stock", {"quantity": 1, "depot": 1}, {"ref": "BAAR01"})
    finally:
        holder.rollback()
        holder.close()
    assert info.value.transient and "locked" in info.value.message


def test_a_connection_lost_while_committing_means_outcome_unknown(sage):
    pyodbc = load_pyodbc()
    lost = pyodbc.OperationalError("08S01", "[Microsoft][ODBC Driver 18 for SQL Server]Communication link failure")
    error = sage._fail("operation 'insert_order'", lost, committing=True)
    assert error.transient and error.outcome_unknown
    deadlock = pyodbc.Error("40001", "Transaction (Process ID 52) was deadlocked on lock resources")
    assert sage._fail("x", deadlock).transient and not sage._fail("x", deadlock).outcome_unknown
    refused = pyodbc.IntegrityError("23000", "Violation of PRIMARY KEY constraint")
    assert not sage._fail("x", refused, committing=True).transient


def test_a_missing_driver_gives_a_clear_message(db):
    spec = definition()
    with open_connector("sage", spec, {**settings(db), "driver": "No Such Driver"}) as sage:
        with pytest.raises(OdbcUnavailable) as info:
            next(iter(sage.read("articles")))
    message = info.value.message
    assert "ODBC driver or data source is not installed" in message and "SQLite3" in message  # installed ones
    assert "libsqliteodbc" in message and PASSWORD not in message and not info.value.transient


def test_a_missing_odbc_library_gives_a_clear_message(db, monkeypatch):
    real_import = builtins.__import__

    def no_libodbc(name, *args, **kwargs):
        if name == "pyodbc":
            raise ImportError("libodbc.so.2: cannot open shared object file: No such file or directory")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(__import__("sys").modules, "pyodbc", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_libodbc)
    with pytest.raises(OdbcUnavailable, match=r"system ODBC library is missing.*apt-get install unixodbc"):
        open_connector("sage", definition(), {"database": str(db), "driver": "SQLite3", "password": Secret("x")})
    assert issubclass(OdbcUnavailable, EndpointError)
