"""An inbox moves each file to done/ once all ITS records are final: a record left open (the target
down for it) holds back its own file only; the next run, the record written, that file moves too.
A run cut short moves no file. Real files, the real runner and ledger; the target is a fake."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from engine.connectors.base import WriteResult
from engine.connectors.compile import open_connector
from engine.connectors.errors import EndpointError
from engine.runtime.runner import FlowRunner
from engine.runtime.state import PENDING, SqliteStore

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "unit"))
from helpers import compile_text  # noqa: E402

SPEC = """
endpoints:
  shop: { use: prestashop, settings: { base_url: "http://shop.test", key: "${env:PS_KEY}" } }
  sage: { use: sage100-ws, settings: { base_url: "http://sage.test", token: "${env:SAGE_TOKEN}" }, override: { operations: { insert_document: { accepts: null } } } }
flows:
  items:
    source: { endpoint: shop, read: products }
    key: id
    target: { endpoint: sage, write: insert_document }
    map:
      ref: { from: id }
"""
INBOX = {"name": "inbox", "protocol": "file", "settings": {"dir": {"required": True}},
         "resources": {"products": {"inbox": {"path": "in/*.csv"}, "key": "id",
                                    "format": {"type": "csv", "delimiter": ";"}}}}


class Target:
    def __init__(self, down: set[str]):
        self.down, self.created = down, []

    def write(self, operation, payload, values=None):
        if str(payload["ref"]) in self.down:
            raise EndpointError("timeout", transient=True)
        self.created.append(str(payload["ref"]))
        return WriteResult(200, None, f"DOC-{payload['ref']}")

    def find(self, operation, values):  # pragma: no cover - the flow declares no reference
        return []

    def close(self):
        pass


def _run(tmp_path: Path, folder: Path, target: Target, **options):
    plan, diags = compile_text(tmp_path, SPEC)
    assert plan is not None, "\n".join(d.format_text() for d in diags)
    store = SqliteStore(tmp_path / "state" / "state.db")
    with open_connector("inbox", INBOX, {"dir": str(folder)}) as source:
        runner = FlowRunner(plan, plan.flows["items"], {"shop": source, "sage": target}, store, backoff=0,
                            sleep=lambda s: None, create_attempts=2, **options)
        summary = runner.run()
    return summary, store


def _inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "exchange"
    (folder / "in").mkdir(parents=True)
    (folder / "in" / "a.csv").write_text("id;label\r\n11;one\r\n12;two\r\n13;three\r\n", encoding="utf-8")
    (folder / "in" / "b.csv").write_text("id;label\r\n21;one\r\n22;two\r\n", encoding="utf-8")
    return folder


def test_a_record_left_open_holds_back_its_own_file_only(tmp_path):
    folder = _inbox(tmp_path)
    summary, store = _run(tmp_path, folder, Target(down={"12"}))
    assert (summary.created, summary.pending) == (4, 1), summary
    assert [e.key for e in store.entries("items", PENDING)] == ["12"]
    assert os.listdir(folder / "in") == ["a.csv"]  # 12 is open: a.csv stays
    assert os.listdir(folder / "done") == ["b.csv"]  # every record of b.csv is final: it moves
    target = Target(down=set())
    # the target is back; without a reference to search by, the operator says to send 12 again (replay --key)
    again, store = _run(tmp_path, folder, target, resend=frozenset({"12"}))
    assert target.created == ["12"] and again.pending == 0, again  # the ledger: 11 and 13 not written twice
    assert os.listdir(folder / "in") == [] and sorted(os.listdir(folder / "done")) == ["a.csv", "b.csv"]


def test_the_open_record_in_the_second_file_keeps_that_file_and_moves_the_first(tmp_path):
    folder = _inbox(tmp_path)
    summary, _ = _run(tmp_path, folder, Target(down={"22"}))
    assert summary.pending == 1
    assert os.listdir(folder / "in") == ["b.csv"] and os.listdir(folder / "done") == ["a.csv"]


def test_a_run_cut_short_moves_no_file(tmp_path):
    folder = _inbox(tmp_path)
    summary, _ = _run(tmp_path, folder, Target(down=set()), max_records=2)
    assert summary.created >= 2
    assert sorted(os.listdir(folder / "in")) == ["a.csv", "b.csv"] and not (folder / "done").exists()


def test_every_record_final_moves_every_file(tmp_path):
    folder = _inbox(tmp_path)
    summary, _ = _run(tmp_path, folder, Target(down=set()))
    assert summary.created == 5
    assert os.listdir(folder / "in") == [] and sorted(os.listdir(folder / "done")) == ["a.csv", "b.csv"]
