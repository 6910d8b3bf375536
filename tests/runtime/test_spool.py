"""`run` reads its whole batch before writing, held on disk (engine/runtime/spool.py): any number of
records in bounded memory, pages processed one at a time from a private file that is gone after the
run however it ends, and the cursor rule (a value passes only when it and everything before it are
final) kept over the spooled pages."""
from __future__ import annotations

import os
import stat
import sys
import threading
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from engine.connectors.base import IncompleteRecord, WriteResult
from engine.connectors.errors import EndpointError
from engine.runtime import spool as spool_module
from engine.runtime.runner import FlowRunner
from engine.runtime.spool import SinceTally, Spool, SpoolError, spool_folder
from engine.runtime.state import ACKED, PENDING, SqliteStore

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "unit"))
from helpers import compile_text  # noqa: E402

SPEC = """
endpoints:
  shop: { use: prestashop, settings: { base_url: "http://shop.test", key: "${env:PS_KEY}" } }
  sage: { use: sage100-ws, settings: { base_url: "http://sage.test", token: "${env:SAGE_TOKEN}" }, override: { operations: { insert_document: { accepts: null } } } }
flows:
  items:
    source: { endpoint: shop, read: products, since: date_upd }
    key: id
    target: { endpoint: sage, write: insert_document }
    map:
      ref: { from: id }
"""


class Source:
    """``rows`` in pages of ``size``; notes when each page was read, and when reading ended."""

    def __init__(self, rows, size=3, events=None):
        self.rows, self.size = rows, size
        self.events = events if events is not None else []

    def read(self, resource, *, where=None, since=None, page_size=None, keys=None):
        for start in range(0, len(self.rows), self.size):
            self.events.append(("read", start))
            yield [dict(row) for row in self.rows[start:start + self.size]]
        self.events.append(("read", "end"))

    def close(self):
        pass


class Target:
    def __init__(self, events, fail=lambda payload: None, stop=None, stop_after=None):
        self.events, self.fail, self.stop, self.stop_after = events, fail, stop, stop_after
        self.created: list = []

    def write(self, operation, payload, values=None):
        error = self.fail(payload)
        if error is not None:
            raise error
        self.events.append(("write", str(payload["ref"])))
        self.created.append(str(payload["ref"]))
        if self.stop is not None and len(self.created) == self.stop_after:
            self.stop.set()
        return WriteResult(200, None, f"DOC-{payload['ref']}")

    def find(self, operation, values):  # pragma: no cover - the flow declares no reference
        return []

    def close(self):
        pass


def _rows(n):
    return [{"id": str(i), "date_upd": f"2026-01-01 00:{i // 60:02d}:{i % 60:02d}"} for i in range(1, n + 1)]


@pytest.fixture
def opened(monkeypatch):
    """Every spool file the runtime opens, with its mode seen while it was open."""
    files: list = []
    original = spool_module._private_file

    def spy(folder):
        file = original(folder)
        files.append((file, stat.S_IMODE(os.fstat(file.fileno()).st_mode), folder))
        return file
    monkeypatch.setattr(spool_module, "_private_file", spy)
    return files


def _runner(tmp_path, source, target, **options):
    tmp_path.mkdir(parents=True, exist_ok=True)
    plan, diags = compile_text(tmp_path, SPEC)
    assert plan is not None, "\n".join(d.format_text() for d in diags)
    store = SqliteStore(tmp_path / "state" / "state.db")
    runner = FlowRunner(plan, plan.flows["items"], {"shop": source, "sage": target}, store, backoff=0,
                        sleep=lambda s: None, **options)
    return runner, store


def _left_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in ("state.db", "state.db-wal", "state.db-shm"))


def test_the_whole_batch_is_read_and_spooled_before_the_first_write_then_processed_page_by_page(tmp_path, opened):
    events: list = []
    target = Target(events)
    runner, store = _runner(tmp_path, Source(_rows(25), size=3, events=events), target)
    pages_seen: list = []
    on_disk: list = []
    original = runner.process_pages

    def process_pages(pages, tally):
        def counting():
            for page in pages:
                on_disk.append(os.fstat(pages.file.fileno()).st_size)  # the whole read is in the file
                pages_seen.append(len(page))
                yield page
        return original(counting(), tally)
    runner.process_pages = process_pages
    summary = runner.run()
    assert (summary.read, summary.created, summary.error) == (25, 25, None)
    assert events.index(("read", "end")) < events.index(("write", "1"))  # read before writing
    assert pages_seen == [3] * 8 + [1]  # back from the file one page at a time
    assert on_disk[0] > 25 * len("2026-01-01 00:00:01")
    assert target.created == [str(i) for i in range(1, 26)]
    assert len(store.entries("items", ACKED)) == 25
    assert store.get_cursor("items") == "2026-01-01 00:00:25"
    (file, mode, folder), _ = opened  # the pages, then the final cursor values
    assert mode == 0o600 and folder == tmp_path / "state"  # private, in the state folder
    assert all(f.closed for f, _, _ in opened)
    assert _left_in(tmp_path / "state") == []


def test_no_record_limit_by_default_and_max_records_still_cuts_a_batch(tmp_path):
    runner, store = _runner(tmp_path, Source(_rows(40), size=4), Target([]))
    assert runner.max_records is None  # the old 10,000 cut was a memory guard: no longer needed
    assert runner.run().created == 40
    cut, store = _runner(tmp_path / "cut", Source(_rows(40), size=4), Target([]), max_records=10)
    summary = cut.run()
    assert summary.created == 12  # whole pages: the one that reached the bound is processed
    assert store.get_cursor("items") == "2026-01-01 00:00:12"  # the rest comes next run


