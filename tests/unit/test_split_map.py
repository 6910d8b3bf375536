"""Pages mapped in two processes (engine/runtime/splitmap.py, and fedmap.py: the records handed to the
child from here) give the outcomes of one process: same outcomes in the same order, and an error - of
the reader or of the work - met after the same outcomes, with its own text; the XML stream hands out
skipped records undecoded (xmlstream.Skip)."""
from __future__ import annotations

import gc

from hypothesis import given, settings
from hypothesis import strategies as st
import pytest

from engine.connectors.codecs.xmlcodec import XmlOptions
from engine.connectors.codecs.xmlstream import Skip, stream_xml
from engine.errors import Loc, RecordError
from engine.runtime import decodeworker
from engine.runtime.pipeline import Outcome
from engine.runtime import heap
from engine.runtime.fedmap import fed_pages
from engine.runtime.splitmap import split_pages

pytestmark = pytest.mark.skipif(not decodeworker.available(), reason="no fork or a single core")


class Broken(Exception):
    """An exception of the reader or of the work (its text must be met again, here)."""


class Unpicklable(RecordError):
    """A record error pickle cannot rebuild (its __init__ takes other arguments)."""

    def __init__(self, reason: str, extra: object):
        super().__init__(reason, "f", "k", "x", None)
        self.extra = extra


def reader(items: list, skip: Skip, fail_at: int | None):
    """A reader that, like the XML stream, hands out None for a skipped record (a reader error is met
    whether the record is skipped or not, as a parse error is)."""
    for position, item in enumerate(items):
        if position == fail_at:
            raise Broken(f"line {position + 1}: broken")
        yield None if skip.on else item


def work_of(bad_at: set[int], raise_at: int | None):
    def work(page: list) -> list[Outcome]:
        assert None not in page  # a page worked is decoded
        out = []
        for record in page:
            n = record["n"]
            if n == raise_at:
                raise Broken(f"record {n}: bug")
            if n in bad_at:
                error = Unpicklable("odd", object()) if n % 3 == 0 else RecordError(
                    f"bad {n}", "flow", str(n), "field", Loc("spec.yaml", n, 1))
                out.append(Outcome(str(n), None, error=error))
            elif n % 7 == 0:
                out.append(Outcome(str(n), None, skipped=True))
            else:
                out.append(Outcome(str(n), None, payload_json=f'{{"n": {n}}}'))
        return out
    return work


def shown(outcomes: list[Outcome]) -> list[tuple]:
    return [(o.key, o.payload_json, o.skipped, o.error.line() if o.error else None) for o in outcomes]


def serial(items: list, size: int, work, fail_at: int | None) -> tuple[list, list, Exception | None]:
    got, counts = [], []
    rows = reader(items, Skip(), fail_at)
    try:
        while True:
            page = []
            for row in rows:
                page.append(row)
                if len(page) == size:
                    break
            if not page:
                return got, counts, None
            got.extend(work(page))
            counts.append(len(page))  # a page is counted with its outcomes
    except Broken as exc:
        return got, counts, exc


def collected(pages) -> tuple[list, list, Exception | None]:
    """The outcomes and counts of ``pages`` (``(count, outcomes)`` pairs), and the Broken it ended with."""
    got, counts = [], []
    try:
        for count, outcomes in pages:
            counts.append(count)
            got.extend(outcomes)
    except Broken as exc:
        return got, counts, exc
    return got, counts, None


def split(items: list, size: int, work, fail_at: int | None) -> tuple[list, list, Exception | None]:
    skip = Skip()
    return collected(split_pages(reader(items, skip, fail_at), skip, size, work))


def fed(items: list, size: int, work, fail_at: int | None) -> tuple[list, list, Exception | None]:
    """The pages mapped by fedmap.py: the records handed to the child from here."""
    return collected(fed_pages(reader(items, Skip(), fail_at), size, work))


@pytest.mark.parametrize("two", [split, fed])
@settings(max_examples=30, deadline=None)
@given(st.integers(0, 60), st.integers(1, 7), st.one_of(st.none(), st.integers(0, 60)),
       st.sets(st.integers(0, 60), max_size=6), st.one_of(st.none(), st.integers(0, 60)))
