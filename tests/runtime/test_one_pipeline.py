"""One record pipeline: the same records give the same outcome and the same error text in the file
dry-run, the live dry-run and `run` (reference example, orders_to_sage).

The shop simulator's data is made to fail in three places (a value that cannot be typed, a required
related customer missing, a tax rate absent from the strict table); the records are exported through
the webservice as XML list files, exactly as a consultant would save them, then the three modes run
on the same data. The per-record outcomes must agree with each other and with the golden file.
"""
from __future__ import annotations

import json
from decimal import Decimal

import httpx

from runtime_support import copy_project, simulators
from support import ROOT, check_golden, run_cli

GOLDEN = ROOT / "tests" / "cases" / "pipeline" / "reference_example" / "outcomes.txt"
EXPORTS = {
    "orders": {"display": "full", "filter[current_state]": "[2|3]"},
    "order_details": {"display": "full"},
    "carriers": {"display": "full"},
    "customers": {"display": "full"},
    "taxes": {"display": "full"},
}


def _spoil(sb) -> None:
    shop = sb.sim("prestashop")
    eligible = sorted(i for i, o in shop.orders.items() if int(o["current_state"]) in (2, 3))
    shop.orders[eligible[0]]["id_carrier"] = "C-3"  # not an int, in a field the flow reads (its carrier join)
    shop.orders[eligible[2]]["invoice_number"] = "F-0042"  # not an int, in a field the flow never reads: mapped
    del shop.tables["customers"][int(shop.orders[eligible[1]]["id_customer"])]  # required join missing
    shop.tables["taxes"][4]["rate"] = Decimal("19.600")  # not in the strict tax table


def _export(sb, folder) -> list[str]:
    key = sb.credentials("prestashop")["key"]
    files = []
    with httpx.Client(base_url=sb.api_url("prestashop"), auth=(key, "")) as client:
        for resource, params in EXPORTS.items():
            response = client.get(resource, params=params)
            response.raise_for_status()
            path = folder / f"{resource}.xml"
            path.write_bytes(response.content)
            files.append(str(path))
    return files


def _failure_lines(text: str) -> dict[str, str]:
    lines = {}
    for line in text.splitlines():
        if "error[record]" in line:
            key = line.split(" record ", 1)[1].split(":", 1)[0]
            lines[key] = line
    return lines


def _outcomes(payloads: dict, failures: dict) -> dict[str, str]:
    out = {key: "mapped " + json.dumps(payload, sort_keys=True, default=str) for key, payload in payloads.items()}
    out.update({key: "failed " + line for key, line in failures.items()})
    return out


def _dry_run(project, tmp_path, args: list[str]) -> dict[str, str]:
    """One dry-run, twice: JSON for the payloads, text for the keys they belong to."""
    code, out, err = run_cli(["dry-run", str(project), "--flow", "orders_to_sage", "--format", "json", *args],
                             tmp_path)
    assert code == 3, err
    payloads = json.loads(out, parse_float=Decimal)
    code, text, _ = run_cli(["dry-run", str(project), "--flow", "orders_to_sage", *args], tmp_path)
    keys = [line.split(" record ", 1)[1].split(" ", 1)[0].strip() for line in text.splitlines()
            if line.startswith("# ")]
    assert len(keys) == len(payloads)
    return _outcomes(dict(zip(keys, payloads)), _failure_lines(err))


def _run(project, tmp_path, state) -> dict[str, str]:
    from engine.runtime.state import SqliteStore

    code, _, err = run_cli(["run", str(project), "--flow", "orders_to_sage", "--state", str(state)], tmp_path)
    assert code == 3, err
    _, out, _ = run_cli(["failures", str(project), "--state", str(state)], tmp_path)
    store = SqliteStore(state / "state.db")
    try:
        sent = {e.key: json.loads(e.payload, parse_float=Decimal) for e in store.entries("orders_to_sage")
                if e.status != "failed"}
    finally:
        store.close()
    return _outcomes(sent, _failure_lines(out))


def test_file_dry_run_live_dry_run_and_run_agree(tmp_path, monkeypatch, update_golden):
    project = copy_project(tmp_path)
    with simulators(orders=30, seed=4) as (sb, env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        _spoil(sb)
        inputs = [arg for path in _export(sb, tmp_path) for arg in ("--input", path)]
        file_mode = _dry_run(project, tmp_path, inputs)
        live_mode = _dry_run(project, tmp_path, ["--limit", "1000"])
        run_mode = _run(project, tmp_path, tmp_path / "state")

    failed = {key: outcome for key, outcome in file_mode.items() if outcome.startswith("failed")}
    assert any("field id_carrier: cannot read 'C-3' as int" in line for line in failed.values())
    assert not any("invoice_number" in line for line in failed.values())  # only the fields the flow reads are typed
    assert any("field related.customer:" in line for line in failed.values())  # join
    assert any("field lignes[" in line and "19.600" in line for line in failed.values())  # mapping
    assert file_mode == live_mode
    assert file_mode == run_mode
    shown = [f"{key}: {outcome if outcome.startswith('failed') else 'mapped'}"
             for key, outcome in sorted(file_mode.items(), key=lambda kv: int(kv[0]))]
    check_golden(GOLDEN, "\n".join(shown) + "\n", update_golden)
