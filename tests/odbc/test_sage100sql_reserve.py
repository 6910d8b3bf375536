"""The sage100-sql connector's ``reserve_stock`` through ODBC, on SQLite and PostgreSQL: one transaction, a
conditional UPDATE of F_ARTSTOCK per line (AS_QteRes += q WHERE AS_QteSto − AS_QteRes ≥ q), every line or
none (a line that changes no row refuses and rolls the others back), recorded by reference in
PASSERELLE_RESERVATION (the same reference again holds nothing more), and writers at once on their own
connections never reserve more than the stock."""
from __future__ import annotations

import threading
from contextlib import closing
from decimal import Decimal

import pytest

from engine.connectors.errors import EndpointError
from test_sage100sql_connector import db, opened, sage  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow  # starts the session's PostgreSQL cluster

STOCK = 'SELECT "AS_QteSto", "AS_QteRes" FROM "F_ARTSTOCK" WHERE "AR_Ref" = ? AND "DE_No" = 1'


def _stock(db, ref: str, physical: int, reserved: int = 0) -> None:
    with closing(db.connect()) as conn:
        conn.execute('UPDATE "F_ARTSTOCK" SET "AS_QteSto" = ?, "AS_QteRes" = ? WHERE "AR_Ref" = ? AND "DE_No" = 1',
                     physical, reserved, ref)
        conn.commit()


def _held(db, ref: str) -> tuple:
    (row,) = db.rows(STOCK, ref)
    return tuple(Decimal(str(v)).normalize() for v in row)


def _order(reference: str, *lines) -> dict:
    return {"reference": reference, "depot": None, "lines": [{"ref": ref, "qty": qty} for ref, qty in lines]}


def test_every_line_or_none_and_once_per_reference(sage, db):
    _stock(db, "BOUG-VANILLE", 3, 1)
    _stock(db, "TASSE-GRES", 1)
    with pytest.raises(EndpointError) as refused:
        sage.write("reserve_stock", _order("PS_1", ("BOUG-VANILLE", 2), ("TASSE-GRES", 2)))
    assert refused.value.refused and "refused: article TASSE-GRES: not enough stock available" in refused.value.message
    assert _held(db, "BOUG-VANILLE") == (3, 1) and _held(db, "TASSE-GRES") == (1, 0)  # the first line rolled back
    assert db.rows('SELECT COUNT(*) FROM "PASSERELLE_RESERVATION"') == [(0,)]
    sage.write("reserve_stock", _order("PS_2", ("BOUG-VANILLE", 2), ("TASSE-GRES", 1)))
    assert _held(db, "BOUG-VANILLE") == (3, 3) and _held(db, "TASSE-GRES") == (1, 1)
    sage.write("reserve_stock", _order("PS_2", ("BOUG-VANILLE", 2), ("TASSE-GRES", 1)))  # resent: held once
    assert _held(db, "BOUG-VANILLE") == (3, 3) and _held(db, "TASSE-GRES") == (1, 1)
    assert db.rows('SELECT "RS_Ref" FROM "PASSERELLE_RESERVATION"') == [("PS_2",)]
    with pytest.raises(EndpointError) as unknown:  # no stock row at all: refused too, naming the article
        sage.write("reserve_stock", _order("PS_3", ("NOPE", 1)))
    assert unknown.value.refused and "article NOPE" in unknown.value.message


def test_writers_at_once_never_reserve_more_than_the_stock(db):
    _stock(db, "BOUG-VANILLE", 5)
    outcomes: list = []
    start = threading.Barrier(4)

    def writer(name: str) -> None:
        endpoint = opened(db)
        try:
            start.wait()
            for n in range(4):
                try:
                    endpoint.write("reserve_stock", _order(f"{name}{n}", ("BOUG-VANILLE", 1)))
                    outcomes.append("reserved")
                except EndpointError as exc:
                    outcomes.append("refused" if exc.refused else exc.message)
        finally:
            endpoint.close()

    threads = [threading.Thread(target=writer, args=(name,)) for name in "ABCD"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 11 + ["reserved"] * 5, outcomes
    assert _held(db, "BOUG-VANILLE") == (5, 5)
    assert db.rows('SELECT COUNT(*) FROM "PASSERELLE_RESERVATION"') == [(5,)]
