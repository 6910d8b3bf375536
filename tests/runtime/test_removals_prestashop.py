"""`target.remove` end to end against the PrestaShop simulator: quantity tiers from an ERP become
specific prices; a tier removed in the ERP is deleted from the shop (`DELETE /api/specific_prices/{id}`),
once; a run killed (SIGKILL) between the removal's intent and the delete's answer is settled by the
next run (a second delete answers 404 = already removed)."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from passerelle_sandbox.faults import Decision
from runtime.runtime_support import Sandbox, run_flow
from runtime.test_images_prestashop import CONNECTOR  # an ERP of JSON files
from support import ROOT

PROJECT = """\
endpoints:
  erp: { use: erp, settings: { dir: "${env:ERP_DIR}" } }
  shop: { use: prestashop, settings: { base_url: "${env:PS_URL}", key: "${env:PS_KEY}" } }
flows:
  tiers_to_shop:
    source: { endpoint: erp, read: articles }
    fan_out: { each: tiers, as: tier, key: "{ref}/{tier.qty}" }
    target:
      endpoint: shop
      write: add_specific_price
      update: update_specific_price
      remove: { write: delete_specific_price, with: { id: _target.id } }
    map:
      id_product: { from: product_id }
      id_shop: { value: 0 }
      id_cart: { value: 0 }
      id_currency: { value: 0 }
      id_country: { value: 0 }
      id_group: { value: 0 }
      id_customer: { value: 0 }
      from_quantity: { from: tier.qty }
      price: { from: tier.price }
      reduction: { value: 0 }
      reduction_tax: { value: 0 }
      reduction_type: { value: amount }
      from: { value: "0000-00-00 00:00:00" }
      to: { value: "0000-00-00 00:00:00" }
"""


def _articles(data: Path, ids: dict, tiers: dict) -> None:
    rows = [{"ref": ref, "product_id": ids[ref], "tiers": [{"qty": q, "price": p} for q, p in tiers[ref]]}
            for ref in ids]
    (data / "articles" / "articles.json").write_text(json.dumps(rows))


@pytest.fixture
def setup(tmp_path: Path):
    project = tmp_path / "project"
    (project / "connectors").mkdir(parents=True)
    (project / "connectors" / "erp.yaml").write_text(CONNECTOR)
    (project / "flows.yaml").write_text(PROJECT)
    data = tmp_path / "erp"
    (data / "articles").mkdir(parents=True)
    with Sandbox(systems=("prestashop",), seed=1, orders=1) as sb:
        sim = sb.sim("prestashop")
        ids = {ref: int(sim.add_product(ref, f"Article {ref}", "10")["id"]) for ref in ("A1", "B2")}
        tiers = {"A1": [(10, "9.50"), (50, "8.90"), (100, "8.00")], "B2": [(5, "4.00")]}
        _articles(data, ids, tiers)
        env = {"ERP_DIR": str(data), "PS_URL": sb.url("prestashop"), "PS_KEY": sb.credentials("prestashop")["key"]}
        yield project, tmp_path / "state", env, sb, sim, ids, tiers, data


def _shop_tiers(sim) -> list[tuple[int, int]]:
    return sorted((int(r["id_product"]), int(r["from_quantity"])) for r in sim.tables["specific_prices"].values())


def _deletes(sim) -> list[str]:
    return [path for method, path, *_ in sim.requests if method == "DELETE"]


def test_a_tier_removed_in_the_erp_is_deleted_in_the_shop_once(setup, monkeypatch):
    project, state, env, sb, sim, ids, tiers, data = setup
    first = run_flow(project, str(state), env, monkeypatch, "tiers_to_shop")
    assert first["created"] == 4
    assert _shop_tiers(sim) == [(ids["A1"], 10), (ids["A1"], 50), (ids["A1"], 100), (ids["B2"], 5)]
    gone = next(i for i, r in sim.tables["specific_prices"].items() if int(r["from_quantity"]) == 50)
    tiers["A1"] = [(10, "9.50"), (100, "8.00")]
    _articles(data, ids, tiers)
    second = run_flow(project, str(state), env, monkeypatch, "tiers_to_shop")
    assert (second["created"], second["updated"], second["failed"]) == (0, 0, 0)
    assert _shop_tiers(sim) == [(ids["A1"], 10), (ids["A1"], 100), (ids["B2"], 5)]
    assert _deletes(sim) == [f"/api/specific_prices/{gone}"]
    shop = httpx.get(f"{sb.url('prestashop')}/api/specific_prices/{gone}", auth=(env["PS_KEY"], ""))
    assert shop.status_code == 404  # read back through the shop's API
    third = run_flow(project, str(state), env, monkeypatch, "tiers_to_shop")
    assert third["created"] == 0 and len(_deletes(sim)) == 1  # nothing sent twice


class _SlowDeletes:
    """Delays every DELETE long enough for the test to kill the run while it is in flight."""

    def decide(self, method: str, path: str) -> Decision:
        return Decision(latency_s=4.0 if method == "DELETE" else 0.0)


def _status(db: Path, key: str) -> str | None:
    try:
        connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        rows = connection.execute("SELECT status FROM ledger WHERE key = ?", (key,)).fetchall()
    except sqlite3.Error:
        return None
    finally:
        connection.close()
    return rows[0][0] if rows else None


def test_a_run_killed_between_the_removal_intent_and_the_answer_is_settled_next_run(setup, monkeypatch):
    project, state, env, sb, sim, ids, tiers, data = setup
    run_flow(project, str(state), env, monkeypatch, "tiers_to_shop")
    tiers["A1"] = [(10, "9.50"), (100, "8.00")]
    _articles(data, ids, tiers)
    sim.faults = _SlowDeletes()
    process = subprocess.Popen([sys.executable, "-m", "engine", "run", str(project), "--state", str(state)],
                               cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _status(state / "state.db", "A1/50") != "removing":
        assert time.monotonic() < deadline and process.poll() is None, "the removal never started"
        time.sleep(0.02)
    time.sleep(0.5)  # the DELETE reaches the simulator, which holds it 4 s (it is logged once answered)
    assert process.poll() is None
    process.send_signal(signal.SIGKILL)  # the intent is committed, the DELETE is in flight
    process.wait(timeout=30)
    assert _status(state / "state.db", "A1/50") == "removing"
    sim.faults = None
    time.sleep(4.5)  # the simulator applies the delayed DELETE: the next one answers 404
    after = run_flow(project, str(state), env, monkeypatch, "tiers_to_shop")
    assert after["failed"] == 0 and after["created"] == 0
    assert _status(state / "state.db", "A1/50") == "removed"
    assert _shop_tiers(sim) == [(ids["A1"], 10), (ids["A1"], 100), (ids["B2"], 5)]
    assert len(_deletes(sim)) == 2  # the one in flight, then the one that found it gone (404)
