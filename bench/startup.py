"""Start-up: ``passerelle validate`` of the shipped specs, as editors and CI call it (a new process
each time), beside the interpreter's own start.

Contenders, each a fresh ``python`` process, run in alternating rounds (one of each per round, so a
burst of load on the machine hits them all alike):

* ``python -c pass`` — the floor: interpreter start and ``site``;
* ``python -c "import engine"`` — the package itself (nothing may be imported by it);
* ``python -m engine validate specs/`` — what ``make validate`` runs (the console script
  ``passerelle`` goes through the same ``engine.cli.main``), with its cache folder in four states:
  **known**, every project's outcome stored by a previous run (engine/plan/resultcache.py: what
  editors and CI with a kept cache folder run on unchanged projects); **parsed**, the outcomes
  removed before each run but the files' parses and checks kept (engine/spec/yamlcache.py: about
  what a run pays for projects that all changed); **cold**, an empty folder each run (every file
  parsed, validated and written to the cache); and ``--no-cache``;
* with ``--against DIR``, the same command run from another checkout (``main``), known and cold,
  in the same rounds: ratios from one run, whatever the load.

Bytecode is cached for every contender in a temporary folder (``PYTHONPYCACHEPREFIX``) filled by a
warm-up run, so a read-only checkout or ``PYTHONDONTWRITEBYTECODE`` does not turn the measure into
a compile benchmark. Reported: median and min wall time, the ratio to ``python -c pass``, the median
CPU time of the child (user + system: less sensitive to a busy machine than wall time), and with
``--imports K`` the K costliest imports of validate (``python -X importtime``, self time).
``validate`` must exit 0 and report 0 errors, or the script exits non-zero.

Target: ``validate specs/`` <= 150 ms median, judged on the warm run (known outcomes; the others
printed beside it).

    .venv/bin/python bench/startup.py [--runs 21] [--imports 15] [--strict] [--against ../main]
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
TARGET_MS = 150.0


COLD, WARM, PARSED, OFF = ("validate specs/ cold cache", "validate specs/ known", "validate specs/ parsed",
                          "validate specs/ --no-cache")
THEIRS_WARM, THEIRS_COLD = "other checkout: known", "other checkout: cold"


def contenders(against: Path | None = None) -> list[tuple[str, list[str]]]:
    py = sys.executable
    validate = [py, "-m", "engine", "validate", str(SPECS)]
    runs = [
        ("python -c pass", [py, "-c", "pass"]),
        ('python -c "import engine"', [py, "-c", "import engine"]),
        (COLD, validate),
        (PARSED, validate),
        (WARM, validate),
        (OFF, [*validate[:4], "--no-cache", str(SPECS)]),
    ]
    if against is not None:
        theirs = [py, "-m", "engine", "validate", str(against / "specs")]
        runs += [(THEIRS_COLD, theirs), (THEIRS_WARM, theirs)]
    return runs


def contender_env(name: str, env: dict[str, str], scratch: str, against: Path | None = None) -> dict[str, str]:
    """Known and parsed keep their cache folder from run to run (parsed loses its outcomes before
    each); cold gets a new one each time; the other checkout runs with its own code (and in its
    own folder: ``python -m`` puts the working directory first on the module path)."""
    if against is not None and name in (THEIRS_WARM, THEIRS_COLD):
        paths = [str(against), str(against / "sandbox")]
        env = {**env, "PYTHONPATH": os.pathsep.join(paths + env["PYTHONPATH"].split(os.pathsep)[2:])}
    if name in (COLD, THEIRS_COLD):
        return {**env, "PASSERELLE_CACHE_DIR": tempfile.mkdtemp(dir=scratch)}
    if name == PARSED:
        shutil.rmtree(os.path.join(scratch, "parsed", "results-1"), ignore_errors=True)
    folder = {WARM: "warm", PARSED: "parsed", THEIRS_WARM: "theirs"}.get(name, "warm")
    return {**env, "PASSERELLE_CACHE_DIR": os.path.join(scratch, folder)}


def child_env(pycache: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = pycache
    paths = [str(ROOT), str(ROOT / "sandbox")]  # this checkout's engine, whatever is installed
    env["PYTHONPATH"] = os.pathsep.join(paths + [p for p in [env.get("PYTHONPATH")] if p])
    return env


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(argv: list[str], env: dict[str, str], cwd: Path = ROOT) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall seconds, CPU seconds of the child, the finished process)."""
    cpu, start = _children_cpu(), time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
    return time.perf_counter() - start, _children_cpu() - cpu, done


