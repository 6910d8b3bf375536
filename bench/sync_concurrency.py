"""``concurrency: 4`` against ``concurrency: 1`` on a Sage 100 that takes 50 ms per request (issue 10, item 6).

A real WebServices100 answers in tens to hundreds of ms per document, so a backlog after an outage is
bound by that wait, not by the engine. Contenders, timed in the same run, alternating over rounds, each
on FRESH simulators (same seed, same orders) in a child process, the Sage simulator answering every
request after ``--latency`` ms (``Sage100Sim(latency_ms=…)``: the wait is outside its lock, so parallel
requests overlap as on a real server):

* c1 — ``FlowRunner`` on the example flow ``orders_to_sage`` as ``passerelle run`` drives it, the Sage
       endpoint as today (``concurrency: 1``): one order at a time;
* c4 — the same with ``concurrency: 4`` on the Sage endpoint: four orders in flight at once.

Both run twice: with the example's ``lookup_before_create: always`` (one search by reference before
every create; one at a time already makes those searches 4 at a time ahead of each page, so the
gain is bound by 2 requests per order becoming 1 + 1/4: at most 2.5x with 4) and with ``after_doubt``
(one request per order: the gain is bound by 4x). After every run the script checks, on the simulator
side, that each eligible order is exactly once in Sage (documents per reference == 1), every one is
acknowledged in the shop, no simulator error, and that both contenders sent the same Sage bodies; it
prints the most Sage requests in flight at once.

Targets: c4 / c1 >= 3x with after_doubt; >= 2x with always.

    .venv/bin/python bench/sync_concurrency.py [--orders 2000] [--rounds 1] [--latency 50] [--seed 1] [--strict]
    .venv/bin/python bench/sync.py --concurrency [the same options]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sync import FLOW, RemoteSims, check_outcome, copy_project, outcome, run_engine  # noqa: E402

from engine.plan.load import load_plan  # noqa: E402

WIDTH = 4
TARGETS = {"after_doubt": 3.0, "always": 2.0}


def project_with(tmp: Path, name: str, width: int, lookup: str) -> Path:
    project = copy_project(tmp / name)
    endpoints = project / "endpoints.yaml"
    endpoints.write_text(endpoints.read_text().replace("    use: sage100-ws\n",
                                                       f"    use: sage100-ws\n    concurrency: {width}\n"))
    if lookup != "always":
        flow = project / "orders_to_sage.yaml"
        flow.write_text(flow.read_text().replace("      reference: doc.Reference\n",
                                                 f"      reference: doc.Reference\n      lookup_before_create: {lookup}\n"))
    return project


def in_flight_outcome(sb) -> dict:
    """The outcome, and the most Sage requests in flight at once (computed in the simulators' process)."""
    return outcome(sb) | {"in_flight": sb.sim("sage100").most_in_flight}


def Sims(seed: int, orders: int, latency_ms: int) -> RemoteSims:
    """The shop and a Sage taking ``latency_ms`` per request, in a child process."""
    return RemoteSims(seed, orders, ("prestashop", "sage100"), {"sage100": {"latency_ms": latency_ms}},
                      report=in_flight_outcome)


def timed(plan, seed: int, orders: int, latency: int, workdir: Path) -> tuple[float, int, dict]:
    sims = Sims(seed, orders, latency)
    workdir.mkdir()
    try:
        start = time.perf_counter()
        written = run_engine(plan, sims, workdir)
        seconds = time.perf_counter() - start
        assert written == len(sims.eligible), (written, len(sims.eligible))
        result = sims.outcome()
        check_outcome(result, sims.eligible)  # each eligible order once in Sage, all acknowledged
        return seconds, written, result
    finally:
        sims.stop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2000, help="orders in the shop (default 2000)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds (default 1; median reported)")
    parser.add_argument("--latency", type=int, default=50, help="Sage's time per request in ms (default 50)")
    parser.add_argument("--seed", type=int, default=1, help="data set seed (default 1)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="passerelle-bench-concurrency-"))
    ok = True
    try:
        print(f"{FLOW}: {args.orders} shop orders (seed {args.seed}), Sage answering after {args.latency} ms; "
              f"each run on fresh simulators in a child process")
        for lookup in ("after_doubt", "always"):
            plans = {f"c{w}": load_plan(project_with(tmp, f"{lookup}-{w}", w, lookup)) for w in (1, WIDTH)}
            assert plans["c4"].endpoints["sage"].concurrency == WIDTH and plans["c1"].endpoints["sage"].concurrency == 1
            names = list(plans)
            seconds: dict = {n: [] for n in names}
            results: dict = {}
            for round_no in range(args.rounds):
                for name in names[round_no % 2:] + names[:round_no % 2]:
                    s, written, result = timed(plans[name], args.seed, args.orders, args.latency,
                                               tmp / f"{lookup}-{name}-{round_no}")
                    seconds[name].append(s)
                    results[name] = (written, result)
            (n, first), (_, second) = results["c1"], results["c4"]
            assert first["inserts"] == second["inserts"], "c1 and c4 did not send the same Sage bodies"
            rate = {name: n / statistics.median(times) for name, times in seconds.items()}
            print(f"lookup_before_create: {lookup} — {n} eligible orders, each once in Sage and acknowledged, "
                  f"same Sage bodies:")
            for name in names:
                requests: Counter = results[name][1]["requests"]
                sage = sum(v for k, v in requests.items() if k.split(" ")[1] in ("Documents", "InsertDocumentEtLignes"))
                print(f"  {name}  {rate[name]:8.1f} orders/s  {statistics.median(seconds[name]):7.2f} s  "
                      f"({sage} Sage requests, at most {results[name][1]['in_flight']} in flight)")
            ratio = rate["c4"] / rate["c1"]
            target = TARGETS[lookup]
            ok = ok and ratio >= target
            print(f"  c{WIDTH} / c1 = {ratio:.2f}x  (target >= {target}x)  {'PASS' if ratio >= target else 'FAIL'}")
        return 1 if args.strict and not ok else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
