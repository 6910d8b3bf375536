"""Fault injection, shared by both simulators: each kind observed with a fixed seed."""
from __future__ import annotations

import time

import httpx
import pytest

from passerelle_sandbox import Faults, Sandbox
from sandbox_helpers import INSERT, order_body, ps_client, sage_client

HISTORY = ("<prestashop><order_history><id_order>1042</id_order><id_order_state>14</id_order_state>"
           "</order_history></prestashop>")


def _outcomes(client: httpx.Client, path: str, n: int) -> list[object]:
    out: list[object] = []
    for _ in range(n):
        try:
            out.append(client.get(path).status_code)
        except httpx.TransportError as exc:
            out.append(type(exc).__name__)
    return out


def test_error_statuses_and_determinism(fresh: Sandbox) -> None:
    sim = fresh.sim("prestashop")
    runs = []
    for _ in range(2):
        sim.faults = Faults(error_rate=0.5, statuses=(500, 502, 503), seed=11)
        with ps_client(fresh) as client:
            runs.append(_outcomes(client, "orders/1042", 30))
    assert runs[0] == runs[1]
    assert {500, 502, 503} <= set(runs[0]) and 200 in runs[0]
    assert sim.faults.injected["error"] == sum(1 for s in runs[1] if s != 200)


def test_429_with_retry_after(fresh: Sandbox) -> None:
    fresh.sim("sage100").faults = Faults(rate_429=1.0, retry_after=2, seed=1)
    with sage_client(fresh) as client:
        response = client.get("TiersService/rest/Clients")
        assert response.status_code == 429 and response.headers["Retry-After"] == "2"
    fresh.sim("sage100").faults = None
    with sage_client(fresh) as client:
        assert client.get("TiersService/rest/Clients").status_code == 200


def test_latency(fresh: Sandbox) -> None:
    fresh.sim("prestashop").faults = Faults(latency_ms=150)
    with ps_client(fresh) as client:
        started = time.perf_counter()
        assert client.get("orders/1042").status_code == 200
        assert time.perf_counter() - started >= 0.15


def test_connection_reset_does_not_apply_the_request(fresh: Sandbox) -> None:
    sim = fresh.sim("prestashop")
    sim.faults = Faults(reset_rate=1.0, seed=2, limit=1)
    with ps_client(fresh) as client:
        with pytest.raises(httpx.TransportError):
            client.post("order_histories", content=HISTORY)
        assert sim.orders[1042]["current_state"] == 2
        assert client.post("order_histories", content=HISTORY).status_code == 201  # limit reached: served
    assert sim.faults.injected == {"reset": 1}


def test_truncated_body(fresh: Sandbox) -> None:
    fresh.sim("prestashop").faults = Faults(truncate_rate=1.0, seed=3)
    with ps_client(fresh) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("orders", params={"display": "full"})


def test_stored_but_lost_reply_for_writes(fresh: Sandbox) -> None:
    sage = fresh.sim("sage100")
    sage.faults = Faults(stored_but_lost_rate=1.0, seed=4)
    with sage_client(fresh) as client:
        assert client.get("TiersService/rest/Clients/WEB000056").status_code == 200  # reads are not affected
        with pytest.raises(httpx.TransportError):
            client.post(INSERT, json=order_body("PS_1042"))
    assert [d["Reference"] for d in sage.documents] == ["PS_1042"]  # stored although the reply was lost
    sage.faults = None
    with sage_client(fresh) as client:
        found = client.get("DocumentService/rest/Documents", params={"Reference": "PS_1042"}).json()
        assert [d["NumeroDocument"] for d in found] == ["BC00001"]
    ps = fresh.sim("prestashop")
    ps.faults = Faults(stored_but_lost_rate=1.0, seed=4)
    with ps_client(fresh) as client:
        with pytest.raises(httpx.TransportError):
            client.post("order_histories", content=HISTORY)
    assert ps.orders[1042]["current_state"] == 14


def test_every_kind_with_one_seed_on_mixed_traffic(fresh: Sandbox) -> None:
    faults = Faults(error_rate=0.1, rate_429=0.1, reset_rate=0.1, truncate_rate=0.1, stored_but_lost_rate=0.3,
                    seed=5)
    fresh.sim("sage100").faults = faults
    with sage_client(fresh) as client:
        for i in range(60):
            try:
                if i % 2:
                    client.post(INSERT, json=order_body(f"PS_{i}"))
                else:
                    client.get("ArticleService/rest/Articles")
            except httpx.TransportError:
                pass
    assert set(faults.injected) == {"error", "429", "reset", "truncate", "stored_but_lost"}


def test_faults_can_target_methods_or_paths(fresh: Sandbox) -> None:
    fresh.sim("prestashop").faults = Faults(error_rate=1.0, statuses=(503,), methods=("POST",))
    with ps_client(fresh) as client:
        assert client.get("orders/1042").status_code == 200
        assert client.post("order_histories", content=HISTORY).status_code == 503
    fresh.sim("prestashop").faults = Faults(error_rate=1.0, statuses=(502,), path_contains="/api/customers")
    with ps_client(fresh) as client:
        assert client.get("orders/1042").status_code == 200
        assert client.get("customers/56").status_code == 502


def test_faults_validate_their_arguments() -> None:
    with pytest.raises(ValueError):
        Faults(error_rate=1.5)
    with pytest.raises(ValueError):
        Faults(statuses=())
    assert "error_rate=0.2" in repr(Faults(error_rate=0.2))


def test_sandbox_wide_faults_apply_to_each_system() -> None:
    with Sandbox(orders=2, faults={"sage100": Faults(error_rate=1.0, statuses=(500,))}) as sb:
        with sage_client(sb) as sage, ps_client(sb) as ps:
            assert sage.get("TiersService/rest/Clients").status_code == 500
            assert ps.get("orders/1042").status_code == 200
