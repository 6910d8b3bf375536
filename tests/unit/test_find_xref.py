"""Find-or-create and the cross-reference store, piece by piece: the compiled find, the search's four
answers, the store's pairs (one commit with the settle), the ``xref`` transform bound to a store, and
a dry-run reading a project's state without ever writing it."""
from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from engine.connectors.errors import EndpointError
from engine.errors import RecordError, TransformError
from engine.lang.builtins import default_registry
from engine.lang.context import SimpleContext
from engine.lang.xref import bound
from engine.runtime import finder, xref_store
from engine.runtime.lookups import Unknown
from engine.runtime.state import ACKED, DONE, SqliteStore, StateError
from engine.runtime.xref_store import Pair
from helpers import ENDPOINTS, compile_text
from support import ROOT, run_cli

CUSTOMERS = ENDPOINTS + """
flows:
  customers_to_sage:
    source: { endpoint: shop, read: customers }
    target:
      endpoint: sage
      write: insert_client
      update: update_client
      find: { read: clients, match: { Email: email } }
    map: { NumeroTiers: { from: id }, Intitule: { from: lastname }, Email: { from: email } }
"""


@pytest.fixture()
def flow(tmp_path):
    plan, diags = compile_text(tmp_path, CUSTOMERS)
    assert plan is not None, [d.format_text() for d in diags]
    return plan.flows["customers_to_sage"]


def test_the_find_compiles_with_the_resource_key_as_default_id(flow):
    assert flow.find is not None and flow.find.resource == "clients" and flow.find.id_text == "NumeroTiers"
    assert [name for name, _ in flow.find.match] == ["Email"]
    assert flow.find.id({"NumeroTiers": "C1"}) == "C1"
    assert flow.xref_type == "customers"  # no target.xref: the source resource


def test_target_xref_names_the_type(tmp_path):
    plan, _ = compile_text(tmp_path, CUSTOMERS.replace("      update: update_client\n", "      xref: buyers\n"))
    assert plan is not None and plan.flows["customers_to_sage"].xref_type == "buyers"


class FakeTarget:
    def __init__(self, pages=None, error=None):
        self.pages, self.error, self.asked = pages or [[]], error, []

    def read(self, resource, *, where=None, **_):
        self.asked.append((resource, where))
        if self.error is not None:
            raise self.error
        yield from self.pages


def test_one_found_none_or_null_value(flow):
    target = FakeTarget([[{"NumeroTiers": "C1", "Email": "A@B.FR"}]])
    found = finder.search_match(flow, flow.find, target, {"email": "a@b.fr"}, "1")
    assert isinstance(found, finder.Found) and found.target_id == "C1"
    assert target.asked == [("clients", {"Email": "a@b.fr"})]
    assert finder.search_match(flow, flow.find, FakeTarget(), {"email": "a@b.fr"}, "1") is finder.ABSENT
    silent = FakeTarget()
    assert finder.search_match(flow, flow.find, silent, {"email": None}, "1") is finder.SKIPPED
    assert silent.asked == []  # never searched on null: a customer without e-mail is created


def test_a_loose_server_answer_is_kept_to_exact_matches(flow):
    target = FakeTarget([[{"NumeroTiers": "C1", "Email": "xa@b.fr"}, {"NumeroTiers": "C2", "Email": "a@b.fr"}]])
    found = finder.search_match(flow, flow.find, target, {"email": "a@b.fr"}, "1")
    assert isinstance(found, finder.Found) and found.target_id == "C2"


def test_several_found_no_id_or_a_list_value_fail_the_record(flow):
    twins = FakeTarget([[{"NumeroTiers": "C1", "Email": "a@b.fr"}], [{"NumeroTiers": "C2", "Email": "a@b.fr"}]])
    several = finder.search_match(flow, flow.find, twins, {"email": "a@b.fr"}, "7")
    assert isinstance(several, RecordError) and several.reason == "2 clients match Email='a@b.fr': cannot tell which"
    assert several.key == "7" and several.field == "target.find" and several.loc is not None
    nameless = finder.search_match(flow, flow.find, FakeTarget([[{"Email": "a@b.fr"}]]), {"email": "a@b.fr"}, "7")
    assert isinstance(nameless, RecordError) and "has no id" in nameless.reason
    listed = finder.search_match(flow, flow.find, FakeTarget(), {"email": ["a", "b"]}, "7")
    assert isinstance(listed, RecordError) and "must be one value" in listed.reason


def test_a_find_that_cannot_answer_is_unknown_and_unreachable_stops(flow):
    failing = FakeTarget(error=EndpointError("GET /Clients: HTTP 503", transient=True))
    unknown = finder.search_match(flow, flow.find, failing, {"email": "a@b.fr"}, "1")
    assert isinstance(unknown, Unknown) and "could not answer" in unknown.reason and "503" in unknown.reason
    down = FakeTarget(error=EndpointError("cannot connect", transient=True, unreachable=True))
    with pytest.raises(EndpointError):
        finder.search_match(flow, flow.find, down, {"email": "a@b.fr"}, "1")


