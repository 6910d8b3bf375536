"""Shared set-up for runtime tests: the example project copied to a temp folder, simulators running."""
from __future__ import annotations

import re
import shutil
from contextlib import contextmanager
from pathlib import Path

from passerelle_sandbox import Faults, Sandbox  # noqa: F401  (re-exported for tests)
from support import ROOT, run_cli

EXAMPLE = ROOT / "specs" / "examples" / "prestashop-sage100"


def copy_project(tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("samples", ".passerelle"))
    return target


def env_for(sb) -> dict:
    return {"ACME_PS_URL": sb.url("prestashop"), "ACME_PS_KEY": sb.credentials("prestashop")["key"],
            "ACME_SAGE_URL": sb.url("sage100"), "ACME_SAGE_TOKEN": sb.credentials("sage100")["token"]}


@contextmanager
def simulators(orders: int = 20, faults=None, seed: int = 1, options: dict | None = None, cases: bool = False):
    """The shop and Sage simulators; ``options`` per system (e.g. ``{"sage100": {"token": ...}}``).

    ``cases=False`` (the default here): the data set without issue 13's hard cases (``generate(cases=False)``),
    for the runner, crash, exactly-once, ack and CLI tests whose point is the delivery of plain orders;
    ``test_reference_hard_cases.py`` runs the reference example against the whole data set."""
    from passerelle_sandbox import generate
    from passerelle_sandbox.templates import prepare

    with Sandbox(systems=("prestashop", "sage100"), dataset=generate(seed=seed, orders=orders, cases=cases),
                 faults=faults, options=options) as sb:
        if cases:  # guests' orders: CLIENT-WEB, the generic client a consultant creates (plain orders have none,
            prepare(sb)  # and the find-or-create tests count Sage's clients)
        yield sb, env_for(sb)


def documents_by_reference(sb) -> dict:
    counts: dict = {}
    for doc in sb.sim("sage100").documents:
        counts[doc["Reference"]] = counts.get(doc["Reference"], 0) + 1
    return counts


def exported_orders(sb) -> set:
    """Orders the shop shows as acknowledged (moved to the 'Exported to ERP' state 14)."""
    return {int(h["id_order"]) for h in sb.sim("prestashop").order_histories if int(h["id_order_state"]) == 14}


def eligible_orders(sb) -> set:
    return {int(o["id"]) for o in sb.sim("prestashop").orders.values() if int(o["current_state"]) in (2, 3)}


def set_aside_orders(sb) -> set:
    """Eligible orders the reference flow rejects with a reason (computed from the shop's data, as its
    `reject` rules read it): another currency than EUR (id 1) or a reference longer than Sage's 19."""
    shop = sb.sim("prestashop")
    long_ref = {int(d["id_order"]) for d in shop.tables["order_details"].values()
                if len(str(d["product_reference"])) > 19}
    return {oid for oid in eligible_orders(sb)
            if int(shop.orders[oid]["id_currency"]) != 1 or oid in long_ref}


def sent_orders(sb) -> set:
    """The eligible orders the reference flow really sends to Sage."""
    return eligible_orders(sb) - set_aside_orders(sb)


def cli(argv, env, monkeypatch):
    """``passerelle ARGV`` in-process, with ``env`` set in the environment for this test only."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return run_cli(argv, ROOT)


SUMMARY = re.compile(r"^(?P<flow>\w+): (?P<read>\d+) read, (?P<created>\d+) created, (?P<updated>\d+) updated, "
                     r"(?P<skipped>\d+) skipped, (?P<failed>\d+) failed, (?P<acked>\d+) acknowledged"
                     r"(?:, (?P<found>\d+) found)?", re.M)


def run_flow(project: Path, state: str, env: dict, monkeypatch, flow: str, code: int = 0) -> dict:
    """``passerelle run --flow FLOW`` of an example project: its summary line as numbers (read, created,
    updated, skipped, failed, acked, found), the exit code checked."""
    got, _, err = cli(["run", "--flow", flow, str(project), "--state", state], env, monkeypatch)
    assert got == code, err
    (match,) = [m for m in SUMMARY.finditer(err) if m["flow"] == flow]
    return {k: int(v or 0) for k, v in match.groupdict().items() if k != "flow"}


def run_once(project: Path, env: dict, state: Path, flow: str = "orders_to_sage", **options):
    """One run of ``flow`` (the reference flow by default) against endpoints ``shop`` and ``sage``:
    (its summary, the state store, left open for the test to read)."""
    from engine.plan.load import load_plan
    from engine.runtime.endpoints import open_endpoints
    from engine.runtime.runner import FlowRunner
    from engine.runtime.state import SqliteStore

    plan = load_plan(project)
    endpoints = open_endpoints(plan, ["shop", "sage"], env)
    store = SqliteStore(state)
    try:
        options.setdefault("backoff", 0.001)
        return FlowRunner(plan, plan.flows[flow], endpoints, store, **options).run(), store
    finally:
        for endpoint in endpoints.values():
            endpoint.close()


def shopify_sage_accounting_env(sb) -> dict:
    """The environment of the Shopify <-> Sage Accounting examples: both simulators' URLs and credentials, and
    the key the run state encrypts the refresh token Sage rotates with."""
    from cryptography.fernet import Fernet

    sage = sb.sim("sage-accounting")
    creds = sage.credentials()
    return {"ACME_SHOPIFY_URL": sb.url("shopify"), "ACME_SHOPIFY_TOKEN": sb.credentials("shopify")["access_token"],
            "ACME_SAGE_URL": sb.url("sage-accounting"), "ACME_SAGE_TOKEN_URL": sage.token_url(sb.base_url("sage-accounting")),
            "ACME_SAGE_CLIENT_ID": creds["client_id"], "ACME_SAGE_CLIENT_SECRET": creds["client_secret"],
            "ACME_SAGE_REFRESH_TOKEN": creds["refresh_token"], "ACME_SAGE_BUSINESS_ID": sage.business_id,
            "PASSERELLE_STATE_KEY": Fernet.generate_key().decode()}


def woo_every(wc, path: str) -> list[dict]:
    """Every record of a WooCommerce list, page after page (``X-WP-TotalPages``)."""
    out, page = [], 1
    while True:
        got = wc.get(path, params={"per_page": 100, "page": page})
        assert got.status_code == 200, got.text
        out += got.json()
        if page >= int(got.headers["X-WP-TotalPages"]):
            return out
        page += 1
