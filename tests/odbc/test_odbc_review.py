"""Review of the ODBC protocol as its users meet it: a consultant's mistakes and an operator's incidents,
each a failing test first (see the commits that fixed them)."""
from __future__ import annotations

from decimal import Decimal

from engine.connectors.compile import open_connector
from engine.plan.related import norm_key
from engine.util.jsonout import dumps, number_text

# -- a numeric column with more digits than Python's Decimal context (28) -------------------------

WIDE = "123456789012345678.12345678901234567891"  # numeric(38,20): 38 significant digits


def test_a_decimal_wider_than_the_context_keeps_every_digit_in_json():
    assert number_text(Decimal(WIDE)) == WIDE
    assert dumps({"price": Decimal(WIDE)}) == '{"price":' + WIDE + "}"
    assert dumps({"price": Decimal("12.500000")}) == '{"price":12.5}'  # trailing zeros still go
    assert number_text(Decimal("-0.50")) == "-0.5" and number_text(Decimal("1E-30")) == "0." + "0" * 29 + "1"


def test_two_wide_join_keys_differing_past_the_28th_digit_stay_distinct():
    assert norm_key(Decimal(WIDE)) != norm_key(Decimal(WIDE[:-1] + "2"))
    assert norm_key(Decimal("12.50")) == norm_key("12.5")


def test_a_wide_numeric_read_from_postgresql_is_exact_in_the_payload(sage_database):
    db = sage_database("postgresql", schema=False)
    with db.connect() as conn:
        conn.execute("CREATE TABLE wide (ref varchar(19) PRIMARY KEY, price numeric(38,20))")
        conn.execute(f"INSERT INTO wide VALUES ('A', {WIDE})")
        conn.commit()
    definition = {"name": "pg", "protocol": "odbc", "settings": {"connection": {"required": True}},
                  "resources": {"wide": {"sql": "SELECT ref, price FROM wide", "key": "ref"}}}
    with open_connector("pg", definition, {"connection": db.connection_string}) as pg:
        [[row]] = list(pg.read("wide"))
    assert row["price"] == Decimal(WIDE) and dumps(row) == '{"ref":"A","price":' + WIDE + "}"
