"""Hot reload latency: from saving a project file to the new plan being live (``LivePlan``).

The example project (``specs/examples/prestashop-sage100``, all its flows) is copied to a temporary
folder and watched by a ``LivePlan`` with the settings ``passerelle serve`` uses (debounce 20 ms,
step 5 ms, rescan 1 s; plans built by ``load_plan`` with one shared ``ConnectorStore``), its watcher
thread started (``live.start()``). Then, S times (default 40): change the ``carriers`` lookup's
``default`` in ``lookups.yaml`` to a new value, and poll ``live.current()`` every 1 ms until the
live plan's ``lookups["carriers"].default`` is the new value. The clock starts just before the
file is opened for writing. Between samples the script waits a varying 30..130 ms, so saves land
at any phase of the watcher's cycle.

The build is timed separately (the ``build`` function is wrapped), which splits each sample into:
detection (save -> build starts: watcher + debounce + content hash), build (validate + compile) and
swap (build ends -> the poll sees the new plan).

Rapid saves: B bursts (default 3) of 10 saves 5 ms apart, each with a new value; the last value
must be live within 5 s and still live 1.5 s later (no older content swapped in afterwards).

Targets: median save -> live <= 100 ms; every rapid-saves burst ends with the last content live.

    .venv/bin/python bench/reload.py [--samples 40] [--bursts 3] [--atomic] [--strict]

``--atomic`` saves as many editors do: write a temporary file, then ``os.replace`` it over the old one
(default: rewrite the file in place).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.plan.load import load_plan  # noqa: E402
from engine.project.load import ConnectorStore  # noqa: E402
from engine.runtime.watch import LivePlan  # noqa: E402

EXAMPLE = ROOT / "specs" / "examples" / "prestashop-sage100"
TARGET_MS = 100.0
POLL_S = 0.001
TIMEOUT_S = 5.0


class Events(list):
    """The LivePlan log: (monotonic time, event, fields)."""

    def __call__(self, event, **fields):
        self.append((time.perf_counter(), event, fields))

    def count(self, name: str) -> int:  # type: ignore[override]
        return sum(1 for _, e, _ in self if e == name)


class TimedBuild:
    """``load_plan`` with the start and end of every build recorded."""

    def __init__(self, project: Path):
        self.project, self.store = project, ConnectorStore()
        self.builds: list[tuple[float, float]] = []
        self.lock = threading.Lock()

    def __call__(self):
        start = time.perf_counter()
        try:
            return load_plan(self.project, self.store)
        finally:
            with self.lock:
                self.builds.append((start, time.perf_counter()))

    def first_after(self, moment: float):
        with self.lock:
            return next(((s, e) for s, e in self.builds if s >= moment), None)


def save_default(path: Path, value: str, atomic: bool) -> None:
    text = path.read_text()
    current = text.split("    default: ", 1)[1].split("\n", 1)[0]
    new = text.replace(f"    default: {current}\n", f"    default: {value}\n", 1)
    if atomic:
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(new)
        os.replace(tmp, path)
    else:
        path.write_text(new)


def live_default(live: LivePlan) -> str:
    return live.current().lookups["carriers"].default


def wait_live(live: LivePlan, value: str, timeout: float = TIMEOUT_S) -> float | None:
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        if live_default(live) == value:
            return time.perf_counter()
        time.sleep(POLL_S)
    return None


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=40, help="single saves timed (default 40)")
    parser.add_argument("--bursts", type=int, default=3, help="rapid-saves bursts (default 3)")
    parser.add_argument("--atomic", action="store_true", help="save via a temporary file + os.replace")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="passerelle-bench-reload-"))
    try:
        project = tmp / "project"
        shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("samples", ".passerelle"))
        lookups = project / "lookups.yaml"
        files = [p for p in project.rglob("*") if p.is_file()]
        build = TimedBuild(project)
        events = Events()
        live = LivePlan(project, build, events)  # the defaults `passerelle serve` uses
        live.start()
        time.sleep(0.3)  # let the watcher set up
        try:
            samples, parts, missed = single_saves(live, build, lookups, args.samples, args.atomic)
            bursts = rapid_saves(live, lookups, args.bursts, args.atomic)
        finally:
            live.stop()

        plan = live.current()
        print(f"project: {len(files)} files, {sum(p.stat().st_size for p in files):,} bytes, "
              f"{len(plan.flows)} flows; saves {'atomic (os.replace)' if args.atomic else 'in place'}; "
              f"watcher debounce {live.debounce_ms} ms, step {live.step_ms} ms, rescan {live.rescan_s:g} s")
        ms = [1e3 * s for s in samples]
        print(f"save -> live, {len(ms)} samples (poll every {POLL_S * 1e3:g} ms): median {statistics.median(ms):.1f} ms, "
              f"p90 {pct(ms, 0.9):.1f} ms, max {max(ms):.1f} ms, min {min(ms):.1f} ms"
              + (f"; {missed} not live within {TIMEOUT_S:g} s" if missed else ""))
        for name in ("detection", "build", "swap"):
            values = [1e3 * p[name] for p in parts]
            if values:
                print(f"  {name:<10} median {statistics.median(values):6.1f} ms   p90 {pct(values, 0.9):6.1f} ms   "
                      f"max {max(values):6.1f} ms")
        print(f"  plans built {len(build.builds)}, went live {events.count('plan_live') - 1}, "
              f"rejected {events.count('plan_rejected')} (a save caught half-written), reload errors "
              f"{events.count('reload_error')}")
        ok_median = not missed and statistics.median(ms) <= TARGET_MS
        print(f"median save -> live = {statistics.median(ms):.1f} ms  (target <= {TARGET_MS:g} ms)  "
              f"{'PASS' if ok_median else 'FAIL'}")
        ok_rapid = all(b["ok"] for b in bursts)
        details = ", ".join(f"{b['last_to_live_ms']:.0f} ms" if b["last_to_live_ms"] is not None else "never"
                            for b in bursts)
        print(f"rapid saves: {len(bursts)} bursts of 10 saves 5 ms apart; last save -> live: {details}; "
              f"last content still live 1.5 s later: {sum(b['stable'] for b in bursts)}/{len(bursts)}  "
              f"{'PASS' if ok_rapid else 'FAIL'}")
        return 1 if args.strict and not (ok_median and ok_rapid) else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def single_saves(live, build, lookups: Path, count: int, atomic: bool):
    samples, parts, missed = [], [], 0
    for i in range(count):
        value = f"BENCH_{i:03d}"
        time.sleep(0.030 + 0.100 * ((i * 37) % 11) / 10)  # 30..130 ms, varied phase
        start = time.perf_counter()
        save_default(lookups, value, atomic)
        seen = wait_live(live, value)
        if seen is None:
            missed += 1
            continue
        samples.append(seen - start)
        built = build.first_after(start)
        if built is not None and built[1] <= seen:
            # the last build that ended before the poll saw the value is the one that made it live
            last = max((b for b in build.builds if b[0] >= start and b[1] <= seen), key=lambda b: b[1])
            parts.append({"detection": built[0] - start, "build": last[1] - last[0], "swap": seen - last[1]})
    return samples, parts, missed


def rapid_saves(live, lookups: Path, bursts: int, atomic: bool) -> list[dict]:
    out = []
    for b in range(bursts):
        time.sleep(0.2)
        last = None
        for i in range(10):
            last = f"RAPID_{b}_{i}"
            save_default(lookups, last, atomic)
            saved = time.perf_counter()
            if i < 9:
                time.sleep(0.005)
        seen = wait_live(live, last)
        time.sleep(1.5)
        stable = live_default(live) == last
        out.append({"ok": seen is not None and stable, "stable": stable,
                    "last_to_live_ms": None if seen is None else 1e3 * (seen - saved)})
    return out


if __name__ == "__main__":
    sys.exit(main())
