"""A reservation whose answer is lost, or a run killed with reservations in flight, never holds goods
twice and never loses an order: a record whose reservation has no answer stays `reserving` (its cursor
waits) and the next run sends the reservation again — Sage answers the reservation already held for
that reference. Refused orders stay refused; every order ends final."""
from __future__ import annotations

import sqlite3

import pytest

from crash_support import kill_repeatedly, run_cli
from passerelle_sandbox import Faults
from reserve_support import deliver, outcome, project_copy, race
from runtime_support import cli


def _ledger(state) -> dict:
    with sqlite3.connect(state / "state.db") as db:
        return dict(db.execute("SELECT status, COUNT(*) FROM ledger GROUP BY status").fetchall())


def _settled(got: dict, confirmed: int, cancelled: int) -> None:
    assert len(got["confirmed"]) == confirmed and len(got["cancelled"]) == cancelled
    assert got["told"] == got["cancelled"] and not got["confirmed"] & got["cancelled"]
    assert len(got["history"]) == confirmed  # each reservation held once
    assert got["available"] == 0 and got["never_negative"]
    assert sorted(got["documents"]) == sorted(f"WC-{oid}" for oid in got["confirmed"])


def test_reservations_applied_but_never_answered_are_held_once(tmp_path, monkeypatch):
    """Every reservation reaches Sage, every answer is lost: nothing goes on, every order waits; the next
    run resends them and Sage answers the ones it holds — no goods held twice."""
    project, state = project_copy(tmp_path, concurrency=4), tmp_path / "state"
    lost = Faults(stored_but_lost_rate=1.0, methods=("POST",), path_contains="Reservations")
    with race(orders=12, stock=4, latency_ms=0, faults=lost) as (sb, env, ids):
        run = lambda argv, e: cli(argv, e, monkeypatch)  # noqa: E731
        code, err = deliver(project, state, env, run)
        assert code == 3, err  # records left open
        assert lost.injected["stored_but_lost"] >= 12
        first = outcome(sb)
        assert len(first["history"]) == 4 and not first["documents"] and not first["cancelled"]
        assert _ledger(state) == {"reserving": 12}
        sb.sim("sage100").faults = None
        code, err = deliver(project, state, env, run)
        assert code == 0, err
        got = outcome(sb)
        _settled(got, confirmed=4, cancelled=8)
        assert got["history"] == first["history"]  # the held ones answered again, nothing more reserved
        assert _ledger(state) == {"acked": 4, "refused": 8}


def test_a_sage_that_cannot_answer_leaves_the_orders_waiting(tmp_path, monkeypatch):
    """Reservations answered 503 to the end of the attempts: nothing reserved, nothing cancelled, nothing
    created, every order still `reserving`; once Sage answers, the race ends as it should."""
    project, state = project_copy(tmp_path, concurrency=4), tmp_path / "state"
    down = Faults(error_rate=1.0, statuses=(503,), methods=("POST",), path_contains="Reservations")
    with race(orders=4, stock=2, latency_ms=0, faults=down) as (sb, env, ids):
        run = lambda argv, e: cli(argv, e, monkeypatch)  # noqa: E731
        code, err = deliver(project, state, env, run)
        assert code == 3 and "reservation without an answer" in err, err
        first = outcome(sb)
        assert not first["history"] and not first["documents"] and not first["cancelled"] and not first["told"]
        assert _ledger(state) == {"reserving": 4}
        sb.sim("sage100").faults = None
        code, err = deliver(project, state, env, run)
        assert code == 0, err
        _settled(outcome(sb), confirmed=2, cancelled=2)


@pytest.mark.slow
def test_sigkill_with_reservations_in_flight(tmp_path):
    """`passerelle run` killed again and again while 4 reservations are in flight, then a run to the end:
    10 reserved (each once), 10 documents, 30 cancelled and told, every order final."""
    project, state = project_copy(tmp_path, concurrency=4), tmp_path / "state"
    with race(orders=40, stock=10, latency_ms=25) as (sb, env, ids):
        hits = sum(kill_repeatedly(project, state, env, kills=1, seed=1512 + n, window=(1.2, 2.4)) for n in range(4))
        assert hits >= 1
        done = run_cli(project, state, env)
        assert done.returncode == 0, done.stderr[-2000:]
        got = outcome(sb)
        _settled(got, confirmed=10, cancelled=30)
        assert sorted(got["held"]) == sorted(f"WC-{oid}" for oid in got["confirmed"])
        assert _ledger(state) == {"acked": 10, "refused": 30}


def test_a_refusal_note_that_fails_is_listed_and_sent_by_the_next_run(tmp_path, monkeypatch):
    """The shop refuses the customer notes for a while: the refused orders are cancelled, stay `refusing`
    (listed by `failures` as a refusal to write back, not as failures) and the next run sends the notes
    alone — each order cancelled once, told once."""
    project, state = project_copy(tmp_path, concurrency=2), tmp_path / "state"
    with race(orders=3, stock=1, latency_ms=0) as (sb, env, ids):
        shop = sb.sim("woocommerce")
        shop.faults = Faults(error_rate=1.0, statuses=(503,), methods=("POST",), path_contains="/notes")  # every note
        run = lambda argv, e: cli(argv, e, monkeypatch)  # noqa: E731
        code, err = deliver(project, state, env, run)
        assert code == 3 and "2 refused, 1 acknowledgements to retry" in err, err  # the reserved order's note too
        first = outcome(sb)
        assert len(first["cancelled"]) == 2 and not first["told"]
        assert _ledger(state) == {"done": 1, "refusing": 2}
        code, out, err = run(["failures", str(project), "--state", str(state)], env)
        assert code == 0 and out.count("warning[refusal]") == 2 and "0 available, 1 asked" in out, out
        assert "0 record(s) set aside, 1 with an acknowledgement to retry (next run), 2 refusal(s) still to write " \
            "back" in err, err
        shop.faults = None
        updates = [r for r in shop.requests if r[0] == "PUT"]
        assert len(updates) == 3  # two cancellations, the reserved order's `_sage_piece`
        code, err = deliver(project, state, env, run)
        assert code == 0, err
        got = outcome(sb)
        assert got["told"] == got["cancelled"] == first["cancelled"]
        assert all(len([n for n in got["notes"][oid] if n["customer_note"]]) == 1 for oid in got["cancelled"])
        assert _ledger(state) == {"acked": 1, "refused": 2}
        assert [r for r in shop.requests if r[0] == "PUT"] == updates  # the cancellations were not sent again
