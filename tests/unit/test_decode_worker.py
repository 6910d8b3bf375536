"""Records read in a child process (engine/runtime/decodeworker.py) are the records read here: same
order, and an error of the reader is met after the same records, with its own text."""
from __future__ import annotations

import os
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
