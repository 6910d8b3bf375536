"""The last-item race against the simulators, shared by the reservation tests: a WooCommerce shop
whose orders all want the same article, a Sage 100 holding only a few of it, and the example
`woocommerce-sage100-reserve` with `reserve` on its orders flow.

How the orders reach the engine is one function, :func:`deliver`: today every order is read by a
run writing N records at once (`concurrency` on Sage), so the reservations really overlap. Webhook
delivery (orders pushed to `serve`, some twice, out of order) plugs in there."""
from __future__ import annotations

import shutil
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from passerelle_sandbox import Sandbox, generate
from passerelle_sandbox.sage_reservations import available
from passerelle_sandbox.templates import prepare
from passerelle_sandbox.woo_create import create_order
from support import ROOT

EXAMPLE = ROOT / "specs" / "examples" / "woocommerce-sage100-reserve"
SKU = "LIVRE-003"
NOTE = "could not be reserved"


def project_copy(tmp_path: Path, concurrency: int) -> Path:
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".passerelle"))
    endpoints = project / "endpoints.yaml"
    text = endpoints.read_text()
    assert "    concurrency: 4\n" in text
    endpoints.write_text(text.replace("    concurrency: 4\n", f"    concurrency: {concurrency}\n"))
    return project


@contextmanager
def race(orders: int, stock: int, latency_ms: int = 10, faults=None):
    """Simulators with ``orders`` paid orders of one ``SKU`` each and ``stock`` of it in Sage; yields
    (sandbox, env, the order ids)."""
    options = {"sage100": {"special_articles": ("PORT", "REMISE", "FRAIS"), "latency_ms": latency_ms}}
    with Sandbox(systems=("woocommerce", "sage100"), dataset=generate(seed=1, orders=1, cases=False),
                 options=options) as sb:
        prepare(sb)
        shop, sage = sb.sim("woocommerce"), sb.sim("sage100")
        with shop.lock:
            for order in shop.orders.values():  # only the race's orders are paid and waiting
                order["status"] = "completed"
            ids = [create_order(shop, _order(n), shop.clock())["id"] for n in range(orders)]
        sage.set_stock(SKU, stock)
        sage.faults = faults
        creds = sb.credentials("woocommerce")
        env = {"ACME_WC_URL": sb.url("woocommerce"), "ACME_WC_KEY": creds["consumer_key"],
               "ACME_WC_SECRET": creds["consumer_secret"], "ACME_SAGE_URL": sb.url("sage100"),
               "ACME_SAGE_TOKEN": sb.credentials("sage100")["token"]}
        yield sb, env, ids


def _order(n: int) -> dict:
    person = {"first_name": f"Client{n}", "last_name": "Race", "address_1": "1 rue du Stock", "city": "Lyon",
              "postcode": "69001", "country": "FR", "email": f"client{n}@example.test"}
    return {"customer_id": 0, "payment_method": "stripe", "set_paid": True, "billing": person,
            "shipping": {k: v for k, v in person.items() if k != "email"},
            "line_items": [{"sku": SKU, "quantity": 1}]}


def deliver(project: Path, state: Path, env: dict, cli) -> tuple[int, str]:
    """Every order to the engine: one `passerelle run` of the orders flow (N reservations in flight)."""
    code, _, err = cli(["run", "--flow", "orders_to_sage", str(project), "--state", str(state)], env)
    return code, err


def outcome(sb) -> dict:
    """What the shop and Sage hold after the race."""
    shop, sage = sb.sim("woocommerce"), sb.sim("sage100")
    with shop.lock:
        orders = {oid: dict(o) for oid, o in shop.orders.items() if o["line_items"][0]["sku"] == SKU}
        notes = {oid: [dict(n) for n in shop.notes.get(oid, [])] for oid in orders}
    with sage.lock:
        left = available(sage, SKU)
        history = list(sage.reservations.history)
        held = sorted(sage.reservations.held)
        documents = [d["Reference"] for d in sage.documents]
    confirmed = {oid for oid, o in orders.items() if any(m["key"] == "_sage_piece" for m in o["meta_data"])}
    cancelled = {oid for oid, o in orders.items() if o["status"] == "cancelled"}
    told = {oid for oid, ns in notes.items() if [n for n in ns if n["customer_note"] and NOTE in n["note"]]}
    return {"orders": orders, "notes": notes, "available": left, "history": history, "held": held,
            "documents": documents, "confirmed": confirmed, "cancelled": cancelled, "told": told,
            "never_negative": all(after >= Decimal(0) for _, _, after in history)}
