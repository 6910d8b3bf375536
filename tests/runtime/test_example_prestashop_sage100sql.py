"""The PrestaShop -> Sage 100 SQL template (specs/examples/prestashop-sage100sql/) run end to end with
``passerelle run``: the PrestaShop simulator's customers and paid orders written into the seeded Sage 100c
database through ODBC (the SQLite ODBC driver, and PostgreSQL through psqlODBC). Every flow runs twice; the
second run creates nothing, counted in the database's tables and in the shop's order histories.

The shop's data set (seed 1, 12 orders): order 1042 (shipping, a voucher, DHL Express, bank wire), 1007 (a
tax-exempt gift card, the local courier), customer 7 with two orders (a returning customer), customer 74
turned into a guest checkout, customer 7's e-mail given to Sage's existing account CL-LEFEVRE (found, not
created)."""
from __future__ import annotations

import re
import shutil
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from runtime_support import cli
from support import ROOT

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "odbc"))  # the Sage databases of the ODBC tests
from odbc_support import _sage_templates, sage_database, sage_engine  # noqa: E402,F401 (fixtures)
from pg_support import postgres_cluster  # noqa: E402,F401 (fixture)
from passerelle_sandbox import Sandbox  # noqa: E402

pytestmark = pytest.mark.slow  # starts the session's PostgreSQL cluster

EXAMPLE = ROOT / "specs" / "examples" / "prestashop-sage100sql"
FLOWS = ("customers_to_sage", "orders_to_sage")  # in this order
GUEST, RETURNING = 74, 7  # a guest checkout (order 1001); a customer with two orders (1006, 1011), known to Sage
SUMMARY = re.compile(r"^(?P<flow>\w+): (?P<read>\d+) read, (?P<created>\d+) created, (?P<updated>\d+) updated, "
                     r"(?P<skipped>\d+) skipped, (?P<failed>\d+) failed, (?P<acked>\d+) acknowledged"
                     r"(?:, (?P<found>\d+) found)?", re.M)
TABLES = ("F_COMPTET", "F_LIVRAISON", "F_DOCENTETE", "F_DOCLIGNE", "F_DOCREGL")


@pytest.fixture()
def running(sage_engine, sage_database, tmp_path):
    db = sage_database(sage_engine)
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".passerelle"))
    with Sandbox(systems=("prestashop",), seed=1, orders=12) as sb:
        shop = sb.sim("prestashop")
        shop.tables["customers"][GUEST]["is_guest"] = 1
        refs = sorted({d["product_reference"] for d in shop.tables["order_details"].values()} | {"PORT", "REMISE"})
        with db.connect() as conn:  # what the consultant has in Sage beforehand (README, "What must exist")
            for ref in refs:
                conn.execute('INSERT INTO "F_ARTICLE" ("AR_Ref", "AR_Design", "FA_CodeFamille") VALUES (?, ?, ?)',
                             ref, f"Article {ref}", "TABLE")
            conn.execute('INSERT INTO "F_COMPTET" ("CT_Num", "CT_Intitule", "CT_Type") VALUES (?, ?, 0)',
                         "CLIENT-WEB", "Clients web")
            conn.execute('UPDATE "F_COMPTET" SET "CT_EMail" = ? WHERE "CT_Num" = ?',
                         shop.tables["customers"][RETURNING]["email"], "CL-LEFEVRE")
        env = {"ACME_SAGE_ODBC": db.connection_string, "ACME_SAGE_DIALECT": sage_engine,
               "ACME_PS_URL": sb.url("prestashop"), "ACME_PS_KEY": sb.credentials("prestashop")["key"]}
        yield db, shop, project, str(tmp_path / "state"), env


def _run(project: Path, state: str, env: dict, monkeypatch, flow: str) -> dict:
    got, _, err = cli(["run", str(project), "--state", state, "--flow", flow], env, monkeypatch)
    assert got == 0, err
    (match,) = [m for m in SUMMARY.finditer(err) if m["flow"] == flow]
    return {k: int(v or 0) for k, v in match.groupdict().items() if k != "flow"}


def _counts(db, shop) -> dict:
    counts = {table: db.rows(f'SELECT COUNT(*) FROM "{table}"')[0][0] for table in TABLES}
    counts["exported"] = sorted(h["id_order"] for h in shop.tables["order_histories"].values()
                                if h["id_order_state"] == 14)
    return counts


def _document(db, reference: str) -> tuple[dict, list[tuple], list[tuple], tuple]:
    """(header, lines, settlements, delivery address) of the Sage document of a shop order."""
    names = ("DO_Type", "DO_Piece", "DO_Date", "DO_Tiers", "LI_No", "DO_Expedit", "DO_TotalHT", "DO_TotalTTC")
    (row,) = db.rows(f'SELECT {", ".join(chr(34) + n + chr(34) for n in names)} FROM "F_DOCENTETE" '
                     'WHERE "DO_Ref" = ?', reference)
    header = dict(zip(names, row))
    lines = db.rows('SELECT "DL_Ligne", "AR_Ref", "DL_Qte", "DL_PrixUnitaire", "DL_CodeTaxe1", "DL_Taxe1", '
                    '"DL_MontantHT", "DL_MontantTTC", "DL_Remise01REM_Valeur" FROM "F_DOCLIGNE" WHERE "DO_Piece" = ? '
                    'ORDER BY "DL_Ligne"', header["DO_Piece"])
    settlements = db.rows('SELECT "DR_TypeRegl", "DR_Libelle", "DR_Montant", "DR_Regle", "N_Reglement" '
                          'FROM "F_DOCREGL" WHERE "DO_Piece" = ?', header["DO_Piece"])
    (address,) = db.rows('SELECT "CT_Num", "LI_Adresse", "LI_CodePostal", "LI_Ville", "LI_Pays", "LI_Principal" '
                         'FROM "F_LIVRAISON" WHERE "LI_No" = ?', header["LI_No"])
    return header, [tuple(_plain(v) for v in line) for line in lines], \
        [tuple(_plain(v) for v in s) for s in settlements], tuple(address)