def test_two_processes_give_the_outcomes_and_the_error_of_one(two, n, size, fail_at, bad_at, raise_at):
    items = [{"n": i} for i in range(n)]
    work = work_of(bad_at, raise_at)
    expected, expected_counts, expected_error = serial(items, size, work, fail_at)
    got, counts, error = two(items, size, work, fail_at)
    assert shown(got) == shown(expected)
    assert counts == expected_counts
    assert str(error) == str(expected_error)


def test_a_child_that_cannot_carry_an_error_leaves_the_rest_to_this_process():
    items = [{"n": i} for i in range(40)]
    work = work_of({15}, None)  # 15 % 3 == 0: an Unpicklable error, in the child's page 1 (size 10)
    expected, _, _ = serial(items, 10, work, None)
    got, counts, error = split(items, 10, work, None)
    assert shown(got) == shown(expected) and counts == [10, 10, 10, 10] and error is None
    assert isinstance(got[15].error, Unpicklable)  # worked here: the very object, not a copy


def test_the_consumer_stopping_early_stops_the_child():
    skip = Skip()
    pages = split_pages(reader([{"n": i} for i in range(10_000)], skip, None), skip, 10, work_of(set(), None))
    assert next(pages)[0] == 10 and next(pages)[0] == 10
    pages.close()  # reaps the child (killed): no zombie, nothing left running
    assert not skip.on


ORDERS = b"""<?xml version="1.0" encoding="UTF-8"?>
<prestashop><orders>%s</orders></prestashop>"""


def test_the_xml_stream_hands_out_skipped_records_undecoded(tmp_path):
    path = tmp_path / "orders.xml"
    body = b"".join(b"<order><id>%d</id><x><y>%d</y></x></order>" % (i, i) for i in range(6))
    path.write_bytes(ORDERS % body)
    options = XmlOptions(root="prestashop")
    skip = Skip()
    name, rows = stream_xml(path, options, skip=skip)
    got = []
    for position in range(6):
        skip.on = position % 2 == 1
        got.append(next(rows))
    assert next(rows, "end") == "end" and name == "orders"
    _, whole = stream_xml(path, options)
    assert got == [row if i % 2 == 0 else None for i, row in enumerate(whole)]


@pytest.mark.parametrize(("two", "ours"), [(split, [*range(10), *range(20, 30), *range(40, 45)]),
                                           (fed, [*range(10, 20), *range(30, 40)])])
def test_the_child_works_every_other_page(two, ours):
    """splitmap.py's child works the odd pages; fedmap.py's the even ones (the first one: its records are
    handed to it while this process works the next page)."""
    here: list = []
    work = work_of(set(), None)

    def noted(page: list) -> list[Outcome]:
        here.extend(record["n"] for record in page)  # only this process's list: the child has its copy
        return work(page)

    got, counts, error = two([{"n": i} for i in range(45)], 10, noted, None)
    assert [o.key for o in got] == [str(i) for i in range(45)] and counts == [10, 10, 10, 10, 5]
    assert here == ours and error is None


@pytest.mark.parametrize("two", [split, fed])
@pytest.mark.parametrize("frozen_before", [False, True])
def test_the_heap_frozen_for_the_fork_is_given_back_unless_the_caller_froze_it(two, frozen_before):
    """Both modules freeze this process's objects while they fork (the child's collections then leave
    them, and their memory shared). Where nothing was frozen before, they go back to the collector at
    once; where the caller froze its heap (a one-shot dry-run: its plan and related index, alive to the
    end), it stays frozen, new objects included: a full collection would walk the whole index again."""
    gc.unfreeze()
    try:
        if frozen_before:
            heap.freeze_for_good()
        made_since = [{"n": n} for n in range(1000)]  # alive across the fork, made after any freeze
        items = [{"n": i} for i in range(40)]
        got, counts, error = two(items, 10, work_of(set(), None), None)
        assert counts == [10] * 4 and error is None and len(got) == 40
        if frozen_before:
            assert gc.get_freeze_count() >= len(made_since)
        else:
            assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()
        heap._for_good[0] = False
