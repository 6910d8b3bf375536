"""The Magento 2 -> Sage X3 example (specs/examples/magento-sagex3/) with its customers: `customers_to_x3`
creates the X3 customers (SOAP ``save`` on BPC, code WEB + 6 digits, one address per Magento address) that
X3 does not hold yet, finds the others by code, then `orders_to_x3` bills every order on them with its
delivery address (a guest's too). Each flow runs twice: the second run creates nothing, counted in the
simulators (SOAP saves, stored customers and orders), not only in the summary."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from passerelle_sandbox import Sandbox, generate
from runtime_support import cli
from support import ROOT

EXAMPLE = ROOT / "specs" / "examples" / "magento-sagex3"
SUMMARY = re.compile(r"^(?P<flow>\w+): (?P<read>\d+) read, (?P<created>\d+) created, (?P<updated>\d+) updated, "
                     r"(?P<skipped>\d+) skipped, (?P<failed>\d+) failed, (?P<acked>\d+) acknowledged"
                     r"(?:, (?P<found>\d+) found)?", re.M)
MISSING = 12  # customers the test removes from X3 first: customers_to_x3 must create exactly these


@pytest.fixture()
def running(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".passerelle"))
    with Sandbox(systems=("magento", "sagex3"), dataset=generate(seed=7, orders=15)) as sb:
        x3, magento = sb.sim("sagex3"), sb.sim("magento")
        x3.customers["WEBGUEST"] = {"BPCNUM": "WEBGUEST", "BPCNAM": "Web guest", "BPCSHO": "WEBGUEST", "CUR": "EUR",
                                    "CRY": "FR", "CTY": "", "POSCOD": "", "BPCSTA": 2}
        # some web customers are not in X3 yet, among them customers with orders
        # (registered customers: the data set's guest checkouts, issue 13, have no customer_id)
        ordering = sorted({o["customer_id"] for o in magento.orders.values() if "customer_id" in o})
        missing = ordering[:6] + sorted(set(magento.customers) - set(ordering))[:MISSING - 6]
        for customer_id in missing:
            del x3.customers[f"WEB{customer_id:06d}"]
        creds = sb.credentials("sagex3")
        env = {"ACME_MAGENTO_URL": sb.url("magento"), "ACME_MAGENTO_USER": sb.credentials("magento")["username"],
               "ACME_MAGENTO_PASSWORD": sb.credentials("magento")["password"],
               "ACME_X3_URL": sb.url("sagex3"), "ACME_X3_USER": creds["username"],
               "ACME_X3_PASSWORD": creds["password"], "ACME_X3_POOL": creds["pool"], "ACME_X3_FOLDER": creds["folder"]}
        yield sb, project, str(tmp_path / "state"), env, missing


# the data set's order with a SKU longer than X3's ITMREF (issue 13): set aside with why
LONG_SKU_ORDER = 1013


def _run(flow: str, project: Path, state: str, env: dict, monkeypatch) -> dict:
    code, _, err = cli(["run", "--flow", flow, str(project), "--state", state], env, monkeypatch)
    (match,) = [m for m in SUMMARY.finditer(err) if m["flow"] == flow]
    summary = {k: int(v or 0) for k, v in match.groupdict().items() if k != "flow"}
    if summary["failed"]:  # only that order, with its reason (exit 3)
        assert summary["failed"] == 1 and code == 3, err
        assert f"key={LONG_SKU_ORDER} reason=\"field reject" in err and "X3 accepts 20" in err, err
        code = 0
    assert code == 0, err
    return summary


def _saves(x3, public: str) -> int:
    return len([c for c in x3.calls if c[0] == "save" and c[1] == public])


def test_customers_then_orders_with_their_delivery_address(running, monkeypatch):
    sb, project, state, env, missing = running
    magento, x3 = sb.sim("magento"), sb.sim("sagex3")
    total = len(magento.customers)

    first = _run("customers_to_x3", project, state, env, monkeypatch)
    # a customer X3 already held (found by the look-up by reference) is counted found, not created; the
    # simulator shows that only the missing ones were saved
    assert (first["read"], first["created"], first["found"], first["failed"]) == (total, MISSING, total - MISSING, 0)
    assert _saves(x3, "BPC") == MISSING and all(s == 1 for a, p, s in x3.calls if a == "save")
    assert len([c for c in x3.calls if c[:2] == ("query", "BPC")]) == total   # each code looked up once
    for customer_id in missing:
        shop = magento.customers[customer_id]
        code = f"WEB{customer_id:06d}"
        row, addresses = x3.customers[code], x3.book.addresses[code]
        (address,) = shop["addresses"]
        assert row["BPCNAM"] == (address.get("company") or f"{shop['firstname']} {shop['lastname']}")[:35]
        assert x3.book.details[code]["BCGCOD"] == "WEB"
        assert x3.book.details[code]["BPAINV"] == str(address["id"])
        assert [(a["CODADR"], a["ADDLIG1"], a["POSCOD"], a["CTY"], a["BPACRY"], a["WEB1"], a["BPAADDFLG"])
                for a in addresses] == [(str(address["id"]), address["street"][0], address["postcode"],
                                         address["city"], address["country_id"], shop["email"], 2)]
    pairs = x3.customers.copy()

    again = _run("customers_to_x3", project, state, env, monkeypatch)
    assert (again["created"], again["failed"]) == (0, 0)
    assert _saves(x3, "BPC") == MISSING and x3.customers == pairs

    # orders: a guest checkout keeps its own delivery address on the generic customer
    guest = next(iter(magento.orders.values()))
    guest["customer_is_guest"] = 1
    guest.pop("customer_id")
    orders = _run("orders_to_x3", project, state, env, monkeypatch)
    assert (orders["read"], orders["created"], orders["failed"]) == (15, 14, 1)
    assert not x3.find_orders(f"{LONG_SKU_ORDER:09d}")
    for order in magento.orders.values():
        if order["entity_id"] == LONG_SKU_ORDER:
            continue
        (x3_order,) = x3.find_orders(order["increment_id"])
        # ours and the data set's guest checkouts (issue 13) on the generic customer
        expected_customer = "WEBGUEST" if order.get("customer_is_guest") else f"WEB{order['customer_id']:06d}"
        assert x3_order["BPCORD"] == expected_customer
        ship = order["extension_attributes"]["shipping_assignments"][0]["shipping"]["address"]
        delivery = x3_order["delivery"]
        assert (delivery["BPDNAM"], delivery["BPDADDLIG"], delivery["BPDPOSCOD"], delivery["BPDCTY"],
                delivery["BPDCRY"]) == (f"{ship['firstname']} {ship['lastname']}",
                                        (ship["street"] + ["", "", ""])[:3], ship["postcode"], ship["city"],
                                        ship["country_id"])
    soh_saves = _saves(x3, "SOH")
    assert soh_saves == 14

    # the second run of both flows saves nothing in X3
    for flow in ("customers_to_x3", "orders_to_x3"):
        assert _run(flow, project, state, env, monkeypatch)["created"] == 0
    assert (_saves(x3, "BPC"), _saves(x3, "SOH"), len(x3.orders)) == (MISSING, 14, 14)
