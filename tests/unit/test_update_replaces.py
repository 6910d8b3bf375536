"""An update operation that `creates` (a document that cannot be changed in place, replaced by a new one:
a WordPress media file) gives the record the new id it answers; any other update keeps the record's id
whatever its answer (engine.runtime.updates.replaced_id). End to end: the WooCommerce template's
media_to_shop / images_to_shop (tests/runtime/test_example_sage100sql_woocommerce.py)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from engine.runtime.updates import replaced_id


def _runner(creates: bool) -> SimpleNamespace:
    plan = SimpleNamespace(operations={"upload": SimpleNamespace(creates=creates)})
    return SimpleNamespace(flow=SimpleNamespace(update_operation="upload"), target=lambda: SimpleNamespace(plan=plan))


@pytest.mark.parametrize(("creates", "answered", "kept"), [
    (True, 5012, "5012"),       # a new document: its id
    (True, "5001", "5001"),     # the same id answered: unchanged
    (True, None, "5001"),       # no id in the answer: unchanged
    (True, True, "5001"),       # a boolean answer is no id
    (False, 5012, "5001"),      # an update in place keeps its id whatever it answers
])
def test_the_record_id_after_an_update(creates, answered, kept):
    assert replaced_id(_runner(creates), SimpleNamespace(result=answered), "5001") == kept


def test_an_endpoint_without_a_plan_keeps_the_id():
    runner = SimpleNamespace(flow=SimpleNamespace(update_operation="upload"), target=lambda: object())
    assert replaced_id(runner, SimpleNamespace(result=7), "5001") == "5001"
