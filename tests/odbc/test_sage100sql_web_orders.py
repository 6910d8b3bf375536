"""The sage100-sql connector's shop-side writes on SQLite (SQLite ODBC driver) and PostgreSQL (psqlODBC):
``insert_customer`` (an account and its main delivery address, found again by ``find_customer``) and
``insert_web_order`` (the delivery address found or added under the customer, the header, the lines and
the F_DOCREGL settlements in one transaction, rolled back whole on a refusal)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from engine.connectors.errors import EndpointError
from test_sage100sql_connector import db, opened, sage  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow  # starts the session's PostgreSQL cluster

ADDRESS = {"name": "Maison", "street": "5 rue des Granges", "complement": None, "postcode": "25000",
           "city": "Besançon", "country": "France"}
CUSTOMER = {"number": "PS000056", "name": "Martin Claire", "contact": "Claire Martin", "email": "claire@example.test",
            "phone": "0381000000", "siret": None, "tariff": 2, "carrier": None, "address": ADDRESS}
DELIVERY = {"name": "Bureau", "street": "12 avenue Foch", "complement": "3e étage", "postcode": "1000",
            "city": "Bruxelles", "country": "Belgique", "contact": "Claire Martin", "phone": None}
ORDER = {"reference": "PS_3001", "date": "2024-05-14 10:21:07", "customer": "CL-LEFEVRE", "carrier": 2,
         "total_ht": "66.00", "total_ttc": "79.20", "delivery": DELIVERY,
         "lines": [{"ref": "BOUG-VANILLE", "design": None, "qty": 2, "price": "12.90", "discount": None,
                    "tax_code": "C20", "tax_rate": 20, "total_ht": "25.80", "total_ttc": "30.96"},
                   {"ref": "CARTE-50", "design": "Carte cadeau", "qty": 1, "price": "40.20", "discount": None,
                    "tax_code": "EXO", "tax_rate": 0, "total_ht": "40.20", "total_ttc": "48.24"}],
         "settlements": [{"date": "2024-05-14 10:21:07", "label": "Carte bancaire", "amount": "79.20", "mode": 3}]}


def plain(rows: list[tuple]) -> list[tuple]:
    return [tuple(Decimal(str(v)).normalize() if isinstance(v, (float, Decimal)) else v for v in row) for row in rows]


def test_insert_customer_writes_the_account_and_its_main_delivery_address(sage, db):
    assert sage.write("insert_customer", CUSTOMER).result == "PS000056"
    assert db.rows('SELECT "CT_Intitule", "CT_Type", "CT_Ville", "CT_EMail", "N_CatTarif", "N_Expedition" '
                   'FROM "F_COMPTET" WHERE "CT_Num" = ?', "PS000056") == \
        [("Martin Claire", 0, "Besançon", "claire@example.test", 2, 1)]
    assert db.rows('SELECT "LI_No", "LI_Intitule", "LI_Adresse", "LI_Ville", "LI_Contact", "LI_Principal" '
                   'FROM "F_LIVRAISON" WHERE "CT_Num" = ?', "PS000056") == \
        [(6, "Maison", "5 rue des Granges", "Besançon", "Claire Martin", 1)]  # after the 5 seeded addresses
    assert [r["CT_Num"] for r in sage.find("find_customer", {"reference": "PS000056"})] == ["PS000056"]
    assert sage.find("find_customer", {"reference": "PS999999"}) == []


def test_a_customer_without_street_gets_no_delivery_address(sage, db):
    sage.write("insert_customer", {**CUSTOMER, "address": {**ADDRESS, "street": None}})
    assert db.rows('SELECT COUNT(*) FROM "F_LIVRAISON" WHERE "CT_Num" = ?', "PS000056") == [(0,)]


def test_insert_web_order_adds_the_delivery_address_once_and_writes_lines_and_settlements(sage, db):
    assert sage.write("insert_web_order", ORDER).result == "BC00042"
    assert sage.write("insert_web_order", {**ORDER, "reference": "PS_3002"}).result == "BC00043"
    headers = db.rows('SELECT "DO_Piece", "DO_Tiers", "LI_No", "DO_Expedit", "DO_Tarif" FROM "F_DOCENTETE" '
                      'WHERE "DO_Ref" IN (?, ?) ORDER BY "DO_Piece"', "PS_3001", "PS_3002")
    assert headers == [("BC00042", "CL-LEFEVRE", 6, 2, 1), ("BC00043", "CL-LEFEVRE", 6, 2, 1)]
    # the address was added once, not as the main one (CL-LEFEVRE has its own, LI_No 5)
    assert db.rows('SELECT "LI_No", "LI_Adresse", "LI_Complement", "LI_Pays", "LI_Principal" FROM "F_LIVRAISON" '
                   'WHERE "CT_Num" = ? ORDER BY "LI_No"', "CL-LEFEVRE") == \
        [(5, "17 quai de la Fosse", None, "France", 1), (6, "12 avenue Foch", "3e étage", "Belgique", 0)]
    assert plain(db.rows('SELECT "DL_Ligne", "AR_Ref", "DL_Design", "DL_CodeTaxe1", "DL_Taxe1", "DL_MontantTTC" '
                         'FROM "F_DOCLIGNE" WHERE "DO_Piece" = ? ORDER BY "DL_Ligne"', "BC00042")) == [
        (1000, "BOUG-VANILLE", "Bougie parfumée vanille", "C20", 20, Decimal("30.96")),
        (2000, "CARTE-50", "Carte cadeau", "EXO", 0, Decimal("48.24"))]
    assert plain(db.rows('SELECT "DR_TypeRegl", "DR_Libelle", "DR_Montant", "DR_Regle", "N_Reglement" '
                         'FROM "F_DOCREGL" WHERE "DO_Piece" = ?', "BC00042")) == \
        [(0, "Carte bancaire", Decimal("79.2"), 1, 3)]
    assert sage.find("find_order", {"reference": "PS_3002"})[0]["DO_Piece"] == "BC00043"


def test_a_customer_with_no_address_gets_it_as_the_main_one_and_an_unpaid_order_no_settlement(sage, db):
    sage.write("insert_customer", {**CUSTOMER, "address": {**ADDRESS, "street": None}})
    sage.write("insert_web_order", {**ORDER, "customer": "PS000056", "carrier": None, "settlements": []})
    assert db.rows('SELECT h."DO_Expedit", l."CT_Num", l."LI_Principal" FROM "F_DOCENTETE" h JOIN "F_LIVRAISON" l '
                   'ON l."LI_No" = h."LI_No" WHERE h."DO_Ref" = ?', "PS_3001") == [(1, "PS000056", 1)]
    assert db.rows('SELECT COUNT(*) FROM "F_DOCREGL"') == [(0,)]


@pytest.mark.parametrize("broken", ["customer", "line"])
def test_a_refused_order_rolls_back_its_address_and_spends_no_piece(sage, db, broken):
    bad = ({**ORDER, "customer": "NOBODY"} if broken == "customer" else
           {**ORDER, "lines": [*ORDER["lines"], {**ORDER["lines"][0], "ref": "NO-SUCH-REF"}]})
    with pytest.raises(EndpointError) as info:
        sage.write("insert_web_order", bad)
    assert not info.value.transient and "insert_web_order" in info.value.message
    for table, count in (("F_DOCENTETE", 1), ("F_DOCLIGNE", 2), ("F_DOCREGL", 0), ("F_LIVRAISON", 5)):
        assert db.rows(f'SELECT COUNT(*) FROM "{table}"') == [(count,)], table
    assert sage.write("insert_web_order", ORDER).result == "BC00042"
