"""Find-or-create (``target.find``) and the cross-reference store, against the shop and Sage 100 simulators:
customers looked up by e-mail before they are created, their id pairs kept, and a later flow translating
shop customer ids into the Sage codes that were created or found (issue 9, point 3)."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from engine.plan.load import load_plan
from engine.runtime.endpoints import open_endpoints
from engine.runtime.runner import FlowRunner
from engine.runtime.state import ACKED, FAILED, SqliteStore
from runtime_support import Faults, cli, copy_project, eligible_orders, simulators

CUSTOMERS = """flows:
  customers_to_sage:
    source: { endpoint: shop, read: customers }
    target:
      endpoint: sage
      write: insert_client
@UPDATE@      find: { read: clients, match: { Email: email }, id: NumeroTiers }
      xref: customers
    map:
      NumeroTiers: { from: id, transform: [{ pad: { width: 6, char: "0" } }, { prefix: WEB }] }
      Intitule: { from: "@", transform: [{ template: "{firstname} {lastname}" }, trim] }
      Email: { from: email }
"""
UPDATE = "      update: update_client\n"
SAGE_TOKEN = '      token: "${env:ACME_SAGE_TOKEN}"\n'


def project_with_customers(tmp_path: Path, update: bool = True, orders_by_xref: bool = False,
                           impatient: bool = False) -> Path:
    project = copy_project(tmp_path)
    (project / "customers_to_sage.yaml").write_text(CUSTOMERS.replace("@UPDATE@", UPDATE if update else ""))
    if orders_by_xref:  # the order's customer: the Sage code created or found for it, whatever it is
        flow = project / "orders_to_sage.yaml"
        flow.write_text(flow.read_text().replace(
            'else: { from: id_customer, transform: [{ pad: { width: 6, char: "0" } }, { prefix: WEB }] }',  # not a guest
            "else: { from: id_customer, transform: [{ xref: { from: shop, type: customers } }] }"))
    if impatient:  # one try per request: a 503 answers at once
        endpoints = project / "endpoints.yaml"
        endpoints.write_text(endpoints.read_text().replace(
            SAGE_TOKEN, SAGE_TOKEN + "    override: { http: { retry: { attempts: 1, connect_attempts: 1 } } }\n"))
    return project


def run(project: Path, env: dict, state: Path, flow: str = "customers_to_sage"):
    plan = load_plan(project)
    endpoints = open_endpoints(plan, ["shop", "sage"], env)
    store = SqliteStore(state)
    try:
        return FlowRunner(plan, plan.flows[flow], endpoints, store, backoff=0.001).run(), store
    finally:
        for endpoint in endpoints.values():
            endpoint.close()


def shop_customers(sb) -> dict[int, dict]:
    return {int(c["id"]): c for c in sb.sim("prestashop").tables["customers"].values()}


def forget_in_sage(sb, ids) -> None:
    """These shop customers have no account in Sage yet."""
    for cid in ids:
        del sb.sim("sage100").clients[f"WEB{cid:06d}"]


def test_found_or_created_then_a_second_run_creates_nothing(tmp_path):
    project = project_with_customers(tmp_path)
    with simulators(orders=5) as (sb, env):
        customers = shop_customers(sb)
        forget_in_sage(sb, [3, 4, 5])
        first, store = run(project, env, tmp_path / "state.db")
        assert first.error is None and first.failed == 0 and first.pending == 0
        assert first.created == 3 and first.found == len(customers) - 3 == first.updated
        assert first.as_dict()["found"] == first.found and f"{first.found} found" in first.line()
        clients = sb.sim("sage100").clients
        assert len(clients) == len(customers)  # nobody twice
        pairs = {int(r.source_id): r for r in store.xrefs("customers", "shop")}
        assert set(pairs) == set(customers)
        assert {r.how for cid, r in pairs.items() if cid in (3, 4, 5)} == {"created"}
        assert all(r.target_system == "sage" and r.flow == "customers_to_sage" for r in pairs.values())
        assert {store.entry("customers_to_sage", str(cid)).status for cid in customers} == {ACKED}
        second, _ = run(project, env, tmp_path / "state.db")
        assert second.created == second.found == second.updated == 0 and second.skipped == len(customers)
        assert len(sb.sim("sage100").clients) == len(customers)


def test_a_client_made_by_hand_is_found_not_duplicated_and_orders_go_to_it(tmp_path):
    project = project_with_customers(tmp_path, update=False, orders_by_xref=True)
    with simulators(orders=30) as (sb, env):
        orders = sb.sim("prestashop").orders
        wanted = eligible_orders(sb)
        cid = next(int(o["id_customer"]) for o in orders.values() if int(o["current_state"]) in (2, 3))
        email = shop_customers(sb)[cid]["email"]
        forget_in_sage(sb, [cid])
        sage = sb.sim("sage100")
        sage.clients["HAND01"] = {"NumeroTiers": "HAND01", "Intitule": "Made by hand", "Email": email.upper()}
        before = len(sage.clients)
        summary, store = run(project, env, tmp_path / "state.db")
        assert summary.created == 0 and summary.failed == 0 and len(sage.clients) == before
        assert store.entry("customers_to_sage", str(cid)).target_id == "HAND01"
        orders_run, _ = run(project, env, tmp_path / "state.db", flow="orders_to_sage")
        assert orders_run.failed == 0 and orders_run.created == len(wanted)
        theirs = {d["NumeroTiers"] for d in sage.documents if d["Reference"] in
                  {f"PS_{o['id']}" for o in orders.values() if int(o["id_customer"]) == cid}}
        assert theirs == {"HAND01"}


def test_an_order_whose_customer_has_no_cross_reference_fails_naming_the_flow(tmp_path):
    project = project_with_customers(tmp_path, orders_by_xref=True)
    with simulators(orders=10) as (sb, env):
        wanted = eligible_orders(sb)
        summary, store = run(project, env, tmp_path / "state.db", flow="orders_to_sage")
        failed = store.entries("orders_to_sage", FAILED)
        assert summary.created == 0 and len(failed) == len(wanted)
        assert all("has no cross-reference yet: run the flow that creates it (customers_to_sage) first"
                   in e.reason and "shop customers " in e.reason for e in failed)


def test_two_matches_go_to_the_dead_letter_without_a_write(tmp_path):
    project = project_with_customers(tmp_path)
    with simulators(orders=5) as (sb, env):
        email = shop_customers(sb)[4]["email"]
        sage = sb.sim("sage100")
        sage.clients["TWIN04"] = {"NumeroTiers": "TWIN04", "Intitule": "Twin", "Email": email}
        before = {code: dict(client) for code, client in sage.clients.items()}
        summary, store = run(project, env, tmp_path / "state.db")
        entry = store.entry("customers_to_sage", "4")
        assert summary.failed == 1 and entry.status == FAILED
        assert f"2 clients match Email='{email}': cannot tell which" in entry.reason
        assert sage.clients["TWIN04"] == before["TWIN04"] and sage.clients["WEB000004"] == before["WEB000004"]
        assert not store.xrefs("customers") or "4" not in {r.source_id for r in store.xrefs("customers")}


def test_a_find_that_cannot_answer_leaves_the_records_pending_and_creates_nothing(tmp_path):
    project = project_with_customers(tmp_path, impatient=True)
    with simulators(orders=5) as (sb, env):
        customers = shop_customers(sb)
        forget_in_sage(sb, [3])
        sage = sb.sim("sage100")
        sage.faults = Faults(error_rate=1.0, statuses=(503,), methods=("GET",), path_contains="Clients", seed=3)
        before = len(sage.clients)
        summary, store = run(project, env, tmp_path / "state.db")
        assert summary.pending == len(customers) and summary.created == summary.found == 0
        assert len(sage.clients) == before and not store.entries("customers_to_sage")
        sage.faults = None  # the outage ends: the next run finds or creates each one once
        again, _ = run(project, env, tmp_path / "state.db")
        assert again.created == 1 and again.found == len(customers) - 1 and again.pending == 0
        assert len(sage.clients) == len(customers)


def test_an_unreachable_target_stops_the_flow_before_any_create(tmp_path):
    project = project_with_customers(tmp_path, impatient=True)
    with simulators(orders=5) as (sb, env):
        forget_in_sage(sb, [3])
        clients = dict(sb.sim("sage100").clients)
        env = {**env, "ACME_SAGE_URL": "http://127.0.0.1:9/WebServices100/BIJOU"}  # nothing listens there
        summary, store = run(project, env, tmp_path / "state.db")
        assert summary.error and summary.created == 0 and not store.entries("customers_to_sage")
        assert sb.sim("sage100").clients == clients


def test_passerelle_xref_lists_and_exports(tmp_path, monkeypatch):
    project = project_with_customers(tmp_path)
    state = tmp_path / "state"
    with simulators(orders=5) as (sb, env):
        forget_in_sage(sb, [2])
        code, _, err = cli(["run", str(project), "--state", str(state), "--flow", "customers_to_sage"], env,
                           monkeypatch)
        assert code == 0, err
        count = len(shop_customers(sb))
    code, out, err = cli(["xref", str(project), "--state", str(state), "--format", "csv", "--type", "customers"],
                         env, monkeypatch)
    assert code == 0 and f"{count} cross-reference(s)" in err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == count and rows[0].keys() >= {"source_system", "type", "source_id", "target_id", "how"}
    assert {(r["source_id"], r["target_id"], r["how"]) for r in rows if r["source_id"] == "2"} == \
        {("2", "WEB000002", "created")}
    assert env["ACME_SAGE_TOKEN"] not in out + err
    code, out, _ = cli(["xref", str(project), "--state", str(state), "--format", "json", "--from", "nowhere"], env,
                       monkeypatch)
    assert code == 0 and json.loads(out) == []
    code, out, err = cli(["xref", str(project), "--state", str(tmp_path / "none")], env, monkeypatch)
    assert code == 0 and "no state yet" in err and not (tmp_path / "none").exists()


def test_a_lost_reply_or_a_crash_is_resolved_by_the_find_never_by_a_second_create(tmp_path):
    """insert_client has no look-up by reference: after a doubt the find's match answers instead."""
    project = project_with_customers(tmp_path, update=False)
    with simulators(orders=5) as (sb, env):
        customers = shop_customers(sb)
        forget_in_sage(sb, [3, 4])
        sage = sb.sim("sage100")
        sage.faults = Faults(stored_but_lost_rate=1.0, methods=("POST",), path_contains="Clients", seed=8)
        summary, store = run(project, env, tmp_path / "state.db")
        assert summary.error is None and summary.pending == 0 and summary.created == 2
        assert len(sage.clients) == len(customers)
        sage.faults = None
        entry = store.entry("customers_to_sage", "3")
        store.intend("customers_to_sage", "3", entry.payload, entry.record)  # as if the settle was lost
        again, _ = run(project, env, tmp_path / "state.db")
        assert again.pending == 0 and store.entry("customers_to_sage", "3").status == ACKED
        assert len(sage.clients) == len(customers)


