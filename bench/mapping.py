"""Mapping throughput of the reference flow ``orders_to_sage``: compiled vs hand-written vs naive.

Contenders, all timed in one run, round-robin, on the same enriched records:

* compiled     — ``flow.map``: the Python function generated from the spec (engine/plan/codegen.py);
* hand-written — ``map_order`` from tests/reference_mapping.py: what a good developer would write
                 (``datetime.fromisoformat`` for PrestaShop's ISO-shaped dates, lookup dicts built once);
* naive        — an interpreter written here that walks the flow's ``map:`` data for every record
                 and evaluates every ``from``/``when``/``each`` with ``jmespath.search(text, ...)``
                 (the transform closures are built once through the registry, as the engine does).

Before timing, the three outputs are checked to be identical (same JSON text) on every record.
Each round times every contender on the whole data set (``gc`` disabled inside the timing loop);
the figure reported is the median of the rounds, and beside it the median of the per-round ratios
(both timings of a ratio come from the same round, so it moves less when other jobs load the machine).

Targets: compiled >= 0.9x hand-written (issue 10; aim 1.0x), compiled >= 10x naive.

    .venv/bin/python bench/mapping.py [--records 2000] [--rounds 7] [--profile] [--strict]
"""
from __future__ import annotations

import argparse
import copy
import gc
import importlib.util
import statistics
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jmespath  # noqa: E402

from engine.plan.codegen import truthy  # noqa: E402
from engine.lang.context import SimpleContext  # noqa: E402
from engine.plan.load import load_plan, select_flow  # noqa: E402
from engine.runtime.dryrun import read_inputs  # noqa: E402
from engine.lang.expr import OPTIONS  # noqa: E402
from engine.util.jsonout import dumps  # noqa: E402
from engine.lang.builtins import default_registry  # noqa: E402
from engine.plan.related import RelatedData  # noqa: E402
from engine.schema.validate import FIELD_SPEC_KEYS  # noqa: E402

EXAMPLE = ROOT / "specs" / "examples" / "prestashop-sage100"
FLOW = "orders_to_sage"
TARGET_VS_HAND = 0.9
TARGET_VS_NAIVE = 10.0


