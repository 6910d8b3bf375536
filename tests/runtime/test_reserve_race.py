"""The last-item race (issue 15): 50 orders at once for the last 10 items. The orders flow reserves
each order's goods in Sage before its document (`reserve`), 8 reservations in flight: exactly 10 are
reserved, each becomes one Sage document and is confirmed in the shop; the 40 others are cancelled in
the shop with a customer note saying why, and no document is created for them. Sage's available stock
ends at 0 and was never negative; every order is final in the ledger; a second delivery changes nothing."""
from __future__ import annotations

import sqlite3
import time

import pytest

from reserve_support import SKU, deliver, deliver_by_webhooks, ledger, outcome, place, project_copy, race
from runtime_support import cli
from webhook_support import SECRET, Serve


def test_fifty_orders_for_the_last_ten_items(tmp_path, monkeypatch):
    project, state = project_copy(tmp_path, concurrency=8), tmp_path / "state"
    with race(orders=50, stock=10, latency_ms=15) as (sb, env, ids):
        code, err = deliver(project, state, env, lambda argv, e: cli(argv, e, monkeypatch))
        assert code == 0, err
        assert "orders_to_sage: 50 read, 10 created" in err and "40 refused" in err, err
        got = outcome(sb)
        assert sb.sim("sage100").most_in_flight >= 3  # the reservations really overlapped
        assert len(got["confirmed"]) == 10 and len(got["cancelled"]) == 40
        assert got["confirmed"] | got["cancelled"] == set(ids) and not got["confirmed"] & got["cancelled"]
        assert got["told"] == got["cancelled"]  # each cancelled order has its customer note, the others none
        for oid in got["cancelled"]:
            (note,) = [n for n in got["notes"][oid] if n["customer_note"]]
            assert f"(article {SKU}: 0 available, 1 asked)" in note["note"], note  # Sage's words
            assert "http" not in note["note"] and "409" not in note["note"], note  # not the request's
        assert got["available"] == 0 and got["never_negative"] and len(got["history"]) == 10
        assert sorted(got["documents"]) == sorted(f"WC-{oid}" for oid in got["confirmed"])  # none for a refusal
        assert got["held"] == sorted(f"WC-{oid}" for oid in got["confirmed"])
        ledger = dict(sqlite3.connect(state / "state.db").execute(
            "SELECT status, COUNT(*) FROM ledger WHERE flow = 'orders_to_sage' GROUP BY status").fetchall())
        assert ledger == {"acked": 10, "refused": 40}  # no order lost, every one final

        # delivered again (a second poll, a replayed webhook): nothing reserved, created or written twice
        code, err = deliver(project, state, env, lambda argv, e: cli(argv, e, monkeypatch))
        assert code == 0, err
        again = outcome(sb)
        assert again["history"] == got["history"] and again["documents"] == got["documents"]
        assert again["notes"] == got["notes"] and again["cancelled"] == got["cancelled"]


def test_a_live_dry_run_shows_the_reservation_before_the_document(tmp_path, monkeypatch):
    project = project_copy(tmp_path, concurrency=8)
    with race(orders=2, stock=1, latency_ms=0) as (sb, env, ids):
        code, out, err = cli(["dry-run", str(project), "--flow", "orders_to_sage", "--limit", "2"], env, monkeypatch)
        assert code == 0, err
        assert out.count("StockService/rest/Reservations") == 2, out
        assert out.index("StockService/rest/Reservations") < out.index("InsertDocumentEtLignes"), out
        assert '"Reference":"WC-' in out and '"RefArticle":"LIVRE-003"' in out, out
        got = outcome(sb)
        assert not got["history"] and not got["documents"] and not got["cancelled"]  # nothing sent


@pytest.mark.slow
def test_fifty_orders_by_webhook_for_the_last_ten_items(tmp_path):
    """The same race, the orders pushed to `serve --listen` as WooCommerce's signed webhooks, 16 at once,
    shuffled, 12 of them twice and 8 with an older state after a newer one: still exactly 10 confirmed,
    40 cancelled and told, the available stock 0 and never negative, every order final."""
    project, state = project_copy(tmp_path, concurrency=8, webhooks=True), tmp_path / "state"
    with race(orders=0, stock=10, latency_ms=15) as (sb, env, _):
        serve = Serve(project, state, {**env, "ACME_WC_HOOK_SECRET": SECRET})
        try:
            serve.wait_for("flow_summary")  # the first poll found nothing: what follows comes by webhook
            ids = place(sb, 50)
            sent = deliver_by_webhooks(sb, serve, ids, twice=12, stale=8)
            assert {status for _, status in sent["answered"]} == {200} and len(sent["answered"]) == 70
            deadline = time.monotonic() + 120
            while sum(ledger(state).get(s, 0) for s in ("acked", "refused")) < 50:
                assert time.monotonic() < deadline, (ledger(state), "".join(serve.lines[-30:]))
                time.sleep(0.1)
            serve.wait_for("webhook_duplicate", count=12)  # the log is read in a thread, behind the answers
            assert len([e for e in serve.events if e.get("event") == "webhook_duplicate"]) == 12
            serve.wait_for("webhook_done", count=50)  # every order's newest state settled, once
            assert len([e for e in serve.events if e.get("event") == "webhook_stale"]) == 8  # the older ones
            assert sb.sim("sage100").most_in_flight >= 2  # the reservations of a batch of events overlapped
        finally:
            serve.stop()
        got = outcome(sb)
        assert len(got["confirmed"]) == 10 and len(got["cancelled"]) == 40 and got["told"] == got["cancelled"]
        assert got["confirmed"] | got["cancelled"] == set(ids)
        assert got["available"] == 0 and got["never_negative"] and len(got["history"]) == 10
        assert sorted(got["documents"]) == sorted(f"WC-{oid}" for oid in got["confirmed"])
        assert all(len([n for n in got["notes"][oid] if n["customer_note"]]) == 1 for oid in got["cancelled"])
        assert ledger(state) == {"acked": 10, "refused": 40}