def check(name: str, done: subprocess.CompletedProcess) -> str | None:
    """Why the run does not count (it failed, or validate found errors), or None."""
    if done.returncode != 0:
        return f"{name} exited {done.returncode}: {(done.stderr or done.stdout).strip()[-500:]}"
    if name.startswith("validate") and " 0 error(s)" not in done.stderr:
        return f"{name} did not report 0 errors: {done.stderr.strip()[-500:]}"
    return None


def import_costs(env: dict[str, str], count: int) -> list[tuple[int, int, str]]:
    """The ``count`` costliest imports of validate: (self µs, cumulative µs, module)."""
    argv = [sys.executable, "-X", "importtime", "-m", "engine", "validate", str(SPECS)]
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True)
    rows = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            own, cumulative, module = line[len("import time:"):].split("|")
            rows.append((int(own), int(cumulative), module.strip()))
    return sorted(rows, reverse=True)[:count]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21, help="rounds (one run of each contender each)")
    parser.add_argument("--imports", type=int, default=15, metavar="K",
                        help="list the K costliest imports of validate (0: none)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    parser.add_argument("--against", type=Path, metavar="DIR",
                        help="another checkout (main) whose validate runs in the same rounds")
    args = parser.parse_args(argv)
    against = args.against.resolve() if args.against else None
    with tempfile.TemporaryDirectory(prefix="passerelle-pyc-") as pycache, \
            tempfile.TemporaryDirectory(prefix="passerelle-cache-") as scratch:
        env = child_env(pycache)
        runs = contenders(against)
        for name, command in runs:  # warm-up: fills the bytecode cache, checks each contender works
            problem = check(name, run_once(command, contender_env(name, env, scratch, against),
                                                  against if name in (THEIRS_WARM, THEIRS_COLD) else ROOT)[2])
            if problem:
                print(f"error: {problem}", file=sys.stderr)
                return 2
        times: dict[str, list[float]] = {name: [] for name, _ in runs}
        cpus: dict[str, list[float]] = {name: [] for name, _ in runs}
        for _ in range(max(1, args.runs)):
            for name, command in runs:
                seconds, cpu, done = run_once(command, contender_env(name, env, scratch, against),
                                                  against if name in (THEIRS_WARM, THEIRS_COLD) else ROOT)
                problem = check(name, done)
                if problem:
                    print(f"error: {problem}", file=sys.stderr)
                    return 2
                times[name].append(seconds)
                cpus[name].append(cpu)
        costs = import_costs(contender_env(WARM, env, scratch), args.imports) if args.imports > 0 else []
    floor = statistics.median(times[runs[0][0]])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"start-up, {args.runs} alternating rounds, wall time per process (load {load:.2f}):")
    print(f"  {'contender':<30}{'median':>10}{'min':>10}{'x pass':>9}{'CPU median':>14}")
    for name, _ in runs:
        median, low = statistics.median(times[name]), min(times[name])
        cpu = statistics.median(cpus[name])
        print(f"  {name:<30}{median * 1000:8.1f} ms{low * 1000:7.1f} ms{median / floor:8.2f}x"
              f"{cpu * 1000:11.1f} ms")
    if costs:
        print("  costliest imports of validate, warm cache (python -X importtime, self time):")
        for own, cumulative, module in costs:
            print(f"    {module:<44}{own / 1000:6.1f} ms self {cumulative / 1000:7.1f} ms cumulative")
    median, cold = (statistics.median(times[name]) * 1000 for name in (WARM, COLD))
    if against is not None:
        for mine, theirs in ((WARM, THEIRS_WARM), (COLD, THEIRS_COLD)):
            ratio = statistics.median(times[mine]) / statistics.median(times[theirs])
            cpu = statistics.median(cpus[mine]) / statistics.median(cpus[theirs])
            print(f"  {mine} vs {theirs}: wall {ratio:.2f}x, CPU {cpu:.2f}x")
    ok = median <= TARGET_MS
    print(f"validate specs/ median, known outcomes {median:.1f} ms (cold {cold:.1f} ms; target <= "
          f"{TARGET_MS:g} ms warm)  {'PASS' if ok else 'FAIL'}")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