def test_the_spool_is_gone_after_a_run_that_stops_on_an_error(tmp_path, opened):
    def unreachable(payload):
        if str(payload["ref"]) == "7":
            return EndpointError("connection refused", transient=True, unreachable=True)
        return None
    runner, store = _runner(tmp_path, Source(_rows(20)), Target([], fail=unreachable))
    summary = runner.run()
    assert summary.error and summary.created == 6
    assert opened and all(f.closed for f, _, _ in opened)
    assert _left_in(tmp_path / "state") == []
    assert store.get_cursor("items") is None  # cut short by an error: the cursor stays


def test_the_spool_is_gone_after_a_run_that_is_stopped(tmp_path, opened):
    stop = threading.Event()
    runner, store = _runner(tmp_path, Source(_rows(20)), Target([], stop=stop, stop_after=5), stop=stop)
    summary = runner.run()
    assert summary.created == 5 and summary.error is None
    assert opened and all(f.closed for f, _, _ in opened)
    assert _left_in(tmp_path / "state") == []
    assert store.get_cursor("items") == "2026-01-01 00:00:05"


def test_the_spool_is_gone_when_the_read_itself_fails(tmp_path, opened):
    class Broken(Source):
        def read(self, resource, **kw):
            yield [{"id": "1", "date_upd": "2026-01-01 00:00:01"}]
            raise EndpointError("GET /products: 500")
    runner, _ = _runner(tmp_path, Broken([]), Target([]))
    summary = runner.run()
    assert summary.error and summary.read == 0  # nothing is written from a batch not read to its end
    assert opened and all(f.closed for f, _, _ in opened)


def test_a_full_disk_stops_the_run_before_anything_is_written_and_says_where(tmp_path, opened, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(spool_module.pickle, "dump", full)
    target = Target([])
    runner, store = _runner(tmp_path, Source(_rows(9)), target)
    with pytest.raises(SpoolError) as caught:
        runner.run()
    assert target.created == [] and store.entries("items") == []
    assert str(tmp_path / "state") in str(caught.value) and "No space left on device" in str(caught.value)
    assert caught.value.code == "state" and "hint:" in str(caught.value)
    assert opened and all(f.closed for f, _, _ in opened)


def test_the_cursor_stays_before_a_record_left_open_on_any_spooled_page(tmp_path):
    def lost(payload):  # record 11 (page 4): its outcome stays unknown
        return EndpointError("timeout", transient=True, outcome_unknown=False) if str(payload["ref"]) == "11" else None
    runner, store = _runner(tmp_path, Source(_rows(30), size=3), Target([], fail=lost), create_attempts=2)
    summary = runner.run()
    assert (summary.created, summary.pending) == (29, 1)
    assert [e.key for e in store.entries("items", PENDING)] == ["11"]
    assert store.get_cursor("items") == "2026-01-01 00:00:10"  # 12..30 are final, but come after 11


def test_spool_pages_come_back_exactly_as_read(tmp_path):
    incomplete = IncompleteRecord({"id": 2, "rows": [1]}, "more rows than it carries", "rows")
    pages = [[{"id": 1, "price": Decimal("12.30"), "at": datetime(2026, 1, 2, 3, 4, 5), "blob": b"\x00\xff",
               "nested": {"list": [None, True, 1.5]}}], [incomplete], []]
    with Spool(tmp_path) as spool:
        for page in pages:
            spool.add(page)
        assert os.listdir(tmp_path) == [] or all(n.startswith(".passerelle-spool-") for n in os.listdir(tmp_path))
        back = list(spool)
        assert back == pages and type(back[1][0]) is IncompleteRecord
        assert (back[1][0].reason, back[1][0].field) == ("more rows than it carries", "rows")
        assert str(back[0][0]["price"]) == "12.30"
    assert spool.file is None and os.listdir(tmp_path) == []


def test_spool_folder_is_the_state_folder_when_there_is_one(tmp_path):
    store = SqliteStore(tmp_path / "st" / "state.db")
    assert spool_folder(store) == tmp_path / "st"
    assert spool_folder(SqliteStore(":memory:")) is None
    assert spool_folder(None) is None


def _old_rule(values):
    finals = [v for v, final in values if final]
    opens = [v for v, final in values if not final]
    if not finals:
        return None
    limit = min(opens) if opens else None
    candidates = [v for v in finals if limit is None or v < limit]
    return max(candidates) if candidates else None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet="ab\n\\\"é0", max_size=4), st.booleans()), max_size=30))
def test_the_tally_gives_what_the_lists_of_values_gave(values):
    with SinceTally() as tally:
        for value, final in values:
            tally.add(value, final)
        assert tally.best() == _old_rule(values)


def test_the_xref_resolver_cache_stays_bounded_over_a_long_run(monkeypatch):
    from engine.runtime import xref_store

    monkeypatch.setattr(xref_store, "CACHE_LIMIT", 3)
    asked: list = []

    def query(sql, args):
        asked.append(args)
        value = next(a for a in args if isinstance(a, str) and a.startswith("C"))
        return [(f"T-{value}", "sage")]
    resolver = xref_store.StoreXref(query)
    for n in range(10):
        assert resolver.translate("shop", "customer", f"C{n}", None, False) == f"T-C{n}"
        assert len(resolver.cache) <= 3
    assert resolver.translate("shop", "customer", "C9", None, False) == "T-C9" and len(asked) == 10  # cached
