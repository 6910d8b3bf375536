"""engine/runtime/heap.py: the cyclic collector is off while a whole read is mapped, and on again after
it, however the block ends; a collector its caller turned off stays off; other pages change nothing."""
import gc

import pytest

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
