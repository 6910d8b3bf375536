"""The woocommerce-sage100 template switched to one Sage account per customer, as its README says: each
README block (``<!-- switch: default -->``, ``<!-- switch: strict -->``) replaces ``NumeroTiers: { value:
CLIENT-WEB }`` in orders_to_sage.yaml and addresses_to_sage.yaml of a copy of the template, and the spec tests
of tests/fixtures/woocommerce-customer-style/ run on it with ``passerelle test`` (offline)."""
from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest

from passerelle_sandbox.templates import prepare
from support import ROOT, run_cli

EXAMPLE = ROOT / "specs" / "examples" / "woocommerce-sage100"
FIXTURES = ROOT / "tests" / "fixtures" / "woocommerce-customer-style"
GENERIC = "NumeroTiers: { value: CLIENT-WEB }"
SWITCHED = ("orders_to_sage.yaml", "addresses_to_sage.yaml")


def readme_block(variant: str) -> str:
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    (block,) = re.findall(rf"<!-- switch: {variant} -->\n```yaml\n(.*?)```", readme, re.S)
    return block


def switched_copy(tmp_path: Path, variant: str) -> Path:
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".passerelle"))
    block = readme_block(variant)
    for name in SWITCHED:
        path = project / name
        text = path.read_text(encoding="utf-8")
        (indent,) = re.findall(rf"^( *){re.escape(GENERIC)}$", text, re.M)
        text = text.replace(indent + GENERIC + "\n", textwrap.indent(block, indent))
        assert GENERIC not in text
        path.write_text(text, encoding="utf-8")
    shutil.copy(FIXTURES / f"{variant}.yaml", project / "tests" / f"customer_style_{variant}.yaml")
    return project


@pytest.mark.parametrize("variant", ["default", "strict"])
def test_the_readme_switch_sends_orders_to_the_customers_own_account(tmp_path, variant):
    project = switched_copy(tmp_path, variant)
    code, out, err = run_cli(["test", str(project)], ROOT)
    assert code == 0, out + err
    for flow in ("orders_to_sage", "addresses_to_sage"):
        assert re.search(rf"^ok +\S*customer_style_{variant}\.yaml: {flow}:", out, re.M), out


def test_the_shipped_template_keeps_the_generic_account(tmp_path):
    """The fixture's expectations fail on the unswitched template: the switch is what makes them pass."""
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".passerelle"))
    shutil.copy(FIXTURES / "default.yaml", project / "tests" / "customer_style_default.yaml")
    code, out, err = run_cli(["test", str(project)], ROOT)
    assert code == 1, out + err
    assert "WEB000056" in out + err


SHOP_ONLY = 3  # WooCommerce customers unknown to Sage in the data set: created; the others found by e-mail
FLOWS = ("customers_to_sage", "customer_addresses_to_sage", "addresses_to_sage", "orders_to_sage")


def _run(project: Path, state: str, env: dict, monkeypatch, flow: str) -> dict:
    from runtime_support import SUMMARY, cli

    got, _, err = cli(["run", "--flow", flow, str(project), "--state", state], env, monkeypatch)
    assert got == 0, err
    (match,) = [m for m in SUMMARY.finditer(err) if m["flow"] == flow]
    return {k: int(v or 0) for k, v in match.groupdict().items() if k != "flow"}


