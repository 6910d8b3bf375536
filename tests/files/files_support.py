"""A client project exchanging CSV files with an ERP: orders arrive in an inbox (cp1252, `;`, decimal
comma), each is written as one CSV command file; run through the real CLI, in a subprocess when it is
to be killed."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from support import ROOT

CONNECTOR = """\
connector:
  name: erp-files
  summary: the ERP's exchange folder (import and export files)
  protocol: file
  settings:
    dir: { required: true }
  file: { dir: "{settings.dir}" }
  resources:
    orders:
      inbox: { path: "in/*.csv", done: "done/", failed: "failed/" }
      key: reference
      types: { qty: int, price: decimal }
      format: { type: csv, delimiter: ";", encoding: cp1252, decimal: "," }
  operations:
    write_order:
      path: "out/CMD_{reference}_{date}.csv"
      timezone: Europe/Paris
      format:
        type: csv
        delimiter: ";"
        encoding: cp1252
        decimal: ","
        columns: [reference, article, qty, price, total]
      creates: true
      find: find_order
      find_id: path
    find_order:
      path: "out/CMD_{reference}_{date}.csv"
      timezone: Europe/Paris
      format: { type: csv, columns: [reference] }
"""

PROJECT = """\
project: { name: Quincaillerie Dupont }
endpoints:
  erp: { use: erp-files, settings: { dir: "${env:FILES_DIR}" } }
flows:
  orders_to_erp:
    source: { endpoint: erp, read: orders }
    target: { endpoint: erp, write: write_order, with: { reference: reference }, reference: reference }
    map:
      reference: { from: reference }
      article: { from: article }
      qty: { from: qty }
      price: { from: price }
      total: { from: total }
"""

ORDERS_CSV = ("reference;article;qty;price;total\r\n"
              "CMD1;Clé à molette;2;12,50;25,00\r\n"
              "CMD2;Tournevis;x;3,10;3,10\r\n"       # a bad number: set aside, the rest goes on
              "CMD3;Équerre;1;7,05;7,05\r\n")


def make_project(root: Path) -> tuple[Path, Path, Path]:
    """(project folder, exchange folder, state file)."""
    project = root / "dupont"
    (project / "connectors").mkdir(parents=True)
    (project / "connectors" / "erp-files.yaml").write_text(CONNECTOR, encoding="utf-8")
    (project / "project.yaml").write_text(PROJECT, encoding="utf-8")
    exchange = root / "exchange"
    (exchange / "in").mkdir(parents=True)
    (exchange / "in" / "orders-001.csv").write_bytes(ORDERS_CSV.encode("cp1252"))
    return project, exchange, root / "state.db"


KILLER = """
import os, signal, sys
real = os.replace
def replace(src, dst, *a, **k):
    if {condition}:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(src, dst, *a, **k)
os.replace = replace
from engine.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def run(project: Path, exchange: Path, state: Path, kill_when: str | None = None) -> subprocess.CompletedProcess:
    """``passerelle run`` in a subprocess; ``kill_when``: a Python condition on ``src``/``dst`` of an
    ``os.replace`` that SIGKILLs the process right there (a crash at a real point)."""
    code = KILLER.format(condition=kill_when or "False")
    return subprocess.run([sys.executable, "-c", code, "run", str(project), "--state", str(state),
                           "--log-format", "json"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "FILES_DIR": str(exchange),
                               "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "sandbox")])})


def summary(result: subprocess.CompletedProcess) -> dict:
    for line in result.stdout.splitlines() + result.stderr.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "flow_summary":
            return event
    raise AssertionError(f"no summary:\n{result.stdout}\n{result.stderr}")
