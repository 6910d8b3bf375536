"""A live dry-run of a flow with `target.remove` shows what a run would remove — each delete request marked,
with the safety limit's verdict — and sends nothing, leaving the run state as it was: against the
PrestaShop simulator (quantity tiers as specific prices, tests/runtime/test_removals_prestashop.py's
project) and against the Sage 100 SQL -> PrestaShop template's customer prices (a whole-read flow)."""
from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import pytest

from runtime.runtime_support import cli, run_flow
from runtime.test_removals_prestashop import _articles, setup  # noqa: F401 (fixture)
from support import ROOT

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "odbc"))  # the Sage databases of the ODBC tests
from odbc_support import _sage_templates, sage_database  # noqa: E402,F401 (fixtures)
from passerelle_sandbox import Sandbox  # noqa: E402


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _writes(sim) -> list:
    return [(method, path) for method, path, *_ in sim.requests if method in ("POST", "PUT", "PATCH", "DELETE")]


def test_a_live_dry_run_shows_the_removals_and_sends_nothing(setup, monkeypatch):
    project, state, env, sb, sim, ids, tiers, data = setup
    run_flow(project, str(state), env, monkeypatch, "tiers_to_shop")
    gone = next(i for i, r in sim.tables["specific_prices"].items() if int(r["from_quantity"]) == 50)
    tiers["A1"] = [(10, "9.50"), (100, "8.00")]  # the tier from 50 removed in the ERP
    _articles(data, ids, tiers)
    before = _digest(state / "state.db")
    sim.requests.clear()
    code, out, err = cli(["dry-run", str(project), "--flow", "tiers_to_shop", "--state", str(state)], env, monkeypatch)
    assert code == 0, err
    assert f"# tiers_to_shop REMOVE A1/50: no longer in the source\nDELETE {sb.url('prestashop')}/api/specific_prices/{gone}\n" in out
    assert out.count(" REMOVE ") == 1
    assert "# tiers_to_shop removals: 1 of the flow's 4 created records would be removed: within the safety limit" in out
    assert "1 to remove (nothing was written)" in err and env["PS_KEY"] not in out + err
    assert _writes(sim) == [] and gone in sim.tables["specific_prices"]
    assert _digest(state / "state.db") == before  # the state only read
    # the run then removes exactly what the dry-run showed
    run_flow(project, str(state), env, monkeypatch, "tiers_to_shop")
    assert _writes(sim) == [("DELETE", f"/api/specific_prices/{gone}")]
    sim.requests.clear()
    code, out, err = cli(["dry-run", str(project), "--flow", "tiers_to_shop", "--state", str(state)], env, monkeypatch)
    assert " REMOVE " not in out and "# tiers_to_shop removals: nothing to remove" in out and _writes(sim) == []


def test_the_safety_limit_verdict_is_shown_and_json_output_keeps_its_shape(setup, monkeypatch):
    project, state, env, sb, sim, ids, tiers, data = setup
    many = {"A1": [(q, "9") for q in range(10, 130, 10)], "B2": [(5, "4.00")]}  # 13 tiers
    _articles(data, ids, many)
    run_flow(project, str(state), env, monkeypatch, "tiers_to_shop")
    _articles(data, ids, {"A1": [], "B2": [(5, "4.00")]})  # 12 of 13 gone: more than 10 and 20 %
    sim.requests.clear()
    code, out, err = cli(["dry-run", str(project), "--flow", "tiers_to_shop", "--state", str(state)], env, monkeypatch)
    assert code == 0, err
    assert out.count("(HELD: not sent, see below)") == 12 and out.count("\nDELETE ") == 12
    assert "# tiers_to_shop removals: removal held: this run would remove 12 of the flow's 13 created records" in out
    assert "12 to remove (held by the safety limit)" in err and _writes(sim) == []
    code, out, err = cli(["dry-run", str(project), "--flow", "tiers_to_shop", "--state", str(state),
                          "--format", "json"], env, monkeypatch)
    assert out.lstrip().startswith("[") and "tiers_to_shop removals: removal held" in err
    code, _, err = cli(["run", str(project), "--flow", "tiers_to_shop", "--state", str(state)], env, monkeypatch)
    assert "removal held: this run would remove 12 of the flow's 13" in err
    assert not [m for m, _ in _writes(sim) if m == "DELETE"]  # the run holds them too


def test_no_state_yet_nothing_to_remove(setup, monkeypatch):
    project, state, env, sb, sim, ids, tiers, data = setup
    code, out, err = cli(["dry-run", str(project), "--flow", "tiers_to_shop", "--state", str(state)], env, monkeypatch)
    assert code == 0, err
    assert out.count("# tiers_to_shop record ") == 4 and "removals: nothing to remove (the flow's 0 created" in out
    assert not state.exists()  # no state made by a dry-run


@pytest.mark.slow
def test_the_template_customer_prices_dry_run_shows_a_price_deleted_in_sage(sage_database, tmp_path, monkeypatch):
    db = sage_database("sqlite")
    project = tmp_path / "project"
    shutil.copytree(ROOT / "specs" / "examples" / "sage100sql-prestashop", project,
                    ignore=shutil.ignore_patterns(".passerelle"))
    state = str(tmp_path / "state")
    with Sandbox(systems=("prestashop",), seed=1, orders=3) as sb:
        shop = sb.sim("prestashop")
        env = {"ACME_SAGE_ODBC": db.connection_string, "ACME_SAGE_DIALECT": "sqlite",
               "ACME_PS_URL": sb.url("prestashop"), "ACME_PS_KEY": sb.credentials("prestashop")["key"]}
        for flow in ("categories_to_shop", "subcategories_to_shop", "products_to_shop"):
            run_flow(project, state, env, monkeypatch, flow)
        customers = shop.tables["customers"]
        for email in ("cl-dupont@exemple.fr", "cl-etoile@exemple.fr", "cl-lefevre@exemple.fr"):
            customers[max(customers) + 1] = {**customers[min(customers)], "id": max(customers) + 1, "email": email}
        run_flow(project, state, env, monkeypatch, "customer_prices_to_shop")
        (price,) = [k for k, s in shop.tables["specific_prices"].items()
                    if int(s["id_customer"]) and shop.tables["products"][s["id_product"]]["reference"] == "TASSE-GRES"]
        with db.connect() as conn:
            conn.execute('DELETE FROM "F_ARTCLIENT" WHERE "CT_Num" = ?', "CL-ETOILE")
        shop.requests.clear()
        code, out, err = cli(["dry-run", str(project), "--flow", "customer_prices_to_shop", "--state", state,
                              "--limit", "1"], env, monkeypatch)
        assert code == 0, err
        assert out.count("# customer_prices_to_shop record ") == 1  # --limit: the writes shown, not the read
        assert f"# customer_prices_to_shop REMOVE TASSE-GRES/CL-ETOILE: no longer in the source\nDELETE " \
               f"{sb.url('prestashop')}/api/specific_prices/{price}\n" in out
        assert "3 read live" in err and "1 to remove" in err and _writes(shop) == []
