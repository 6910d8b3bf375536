"""Client projects generated from a template, each against its own simulators: the work of
``make demo-cluster``, ``bench/cluster.py`` and the cluster tests.

``python -m engine.cli.cluster_farm --root DIR --count N [--orders K] [--latency-ms MS]`` starts, in
this process, one PrestaShop and one Sage 100 simulator per project (each with its own seeded shop
and its own credentials), writes ``DIR/clientNNN/`` from the template — the specs of
``prestashop-sage100`` with only the flows given (``--flows``, default ``orders_to_sage``) and a
``.env`` holding that project's URLs and keys under the template's variable names (the same names in
every project, different values: a project resolving another's variable would send its orders to
the wrong Sage) — prints ``ready`` and then answers one line of JSON per ``report`` read on its
standard input (``quit`` or end of input stops it):

* per project: the order references Sage holds (``documents``), how many are distinct, the
  references the shop's paid orders expect (``expected``), and ``overlaps``: pairs of requests the
  project's two simulators had in flight at the same time. A flow run sends its requests one after
  the other (endpoint ``concurrency`` 1) but for its searches ahead (``GET Documents?Reference=``, a
  page's lookups a few at a time: engine/runtime/lookups.py), which are left out; so two overlapping
  requests of one project mean two runs of its flow at once.

The simulators run in their own process so that a benchmark measures the workers, not the
simulators sharing their cores.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from engine.util.resources import examples_dir

TEMPLATE = "prestashop-sage100"
FLOW_FILES = ("orders_to_sage", "prices_to_shop", "stock_to_shop")
PAID = (2, 3)  # the order states orders_to_sage reads


def write_project(folder: Path, urls: dict[str, str], flows: tuple[str, ...], schedule: str | None = None,
                  state: str | None = None) -> None:
    """The template's specs (the flows given; their ``schedule:`` replaced when given) and the
    project's own ``.env``; with ``state`` (a postgresql:// URL), the project keeps its run state there
    (``state: "${env:PASSERELLE_STATE}"``, the URL in its ``.env``)."""
    skipped = [f"{name}.yaml" for name in FLOW_FILES if name not in flows]
    shutil.copytree(examples_dir() / TEMPLATE, folder, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("samples", "tests", ".passerelle", *skipped))
    if schedule:
        for name in flows:
            path = folder / f"{name}.yaml"
            text = re.sub(r"(?m)^(\s+schedule:).*$", lambda m: f"{m.group(1)} {schedule}", path.read_text("utf-8"))
            path.write_text(text, encoding="utf-8")
    if state:
        endpoints = folder / "endpoints.yaml"
        text = endpoints.read_text("utf-8").replace("project:\n", 'project:\n  state: "${env:PASSERELLE_STATE}"\n', 1)
        endpoints.write_text(text, encoding="utf-8")
        urls = {**urls, "PASSERELLE_STATE": state}
    (folder / ".env").write_text("".join(f"{k}={v}\n" for k, v in urls.items()), encoding="utf-8")


def searching_ahead(request: tuple) -> bool:
    """A run's searches ahead of its creates, the only requests it sends several at a time."""
    return request[2] == "GET" and "/Documents?Reference=" in request[3]


def overlaps(timeline: list[tuple]) -> list[tuple]:
    """Pairs of requests in flight at the same time: (start, end, method, path, status) sorted by start,
    each compared with the one ending last before it (searches ahead left out)."""
    found = []
    latest: tuple | None = None
    for request in sorted(r for r in timeline if not searching_ahead(r)):
        if latest is not None and request[0] < latest[1]:
            found.append((latest, request))
        if latest is None or request[1] > latest[1]:
            latest = request
    return found


