"""The last-item race against the simulators, shared by the reservation tests: a WooCommerce shop
whose orders all want the same article, a Sage 100 holding only a few of it, and the example
`woocommerce-sage100-reserve` with `reserve` on its orders flow.

The orders reach the engine two ways: :func:`deliver`, one `passerelle run` writing N records at once
(`concurrency` on Sage), so the reservations really overlap; and :func:`deliver_by_webhooks`, every order
pushed to `passerelle serve --listen` as WooCommerce signs it, from many threads at once, some twice, some
older states after newer ones."""
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


def project_copy(tmp_path: Path, concurrency: int, webhooks: bool = False) -> Path:
    """The example, `concurrency` on Sage; ``webhooks``: its orders flow also takes WooCommerce's order
    webhooks (the secret from ACME_WC_HOOK_SECRET)."""
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".passerelle"))
    endpoints = project / "endpoints.yaml"
    text = endpoints.read_text()
    assert "    concurrency: 4\n" in text
    text = text.replace("    concurrency: 4\n", f"    concurrency: {concurrency}\n")
    if webhooks:
        secret = '      consumer_secret: "${env:ACME_WC_SECRET}"\n'
        assert secret in text
        text = text.replace(secret, secret + '      webhook_secret: "${env:ACME_WC_HOOK_SECRET}"\n')
        orders = project / "orders_to_sage.yaml"
        flow = orders.read_text()
        assert "    schedule: every 1m\n" in flow
        orders.write_text(flow.replace("    schedule: every 1m\n", "    schedule: every 1m\n    webhooks:\n"
                                       "      topics: [order.created, order.updated]\n"))
    endpoints.write_text(text)
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
        ids = place(sb, orders)
        sage.set_stock(SKU, stock)
        sage.faults = faults
        creds = sb.credentials("woocommerce")
        env = {"ACME_WC_URL": sb.url("woocommerce"), "ACME_WC_KEY": creds["consumer_key"],
               "ACME_WC_SECRET": creds["consumer_secret"], "ACME_SAGE_URL": sb.url("sage100"),
               "ACME_SAGE_TOKEN": sb.credentials("sage100")["token"]}
        yield sb, env, ids


def place(sb, orders: int) -> list[int]:
    """``orders`` paid orders of one ``SKU`` each, placed in the shop; their ids."""
    shop = sb.sim("woocommerce")
    with shop.lock:
        return [create_order(shop, _order(n), shop.clock())["id"] for n in range(orders)]


def _order(n: int) -> dict:
    person = {"first_name": f"Client{n}", "last_name": "Race", "address_1": "1 rue du Stock", "city": "Lyon",
              "postcode": "69001", "country": "FR", "email": f"client{n}@example.test"}
    return {"customer_id": 0, "payment_method": "stripe", "set_paid": True, "billing": person,
            "shipping": {k: v for k, v in person.items() if k != "email"},
            "line_items": [{"sku": SKU, "quantity": 1}]}


def deliver(project: Path, state: Path | None, env: dict, cli) -> tuple[int, str]:
    """Every order to the engine: one `passerelle run` of the orders flow (N reservations in flight);
    ``state`` None: the project's own (`project.state`)."""
    code, _, err = cli(["run", "--flow", "orders_to_sage", str(project), *(("--state", str(state)) if state else ())],
                       env)
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


def deliver_by_webhooks(sb, serve, ids: list[int], twice: int, stale: int, seed: int = 15) -> dict:
    """Every order pushed to ``serve`` as WooCommerce's order webhook (the simulator builds and signs each
    body), from 16 threads at once in a shuffled order: ``twice`` of them delivered twice (the same
    delivery: at least once), and for ``stale`` of them an older state delivered after a newer one (the
    order changed a second later: a note). Returns the HTTP statuses answered, by delivery."""
    import random
    import time
    from concurrent.futures import ThreadPoolExecutor
    from datetime import timedelta

    from passerelle_sandbox.webhooks import Subscription
    from webhook_support import SECRET

    shop = sb.sim("woocommerce")
    sub = Subscription(7, "order.created", "http://unused.test/", SECRET)
    rng = random.Random(seed)
    bodies = {oid: shop.hooks.build(sub, "order.created", oid) for oid in ids}
    changed = rng.sample(ids, stale)
    time.sleep(1.05)  # another second: another date_modified_gmt
    newer = {}
    with shop.lock:
        for oid in changed:
            order = shop.orders[oid]
            order["customer_note"] = "please ring twice"
            order.update(shop.builder.dates_of("date_modified", shop.clock() + timedelta(seconds=1)))
    for oid in changed:
        newer[oid] = shop.hooks.build(Subscription(7, "order.updated", "http://unused.test/", SECRET),
                                      "order.updated", oid)
    sends = [(oid, bodies[oid]) for oid in ids if oid not in changed]
    sends += [(oid, bodies[oid]) for oid in rng.sample([o for o in ids if o not in changed], twice)]
    rng.shuffle(sends)
    late = [(oid, bodies[oid]) for oid in changed]  # each order's older state, after its newer one
    first = [(oid, newer[oid]) for oid in changed]

    def post(item):
        oid, (body, headers) = item
        return oid, serve.post("orders_to_sage", body, dict(headers)).status_code

    with ThreadPoolExecutor(16) as pool:
        answered = list(pool.map(post, first + sends))
        answered += list(pool.map(post, late))
    return {"answered": answered, "changed": changed}


def ledger(state: Path) -> dict:
    import sqlite3

    db = sqlite3.connect(f"file:{state / 'state.db'}?mode=ro", uri=True)
    try:
        return dict(db.execute("SELECT status, COUNT(*) FROM ledger WHERE flow = 'orders_to_sage' "
                               "GROUP BY status").fetchall())
    finally:
        db.close()
