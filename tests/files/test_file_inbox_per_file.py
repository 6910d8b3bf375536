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


def test_positions_are_those_of_the_very_records_left_open():
    from engine.runtime.inbox_positions import positions

    page = [{"id": 1}, {"id": 1}, {"id": 2}]  # equal records: identity, not equality, tells them apart
    assert list(positions(page, [page[1]], 10)) == [11]
    assert list(positions(page, [page[2], page[0], {"id": 2}], 0)) == [2, 0]  # a copy is not from the page
    assert list(positions(page, [], 0)) == []


def test_settle_moves_each_file_without_an_open_position(tmp_path):
    from engine.connectors.file_inbox import Inbox, InboxRun, settle

    (tmp_path / "in").mkdir()
    files = [tmp_path / "in" / f"{n}.csv" for n in "abc"]
    for file in files:
        file.write_text("x")
    run = InboxRun(read=[(files[0], 0, 3), (files[1], 3, 3), (files[2], 3, 5)])  # b.csv held no record
    assert settle(tmp_path, Inbox("done/", "failed/"), run, False, {4}) == ["a.csv -> done/", "b.csv -> done/"]
    assert os.listdir(tmp_path / "in") == ["c.csv"]
    run = InboxRun(read=[(files[2], 0, 2)])
    assert settle(tmp_path, Inbox("done/", "failed/"), run, False, None) == []  # a run cut short: nothing moves
