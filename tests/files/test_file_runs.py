"""A file-to-file project run through the CLI on real files: an inbox of cp1252 CSV orders, one
command file per order; a malformed line set aside; SIGKILL between writing a temporary file and
renaming it, and between processing an inbox file and moving it: the next run leaves exactly one
complete file per order, no temporary file, and the inbox file in done/."""
from __future__ import annotations

import os
from pathlib import Path

from files_support import ORDERS_CSV, make_project, run, summary
from support import run_cli

EXPECTED = {"CMD1": "reference;article;qty;price;total\r\nCMD1;Clé à molette;2;12,50;25,00\r\n",
            "CMD3": "reference;article;qty;price;total\r\nCMD3;Équerre;1;7,05;7,05\r\n"}


def outputs(exchange: Path) -> dict[str, str]:
    out = exchange / "out"
    found = {}
    for name in sorted(os.listdir(out)):
        assert name.startswith("CMD_") and name.endswith(".csv"), f"a file the ERP would see: {name}"
        found[name.split("_")[1]] = (out / name).read_bytes().decode("cp1252")
    return found


def test_run_writes_one_file_per_order_sets_the_bad_line_aside_and_moves_the_inbox_file(tmp_path):
    project, exchange, state = make_project(tmp_path)
    first = summary(run(project, exchange, state))
    assert (first["created"], first["failed"]) == (2, 1)
    assert outputs(exchange) == EXPECTED
    assert os.listdir(exchange / "done") == ["orders-001.csv"] and os.listdir(exchange / "in") == []
    (exchange / "in" / "orders-002.csv").write_bytes(ORDERS_CSV.encode("cp1252"))  # the same orders again
    again = summary(run(project, exchange, state))
    assert (again["created"], again["skipped"]) == (0, 2)  # the ledger: nothing written twice
    assert sorted(os.listdir(exchange / "done")) == ["orders-001.csv", "orders-002.csv"]


def test_killed_between_writing_the_temporary_file_and_renaming_it(tmp_path):
    project, exchange, state = make_project(tmp_path)
    killed = run(project, exchange, state, kill_when="str(src).endswith('.tmp') and 'CMD3' in str(dst)")
    assert killed.returncode == -9
    hidden = [n for n in os.listdir(exchange / "out") if n.startswith(".")]
    assert hidden and all(n.endswith(".tmp") for n in hidden)  # the dot-file the ERP ignores
    assert list(outputs_visible(exchange)) == ["CMD1"]
    assert os.listdir(exchange / "in") == ["orders-001.csv"]  # not moved: not every record was final
    resumed = summary(run(project, exchange, state))
    assert resumed["created"] == 1
    assert outputs(exchange) == EXPECTED  # exactly one complete file each, the temporary file gone
    assert os.listdir(exchange / "done") == ["orders-001.csv"]


def outputs_visible(exchange: Path):
    for name in sorted(os.listdir(exchange / "out")):
        if not name.startswith("."):
            yield name.split("_")[1]


def test_killed_between_processing_the_inbox_file_and_moving_it(tmp_path):
    project, exchange, state = make_project(tmp_path)
    killed = run(project, exchange, state, kill_when="'done' in str(dst)")
    assert killed.returncode == -9
    assert outputs(exchange) == EXPECTED and os.listdir(exchange / "in") == ["orders-001.csv"]
    stamps = {n: (exchange / "out" / n).stat().st_mtime_ns for n in os.listdir(exchange / "out")}
    resumed = summary(run(project, exchange, state))
    assert (resumed["created"], resumed["skipped"]) == (0, 2)  # the ledger: no order written twice
    assert {n: (exchange / "out" / n).stat().st_mtime_ns for n in os.listdir(exchange / "out")} == stamps
    assert os.listdir(exchange / "done") == ["orders-001.csv"] and os.listdir(exchange / "in") == []


def test_dry_run_input_reads_the_csv_with_the_source_format(tmp_path):
    project, exchange, _ = make_project(tmp_path)
    os.environ["FILES_DIR"] = str(exchange)
    try:
        code, out, err = run_cli(["dry-run", str(project), "--flow", "orders_to_erp", "--input",
                                  str(exchange / "in" / "orders-001.csv")], tmp_path)
    finally:
        del os.environ["FILES_DIR"]
    assert '"article": "Clé à molette"' in out and '"total": "25,00"' in out
    assert "orders-001.csv:3: qty: 'x' is not a whole number" in out + err
    assert "3 read, 2 mapped" in out + err
    assert os.listdir(exchange / "in") == ["orders-001.csv"]  # a dry-run moves nothing
