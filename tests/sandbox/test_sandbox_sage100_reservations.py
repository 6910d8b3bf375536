"""Sage 100 simulator, stock reservations (sage_reservations.py): every line or none, refused with 409
InsufficientStock naming each article lacking stock, idempotent by reference, atomic under concurrent
requests (the available stock never goes below 0)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx

from passerelle_sandbox import Sandbox
from passerelle_sandbox.sage_reservations import available
from sandbox_helpers import sage_client

ROUTE = "StockService/rest/Reservations"


def _lines(*pairs) -> list:
    return [{"RefArticle": ref, "Quantite": qty} for ref, qty in pairs]


def test_every_line_or_none(sage: httpx.Client, fresh: Sandbox) -> None:
    sim = fresh.sim("sage100")
    sim.set_stock("MUG-CLASSIC", 3)
    sim.set_stock("LIVRE-003", 1)
    short = sage.post(ROUTE, json={"Reference": "WC-1", "Lignes": _lines(("MUG-CLASSIC", 2), ("LIVRE-003", 1),
                                                                        ("LIVRE-003", 1))})
    assert short.status_code == 409
    body = short.json()
    assert body["Code"] == "InsufficientStock" and body["Field"] == "Lignes[1].Quantite"
    assert body["Message"] == "article LIVRE-003: 1 available, 2 asked"  # the lines of one article summed
    assert available(sim, "MUG-CLASSIC") == 3 and available(sim, "LIVRE-003") == 1  # nothing held
    done = sage.post(ROUTE, json={"Reference": "WC-2", "Lignes": _lines(("MUG-CLASSIC", 2), ("LIVRE-003", 1))})
    assert done.status_code == 200 and done.json()["Reference"] == "WC-2"
    assert available(sim, "MUG-CLASSIC") == 1 and available(sim, "LIVRE-003") == 0
    assert sim.articles["MUG-CLASSIC"]["QteStock"] == 3  # a reservation moves the reserved stock only
    assert [r["Reference"] for r in sage.get(ROUTE, params={"reference": "wc-2"}).json()] == ["WC-2"]


def test_the_same_reference_is_held_once(sage: httpx.Client, fresh: Sandbox) -> None:
    sim = fresh.sim("sage100")
    sim.set_stock("MUG-CLASSIC", 2)
    first = sage.post(ROUTE, json={"Reference": "WC-7", "Lignes": _lines(("MUG-CLASSIC", 2))})
    again = sage.post(ROUTE, json={"Reference": "WC-7", "Lignes": _lines(("MUG-CLASSIC", 2))})
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert available(sim, "MUG-CLASSIC") == 0 and len(sim.reservations.history) == 1


def test_what_is_not_a_reservation_is_rejected_with_why(sage: httpx.Client, fresh: Sandbox) -> None:
    answers = [sage.post(ROUTE, json=body) for body in (
        {"Lignes": _lines(("MUG-CLASSIC", 1))}, {"Reference": "WC-8", "Lignes": []},
        {"Reference": "WC-8", "Lignes": _lines(("NOPE", 1))}, {"Reference": "WC-8", "Lignes": _lines(("MUG-CLASSIC", 0))})]
    assert [(a.status_code, a.json()["Code"], a.json()["Field"]) for a in answers] == [
        (400, "MissingField", "Reference"), (400, "MissingField", "Lignes"),
        (400, "UnknownArticle", "Lignes[0].RefArticle"), (400, "InvalidValue", "Lignes[0].Quantite")]
    assert fresh.sim("sage100").reservations.history == []
    assert sage.put(ROUTE, json={}).status_code == 405


def test_concurrent_reservations_never_oversell() -> None:
    # 40 ms per answer: the 16 clients' requests overlap even on a loaded machine (at 5 ms, under a full
    # `make test` on 2 cores, only 2 were once in flight at the same time)
    with Sandbox(seed=1, orders=1, options={"sage100": {"latency_ms": 40}}) as sb:
        sim = sb.sim("sage100")
        sim.set_stock("LIVRE-003", 10)

        def reserve(n: int) -> int:
            with sage_client(sb) as client:
                return client.post(ROUTE, json={"Reference": f"WC-{n}", "Lignes": _lines(("LIVRE-003", 1))}).status_code

        with ThreadPoolExecutor(16) as pool:
            codes = list(pool.map(reserve, range(50)))
        assert sorted(codes) == [200] * 10 + [409] * 40
        assert sim.most_in_flight >= 4  # the requests really overlapped
        assert available(sim, "LIVRE-003") == 0
        assert all(after >= Decimal(0) for _, _, after in sim.reservations.history)
