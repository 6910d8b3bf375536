"""The webhook event queue of a state store (``store.events()``), the same on SQLite and PostgreSQL:
a delivery id taken once, events in arrival order, depth and oldest age, the last change processed per
record, settled events pruned after the retention, each project its own queue; on PostgreSQL, two
workers taking events of one flow at once never get the same event."""
from __future__ import annotations

import threading
import time

import pytest

from engine.runtime.event_store import DONE, RETENTION, STALE


def _body(backend, queue, event_id: str):
    if backend.kind == "sqlite":
        return queue.run("SELECT body FROM webhook_events WHERE id = ?", (event_id,))
    return queue.run("SELECT body FROM passerelle.webhook_events WHERE project = %s AND id = %s",
                     (backend.project, event_id))


def test_a_delivery_id_is_queued_once_per_flow_and_events_come_in_arrival_order(store):
    queue = store.events()
    first = queue.enqueue("orders", "d1", "order.created", '{"id": 1}', None)
    assert first is not None
    assert queue.enqueue("orders", "d1", "order.created", '{"id": 1}', None) is None  # a replay
    assert queue.enqueue("stock", "d1", "product.updated", "{}", 5.0) is not None  # another flow's id
    second = queue.enqueue("orders", "d2", "order.updated", '{"id": 2}', 12.5)
    taken = queue.queued("orders")
    assert [(e.id, e.delivery, e.topic, e.body, e.sent_at) for e in taken] == [
        (first, "d1", "order.created", '{"id": 1}', None), (second, "d2", "order.updated", '{"id": 2}', 12.5)]
    assert [e.delivery for e in queue.queued("orders", limit=1)] == ["d1"]
    assert sorted(queue.flows_waiting()) == ["orders", "stock"]


def test_depth_and_the_oldest_event_per_flow_and_in_all(store):
    queue = store.events()
    assert queue.depth() == (0, None)
    before = time.time()
    first = queue.enqueue("orders", "d1", "t", "{}", None)
    queue.enqueue("orders", "d2", "t", "{}", None)
    queue.enqueue("stock", "d3", "t", "{}", None)
    waiting, oldest = queue.depth()
    assert waiting == 3 and before - 1 <= oldest <= time.time()
    assert queue.depth("orders")[0] == 2 and queue.depth("refunds") == (0, None)
    assert queue.settle(first, DONE)
    assert queue.depth("orders")[0] == 1 and queue.depth()[0] == 2


def test_settle_drops_the_body_once_and_retry_later_keeps_the_event_queued(backend, store):
    queue = store.events()
    one = queue.enqueue("orders", "d1", "t", '{"id": 1}', None)
    two = queue.enqueue("orders", "d2", "t", '{"id": 2}', None)
    queue.queued("orders")
    queue.retry_later(two, "the target did not answer")
    assert queue.settle(one, STALE, "older than a state already processed")
    assert not queue.settle(one, DONE)  # settled already: nothing changes
    assert _body(backend, queue, one) == [(None,)]
    again = queue.queued("orders")
    assert [(e.id, e.attempts, e.body) for e in again] == [(two, 1, '{"id": 2}')]
    assert queue.flows_waiting() == ["orders"]


def test_the_last_change_processed_per_record_only_moves_forward(store):
    queue = store.events()
    assert queue.last_changed("orders", "42") is None
    queue.processed("orders", "42", 20.0)
    queue.processed("orders", "42", 10.0)  # an older state: the later change stays
    queue.processed("stock", "42", 5.0)
    assert queue.last_changed("orders", "42") == 20.0 and queue.last_changed("stock", "42") == 5.0
    queue.processed("orders", "42", 30.5)
    assert queue.last_changed("orders", "42") == 30.5


def test_prune_forgets_settled_events_after_the_retention_never_queued_ones(store):
    queue = store.events()
    settled = queue.enqueue("orders", "d1", "t", "{}", None)
    queue.enqueue("orders", "d2", "t", "{}", None)
    queue.settle(settled, DONE)
    queue.prune()  # within the retention: a late replay of d1 is still recognised
    assert queue.enqueue("orders", "d1", "t", "{}", None) is None
    queue.prune(now=time.time() + RETENTION + 60)
    assert [e.delivery for e in queue.queued("orders")] == ["d2"]  # the queued one stays
    assert queue.enqueue("orders", "d1", "t", "{}", None) is not None  # forgotten: taken again


def test_each_project_has_its_own_queue(backend, store):
    queue = store.events()
    queue.enqueue("orders", "d1", "t", "{}", None)
    queue.processed("orders", "42", 20.0)
    other = backend.open(project="other-project").events()
    assert other.depth() == (0, None) and other.flows_waiting() == [] and other.queued("orders") == []
    assert other.last_changed("orders", "42") is None
    assert other.enqueue("orders", "d1", "t", "{}", None) is not None  # the same id, another project
    other.prune(now=time.time() + RETENTION + 60)
    assert queue.depth()[0] == 1 and queue.last_changed("orders", "42") == 20.0


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_two_workers_never_take_the_same_event(backend):
    first, second = backend.open().events(), backend.open().events()
    ids = [first.enqueue("orders", f"d{n}", "t", "{}", None) for n in range(6)]
    mine = [e.id for e in first.queued("orders", limit=4)]
    theirs = [e.id for e in second.queued("orders")]
    assert len(mine) == 4 and len(theirs) == 2 and sorted(mine + theirs) == sorted(ids)  # disjoint
    assert not second.settle(mine[0], DONE)  # taken by another live worker: not settled here
    assert [e.id for e in first.queued("orders")] == mine  # a worker takes its own events again
    first.retry_later(mine[1], "not final yet")
    first.release("orders")  # the rest of them back to any worker
    assert sorted(e.id for e in second.queued("orders")) == sorted(ids)  # its own two and the four given back
    assert second.settle(mine[0], DONE) and not first.settle(mine[0], DONE)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_the_events_of_a_worker_that_ended_go_to_the_next_at_once(backend):
    gone, survivor = backend.open(), backend.open().events()
    ids = [gone.events().enqueue("orders", f"d{n}", "t", "{}", None) for n in range(2)]
    assert len(gone.events().queued("orders")) == 2 and survivor.queued("orders") == []
    gone.close()  # its connection ends, as a killed worker's does
    deadline = time.monotonic() + 10
    while not survivor.queued("orders") and time.monotonic() < deadline:
        time.sleep(0.05)  # the server drops the ended connection from pg_stat_activity
    assert sorted(e.id for e in survivor.queued("orders")) == sorted(ids)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_two_workers_taking_and_settling_at_once_share_the_events_without_overlap(backend):
    queues = [backend.open().events() for _ in range(2)]
    ids = {queues[0].enqueue("orders", f"d{n}", "t", "{}", None) for n in range(120)}
    taken: list[list[str]] = [[], []]
    settled: list[list[str]] = [[], []]

    def work(n: int) -> None:
        while batch := queues[n].queued("orders", limit=7):
            for event in batch:
                taken[n].append(event.id)
                if queues[n].settle(event.id, DONE):
                    settled[n].append(event.id)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not set(taken[0]) & set(taken[1])  # never the same event in both
    assert sorted(settled[0] + settled[1]) == sorted(ids) and queues[1].depth() == (0, None)
