"""Records read in a child process (engine/runtime/decodeworker.py) are the records read here: same
order, and an error of the reader is met after the same records, with its own text."""
from __future__ import annotations

import os
import time
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.runtime import decodeworker
from engine.runtime.decodeworker import decoded_elsewhere

pytestmark = pytest.mark.skipif(not decodeworker.available(), reason="no fork or a single core")

texts = st.text(max_size=5)
rows = st.dictionaries(st.sampled_from(["id", "a", "b"]), st.one_of(texts, st.none(), st.lists(texts, max_size=2)),
                       max_size=3)


class Broken(Exception):
    """An exception of the reader (its text must survive the child)."""


def reader(items, fail_at=None):
    for position, item in enumerate(items):
        if position == fail_at:
            raise Broken(f"line {position + 1}: broken")
        yield item


@settings(max_examples=25, deadline=None)
@given(st.lists(rows, max_size=700), st.one_of(st.none(), st.integers(0, 700)))
def test_same_records_and_the_same_error_after_the_same_records(items, fail_at):
    got: list = []
    with pytest.raises(Broken) if fail_at is not None and fail_at < len(items) else _nothing() as info:
        for row in decoded_elsewhere(reader(items, fail_at)):
            got.append(row)
    expected = items[:fail_at] if fail_at is not None else items
    assert got == expected
    if info is not None:
        assert str(info.value) == f"line {fail_at + 1}: broken"


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def test_a_record_the_pipe_cannot_carry_is_read_here():
    items = [{"id": "1"}, {"id": "2", "f": lambda: 1}, {"id": "3", "m": Decimal("1.5")}]
    got = list(decoded_elsewhere(iter(items)))
    assert [row["id"] for row in got] == ["1", "2", "3"] and got[2]["m"] == Decimal("1.5")


def test_a_reader_stopped_early_leaves_no_child_behind():
    rows = decoded_elsewhere(iter([{"id": str(n)} for n in range(100_000)]))
    assert next(rows) == {"id": "0"}
    rows.close()  # the child is killed and reaped
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_without_fork_the_records_are_read_here(monkeypatch):
    monkeypatch.setattr(decodeworker, "available", lambda: False)
    forks: list = []
    monkeypatch.setattr(os, "fork", lambda: forks.append(1))
    assert list(decoded_elsewhere(iter([{"id": "1"}]))) == [{"id": "1"}] and not forks


def _marking(path, count):
    """Rows whose reader notes in ``path`` (in the child) how many it has read, and its niceness."""
    for number in range(count):
        yield {"id": str(number)}
    path.write_text(f"{count} {os.nice(0)}")


def test_the_child_reads_ahead_before_anything_is_asked(tmp_path):
    marker = tmp_path / "read"
    rows = decoded_elsewhere(_marking(marker, 3000))  # 3,000 records: several pages, within AHEAD
    for _ in range(1000):  # the child reads on its own: nothing has been asked of `rows` yet
        if marker.exists() and marker.read_text():
            break
        time.sleep(0.01)
    assert marker.read_text().split()[0] == "3000"
    assert [row["id"] for row in rows] == [str(n) for n in range(3000)]


def test_a_spare_reader_runs_at_a_lower_priority(tmp_path):
    marker = tmp_path / "read"
    mine = os.nice(0)
    assert len(list(decoded_elsewhere(_marking(marker, 10), spare=True))) == 10
    assert int(marker.read_text().split()[1]) == min(mine + decodeworker.SPARE_NICE, 19)
    assert len(list(decoded_elsewhere(_marking(marker, 10)))) == 10
    assert int(marker.read_text().split()[1]) == mine