def _store_with_pairs(path=":memory:") -> SqliteStore:
    store = SqliteStore(path)
    for key, code in (("56", "WEB000056"), ("57", "HAND01")):
        store.intend("customers_to_sage", key, "{}")
        store.settle("customers_to_sage", key, code, ACKED,
                     pair=Pair("shop", "customers", key, "sage", "customers_to_sage", "found"))
    return store


def _xref(args):
    return default_registry().get("transform", "xref").factory(args, SimpleContext({}))


def test_settle_keeps_the_pair_in_the_same_commit():
    store = _store_with_pairs()
    assert [(r.source_id, r.target_id, r.how) for r in store.xrefs("customers", "shop")] == [
        ("56", "WEB000056", "found"), ("57", "HAND01", "found")]
    assert store.xrefs("orders") == [] and store.xrefs(source_system="sage") == []
    store.intend("f", "1", "{}")
    store.settle("f", "1", None, ACKED, pair=Pair("shop", "orders", "1", "sage", "f"))  # no id: no pair
    assert store.xrefs("orders") == []


def test_a_failing_pair_rolls_the_settle_back(monkeypatch):
    store = SqliteStore(":memory:")
    store.intend("f", "1", "{}")
    monkeypatch.setattr(xref_store, "upsert", lambda pair, target_id: ("INSERT INTO nowhere VALUES (1)", ()))
    with pytest.raises(StateError):
        store.settle("f", "1", "X1", DONE, pair=Pair("shop", "t", "1", "sage", "f"))
    assert store.entry("f", "1").status == "pending"  # neither the settle nor the pair


def test_an_older_state_file_gains_the_table_and_keeps_its_entries(tmp_path):
    db = tmp_path / "state.db"
    old = sqlite3.connect(db)
    old.executescript("CREATE TABLE ledger (flow TEXT NOT NULL, key TEXT NOT NULL, status TEXT NOT NULL, "
                      "payload_hash TEXT, target_id TEXT, attempts INTEGER NOT NULL DEFAULT 0, reason TEXT, loc TEXT, "
                      "payload TEXT, updated_at REAL NOT NULL, record TEXT, PRIMARY KEY (flow, key));"
                      "INSERT INTO ledger (flow, key, status, target_id, updated_at) VALUES ('f', '1', 'acked', 'X', 0);")
    old.close()
    store = SqliteStore(db)
    assert store.entry("f", "1").status == ACKED and store.xrefs() == []


def test_the_xref_transform_translates_through_the_bound_store():
    store = _store_with_pairs()
    resolver = store.xref_resolver({("shop", "customers"): ["customers_to_sage"]})
    strict, generic = _xref({"from": "shop", "type": "customers"}), \
        _xref({"from": "shop", "type": "customers", "default": "CLIENT-WEB"})
    back = _xref({"from": "shop", "type": "customers", "reverse": True, "to": "sage"})
    with bound(resolver):
        assert strict(56) == "WEB000056" and strict("57") == "HAND01" and back("HAND01") == "57"
        assert generic(99) == "CLIENT-WEB"
        with pytest.raises(TransformError) as info:
            strict(99)
        assert str(info.value) == ("shop customers 99 has no cross-reference yet: run the flow that creates it "
                                   "(customers_to_sage) first (it recorded other shop customers: if it ran since, "
                                   "is 99 still in what it reads, not deleted there, nor set aside: "
                                   "`passerelle failures`?)")
        with pytest.raises(TransformError, match="no flow of this project records shop carts"):
            _xref({"from": "shop", "type": "carts"})(1)
    with pytest.raises(TransformError, match="no cross-reference store yet"):
        strict(56)  # outside the run: nothing bound


def test_before_its_flow_ever_ran_a_missing_pair_only_says_to_run_it(tmp_path):
    """The hint about a deleted or set-aside id (a Sage family deleted while products point at it) comes
    only once the flow recorded other pairs of the type: before, running it is the whole answer."""
    with bound(SqliteStore(tmp_path / "state.db").xref_resolver({("shop", "customers"): ["customers_to_sage"]})):
        with pytest.raises(TransformError) as info:
            _xref({"from": "shop", "type": "customers"})(99)
    assert str(info.value) == ("shop customers 99 has no cross-reference yet: run the flow that creates it "
                               "(customers_to_sage) first")


def test_a_null_id_takes_the_default_or_stays_null():
    """A guest order has no customer: with a default (the generic account) it goes there, as the docs say;
    without one the null stays null (found by the first real use, the Sage 100 <-> Shopify example)."""
    with bound(_store_with_pairs().xref_resolver({})):
        assert _xref({"from": "shop", "type": "customers", "default": "CLIENT-WEB"})(None) == "CLIENT-WEB"
        assert _xref({"from": "shop", "type": "customers"})(None) is None
    assert _xref({"from": "shop", "type": "customers", "default": "CLIENT-WEB"})(None) == "CLIENT-WEB"  # unbound