def test_customers_then_their_orders_twice_create_nothing_twice(tmp_path, monkeypatch):
    """customers_to_sage and customer_addresses_to_sage against both simulators, then the orders of the
    switched template (the README's default block) on those accounts; every flow twice, nothing twice."""
    from passerelle_sandbox import Sandbox, generate
    from test_example_woocommerce_sage100 import _guest_order

    project = switched_copy(tmp_path, "default")
    dataset = generate(seed=1, orders=10, customers=20, shop_only_customers=SHOP_ONLY)
    with Sandbox(systems=("woocommerce", "sage100"), dataset=dataset,
                 options={"woocommerce": {"line_price": "total"},
                          "sage100": {"special_articles": ("PORT", "REMISE", "FRAIS")}}) as sb:
        shop, sage = sb.sim("woocommerce"), sb.sim("sage100")
        prepare(sb)  # the generic accounts the consultant creates in Sage (CLIENT-WEB)
        creds = sb.credentials("woocommerce")
        env = {"ACME_WC_URL": sb.url("woocommerce"), "ACME_WC_KEY": creds["consumer_key"],
               "ACME_WC_SECRET": creds["consumer_secret"],
               "ACME_SAGE_URL": sb.url("sage100"), "ACME_SAGE_TOKEN": sb.credentials("sage100")["token"]}
        state = str(tmp_path / "state")
        clients_before = set(sage.clients)
        known = {c["Email"].lower() for c in sage.clients.values() if c.get("Email")}
        shop_only = {c["id"] for c in shop.customers.values() if c["email"].lower() not in known}
        assert len(shop_only) >= 2  # the data set's shop-only customers

        guest = _guest_order(shop)  # the data set's WooCommerce orders all have an account: add a guest
        first = {flow: _run(project, state, env, monkeypatch, flow) for flow in FLOWS}
        customers = shop.customers
        created = set(sage.clients) - clients_before
        # the shop-only customers created as WEB + id on 6 digits, every other one found by its e-mail
        assert first["customers_to_sage"]["created"] == len(shop_only) == len(created)
        assert created == {f"WEB{cid:06d}" for cid in shop_only}
        assert first["customers_to_sage"]["found"] == len(customers) - len(shop_only)
        by_email = {c["Email"].lower(): code for code, c in sage.clients.items() if c.get("Email")}
        for code in created:
            customer = customers[int(code[3:])]
            client = sage.clients[code]
            assert client["Email"] == customer["email"].lower()
            assert (client["Contact"], client["Ville"], client["CodePostal"]) == (
                f"{customer['first_name']} {customer['last_name']}", customer["billing"]["city"],
                customer["billing"]["postcode"])
            assert client["IdCategorieTarifaire"] == (2 if customer["billing"]["company"] else 1)
        # each customer's shipping address under its own account, named WCC-<id>
        ours = {a["Intitule"]: a for a in sage.addresses.values() if a["Intitule"].startswith("WCC-")}
        assert first["customer_addresses_to_sage"]["created"] == len(customers) == len(ours)
        for customer in customers.values():
            got = ours[f"WCC-{customer['id']}"]
            assert got["NumeroTiers"] == by_email[customer["email"].lower()]
            assert (got["Adresse"], got["Ville"]) == (customer["shipping"]["address_1"], customer["shipping"]["city"])

        # the switched orders: a registered customer's order on its account, a guest's on CLIENT-WEB, each
        # delivered to the order's address created under that same account
        orders = shop.orders
        assert first["orders_to_sage"]["created"] == first["orders_to_sage"]["acked"] > 0
        docs = {d["Reference"]: d for d in sage.documents}
        kinds = set()
        for oid, order in orders.items():
            doc = docs.get(f"WC-{oid}")
            if doc is None:
                continue
            cid = order["customer_id"]
            want = by_email[customers[cid]["email"].lower()] if cid else "CLIENT-WEB"
            kinds.add(bool(cid))
            assert doc["NumeroTiers"] == want, (oid, cid)
            address = sage.addresses[doc["IdAdresseLivraison"]]
            assert (address["NumeroTiers"], address["Intitule"]) == (want, f"WC-{oid}")
        assert kinds == {True, False} and docs[f"WC-{guest['id']}"]["NumeroTiers"] == "CLIENT-WEB"

        counts = (len(sage.clients), len(sage.addresses), len(sage.documents),
                  sum(len(n) for n in shop.notes.values()))
        for flow in FLOWS:
            again = _run(project, state, env, monkeypatch, flow)
            assert (again["created"], again["updated"], again["failed"], again["acked"]) == (0, 0, 0, 0), (flow, again)
        assert (len(sage.clients), len(sage.addresses), len(sage.documents),
                sum(len(n) for n in shop.notes.values())) == counts
