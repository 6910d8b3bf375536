"""The existing ODBC protocol (``open_connector``) on the seeded Sage 100c schema, on SQLite and on
PostgreSQL alike: reads in batches, a document header and its lines written in one transaction with the
piece number taken from ``F_DOCCURRENTPIECE`` and incremented, all rolled back when a line fails.

One connector definition serves both engines: its SQL quotes every identifier (PostgreSQL folds unquoted
names to lower case) and uses only what both engines share; what still differs (the created id's query)
is marked. Nothing of pyodbc or the drivers is mocked."""
from __future__ import annotations

from decimal import Decimal

import pytest

from odbc_support import LAST_ID

from engine.connectors.compile import open_connector
from engine.connectors.errors import EndpointError
from engine.spec.env import Secret

pytestmark = pytest.mark.slow  # starts the session's PostgreSQL cluster: first, so no worker waits at the end

CURRENT = '"DC_Domaine" = 0 AND "DC_IdCol" = 1 AND "DC_Souche" = 0'  # the sales order (BC) counter
HEADER = ('INSERT INTO "F_DOCENTETE" ("DO_Domaine", "DO_Type", "DO_Piece", "DO_Date", "DO_Ref", "DO_Tiers", '
          '"LI_No", "DO_Tarif", "DO_TotalTTC") SELECT 0, 1, "DC_Piece", {payload.date}, {payload.reference}, '
          f'{{payload.customer}}, {{payload.address}}, 2, {{payload.total}} FROM "F_DOCCURRENTPIECE" WHERE {CURRENT}')
LINE = ('INSERT INTO "F_DOCLIGNE" ("DL_No", "DO_Domaine", "DO_Type", "DO_Piece", "CT_Num", "DO_Date", "DL_Ligne", '
        '"AR_Ref", "DL_Design", "DL_Qte", "DL_PrixUnitaire", "DE_No") '
        'SELECT (SELECT COALESCE(MAX("DL_No"), 0) + 1 FROM "F_DOCLIGNE"), 0, 1, "DO_Piece", "DO_Tiers", "DO_Date", '
        '{item.line}, {item.ref}, {item.design}, {item.qty}, {item.price}, 1 '
        'FROM "F_DOCENTETE" WHERE "DO_Ref" = {payload.reference}')
# BC00042 -> BC00043: the same text in SQLite and PostgreSQL (no printf/lpad: 100000 + n, first digit cut)
NEXT_PIECE = ('UPDATE "F_DOCCURRENTPIECE" SET "DC_Piece" = substr("DC_Piece", 1, 2) || '
              'substr(CAST(100000 + CAST(substr("DC_Piece", 3) AS INTEGER) + 1 AS VARCHAR(6)), 2) '
              f'WHERE {CURRENT}')


def definition(engine: str) -> dict:
    return {
        "name": "sage100-sql", "protocol": "odbc",
        "settings": {"connection": {"required": True, "secret": True}},
        "odbc": {"connection": "{settings.connection}", "batch": 10, "timeout": 5},
        "resources": {
            "articles": {"sql": 'SELECT "AR_Ref", "AR_Design", "AR_PrixVen", "FA_CodeFamille" FROM "F_ARTICLE" '
                                'WHERE "AR_Sommeil" = 0 ORDER BY "AR_Ref"', "key": "AR_Ref"},
            "forward_stock": {"sql": 'SELECT s."AR_Ref", SUM(s."AS_QteSto" + s."AS_QteCom" - s."AS_QteRes") '
                                     'AS forward FROM "F_ARTSTOCK" s JOIN "F_ARTICLE" a ON a."AR_Ref" = s."AR_Ref" '
                                     'WHERE a."AR_Sommeil" = 0 GROUP BY s."AR_Ref" ORDER BY s."AR_Ref"'},
            "unquoted": {"sql": "SELECT AR_Ref FROM F_ARTICLE"},
        },
        "operations": {
            "insert_order": {"statements": [HEADER, {"sql": LINE, "each": "lines"}, NEXT_PIECE], "creates": True,
                             "result": 'SELECT "DO_Piece" FROM "F_DOCENTETE" WHERE "DO_Ref" = {payload.reference}',
                             "find": "find_order", "find_id": "DO_Piece"},
            "find_order": {"sql": 'SELECT "DO_Piece", "DO_Tiers", "DO_TotalTTC" FROM "F_DOCENTETE" '
                                  'WHERE "DO_Ref" = {reference}'},
            "add_depot": {"sql": 'INSERT INTO "F_DEPOT" ("DE_No", "DE_Intitule") VALUES ({payload.no}, {payload.name})',
                          "result": LAST_ID[engine]},  # the one statement that differs per engine
        },
    }


@pytest.fixture
def sage(sage_engine, sage_database):
    engine = sage_engine
    # psqlODBC streams a result set only with UseDeclareFetch (else it is read whole into memory)
    db = sage_database(engine, options=";UseDeclareFetch=1;Fetch=7" if engine == "postgresql" else "")
    endpoint = open_connector("sage", definition(engine), {"connection": Secret(db.connection_string)})
    yield endpoint, db
    endpoint.close()


