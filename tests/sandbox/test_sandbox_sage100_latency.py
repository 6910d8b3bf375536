"""Sage 100 simulator with ``latency_ms``: every answer after the delay, concurrent requests waiting side
by side (the delay is outside the simulator's lock), each document stored once with its own piece number."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from passerelle_sandbox import Sandbox
from sandbox_helpers import INSERT, order_body, sage_client


def test_concurrent_inserts_overlap_and_each_is_stored_once() -> None:
    with Sandbox(systems=("sage100",), options={"sage100": {"latency_ms": 250}}) as sb:
        clients = [sage_client(sb) for _ in range(4)]
        try:
            with ThreadPoolExecutor(4) as pool:
                answers = list(pool.map(lambda i: clients[i % 4].post(INSERT, json=order_body(f"PS_{i}")), range(8)))
        finally:
            for client in clients:
                client.close()
        sim = sb.sim("sage100")
        assert all(a.status_code == 200 for a in answers)
        pieces = [a.json()["InsertDocumentEtLignesResult"] for a in answers]
        assert sorted(pieces) == [f"BC{i:05d}" for i in range(1, 9)]  # one piece each, no number given twice
        assert sorted(d["Reference"] for d in sim.documents) == sorted(f"PS_{i}" for i in range(8))
        assert sim.most_in_flight >= 2 and sim.in_flight == 0


def test_latency_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="latency_ms"):
        Sandbox(systems=("sage100",), options={"sage100": {"latency_ms": -1}}).start()
