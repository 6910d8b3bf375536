"""Webhooks (issue 15): webhook → Sage document latency under a steady load, and the intake rate against a
bare endpoint, side by side.

1. **Latency**: the WooCommerce <-> Sage 100 example, its orders flow taking order webhooks, served by
   ``passerelle serve --listen`` (a subprocess) against the WooCommerce and Sage 100 simulators (in this
   process). New paid orders are made in the shop, then one signed ``order.created`` webhook per order is
   POSTed at ``--rate`` per second (open loop: each at its planned instant) for ``--seconds``; latency is
   from just before the POST to serve's ``record_created`` log line of that order (the Sage simulator
   answered with the piece number). Prints p50/p99/max, the rate sent and the rate created, and checks
   each order is exactly once in Sage.
2. **Intake rate**: POSTs answered per second by ``--clients`` concurrent keep-alive clients for
   ``--intake-seconds``, against (a) the intake of ``serve`` (signature over the raw body, delivery id,
   committed to the queue in the state database before the 200 — the processing thread not started) and
   (b) a bare Starlette route on uvicorn that only INSERTs the body into the same kind of SQLite database
   (WAL, synchronous=NORMAL) — each in its own child process, alternating over ``--rounds``. Judged on
   requests answered per CPU second of the server (its own CPU time, read with ``getrusage``: on a shared
   machine the wall-clock rate is bound by the load and the client, and varies several-fold between
   rounds); the median ratio must be ≥ 0.7. The wall-clock rates are printed too.
3. With ``--amqp`` (Debian's ``rabbitmq-server`` installed): (c) the same intake publishing to RabbitMQ
   (``webhook_queue``: durable queue, persistent messages, the 200 after the publisher confirm) — a broker
   started for the run as the tests start theirs (tests/rabbitmq_support.py) — measured in the same
   rounds, its ratio to the bare endpoint printed (not judged: the broker's own CPU is not the server's,
   and the confirm's round trip is the point).

    .venv/bin/python bench/webhooks.py [--seconds 60] [--rate 50] [--intake-seconds 5] [--clients 16] [--rounds 3] [--amqp] [--strict]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "sandbox"), str(ROOT / "tests"), str(ROOT / "tests" / "runtime")]

import httpx  # noqa: E402

from webhook_support import Serve, order_body, webhook_project, woo_env, woo_headers  # noqa: E402

FLOW = "orders_to_sage"
TARGET = 0.7


def _orders(shop, count: int) -> list[int]:
    from passerelle_sandbox.woo_create import create_order

    sku = next(iter(shop.orders.values()))["line_items"][0]["sku"]
    made = []
    with shop.lock:
        for n in range(count):
            made.append(create_order(shop, {"customer_id": 0, "set_paid": True, "payment_method": "bacs",
                                            "billing": {"first_name": "Bench", "last_name": f"N{n}",
                                                        "email": f"b{n}@x.test", "country": "FR"},
                                            "line_items": [{"sku": sku, "quantity": 1}]}, shop.clock())["id"])
    return made


def latency(seconds: float, rate: float) -> dict:
    from passerelle_sandbox import Sandbox, generate
    from passerelle_sandbox.templates import prepare

    tmp = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    try:
        with Sandbox(systems=("woocommerce", "sage100"), dataset=generate(seed=1, orders=3, cases=False),
                     options={"woocommerce": {"line_price": "total"},
                              "sage100": {"special_articles": ("PORT", "REMISE", "FRAIS")}}) as sb:
            prepare(sb)
            serve = Serve(webhook_project(tmp), tmp / "state", woo_env(sb))
            try:
                serve.wait_for("flow_summary")
                shop = sb.sim("woocommerce")
                ids = _orders(shop, int(seconds * rate))
                bodies = [order_body(shop, oid) for oid in ids]
                sent: dict[str, float] = {}
                answers: list[int] = []
                start = time.monotonic() + 0.2

                def sender(offset: int, step: int) -> None:
                    with httpx.Client(timeout=30) as client:
                        for i in range(offset, len(ids), step):
                            delay = start + i / rate - time.monotonic()
                            if delay > 0:
                                time.sleep(delay)
                            sent[str(ids[i])] = time.time()
                            answers.append(client.post(f"{serve.url}/webhooks/{FLOW}", content=bodies[i],
                                                       headers=woo_headers(bodies[i])).status_code)

                threads = [threading.Thread(target=sender, args=(k, 4)) for k in range(4)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                sending = time.monotonic() - start
                serve.wait_for("record_created", count=len(ids) + 3, timeout=seconds * 10 + 60)
            finally:
                serve.stop()
            created = {e["key"]: e["ts"] for e in serve.events if e["event"] == "record_created" and e["key"] in sent}
            refs = [d["Reference"] for d in sb.sim("sage100").documents]
            once = all(refs.count(f"WC-{oid}") == 1 for oid in ids)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    waits = sorted(created[key] - sent[key] for key in created)
    last = max(created.values()) - min(sent.values())
    return {"orders": len(ids), "answered_200": answers.count(200), "sent_rate": len(ids) / sending,
            "created_rate": len(created) / last, "p50_ms": 1000 * statistics.median(waits),
            "p99_ms": 1000 * waits[min(len(waits) - 1, int(len(waits) * 0.99))], "max_ms": 1000 * waits[-1],
            "once": once and len(created) == len(ids)}


# -- intake rate: the servers, each in a child process ------------------------------------------------
def serve_intake(state: Path, project: Path) -> None:
    from engine.runtime.session import Session
    from engine.runtime.webhook_intake import Intake
    from engine.web.server import Server, build_app
    from engine.web.webhooks import webhook_routes

    env = {"ACME_WC_URL": "http://127.0.0.1:9", "ACME_WC_KEY": "ck", "ACME_WC_SECRET": "cs",
           "ACME_WC_HOOK_SECRET": os.environ["BENCH_SECRET"], "ACME_SAGE_URL": "http://127.0.0.1:9",
           "ACME_SAGE_TOKEN": "t"}
    session = Session(project, state_dir=state, environ=env)
    broker = None
    if os.environ.get("BENCH_AMQP_URL"):
        from engine.runtime.amqp_queue import AmqpSettings, Publisher
        from engine.spec.env import Secret

        broker = Publisher(AmqpSettings(Secret(os.environ["BENCH_AMQP_URL"]), f"bench.{os.getpid()}"))
    options = {"broker": broker} if broker is not None else {}  # (none: the same call as before RabbitMQ)
    intake = Intake(session.live.current, session.state.events(), environ=env, **options)
    _run(build_app(webhook_routes(intake)), broker.close if broker is not None else None)


def serve_bare(state: Path) -> None:
    import sqlite3
    import uuid

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    state.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(state / "state.db"), check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS bodies (id TEXT PRIMARY KEY, body TEXT, received_at REAL)")
    lock = threading.Lock()

    async def receive(request: Request) -> JSONResponse:
        body = await request.body()
        with lock:
            db.execute("INSERT INTO bodies VALUES (?, ?, ?)", (uuid.uuid4().hex, body.decode(), time.time()))
        return JSONResponse({"ok": True})

    _run(Starlette(routes=[Route("/webhooks/{flow}", receive, methods=["POST"])]))


def _cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _run(app, closing=None) -> None:
    from engine.web.server import Server

    server = Server(app, "127.0.0.1", 0)
    server.start()
    print(server.port, flush=True)
    start = _cpu()
    sys.stdin.read()  # until the parent closes it
    print(_cpu() - start, flush=True)  # the CPU the server spent answering
    if closing is not None:
        closing()  # the broker's connection, on the server's loop while it runs
    server.stop()


async def _hammer(url: str, body: bytes, seconds: float, clients: int) -> int:
    done = 0
    counter = 0
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=clients)) as client:
        async def one() -> None:
            nonlocal done, counter
            while time.monotonic() < deadline:
                counter += 1
                answer = await client.post(url, content=body, headers=woo_headers(body, webhook_id=counter))
                done += answer.status_code == 200 and "queued" in answer.text or answer.text == '{"ok":true}'
        await asyncio.gather(*(one() for _ in range(clients)))
    return done


def intake_rate(kind: str, project: Path, body: bytes, seconds: float, clients: int,
                amqp_url: str = "") -> tuple[float, float]:
    """(answered per second of wall time, answered per CPU second of the server)."""
    state = Path(tempfile.mkdtemp(prefix=f"bench-intake-{kind}-"))
    child = subprocess.Popen([sys.executable, __file__, "--server", kind, "--state", str(state), "--project",
                              str(project)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "BENCH_SECRET": "whsec1234567890abcdef", "BENCH_AMQP_URL": amqp_url},
                             cwd=ROOT)
    try:
        port = int(child.stdout.readline())
        url = f"http://127.0.0.1:{port}/webhooks/{FLOW}"
        warm = asyncio.run(_hammer(url, body, 0.5, clients))
        done = asyncio.run(_hammer(url, body, seconds, clients))
        child.stdin.close()
        cpu = float(child.stdout.readline())
        return done / seconds, (warm + done) / cpu
    finally:
        if not child.stdin.closed:
            child.stdin.close()
        child.wait(timeout=30)
        shutil.rmtree(state, ignore_errors=True)


def _broker():
    """A RabbitMQ broker for the run (tests/rabbitmq_support.py), or None when it is not installed."""
    import rabbitmq_support

    if rabbitmq_support.tool("rabbitmq-server") is None:
        print("--amqp: rabbitmq-server is not installed, the RabbitMQ intake is not measured")
        return None
    return rabbitmq_support.start_broker()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--intake-seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--strict", action="store_true", help="exit 1 when the intake target is missed")
    parser.add_argument("--amqp", action="store_true", help="also the intake publishing to RabbitMQ")
    parser.add_argument("--server", choices=("intake", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--state", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--project", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.server == "intake":
        serve_intake(args.state, args.project)
        return 0
    if args.server == "bare":
        serve_bare(args.state)
        return 0
    print(f"load: {open('/proc/loadavg').read().strip()}")
    found = latency(args.seconds, args.rate)
    print(f"latency: {found['orders']} webhooks over {args.seconds:.0f} s, sent at {found['sent_rate']:.1f}/s "
          f"(all answered 200: {found['answered_200'] == found['orders']}); Sage documents created at "
          f"{found['created_rate']:.1f}/s; webhook -> Sage document p50 {found['p50_ms']:.0f} ms, "
          f"p99 {found['p99_ms']:.0f} ms, max {found['max_ms']:.0f} ms; each order exactly once: {found['once']}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    broker = _broker() if args.amqp else None
    try:
        from passerelle_sandbox import Sandbox, generate

        project = webhook_project(tmp)
        with Sandbox(systems=("woocommerce",), dataset=generate(seed=1, orders=3, cases=False)) as sb:
            shop = sb.sim("woocommerce")
            body = order_body(shop, next(iter(shop.orders)))
        ratios, walls = [], []
        for n in range(args.rounds):
            intake, intake_cpu = intake_rate("intake", project, body, args.intake_seconds, args.clients)
            bare, bare_cpu = intake_rate("bare", project, body, args.intake_seconds, args.clients)
            ratios.append(intake_cpu / bare_cpu)
            walls.append(intake / bare)
            print(f"intake round {n + 1}: serve's intake {intake:.0f}/s wall, {intake_cpu:.0f} per server CPU second; "
                  f"bare uvicorn + SQLite insert {bare:.0f}/s wall, {bare_cpu:.0f} per server CPU second; ratio "
                  f"{intake_cpu / bare_cpu:.2f} (wall {intake / bare:.2f})")
            if broker is not None:
                amqp, amqp_cpu = intake_rate("intake", project, body, args.intake_seconds, args.clients, broker.url)
                print(f"  with RabbitMQ (publisher confirms): {amqp:.0f}/s wall, {amqp_cpu:.0f} per server CPU "
                      f"second; ratio to bare {amqp_cpu / bare_cpu:.2f} (wall {amqp / bare:.2f}), to the store's "
                      f"intake {amqp_cpu / intake_cpu:.2f} (wall {amqp / intake:.2f})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if broker is not None:
            broker.stop()
    ratio = statistics.median(ratios)
    ok = ratio >= TARGET and found["once"]
    print(f"target intake >= {TARGET}x the bare endpoint (answered per server CPU second, the wall rate being "
          f"bound by the shared machine and the client): median {ratio:.2f}x {'met' if ok else 'MISSED'} "
          f"(wall-rate ratio median {statistics.median(walls):.2f}); load after: {open('/proc/loadavg').read().strip()}")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