def test_orders_set_aside_for_a_missing_cross_reference_are_replayed_once_it_exists(tmp_path, monkeypatch):
    project = project_with_customers(tmp_path, orders_by_xref=True)
    state = tmp_path / "state"
    with simulators(orders=10) as (sb, env):
        wanted = eligible_orders(sb)
        code, _, err = cli(["run", str(project), "--state", str(state), "--flow", "orders_to_sage"], env, monkeypatch)
        assert code == 3 and "has no cross-reference yet" in err
        assert not sb.sim("sage100").documents
        code, _, err = cli(["run", str(project), "--state", str(state), "--flow", "customers_to_sage"], env,
                           monkeypatch)
        assert code == 0, err
        code, _, err = cli(["replay", str(project), "--state", str(state), "--flow", "orders_to_sage"], env,
                           monkeypatch)
        assert code == 0, err
        assert len(sb.sim("sage100").documents) == len(wanted)


def test_a_find_on_a_value_built_from_the_record_finds_the_account_by_its_code(tmp_path):
    """`find.match` with `{from, transform}`: the account searched by the code the flow would give it
    (WEB + the shop id on 6 digits): the accounts Sage holds are found, the others created, once."""
    project = copy_project(tmp_path)
    (project / "customers_to_sage.yaml").write_text(CUSTOMERS.replace("@UPDATE@", "").replace(
        "match: { Email: email }",
        'match: { NumeroTiers: { from: id, transform: [{ pad: { width: 6, char: "0" } }, { prefix: WEB }] } }'))
    with simulators(orders=5) as (sb, env):
        customers = shop_customers(sb)
        missing = sorted(customers)[:3]
        forget_in_sage(sb, missing)
        sage = sb.sim("sage100")
        summary, store = run(project, env, tmp_path / "state.db")
        assert (summary.created, summary.found, summary.failed) == (3, len(customers) - 3, 0)
        assert all(f"WEB{cid:06d}" in sage.clients for cid in missing)
        assert store.entry("customers_to_sage", str(missing[0])).target_id == f"WEB{missing[0]:06d}"
        again, _ = run(project, env, tmp_path / "state2.db")  # a fresh state: found again, none created
        assert (again.created, again.found) == (0, len(customers))
