"""Pages mapped in two processes with the records fed from here (engine/runtime/fedmap.py): a page the
child cannot work (an error pickle cannot rebuild, a record pickle cannot carry) is worked here, as
are the pages after it; the child is stopped with the pages. (Same outcomes and errors as one
process on random pages, and which pages the child works: tests/unit/test_split_map.py.)"""
from __future__ import annotations

import pytest

from engine.connectors.codecs.xmlstream import Skip
from engine.runtime import decodeworker
from engine.runtime.fedmap import fed_pages
from unit.test_split_map import Unpicklable, fed, reader, serial, shown, work_of

pytestmark = pytest.mark.skipif(not decodeworker.available(), reason="no fork or a single core")


def test_a_page_the_child_cannot_answer_is_worked_here_and_so_are_the_rest():
    items = [{"n": i} for i in range(40)]
    work = work_of({6, 21}, None)  # Unpicklable errors (n % 3 == 0) in the child's pages 0 and 2 (size 10)
    expected, _, _ = serial(items, 10, work, None)
    got, counts, error = fed(items, 10, work, None)
    assert shown(got) == shown(expected) and counts == [10, 10, 10, 10] and error is None
    assert isinstance(got[6].error, Unpicklable) and isinstance(got[21].error, Unpicklable)  # worked here


def test_a_record_pickle_cannot_carry_is_worked_here():
    items = [{"n": i} for i in range(30)]
    items[3]["f"] = lambda: None  # in the child's first page: it cannot cross the pipe
    work = work_of(set(), None)
    expected, _, _ = serial(items, 5, work, None)
    got, counts, error = fed(items, 5, work, None)
    assert shown(got) == shown(expected) and counts == [5] * 6 and error is None


def test_the_consumer_stopping_early_stops_the_child():
    pages = fed_pages(reader([{"n": i} for i in range(10_000)], Skip(), None), 10, work_of(set(), None))
    assert next(pages)[0] == 10 and next(pages)[0] == 10
    pages.close()  # reaps the child (killed): no zombie, nothing left running
