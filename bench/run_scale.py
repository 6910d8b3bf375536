"""`passerelle run` over many orders in ONE run: peak memory of the engine process at each size.

The reference example (``orders_to_sage``: PrestaShop simulator -> Sage 100 simulator, as
``bench/sync.py`` starts them) on fresh simulators per size, in a child process (their memory is not
counted). ``passerelle run PROJECT --flow orders_to_sage`` runs in a subprocess (a fresh state folder
each time); its peak resident set size comes from ``os.wait4`` (``ru_maxrss`` of that process alone).
After each run the script checks, on the simulators, that every eligible order exists exactly once
in Sage and was acknowledged in the shop — all of them in one run (the batch is not cut).

A run reads its whole batch before writing (acknowledgements move orders out of the shop's filter);
the pages are spooled to a private file in the state folder and processed one page at a time, so
memory should not grow with the number of orders. Target: peak RSS at the largest size <= 1.2x the
peak at the smallest.

    .venv/bin/python bench/run_scale.py [--sizes 5000,50000] [--seed 1] [--strict]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))

from sync import EXPORTED_STATE, FLOW, RemoteSims  # noqa: E402  (the same simulators as sync.py)
from runtime_support import copy_project, env_for  # noqa: E402  (sync.py put tests/runtime on the path)

TARGET = 1.2  # peak RSS at the largest size / at the smallest


def sage_counts(sb) -> dict:
    """The counts the check needs, computed in the simulators' process (small, whatever the size)."""
    references = Counter(doc["Reference"] for doc in sb.sim("sage100").documents)
    exported = {int(h["id_order"]) for h in sb.sim("prestashop").order_histories
                if int(h["id_order_state"]) == EXPORTED_STATE}
    return {"references": references, "exported": exported,
            "errors": len(sb.sim("sage100").errors) + len(sb.sim("prestashop").errors)}


def run_once(project: Path, workdir: Path, env: dict) -> tuple[int, float, float, int, str]:
    """``passerelle run`` in a subprocess: (exit code, seconds, its CPU seconds, peak RSS in KiB, end of
    its stderr)."""
    log = workdir / "run.log"
    with open(log, "wb") as stream:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "engine", "run", str(project), "--flow", FLOW,
                                    "--state", str(workdir / "state"), "--log-format", "json"],
                                   cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=stream)
        _, status, usage = os.wait4(process.pid, 0)  # this child's own peak (ru_maxrss: KiB on Linux)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
    tail = log.read_text(errors="replace")[-1500:]
    return process.returncode, seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, tail


def measure(size: int, seed: int, tmp: Path) -> dict:
    sims = RemoteSims(seed, size, report=sage_counts)
    workdir = tmp / f"run-{size}"
    workdir.mkdir()
    try:
        project = copy_project(workdir)
        code, seconds, cpu, rss, tail = run_once(project, workdir, env_for(sims))
        counts = sims.outcome()
    finally:
        sims.stop()
    wanted = sims.eligible
    once = counts["references"] == Counter({f"PS_{i}": 1 for i in wanted})
    acked = counts["exported"] == wanted
    leftovers = [p.name for p in (workdir / "state").iterdir() if p.name.startswith(".passerelle-spool")]
    if code != 0 or not once or not acked or counts["errors"] or leftovers:
        raise SystemExit(f"{size} orders: run exit {code}, exactly once {once}, acknowledged {acked}, "
                         f"simulator errors {counts['errors']}, spool files left {leftovers}\n{tail}")
    return {"size": size, "eligible": len(wanted), "seconds": seconds, "cpu": cpu, "rss": rss}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="5000,50000",
                        help="shop order counts, comma-separated, smallest first (default 5000,50000)")
    parser.add_argument("--seed", type=int, default=1, help="data set seed (default 1)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if not sizes:
        parser.error("--sizes: at least one size")

    tmp = Path(tempfile.mkdtemp(prefix="passerelle-bench-run-scale-"))
    try:
        results = [measure(size, args.seed, tmp) for size in sizes]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{FLOW}: `passerelle run` once per size on fresh simulators (child process, not counted); "
          f"every eligible order created once in Sage and acknowledged, in one run")
    for r in results:
        print(f"  {r['size']:>7,} orders ({r['eligible']:>6,} eligible): {r['seconds']:8.1f} s "
              f"({r['eligible'] / r['seconds']:6.0f} orders/s; engine CPU {1e3 * r['cpu'] / r['eligible']:5.2f} "
              f"ms/order), peak RSS {r['rss'] / 1024:7.1f} MiB")
    first, last = results[0], results[-1]
    ratio = last["rss"] / first["rss"]
    ok = ratio <= TARGET
    print(f"peak RSS {last['size']:,} / {first['size']:,} orders = {ratio:.3f}x  (target <= {TARGET}x)  "
          f"{'PASS' if ok else 'FAIL'}")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
