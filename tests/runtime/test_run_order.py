"""`passerelle run PROJECT` (and `serve`, `replay`) without `--flow` runs each flow after the flows whose
cross-references it reads: a consultant's first `run` of a catalogue template builds the categories before
the products filed in them, the products before their combinations, instead of setting most records aside
because the flows ran in the order of their names."""
from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from engine.plan.compile import compile_project
from engine.project.load import load_project
from runtime_support import cli
from support import ROOT

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "odbc"))  # the Sage databases of the ODBC tests
from odbc_support import _sage_templates, sage_database  # noqa: E402,F401 (fixtures)
from passerelle_sandbox import Sandbox  # noqa: E402
from passerelle_sandbox.sage100sql_media import write_media  # noqa: E402

SUMMARY = re.compile(r"^(?P<flow>\w+): (?P<read>\d+) read, (?P<created>\d+) created, (?P<updated>\d+) updated, "
                     r"(?P<skipped>\d+) skipped, (?P<failed>\d+) failed", re.M)


def _plan(folder: Path):
    plan, diags = compile_project(load_project(folder))
    assert plan is not None, [str(d) for d in diags]
    return plan


def test_the_catalogue_flows_run_after_the_flows_keeping_the_ids_they_translate():
    order = _plan(ROOT / "specs" / "examples" / "sage100sql-prestashop").run_order()
    before = lambda a, b: order.index(a) < order.index(b)  # noqa: E731
    assert before("categories_to_shop", "subcategories_to_shop")  # a child category under its parent's
    assert before("subcategories_to_shop", "products_to_shop") and before("categories_to_shop", "products_to_shop")
    assert before("options_to_shop", "option_values_to_shop")
    assert before("products_to_shop", "combinations_to_shop") and before("option_values_to_shop", "combinations_to_shop")
    assert sorted(order) == sorted(_plan(ROOT / "specs" / "examples" / "sage100sql-prestashop").flows)
    woo = _plan(ROOT / "specs" / "examples" / "sage100sql-woocommerce").run_order()
    assert woo.index("media_to_shop") < woo.index("images_to_shop")  # the attachments before the gallery


def test_flows_that_need_nothing_keep_the_order_of_their_names():
    """Only what a flow needs moves it: the orders (after the customers they are billed to) still run
    before the payments and refunds settled on their Sage documents, as they did in name order."""
    shopify = _plan(ROOT / "specs" / "examples" / "sage100-shopify")
    assert shopify.flows["orders_to_sage"].after == ("customers_to_sage",)
    assert shopify.run_order() == sorted(shopify.flows)
    woo = _plan(ROOT / "specs" / "examples" / "woocommerce-sage100").run_order()
    assert woo.index("customers_to_sage") < woo.index("customer_addresses_to_sage") < woo.index("orders_to_sage") \
        < woo.index("payments_to_sage") < woo.index("refunds_to_sage")


def _flow(name: str, source_read: str, xref_type: str | None) -> str:
    field = (f"{{ from: id, transform: [{{ xref: {{ from: shop, type: {xref_type} }} }}] }}" if xref_type
             else "{ from: id }")
    return (f"flows:\n  {name}:\n    source: {{ endpoint: shop, read: {source_read} }}\n    key: id\n"
            f"    target: {{ endpoint: sage, write: insert_client }}\n    map:\n      NumeroTiers: {field}\n      Intitule: {{ value: X }}\n")


def test_independent_flows_keep_the_order_of_their_names_and_a_cycle_does_not_hang(tmp_path):
    project = tmp_path / "p"
    shutil.copytree(ROOT / "specs" / "examples" / "prestashop-sage100", project,
                    ignore=shutil.ignore_patterns(".passerelle", "*_to_*.yaml", "tests", "samples"))
    (project / "a_flow.yaml").write_text(_flow("a_flow", "customers", "addresses"))   # reads b_flow's pairs
    (project / "b_flow.yaml").write_text(_flow("b_flow", "addresses", "customers"))   # reads a_flow's: a cycle
    (project / "c_flow.yaml").write_text(_flow("c_flow", "carriers", None))
    (project / "d_flow.yaml").write_text(_flow("d_flow", "orders", "carriers"))       # after c_flow
    plan = _plan(project)
    assert plan.flows["a_flow"].after == ("b_flow",) and plan.flows["d_flow"].after == ("c_flow",)
    assert plan.flows["c_flow"].after == ()
    assert plan.run_order() == ["c_flow", "d_flow", "a_flow", "b_flow"]


def test_after_names_flows_to_run_first_and_a_misspelt_one_is_located(tmp_path):
    project = tmp_path / "p"
    shutil.copytree(ROOT / "specs" / "examples" / "prestashop-sage100", project,
                    ignore=shutil.ignore_patterns(".passerelle", "*_to_*.yaml", "tests", "samples"))
    (project / "a_flow.yaml").write_text(_flow("a_flow", "customers", None).replace(
        "    key: id\n", "    key: id\n    after: [b_flow]\n"))
    (project / "b_flow.yaml").write_text(_flow("b_flow", "addresses", None))
    plan = _plan(project)
    assert plan.flows["a_flow"].after == ("b_flow",) and plan.run_order() == ["b_flow", "a_flow"]
    (project / "a_flow.yaml").write_text(_flow("a_flow", "customers", None).replace(
        "    key: id\n", "    key: id\n    after: [b_flwo]\n"))
    _, diags = compile_project(load_project(project))
    (diag,) = [d for d in diags if d.is_error]
    assert (diag.code, diag.loc.line, diag.loc.col) == ("unknown-flow", 5, 13), diag
    assert "no flow named 'b_flwo'" in diag.message and "b_flow" in diag.hint


def test_one_run_of_the_whole_template_builds_the_catalogue(sage_database, tmp_path, monkeypatch):
    """The first `passerelle run PROJECT` sets nothing aside but what the template refuses on purpose
    (the customer prices of Sage customers without a shop account)."""
    db = sage_database("sqlite")
    project = tmp_path / "project"
    shutil.copytree(ROOT / "specs" / "examples" / "sage100sql-prestashop", project,
                    ignore=shutil.ignore_patterns(".passerelle"))
    write_media(project / "images")  # the Sage media share (\\SAGE-SRV\Medias\) as the project's images/
    with Sandbox(systems=("prestashop",), seed=1, orders=3) as sb:
        env = {"ACME_SAGE_ODBC": db.connection_string, "ACME_SAGE_DIALECT": "sqlite",
               "ACME_PS_URL": sb.url("prestashop"), "ACME_PS_KEY": sb.credentials("prestashop")["key"]}
        code, _, err = cli(["run", str(project), "--state", str(tmp_path / "state")], env, monkeypatch)
    summaries = {m["flow"]: m for m in SUMMARY.finditer(err)}
    assert code == 3, err  # the customer prices set aside
    assert {flow for flow, m in summaries.items() if m["failed"] != "0"} == {"customer_prices_to_shop"}, err
    assert int(summaries["products_to_shop"]["created"]) > 30
    assert int(summaries["combinations_to_shop"]["created"]) == 11
    assert int(summaries["variant_stock_to_shop"]["created"]) == 11
    assert int(summaries["stock_to_shop"]["created"]) == 37 and int(summaries["images_to_shop"]["created"]) == 6
