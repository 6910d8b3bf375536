"""engine/runtime/heap.py: the cyclic collector is off while a whole read is mapped, and on again after
it, however the block ends; a collector its caller turned off stays off; other pages change nothing."""
import gc

import pytest

from engine.runtime import heap
from engine.runtime.heap import paused_collector


def test_the_collector_is_paused_for_a_whole_read_and_back_after():
    assert gc.isenabled()
    with paused_collector(True):
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), paused_collector(True):
        raise ValueError("a failure inside")
    assert gc.isenabled()
    with paused_collector(False):
        assert gc.isenabled()


def test_a_collector_already_off_stays_off():
    gc.disable()
    try:
        with paused_collector(True):
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_what_existed_before_a_run_is_left_out_of_the_walks_while_it_runs():
    from engine.runtime.heap import frozen_heap

    assert gc.get_freeze_count() == 0
    with frozen_heap():
        assert gc.get_freeze_count() > 0  # the heap of before the run
        with frozen_heap():  # a second run meanwhile (serve): still frozen, and ...
            pass
        assert gc.get_freeze_count() > 0  # ... still when it ends before the first
    assert gc.get_freeze_count() == 0  # back to the collector after the last run
    with pytest.raises(ValueError), frozen_heap():
        raise ValueError("a run that fails")
    assert gc.get_freeze_count() == 0


def test_garbage_of_before_the_run_is_collected_once_the_run_ends():
    import weakref

    from engine.runtime.heap import frozen_heap

    class Node:
        pass

    node = Node()
    node.itself = node  # a cycle: only the collector frees it
    gone = weakref.ref(node)
    with frozen_heap():
        del node
        gc.collect()
        assert gone() is not None  # frozen: not walked during the run
    gc.collect()
    assert gone() is None  # not kept beyond it


def test_a_fork_inside_a_run_leaves_the_runs_heap_frozen():
    assert gc.get_freeze_count() == 0
    with heap.frozen_for_fork():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0  # given back: nothing was frozen for longer
    with heap.frozen_heap():
        with heap.frozen_for_fork():
            pass
        assert gc.get_freeze_count() > 0  # the run's heap is not given back by the fork
    assert gc.get_freeze_count() == 0