def import_reference():
    path = ROOT / "tests" / "reference_mapping.py"
    spec = importlib.util.spec_from_file_location("reference_mapping", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- data ------------------------------------------------------------------------------------------

def enriched_samples(plan, flow) -> list[dict]:
    """The sample orders, typed and enriched as the dry-run does (those that map without error)."""
    by_resource = read_inputs(plan, flow, [(None, p) for p in sorted((EXAMPLE / "samples").glob("*.xml"))])
    related = RelatedData()
    for resource, rows in by_resource.items():
        if resource != flow.source_resource:
            related.add(resource, [flow.types[resource](row) for row in rows])
    out = []
    for raw in by_resource[flow.source_resource]:
        record = flow.enrich(flow.types[flow.source_resource](raw), related)
        try:
            flow.map(record)
        except Exception:  # 1047: unknown tax rate, an error case and not a throughput case
            continue
        out.append(record)
    return out


MODULES = ("ps_wirepayment", "paypal", "stripe_official", "ps_checkout", "ps_checkpayment",
           "ps_cashondelivery")


def build_records(samples: list[dict], count: int) -> list[dict]:
    """``count`` distinct records: the samples replicated with varied ids, customers, dates, totals."""
    start = datetime(2024, 1, 1, 0, 0, 0)
    records = []
    for i in range(count):
        base = samples[i % len(samples)]
        moment = start + timedelta(minutes=263 * i + 7 * (i % 60), seconds=i % 60)  # spans ~1 year
        record = dict(base)
        record["id"] = 100_000 + i
        record["id_customer"] = 1 + (i * 37) % 50_000
        record["date_add"] = moment.strftime("%Y-%m-%d %H:%M:%S")
        record["module"] = MODULES[i % len(MODULES)]
        record["total_paid_tax_incl"] = base["total_paid_tax_incl"] + Decimal(i % 100) / 100
        record["customer"] = dict(base["customer"], firstname=f"{base['customer']['firstname']}{i % 13}")
        records.append(record)
    return records


# -- the naive interpreter -------------------------------------------------------------------------

_OMIT = object()
_FIELD_KEYS = frozenset(FIELD_SPEC_KEYS)  # a dict with one of these keys is a field, else an object
_SOURCE_KEYS = frozenset(("from", "value", "map"))


class NaiveMapper:
    """Walks the ``map:`` spec for every record; every path is a ``jmespath.search`` on its text."""

    def __init__(self, plan, flow):
        self.spec = flow.item.data["map"]
        self.ctx = SimpleContext(plan.lookups, flow.item.base_dir)
        self.registry = default_registry()
        self._pipelines: dict[int, list] = {}
        self._build_pipelines(self.spec)  # transform closures built once, up front

    # transform closures, built once per pipeline in the spec
    def _build_pipelines(self, node) -> None:
        if isinstance(node, dict):
            if "transform" in node:
                steps = node["transform"] if isinstance(node["transform"], list) else [node["transform"]]
                built = []
                for step in steps:
                    name, arg = (step, None) if isinstance(step, str) else next(iter(step.items()))
                    plugin = self.registry.get("transform", name)
                    built.append((plugin.factory(arg, self.ctx), plugin.needs_scope))
                self._pipelines[id(node)] = built
            for value in node.values():
                self._build_pipelines(value)
        elif isinstance(node, list):
            for value in node:
                self._build_pipelines(value)

    def map(self, record: dict) -> dict:
        return self.object(self.spec, record)

    def object(self, spec: dict, scope) -> dict:
        out = {}
        for key, entry in spec.items():
            if isinstance(entry, list):
                out[key] = self.list(entry, scope)
            elif not _FIELD_KEYS.isdisjoint(entry):
                value = self.value(entry, scope)
                if value is not _OMIT:
                    out[key] = value
            else:
                out[key] = self.object(entry, scope)
        return out

    def list(self, entries: list, scope) -> list:
        out = []
        for entry in entries:
            if "each" in entry:
                items = jmespath.search(entry["each"], scope, OPTIONS)
                for item in items or ():
                    value = self.value(entry, item)
                    if value is not _OMIT:
                        out.append(value)
            else:
                value = self.value(entry, scope)
                if value is not _OMIT:
                    out.append(value)
        return out

    def value(self, spec: dict, scope):
        if "when" in spec and not truthy(jmespath.search(spec["when"], scope, OPTIONS)):
            other = spec.get("else", _OMIT)
            if isinstance(other, dict) and not _SOURCE_KEYS.isdisjoint(other):
                return self.value(other, scope)
            return other
        if "from" in spec:
            value = jmespath.search(spec["from"], scope, OPTIONS)
        elif "value" in spec:
            value = spec["value"]
            if isinstance(value, (dict, list)):
                value = copy.deepcopy(value)
        else:
            value = self.object(spec["map"], scope)
        for fn, needs_scope in self._pipelines.get(id(spec), ()):
            value = fn(value, scope) if needs_scope else fn(value)
        if spec.get("required") is True and value is None:
            raise ValueError("required value is null")
        if spec.get("omit_null") is True and value is None:
            return _OMIT
        return value


# -- timing ----------------------------------------------------------------------------------------

def time_once(fn, records) -> float:
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        for record in records:
            fn(record)
        return time.perf_counter() - start
    finally:
        gc.enable()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=2000, help="records per round (default 2000)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds (default 7; median reported)")
    parser.add_argument("--profile", action="store_true",
                        help="also print a cProfile of the compiled mapping (by own time)")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 when a target is missed (default: report only)")
    args = parser.parse_args(argv)

    plan = load_plan(EXAMPLE)
    flow = select_flow(plan, FLOW)
    reference = import_reference()
    naive = NaiveMapper(plan, flow)
    records = build_records(enriched_samples(plan, flow), args.records)
    contenders = {"compiled": flow.map, "hand-written": reference.map_order, "naive": naive.map}

    # identical output first (same JSON text: types, key order, exact decimals)
    for record in records:
        texts = {name: dumps(fn(record)) for name, fn in contenders.items()}
        assert len(set(texts.values())) == 1, f"outputs differ for order {record['id']}: {texts}"
    print(f"{FLOW}: {len(records)} enriched records, outputs identical for the 3 contenders")

    # warm-up, then round-robin rounds (the starting contender rotates to spread drift evenly)
    for fn in contenders.values():
        time_once(fn, records[:200])
    names = list(contenders)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for round_no in range(args.rounds):
        order = names[round_no % len(names):] + names[:round_no % len(names)]
        for name in order:
            seconds[name].append(time_once(contenders[name], records))

    rate = {name: len(records) / statistics.median(times) for name, times in seconds.items()}
    print(f"{args.rounds} rounds, median records/s (min..max over rounds):")
    for name in names:
        rates = [len(records) / t for t in seconds[name]]
        print(f"  {name:<13}{rate[name]:>12,.0f}   ({min(rates):,.0f} .. {max(rates):,.0f})"
              f"   {1e6 / rate[name]:7.2f} µs/record")
    vs_hand = rate["compiled"] / rate["hand-written"]
    vs_naive = rate["compiled"] / rate["naive"]
    paired = {other: statistics.median(o / c for c, o in zip(seconds["compiled"], seconds[other]))
              for other in ("hand-written", "naive")}
    ok_hand, ok_naive = vs_hand >= TARGET_VS_HAND, vs_naive >= TARGET_VS_NAIVE
    print(f"compiled / hand-written = {vs_hand:.2f}x  (target >= {TARGET_VS_HAND}x)  "
          f"{'PASS' if ok_hand else 'FAIL'}   median of per-round ratios {paired['hand-written']:.2f}x")
    print(f"compiled / naive        = {vs_naive:.1f}x  (target >= {TARGET_VS_NAIVE:g}x)  "
          f"{'PASS' if ok_naive else 'FAIL'}   median of per-round ratios {paired['naive']:.1f}x")
    if args.profile:
        profile_compiled(flow.map, records)
    return 1 if args.strict and not (ok_hand and ok_naive) else 0


def profile_compiled(fn, records) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for record in records:
        fn(record)
    profiler.disable()
    print("\ncProfile of the compiled mapping (own time; the generated function is "
          "'<passerelle mapping ...>'):")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    sys.exit(main())
