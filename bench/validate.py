"""``passerelle validate`` over 200 client projects of the reference example's size.

Creates, in a temporary directory, 200 copies of specs/examples/prestashop-sage100 (the spec files
and the payments CSV, not the samples), each varied so that nothing can be cached by content: a
different project name, flow name and description, environment variable names, reference prefix,
carrier default and extra carrier, and an extra payments row. Then times:

* in process: ``engine.plan.validate.validate_paths([tmpdir], ConnectorStore())`` (a fresh connector
  store each run), 5 runs — the first run (which also builds the schema validators and the
  transform registry) and the median;
* once through the CLI: ``.venv/bin/python -m engine validate DIR`` in a subprocess (wall time,
  interpreter start and imports included);
* a per-phase breakdown of one extra in-process run (YAML load, schema validation, compile, and
  inside compile the transform-argument checks and code generation), measured by wrapping those
  engine functions for that run only.

Target: 200 projects validated in <= 2 s.

    .venv/bin/python bench/validate.py [--projects 200] [--runs 5] [--keep] [--strict]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import engine.plan.compile  # noqa: E402
import engine.plan.mapping  # noqa: E402
import engine.project.load  # noqa: E402
import engine.plan.validate  # noqa: E402
import engine.spec.yamlsrc  # noqa: E402
from engine.project.load import ConnectorStore  # noqa: E402
from engine.plan.validate import validate_paths  # noqa: E402

EXAMPLE = ROOT / "specs" / "examples" / "prestashop-sage100"
TARGET_SECONDS = 2.0


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"expected exactly one {old!r} in the example"
    return text.replace(old, new)


def make_projects(folder: Path, count: int) -> list[Path]:
    """``count`` varied copies of the reference example under ``folder``."""
    endpoints = (EXAMPLE / "endpoints.yaml").read_text(encoding="utf-8")
    lookups = (EXAMPLE / "lookups.yaml").read_text(encoding="utf-8")
    flow = (EXAMPLE / "orders_to_sage.yaml").read_text(encoding="utf-8")
    payments = (EXAMPLE / "payments.csv").read_text(encoding="utf-8")
    projects = []
    for i in range(count):
        root = folder / f"client_{i:03d}"
        root.mkdir(parents=True)
        tag = f"C{i:03d}"
        (root / "endpoints.yaml").write_text(
            replace_once(endpoints, "name: Exemple PrestaShop -> Sage 100",
                         f"name: Client {tag} PrestaShop -> Sage 100").replace("ACME_", f"ACME{i}_"),
            encoding="utf-8")
        text = replace_once(lookups, "default: DIVERS", f"default: DIVERS_{tag}")
        text = replace_once(text, '      "DHL Express": DHL_EXP\n',
                            f'      "DHL Express": DHL_EXP\n      "Transporteur {tag}": T_{tag}\n')
        (root / "lookups.yaml").write_text(text, encoding="utf-8")
        text = replace_once(flow, "  orders_to_sage:\n", f"  orders_{i:03d}_to_sage:\n")
        text = replace_once(text, "Paid PrestaShop orders", f"Paid PrestaShop orders of client {tag}")
        text = replace_once(text, "{ prefix: PS_ }", f"{{ prefix: {tag}_ }}")
        (root / "orders_to_sage.yaml").write_text(text, encoding="utf-8")
        (root / "payments.csv").write_text(payments + f"module_{tag.lower()},Mode {tag}\n", encoding="utf-8")
        projects.append(root)
    return projects


def run_in_process(folder: Path):
    start = time.perf_counter()
    report = validate_paths([folder], ConnectorStore())
    return time.perf_counter() - start, report


# -- per-phase breakdown: wrap engine functions for one run --------------------------------------

@contextmanager
def phase_timers(totals: dict[str, float]):
    """Accumulate the time spent in a few engine functions (restored afterwards)."""
    patched = []

    def wrap(owner, attr: str, phase: str) -> None:
        original = getattr(owner, attr)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                totals[phase] = totals.get(phase, 0.0) + time.perf_counter() - start

        patched.append((owner, attr, original))
        setattr(owner, attr, timed)
        totals.setdefault(phase, 0.0)  # print in this order

    # validate imports these where it uses them (a validate whose outcomes are all known never does): the
    # modules' own attributes are what its calls find
    wrap(engine.spec.yamlsrc, "load_file", "YAML load (project files)")
    wrap(engine.project.load, "load_file", "YAML load (project files)")
    wrap(engine.project.load, "validate_doc", "schema validation (project files)")
    wrap(engine.plan.compile, "compile_project", "compile (all)")
    wrap(engine.plan.mapping.MappingBuilder, "_args_valid", "  of which transform-argument schemas")
    wrap(engine.plan.compile, "generate", "  of which code generation (compile())")
    try:
        yield
    finally:
        for owner, attr, original in reversed(patched):
            setattr(owner, attr, original)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the generated projects")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 when a target is missed (default: report only)")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="passerelle-bench-validate-"))
    try:
        make_projects(folder, args.projects)
        times = []
        for _ in range(args.runs):
            seconds, report = run_in_process(folder)
            assert report.projects == args.projects and report.errors == 0, \
                f"{report.projects} projects, {report.errors} errors: {report.diagnostics[:3]}"
            times.append(seconds)
        median = statistics.median(times)
        print(f"validate, {args.projects} projects (example size), in process, {args.runs} runs:")
        print(f"  first run {times[0]:.3f} s   median {median:.3f} s   "
              f"({1000 * median / args.projects:.2f} ms/project)   runs: "
              + ", ".join(f"{t:.3f}" for t in times))

        totals: dict[str, float] = {}
        with phase_timers(totals):
            seconds, _ = run_in_process(folder)
        print(f"  phases of one more run ({seconds:.3f} s):")
        accounted = 0.0
        for phase, spent in totals.items():
            print(f"    {phase:<40}{spent:7.3f} s  {100 * spent / seconds:5.1f} %")
            if not phase.startswith("  "):
                accounted += spent
        rest = seconds - accounted
        print(f"    {'other (discovery, connectors, merge)':<40}{rest:7.3f} s  {100 * rest / seconds:5.1f} %")

        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "engine", "validate", "--no-cache", str(folder)], cwd=ROOT,
                              capture_output=True, text=True)  # every file parsed, as before the cache
        wall = time.perf_counter() - start
        assert done.returncode == 0, done.stdout + done.stderr
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import engine.plan.validate, engine.cli.main"], cwd=ROOT, check=True)
        startup = time.perf_counter() - start
        print(f"CLI subprocess `python -m engine validate DIR`: {wall:.3f} s wall "
              f"(interpreter start + imports alone: {startup:.3f} s); {done.stderr.strip()}")

        ok_median, ok_cli = median <= TARGET_SECONDS, wall <= TARGET_SECONDS
        print(f"in-process median {median:.3f} s (target <= {TARGET_SECONDS:g} s)  "
              f"{'PASS' if ok_median else 'FAIL'}")
        print(f"CLI wall time     {wall:.3f} s (target <= {TARGET_SECONDS:g} s)  "
              f"{'PASS' if ok_cli else 'FAIL'}")
        return 1 if args.strict and not (ok_median and ok_cli) else 0
    finally:
        if args.keep:
            print(f"projects kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
