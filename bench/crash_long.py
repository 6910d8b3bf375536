"""The long crash test: hundreds of SIGKILLs of `passerelle run`, then a final run; exactly once holds.

The example project is copied to a temporary folder; the PrestaShop and Sage 100 simulators run in
this process with latency (Sage 4 ms, PrestaShop 1 ms per request, as in
tests/runtime/test_crash.py). Then K times (``--kills``, default 200):
start ``python -m engine run PROJECT --flow orders_to_sage --state DIR --log-format json`` as a
child process and SIGKILL it, alternately

* at a random point of the write phase: once the Sage simulator holds 1..8 more documents than when
  the process started, plus 0..6 ms, so the kill falls between the Sage insert, the ledger updates
  and the acknowledgement of an order (or after 5 s if it gets no further);
* every other kill at a random time instead, 0.02..2 s after the start (or after 30 new documents):
  those land anywhere, from interpreter start-up and plan loading through resuming, reading the
  order pages and fetching related data, to the first writes (a run reaches its first Sage insert
  about 0.4 s after it starts).

Each round starts ``--runners`` processes at once (default 2; the second and later with ``--wait 1``):
the leases let one of them work on the flow, the others wait or stop (exit 4); every process still
running after the round's kill is killed too, a little later. Every fourth round is an outage: Sage
loses the reply of 30 % of its inserts (the document is stored) and answers 503 to the searches by
reference, so the runs must hold orders pending rather than send them again.

After every kill the script checks that no order has two Sage documents and reads the ledger (the
SQLite file left behind): how many entries the kill left ``pending`` (intent committed, outcome
unknown: the next run must look the document up before creating) or ``done`` (created, not yet
acknowledged). Then a normal run, which must exit 0, and the assertions: every eligible order exists
exactly once in Sage, every one is acknowledged in the shop (state "Exported to ERP"), and the
ledger holds every one as ``acked``.

    .venv/bin/python bench/crash_long.py [--kills 200] [--runners 2] [--orders N] [--seed 1] [--strict]

Default N = max(300, 4 x kills), so the kills keep finding work. ``--kills 20`` is a quick check
(about 20 s); the default takes a few minutes. Exit status 1 on any failed check (always, with or
without ``--strict``, which is accepted for symmetry with the other benchmarks).
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path[1:1] = [str(ROOT / "tests"), str(ROOT / "tests" / "runtime")]

from crash_support import Either, run_cli  # noqa: E402  (the final run, as tests/runtime/test_crash.py does it)

from passerelle_sandbox import Faults, Sandbox, generate  # noqa: E402

EXAMPLE = ROOT / "specs" / "examples" / "prestashop-sage100"
FLOW = "orders_to_sage"
EXPORTED_STATE = 14


def env_for(sb: Sandbox) -> dict:
    return {"ACME_PS_URL": sb.url("prestashop"), "ACME_PS_KEY": sb.credentials("prestashop")["key"],
            "ACME_SAGE_URL": sb.url("sage100"), "ACME_SAGE_TOKEN": sb.credentials("sage100")["token"]}


def references(sb: Sandbox) -> Counter:
    return Counter(doc["Reference"] for doc in list(sb.sim("sage100").documents))


def exported(sb: Sandbox) -> set[int]:
    return {int(h["id_order"]) for h in list(sb.sim("prestashop").order_histories)
            if int(h["id_order_state"]) == EXPORTED_STATE}


def ledger(state: Path) -> Counter:
    path = state / "state.db"
    if not path.exists():
        return Counter()
    db = sqlite3.connect(str(path), timeout=30)
    try:
        return Counter(dict(db.execute("SELECT status, COUNT(*) FROM ledger WHERE flow = ? GROUP BY status",
                                       (FLOW,)).fetchall()))
    except sqlite3.OperationalError:  # killed before the tables were created
        return Counter()
    finally:
        db.close()


def start_run(project: Path, state: Path, env: dict, wait: float = 0.0) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "engine", "run", str(project), "--flow", FLOW,
                             "--state", str(state), "--log-format", "json", "--wait", str(wait)], cwd=ROOT,
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def outage(seed: int) -> Either:
    """Lost replies on 30 % of the inserts (stored anyway) and every search by reference answering 503."""
    return Either(Faults(stored_but_lost_rate=0.3, methods=("POST",), seed=seed),
                  Faults(error_rate=1.0, statuses=(503,), methods=("GET",), path_contains="Documents", seed=seed + 1),
                  Faults(latency_ms=4, seed=seed + 2))


def kill_once(process: subprocess.Popen, sb: Sandbox, rng: random.Random, timed: bool) -> dict:
    """SIGKILL once the Sage simulator holds 1..8 more documents (+0..6 ms); a timed kill instead at a
    random time 0.02..2 s after the start (or after 30 new documents, whichever comes first)."""
    documents = sb.sim("sage100").documents
    before = len(documents)
    started = time.perf_counter()
    cap = before + (30 if timed else rng.randint(1, 8))
    extra = rng.uniform(0.0, 0.006)
    deadline = started + (rng.uniform(0.02, 2.0) if timed else 5.0)
    while process.poll() is None and len(documents) < cap and time.perf_counter() < deadline:
        time.sleep(0.0005)
    by_progress = len(documents) >= cap
    if by_progress:
        time.sleep(extra)
    hit = process.poll() is None
    if hit:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    return {"hit": hit, "after_s": time.perf_counter() - started, "created": len(documents) - before,
            "mode": "progress" if by_progress else "time"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=200, help="SIGKILLs (default 200; 20 for a quick check)")
    parser.add_argument("--runners", type=int, default=2, help="processes started at once each round (default 2)")
    parser.add_argument("--orders", type=int, default=None, help="orders in the shop (default max(300, 4 x kills))")
    parser.add_argument("--seed", type=int, default=1, help="data set and kill-timing seed")
    parser.add_argument("--strict", action="store_true", help="accepted for symmetry; failures always exit 1")
    args = parser.parse_args(argv)
    orders = args.orders or max(300, 4 * args.kills)
    rng = random.Random(20261122 + args.seed)

    tmp = Path(tempfile.mkdtemp(prefix="passerelle-bench-crash-"))
    began = time.perf_counter()
    try:
        project = tmp / "project"
        shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("samples", ".passerelle"))
        state = tmp / "state"
        latency = {"sage100": Faults(latency_ms=4, seed=1), "prestashop": Faults(latency_ms=1, seed=2)}
        with Sandbox(systems=("prestashop", "sage100"), dataset=generate(seed=args.seed, orders=orders, cases=False),
                     faults=latency) as sb:  # plain orders: the point is crashes, not the hard cases
            env = env_for(sb)
            wanted = {int(o["id"]) for o in sb.sim("prestashop").orders.values() if int(o["current_state"]) in (2, 3)}
            kills: list[dict] = []
            left = Counter()
            sage = sb.sim("sage100")
            for n in range(args.kills):
                in_outage = n % 4 == 3
                sage.faults = outage(n) if in_outage else latency["sage100"]
                first = start_run(project, state, env)
                time.sleep(rng.uniform(0.05, 0.3))  # the others arrive while the first starts working
                others = [start_run(project, state, env, wait=1.0) for _ in range(args.runners - 1)]
                kill = kill_once(first, sb, rng, timed=n % 2 == 0 or in_outage)
                for process in others:  # a little later: wherever they are (waiting, working, refused)
                    time.sleep(rng.uniform(0.0, 0.15))
                    if process.poll() is None:
                        process.send_signal(signal.SIGKILL)
                    left["refused"] += process.wait(timeout=30) == 4
                kill["outage"] = in_outage
                refs = references(sb)
                duplicated = [ref for ref, count in refs.items() if count > 1]
                if duplicated:
                    print(f"FAIL: kill {n + 1} left duplicated Sage documents: {duplicated[:5]}")
                    return 1
                status = ledger(state)
                kill.update(done_total=len(refs), pending=status.get("pending", 0), unacked=status.get("done", 0))
                left["pending"] += kill["pending"] > 0 and kill["hit"]
                left["done"] += kill["unacked"] > 0 and kill["hit"]
                kills.append(kill)
                if (n + 1) % 25 == 0 or n + 1 == args.kills:
                    print(f"  {n + 1:>4} kills, {sum(k['hit'] for k in kills):>4} hit a running process, "
                          f"{len(refs):>5}/{len(wanted)} orders in Sage, {time.perf_counter() - began:6.1f} s",
                          flush=True)
            kill_phase = time.perf_counter() - began
            sage.faults = latency["sage100"]
            final_start = time.perf_counter()
            final = run_cli(project, state, env, timeout=600)
            final_s = time.perf_counter() - final_start
            refs, shop, status = references(sb), exported(sb), ledger(state)
            errors = sb.sim("sage100").errors + sb.sim("prestashop").errors

        hits = [k for k in kills if k["hit"]]
        print(f"{FLOW}: {orders} shop orders, {len(wanted)} eligible; simulators with latency (Sage 4 ms, "
              f"PrestaShop 1 ms)")
        print(f"kills: {len(kills)}, hit a running process: {len(hits)} "
              f"(at a random time 0.02..2 s: {sum(k['mode'] == 'time' for k in hits)}, "
              f"after 1..8 new Sage documents: {sum(k['mode'] == 'progress' for k in hits)})")
        print(f"  runs killed before their first Sage insert: {sum(1 for k in hits if k['created'] == 0)}; "
              f"killed while creating: {sum(1 for k in hits if k['created'] > 0)}; "
              f"cut short with orders left to create: {sum(1 for k in hits if k['done_total'] < len(wanted))}")
        print(f"  kills after which the ledger held an entry pending (intent written, outcome unknown): {left['pending']}; "
              f"held a created order not yet acknowledged: {left['done']}")
        print(f"  rounds of {args.runners} processes at once; processes that found the flow busy and stopped "
              f"(exit 4): {left['refused']}; outage rounds (lost replies, searches answering 503): "
              f"{sum(k['outage'] for k in kills)}")
        print(f"  orders in Sage after the kills: {kills[-1]['done_total'] if kills else 0}/{len(wanted)}")
        print(f"final run: exit {final.returncode}, {final_s:.1f} s; kill phase {kill_phase:.1f} s; "
              f"total {time.perf_counter() - began:.1f} s")
        checks = {
            "final run exits 0": final.returncode == 0,
            "every eligible order exactly once in Sage": refs == Counter({f"PS_{i}": 1 for i in wanted}),
            "no Sage document for another order": set(refs) <= {f"PS_{i}" for i in wanted},
            "every eligible order acknowledged in the shop": shop == wanted,
            "ledger: every order acked": status == Counter({"acked": len(wanted)}),
            "simulators reported no internal error": not errors,
        }
        for name, ok in checks.items():
            print(f"  {'PASS' if ok else 'FAIL'}  {name}")
        if final.returncode != 0:
            print(final.stderr[-2000:])
        if not checks["ledger: every order acked"]:
            print(f"  ledger: {dict(status)}")
        ok = all(checks.values())
        print("crash_long: " + ("PASS" if ok else "FAIL"))
        return 0 if ok else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