def _plain(value):
    return Decimal(str(value)).normalize() if isinstance(value, (float, Decimal)) else value


def test_every_flow_twice_creates_nothing_twice(running, monkeypatch):
    db, shop, project, state, env = running
    before = _counts(db, shop)
    first = {flow: _run(project, state, env, monkeypatch, flow) for flow in FLOWS}
    after = _counts(db, shop)

    # customers: 80 in the shop and the data set's guest of order 1005 (issue 13), both guests left out,
    # one found by e-mail (CL-LEFEVRE), 78 accounts created
    assert first["customers_to_sage"] == {"read": 81, "created": 78, "updated": 0, "skipped": 2, "failed": 0,
                                          "acked": 0, "found": 1}
    assert after["F_COMPTET"] == before["F_COMPTET"] + 78
    # orders: the 12 paid orders, each acknowledged once (state 14 "Exported to ERP")
    assert first["orders_to_sage"] == {"read": 12, "created": 12, "updated": 0, "skipped": 0, "failed": 0,
                                       "acked": 12, "found": 0}
    assert after["exported"] == sorted(shop.tables["orders"]) and len(after["exported"]) == 12
    assert all(o["current_state"] == 14 for o in shop.tables["orders"].values())
    orders = shop.tables["orders"].values()
    assert after["F_DOCENTETE"] == before["F_DOCENTETE"] + 12
    assert after["F_DOCLIGNE"] == before["F_DOCLIGNE"] + sum(
        len(o["associations"]["order_rows"]) + (o["total_shipping_tax_excl"] > 0) + (o["total_discounts_tax_excl"] > 0)
        for o in orders)
    assert after["F_DOCREGL"] == before["F_DOCREGL"] + 12
    assert db.rows('SELECT "DC_Piece" FROM "F_DOCCURRENTPIECE" WHERE "DC_IdCol" = 1') == [("BC00054",)]

    # the second run creates nothing: same rows in every table, no second acknowledgement
    for flow in FLOWS:
        again = _run(project, state, env, monkeypatch, flow)
        assert (again["created"], again["failed"], again["acked"]) == (0, 0, 0), (flow, again)
    assert _counts(db, shop) == after


def test_what_sage_received(running, monkeypatch):
    db, shop, project, state, env = running
    for flow in FLOWS:
        _run(project, state, env, monkeypatch, flow)
    customer = shop.tables["customers"][56]
    address = shop.tables["addresses"][next(a for a, v in shop.tables["addresses"].items() if v["id_customer"] == 56)]
    account = db.rows('SELECT "CT_Intitule", "CT_EMail", "CT_Ville", "N_CatTarif" FROM "F_COMPTET" '
                      'WHERE "CT_Num" = ?', "PS000056")
    assert account == [(f"{customer['lastname']} {customer['firstname']}", customer["email"].lower(),
                        address["city"], 1)]
    assert db.rows('SELECT COUNT(*) FROM "F_COMPTET" WHERE "CT_Num" = ?', f"PS{GUEST:06d}") == [(0,)]

    # order 1042: lines by reference, shipping and the voucher as article lines, the carrier and payment mapped
    header, lines, settlements, delivery = _document(db, "PS_1042")
    assert (header["DO_Type"], header["DO_Piece"] >= "BC00042", header["DO_Tiers"], header["DO_Expedit"]) == \
        (1, True, "PS000056", 2)  # DHL Express -> P_EXPEDITION 2
    order = shop.tables["orders"][1042]
    assert (_plain(header["DO_TotalHT"]), _plain(header["DO_TotalTTC"])) == \
        (order["total_paid_tax_excl"].normalize(), order["total_paid_tax_incl"].normalize())
    assert [(line[0], line[1], line[4]) for line in lines] == [
        (1000, "TSHIRT-BLU-M", "C20"), (2000, "MUG-CLASSIC", "C20"), (3000, "PORT", "C20"), (4000, "REMISE", "C20")]
    assert lines[2][3] == order["total_shipping_tax_excl"].normalize()
    assert lines[3][3] == -order["total_discounts_tax_excl"].normalize()
    assert settlements == [(0, order["payment"], order["total_paid_real"].normalize(), 1, 2)]  # bank wire: VIR
    assert delivery == ("PS000056", address["address1"], address["postcode"], address["city"], "France", 1)

    # order 1007: a tax-exempt gift card (EXO, 0 %), another rate, the local courier (Retrait/courier: 3)
    header, lines, _, _ = _document(db, "PS_1007")
    assert header["DO_Expedit"] == 3
    gift = next(line for line in lines if line[1] == "CARTE-CADEAU-030")
    assert (gift[4], gift[5]) == ("EXO", 0)
    taxed = {line[4] for line in lines}
    assert "EXO" in taxed and len(taxed - {"EXO"}) >= 1

    # the guest's order is on the generic account, its delivery address added under it
    header, _, _, delivery = _document(db, "PS_1001")
    assert header["DO_Tiers"] == "CLIENT-WEB" and delivery[0] == "CLIENT-WEB"
    # the returning customer found by e-mail: both orders on CL-LEFEVRE, one delivery address added for both
    first, _, _, where = _document(db, "PS_1006")
    second, _, _, _ = _document(db, "PS_1011")
    assert first["DO_Tiers"] == second["DO_Tiers"] == "CL-LEFEVRE" and first["LI_No"] == second["LI_No"]
    assert where[0] == "CL-LEFEVRE" and where[5] == 0  # its main address (seeded) stays the main one