class Farm:
    """The projects and their simulators, in this process."""

    def __init__(self, root: Path, count: int, orders: int = 8, flows: tuple[str, ...] = ("orders_to_sage",),
                 latency_ms: int = 0, seed: int = 1, schedule: str | None = None, state: str | None = None,
                 offset: int = 0):
        self.root, self.count, self.orders, self.flows, self.offset = Path(root), count, orders, flows, offset
        self.schedule, self.state = schedule, state
        self.latency_ms, self.seed = latency_ms, seed
        self.sandboxes: dict[str, Any] = {}
        self.expected: dict[str, list[str]] = {}

    def start(self) -> "Farm":
        from engine.cli.demo import simulators

        sandbox = simulators()
        if sandbox is None:
            raise SystemExit(1)

        self.root.mkdir(parents=True, exist_ok=True)
        for i in range(self.offset, self.offset + self.count):
            name = f"client{i + 1:03d}"
            faults = sandbox.Faults(latency_ms=self.latency_ms) if self.latency_ms else None
            dataset = sandbox.generate(seed=self.seed + i, orders=self.orders, cases=False)
            sb = sandbox.Sandbox(systems=("prestashop", "sage100"), dataset=dataset, faults=faults).start()
            self.sandboxes[name] = sb
            for system in sb.systems:
                sb.sim(system).timeline = []
            orders = sb.sim("prestashop").tables["orders"].values()
            self.expected[name] = sorted(f"PS_{o['id']}" for o in orders if int(o["current_state"]) in PAID)
            write_project(self.root / name, {
                "ACME_PS_URL": sb.url("prestashop"), "ACME_PS_KEY": sb.credentials("prestashop")["key"],
                "ACME_SAGE_URL": sb.url("sage100"), "ACME_SAGE_TOKEN": sb.credentials("sage100")["token"]}, self.flows,
                self.schedule, self.state)
        return self

    def report(self) -> dict[str, dict]:
        result = {}
        for name, sb in self.sandboxes.items():
            documents = [d["Reference"] for d in sb.sim("sage100").documents]
            timeline = [r for system in sb.systems for r in list(sb.sim(system).timeline)]
            result[name] = {"documents": len(documents), "distinct": len(set(documents)),
                            "missing": sorted(set(self.expected[name]) - set(documents)),
                            "unexpected": sorted(set(documents) - set(self.expected[name])),
                            "expected": len(self.expected[name]), "requests": len(timeline),
                            "overlaps": [[list(a), list(b)] for a, b in overlaps(timeline)[:5]],
                            "errors": sum(len(sb.sim(s).errors) for s in sb.systems)}
        return result

    def stop(self) -> None:
        for sb in self.sandboxes.values():
            sb.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.cli.cluster_farm", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--orders", type=int, default=8)
    parser.add_argument("--flows", default="orders_to_sage")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--schedule", help="the flows' schedule in every project (e.g. 'every 2s')")
    parser.add_argument("--state", help="a postgresql:// URL: the projects' run state (default: SQLite each)")
    parser.add_argument("--offset", type=int, default=0, help="number the projects from offset + 1")
    args = parser.parse_args(argv)
    farm = Farm(args.root, args.count, args.orders, tuple(args.flows.split(",")), args.latency_ms, args.seed,
                args.schedule, args.state, args.offset).start()
    try:
        print("ready", flush=True)
        for line in sys.stdin:
            if line.strip() == "report":
                print(json.dumps(farm.report()), flush=True)
            elif line.strip() == "quit":
                break
    finally:
        farm.stop()
    return 0


class FarmProcess:
    """A farm in a child process (for the callers that must not share its cores)."""

    def __init__(self, root: Path, count: int, orders: int = 8, latency_ms: int = 0, python: str | None = None,
                 env: dict | None = None, flows: str = "orders_to_sage", schedule: str | None = None,
                 state: str | None = None, offset: int = 0):
        import subprocess

        self.process = subprocess.Popen(
            [python or sys.executable, "-m", "engine.cli.cluster_farm", "--root", str(root), "--count", str(count),
             "--orders", str(orders), "--latency-ms", str(latency_ms), "--flows", flows]
            + (["--schedule", schedule] if schedule else []) + (["--state", state] if state else [])
            + ["--offset", str(offset)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if line.strip() != "ready":
            self.process.kill()
            raise RuntimeError(f"the simulators did not start: {line!r}")

    def report(self) -> dict[str, dict]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("report\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.write("quit\n")
                self.process.stdin.close()
                self.process.wait(timeout=20)
            except Exception:
                self.process.kill()
                self.process.wait()


if __name__ == "__main__":
    sys.exit(main())