ORDER = {"date": "2024-05-14", "reference": "PS_1042", "customer": "CL-DUPONT", "address": 2,
         "total": Decimal("118.68"),
         "lines": [{"line": 1000, "ref": "BOUG-VANILLE", "design": "Bougie parfumée vanille", "qty": Decimal("4"),
                    "price": Decimal("10.32")},
                   {"line": 2000, "ref": "THEIERE-08", "design": "Théière fonte 0,8 L", "qty": Decimal("1"),
                    "price": Decimal("39.9")}]}


def test_reads_the_catalogue_in_batches_with_exact_values(sage):
    endpoint, _ = sage
    pages = list(endpoint.read("articles"))
    assert [len(p) for p in pages] == [10, 10, 10, 7]  # 40 articles, 3 dormant
    rows = {r["AR_Ref"]: r for page in pages for r in page}
    assert rows["THEIERE-08"] == {"AR_Ref": "THEIERE-08", "AR_Design": "Théière fonte 0,8 L",
                                  "AR_PrixVen": Decimal("45.9"), "FA_CodeFamille": "TABLE"}
    assert list(rows) == sorted(rows)  # ORDER BY: code point order on both (SQLite binary, PostgreSQL "C")
    assert not any(isinstance(v, float) for r in rows.values() for v in r.values())
    assert [len(p) for p in endpoint.read("articles", page_size=16)] == [16, 16, 5]
    forward = {r["AR_Ref"]: r["forward"] for page in endpoint.read("forward_stock") for r in page}
    assert forward["BOUG-VANILLE"] == Decimal("39")  # depot 1: 10 + 5 - 3; depot 2: 16 + 12 - 1
    assert len(forward) == 34  # the three gift cards have no stock row


def test_a_document_header_and_lines_commit_together_with_the_next_piece_number(sage):
    endpoint, db = sage
    result = endpoint.write("insert_order", ORDER)
    assert result.result == "BC00042" and result.body["rows"] == 4  # header, 2 lines, counter
    assert db.rows('SELECT "DC_Piece" FROM "F_DOCCURRENTPIECE" WHERE "DC_Domaine" = 0 AND "DC_IdCol" = 1') == \
        [("BC00043",)]
    lines = db.rows('SELECT "DL_No", "DO_Piece", "CT_Num", "DL_Ligne", "AR_Ref", "DL_Design", "DL_Qte" '
                    'FROM "F_DOCLIGNE" WHERE "DO_Piece" = ? ORDER BY "DL_Ligne"', "BC00042")
    assert [(no, piece, ct, line, ref, design, Decimal(str(qty)).normalize()) for no, piece, ct, line, ref, design, qty
            in lines] == [(3, "BC00042", "CL-DUPONT", 1000, "BOUG-VANILLE", "Bougie parfumée vanille", 4),
                          (4, "BC00042", "CL-DUPONT", 2000, "THEIERE-08", "Théière fonte 0,8 L", 1)]
    second = endpoint.write("insert_order", {**ORDER, "reference": "PS_1043", "lines": ORDER["lines"][:1]})
    assert second.result == "BC00043"
    assert endpoint.find("find_order", {"reference": "PS_1042"}) == \
        [{"DO_Piece": "BC00042", "DO_Tiers": "CL-DUPONT", "DO_TotalTTC": Decimal("118.68")}]


def test_a_failing_line_rolls_back_the_header_the_lines_and_the_counter(sage):
    endpoint, db = sage
    bad = {**ORDER, "lines": [*ORDER["lines"], {"line": 3000, "ref": "NO-SUCH-REF", "design": "?", "qty": 1,
                                                "price": 1}]}
    with pytest.raises(EndpointError) as info:
        endpoint.write("insert_order", bad)
    assert not info.value.transient and not info.value.outcome_unknown  # refused: set aside, never retried
    assert "insert_order" in info.value.message and "foreign key" in info.value.message.lower()
    assert db.rows('SELECT COUNT(*) FROM "F_DOCENTETE" WHERE "DO_Ref" = ?', "PS_1042") == [(0,)]
    assert db.rows('SELECT COUNT(*) FROM "F_DOCLIGNE"') == [(2,)]  # the two seeded lines of BC00041 only
    assert db.rows('SELECT "DC_Piece" FROM "F_DOCCURRENTPIECE" WHERE "DC_Domaine" = 0 AND "DC_IdCol" = 1') == \
        [("BC00042",)]
    assert endpoint.write("insert_order", ORDER).result == "BC00042"  # the connection is usable again


def test_the_created_id_query_differs_per_engine_and_returns_cbmarq(sage):
    endpoint, db = sage
    first = endpoint.write("add_depot", {"no": 4, "name": "Dépôt Marseille"})
    second = endpoint.write("add_depot", {"no": 5, "name": "Dépôt Lille"})
    assert first.result == 4 and second.result == 5  # cbMarq: the three seeded depots have 1, 2 and 3
    assert db.rows('SELECT "cbMarq" FROM "F_DEPOT" WHERE "DE_No" = 5') == [(second.result,)]


def test_unquoted_mixed_case_names_work_in_sqlite_only(sage):
    endpoint, db = sage
    if db.engine == "sqlite":
        assert len([r for page in endpoint.read("unquoted") for r in page]) == 40
        return
    with pytest.raises(EndpointError, match='relation "f_article" does not exist'):
        list(endpoint.read("unquoted"))