def test_an_id_paired_in_two_target_systems_needs_to():
    store = _store_with_pairs()
    store.intend("customers_to_x3", "56", "{}")
    store.settle("customers_to_x3", "56", "X3-56", ACKED, pair=Pair("shop", "customers", "56", "x3", "customers_to_x3"))
    with bound(store.xref_resolver({})):
        with pytest.raises(TransformError, match="2 cross-references .*name the target system with `to`"):
            _xref({"from": "shop", "type": "customers"})(56)
        assert _xref({"from": "shop", "type": "customers", "to": "x3"})(56) == "X3-56"


CUSTOMERS_FLOW = """flows:
  customers_to_sage:
    source: { endpoint: shop, read: customers }
    target: { endpoint: sage, write: insert_client, xref: customers }
    map:
      NumeroTiers: { from: id, transform: [{ pad: { width: 6, char: "0" } }, { prefix: WEB }] }
      Intitule: { from: lastname }
"""


def _orders_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "specs" / "examples" / "prestashop-sage100", project,
                    ignore=shutil.ignore_patterns(".passerelle"))
    flow = project / "orders_to_sage.yaml"
    flow.write_text(flow.read_text().replace(
        'else: { from: id_customer, transform: [{ pad: { width: 6, char: "0" } }, { prefix: WEB }] }',  # not a guest
        "else: { from: id_customer, transform: [{ xref: { from: shop, type: customers } }] }"))
    (project / "customers_to_sage.yaml").write_text(CUSTOMERS_FLOW)  # the flow that records the pairs
    return project


def _dry_run(project: Path, *extra: str):
    samples = project / "samples"
    argv = ["dry-run", str(project), "--flow", "orders_to_sage", "--format", "json", *extra]
    for name in ("orders", "order_details", "carriers", "customers", "taxes"):
        argv += ["--input", str(samples / f"{name}.xml")]
    return run_cli(argv, ROOT)


def test_a_dry_run_reads_the_project_state_and_never_writes_it(tmp_path):
    project = _orders_project(tmp_path)
    code, out, err = _dry_run(project)
    assert code == 3 and json.loads(out) == [] and "no cross-reference store yet" in err
    assert not (project / ".passerelle").exists()  # never created by a dry-run
    state = tmp_path / "state"
    store = SqliteStore(state / "state.db")
    for key in ("56", "2", "3", "4", "5", "6", "7", "8", "9", "10"):
        store.intend("customers_to_sage", key, "{}")
        store.settle("customers_to_sage", key, f"SAGE-{key}", ACKED,
                     pair=Pair("shop", "customers", key, "sage", "customers_to_sage"))
    store.close()
    before = (state / "state.db").read_bytes()
    code, out, err = _dry_run(project, "--state", str(state))
    docs = json.loads(out)
    assert docs and all(d["doc"]["NumeroTiers"].startswith("SAGE-") for d in docs), err
    assert (state / "state.db").read_bytes() == before  # opened read-only (SQLite may add its -shm index)


ERP = """connector:
  name: erp
  protocol: http
  settings:
    base_url: { required: true }
  http:
    base_url: "{settings.base_url}"
    query: { where: { params: { "{field}": "{value}" } } }
  resources:
    accounts: { path: /accounts }
  operations:
    create_account: { method: POST, path: /accounts, body: json, creates: true }
"""


def test_a_resource_without_key_needs_an_id(tmp_path):
    folder = tmp_path / "project"
    (folder / "connectors").mkdir(parents=True)
    (folder / "connectors" / "erp.yaml").write_text(ERP)
    text = ENDPOINTS + """  erp: { use: erp, settings: { base_url: "http://erp.test" } }
flows:
  customers_to_erp:
    source: { endpoint: shop, read: customers }
    target: { endpoint: erp, write: create_account, find: { read: accounts, match: { mail: email } } }
    map: { mail: { from: email } }
"""
    plan, diags = compile_text(tmp_path, text)
    assert plan is None and [d.code for d in diags if d.is_error] == ["no-find-id"]
    assert "add `id:`" in diags[-1].hint and diags[-1].loc.line == 9
    plan, diags = compile_text(tmp_path, text.replace("{ mail: email } }", "{ mail: email }, id: code }"))
    assert plan is not None and plan.flows["customers_to_erp"].find.id({"code": "A1"}) == "A1"


def test_an_xref_no_flow_records_is_refused_at_validate(tmp_path):
    project = _orders_project(tmp_path)
    flow = project / "orders_to_sage.yaml"
    flow.write_text(flow.read_text().replace("type: customers", "type: customerz"))
    code, out, _ = run_cli(["validate", str(project)], ROOT)
    assert code == 1 and "error[unknown-xref]" in out and "no flow of this project records shop 'customerz' pairs" \
        in out and "did you mean 'customers'?" in out, out
    flow.write_text(flow.read_text().replace("type: customerz", "type: customers").replace("from: shop", "from: shp"))
    code, out, _ = run_cli(["validate", str(project)], ROOT)
    assert code == 1 and "no flow of this project reads from 'shp'" in out and "did you mean 'shop'?" in out, out
