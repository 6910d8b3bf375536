"""Extraction throughput: orders read through the connector vs a minimal hand-written httpx loop.

For each shop simulator (PrestaShop always; WooCommerce, Magento, Shopify as extra rows when their
simulator and connector file exist and work), two contenders read every order of the same running
simulator, timed in the same run, round-robin (the starting contender alternates):

* connector — ``HttpEndpoint(...).read("orders")`` with the shipped connector definition
              (``specs/connectors/<shop>.yaml``, compiled once as the engine compiles it once per
              plan; the endpoint is opened for every read), its pagination style and page size, its
              XML/JSON decoding: pages of records as Python dicts;
* hand      — what a developer would write against that one API: one ``httpx.Client``, the same URL,
              the same query parameters and page size, the vendor's paging loop written out, and the
              smallest decoding that yields the SAME dicts: for PrestaShop, lxml and two nested
              comprehensions (leaf element -> text, ``associations`` -> lists of dicts); for the JSON
              APIs, ``json.loads(..., parse_float=Decimal)`` and the records' path. Authentication that
              is not a plain header (WooCommerce OAuth 1.0a signatures, Magento's admin token) reuses the
              engine's ``httpx.Auth`` object: same cost on both sides, not what is measured.

Before timing, the script asserts that both contenders give identical records (same dicts, same
order) and the number the simulator holds. The simulators run in a child process (``--in-process``:
threads of this process, sharing its GIL); reads do not change them, so each system's simulator
serves every round.

Two figures per contender: wall time, and the client's CPU time (``time.process_time()`` of this
process around the read: with the simulators in a child process, that is the client's side alone;
with ``--in-process`` it would count the simulators' threads too, so it is not judged then).

Targets, every row: connector >= 0.9x hand in records/s (wall) and >= 0.9x in records per CPU-second
of the client (CPU ratio = hand's CPU / connector's CPU).

    .venv/bin/python bench/extract.py [--orders 5000] [--rounds 3] [--shops prestashop,...]
                                      [--extra-orders 2000] [--shopify-orders 400]
                                      [--in-process] [--profile] [--strict]
"""
from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
from lxml import etree  # noqa: E402

from engine.connectors.http.client import HttpEndpoint  # noqa: E402
from engine.connectors.compile import compile_connector  # noqa: E402
from engine.connectors.registry import open_endpoint  # noqa: E402
from engine.spec.env import Secret  # noqa: E402
from engine.project.load import ConnectorStore  # noqa: E402
from sync import LocalSims, RemoteSims, bare_tls  # noqa: E402  (simulators in a child process, shared with sync.py;
#                                                         bare_tls: TLS settings made once, as the engine makes them)

CONNECTORS = ROOT / "specs" / "connectors"
TARGET = 0.9  # wall and client CPU, every row
_PLANS: dict[str, object] = {}
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def load_connector(name: str) -> dict:
    doc = ConnectorStore().load(CONNECTORS / f"{name}.yaml")
    errors = [d for d in doc.diagnostics if d.is_error]
    if not doc.ok or errors:
        raise RuntimeError(f"connector {name}: " + "; ".join(d.format_text() for d in errors[:3]))
    return doc.data["connector"]


def endpoint(system: str, definition: dict, sims) -> HttpEndpoint:
    declared = definition.get("settings") or {}
    settings = {k: d["default"] for k, d in declared.items() if isinstance(d, dict) and "default" in d}
    settings.update({"base_url": sims.url(system), **sims.credentials(system)})
    settings = {k: Secret(v) if (declared.get(k) or {}).get("secret") and isinstance(v, str) else v
                for k, v in settings.items()}
    plan = _PLANS.get(system)
    if plan is None:  # compiled once, as the engine compiles a connector once per plan (not timed)
        plan, diags = compile_connector(definition, lambda path: None)
        if plan is None or any(d.is_error for d in diags):
            raise RuntimeError(f"connector {system} does not compile")
        _PLANS[system] = plan
    return open_endpoint(system, plan, settings)  # type: ignore[arg-type]


def engine_auth(system: str, definition: dict, sims) -> httpx.Auth:
    """The connector's own auth flow (signing and token fetching cost the same for every contender)."""
    with endpoint(system, definition, sims) as opened:
        return opened.client.auth


def page_size_of(definition: dict, resource: str = "orders") -> int:
    res = definition["resources"][resource]
    spec = res.get("pagination") or definition["http"].get("pagination") or {}
    return int(spec.get("page_size", 100))


# -- the hand-written loops (one per shop API) ---------------------------------------------------

def hand_prestashop(sims, definition: dict) -> list[dict]:
    size = page_size_of(definition)
    records: list[dict] = []
    with httpx.Client(verify=bare_tls(), base_url=sims.api_url("prestashop"),
                      auth=(sims.credentials("prestashop")["key"], ""), timeout=30) as client:
        offset = 0
        while True:
            response = client.get("orders", params={"display": "full", "limit": f"{offset},{size}"})
            response.raise_for_status()
            page = [{child.tag: (child.text or "") if len(child) == 0 else
                     {lst.tag: [{f.tag: f.text or "" for f in item} for item in lst] for lst in child}
                     for child in order}
                    for order in etree.fromstring(response.content, SAFE_PARSER)[0]]
            records += page
            if len(page) < size:
                return records
            offset += size


def hand_woocommerce(sims, definition: dict) -> list[dict]:
    size = page_size_of(definition)
    auth = engine_auth("woocommerce", definition, sims)
    records: list[dict] = []
    with httpx.Client(verify=bare_tls(), base_url=sims.api_url("woocommerce").rstrip("/") + "/", auth=auth, timeout=30,
                      headers={"Accept": "application/json"}) as client:
        page = 1
        while True:
            response = client.get("orders", params={"orderby": "id", "order": "asc", "page": page, "per_page": size})
            response.raise_for_status()
            records += json.loads(response.content, parse_float=Decimal)
            if page >= int(response.headers["X-WP-TotalPages"]):
                return records
            page += 1


def hand_magento(sims, definition: dict) -> list[dict]:
    size = page_size_of(definition)
    auth = engine_auth("magento", definition, sims)
    params = dict(definition["resources"]["orders"].get("params") or {})
    records: list[dict] = []
    with httpx.Client(verify=bare_tls(), base_url=sims.api_url("magento"), auth=auth, timeout=60,
                      headers={"Accept": "application/json"}) as client:
        page = 1
        while True:
            response = client.get("orders", params={**params, "searchCriteria[currentPage]": page,
                                                    "searchCriteria[pageSize]": size})
            response.raise_for_status()
            body = json.loads(response.content, parse_float=Decimal)
            records += body["items"]
            if page * size >= body["total_count"] or not body["items"]:
                return records
            page += 1


def hand_shopify(sims, definition: dict) -> list[dict]:
    size = page_size_of(definition)
    query = definition["resources"]["orders"]["graphql"]
    records: list[dict] = []
    with httpx.Client(verify=bare_tls(), base_url=sims.api_url("shopify"), timeout=30,
                      headers={"Accept": "application/json", "Content-Type": "application/json",
                               "X-Shopify-Access-Token": sims.credentials("shopify")["access_token"]}) as client:
        cursor = None
        while True:
            response = client.post("graphql.json", content=json.dumps(
                {"query": query, "variables": {"first": size, "after": cursor}}))
            response.raise_for_status()
            orders = json.loads(response.content, parse_float=Decimal)["data"]["orders"]
            records += [edge["node"] for edge in orders["edges"]]
            if not orders["pageInfo"]["hasNextPage"]:
                return records
            cursor = orders["pageInfo"]["endCursor"]


HAND = {"prestashop": hand_prestashop, "woocommerce": hand_woocommerce, "magento": hand_magento,
        "shopify": hand_shopify}


# -- timing --------------------------------------------------------------------------------------

def via_connector(system: str, definition: dict, sims) -> list[dict]:
    with endpoint(system, definition, sims) as ep:
        return [record for page in ep.read("orders") for record in page]


def time_once(fn) -> tuple[float, float, int]:
    """(wall seconds, this process's CPU seconds, records)."""
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    records = fn()
    return time.perf_counter() - start, time.process_time() - cpu, len(records)


# Shopify's GraphQL cost bucket (2,000 points, 100/s) would make the row measure the vendor's rate limit
# (several seconds per 10-order page): the simulator gets an unlimited bucket here, so parsing is measured.
SIM_OPTIONS = {"shopify": {"graphql_bucket": 1e12, "restore_rate": 1e12}}


def bench_system(system: str, orders: int, rounds: int, sims_class, seed: int) -> dict:
    definition = load_connector(system)
    sims = sims_class(seed, orders, (system,), {system: SIM_OPTIONS[system]} if system in SIM_OPTIONS else None)
    try:
        contenders = {"connector": lambda: via_connector(system, definition, sims),
                      "hand": lambda: HAND[system](sims, definition)}
        first = {name: fn() for name, fn in contenders.items()}  # also the warm-up
        assert first["connector"] == first["hand"], f"{system}: the contenders read different records"
        n = len(first["connector"])
        assert system != "prestashop" or n == orders, f"read {n} orders, the simulator holds {orders}"
        del first
        names = list(contenders)
        seconds: dict[str, list[float]] = {name: [] for name in names}
        cpu: dict[str, list[float]] = {name: [] for name in names}
        for round_no in range(rounds):
            for name in names[round_no % 2:] + names[:round_no % 2]:
                s, c, count = time_once(contenders[name])
                assert count == n, (system, name, count, n)
                seconds[name].append(s)
                cpu[name].append(c)
        return {"records": n, "seconds": seconds, "cpu": cpu, "page_size": page_size_of(definition)}
    finally:
        sims.stop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=5000, help="orders in each shop (default 5000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3; median reported)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--shops", default="prestashop,woocommerce,magento,shopify",
                        help="comma-separated; a shop whose simulator or connector is missing or broken is "
                             "reported and skipped (PrestaShop is required)")
    parser.add_argument("--extra-orders", type=int, default=2000,
                        help="orders for the WooCommerce and Magento rows (default 2000)")
    parser.add_argument("--shopify-orders", type=int, default=400,
                        help="orders for the Shopify row (default 400: 40 pages of 10, under the connector's "
                             "client-side burst of 40 calls, after which it paces at 2 calls/s)")
    parser.add_argument("--in-process", action="store_true", help="simulators in this process (threads)")
    parser.add_argument("--profile", action="store_true", help="cProfile of one PrestaShop connector read")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)
    sims_class = LocalSims if args.in_process else RemoteSims

    results, skipped = {}, {}
    for system in [s.strip() for s in args.shops.split(",") if s.strip()]:
        orders = {"prestashop": args.orders, "shopify": args.shopify_orders}.get(system, args.extra_orders)
        if system != "prestashop" and not (CONNECTORS / f"{system}.yaml").is_file():
            skipped[system] = f"no connector file specs/connectors/{system}.yaml"
            continue
        try:
            results[system] = bench_system(system, orders, args.rounds, sims_class, args.seed)
        except Exception as exc:
            if system == "prestashop":
                raise
            skipped[system] = f"{type(exc).__name__}: {str(exc)[:200]}"

    where = "in this process (threads)" if args.in_process else "in a child process"
    print(f"orders read through the connector vs by hand; simulators {where}; {args.rounds} rounds, "
          f"median records/s (min..max) and median client CPU per record; identical records checked first; "
          f"target >= {TARGET}x for both ratios, every row")
    print(f"  {'shop':<12}{'orders':>7}{'page':>6}{'connector':>12}{'hand':>12}   wall   {'µs CPU/rec':>16}    CPU")
    ok = True
    for system, r in results.items():
        rate = {name: r["records"] / statistics.median(times) for name, times in r["seconds"].items()}
        ratio = rate["connector"] / rate["hand"]
        us = {name: statistics.median(times) / r["records"] * 1e6 for name, times in r["cpu"].items()}
        cpu_ratio = us["hand"] / us["connector"] if us["connector"] else float("inf")
        row_ok = ratio >= TARGET and (args.in_process or cpu_ratio >= TARGET)
        ok = ok and row_ok
        cpu_shown = "n/a (in-process)" if args.in_process else f"{cpu_ratio:.2f}x"
        spread = "  ".join(f"{name} {min(r['records'] / t for t in ts):,.0f}..{max(r['records'] / t for t in ts):,.0f}"
                           for name, ts in r["seconds"].items())
        print(f"  {system:<12}{r['records']:>7}{r['page_size']:>6}{rate['connector']:>12,.0f}{rate['hand']:>12,.0f}"
              f"  {ratio:.2f}x  {us['connector']:>7.0f} vs {us['hand']:<5.0f}  {cpu_shown}  "
              f"{'PASS' if row_ok else 'FAIL'}    [{spread}]")
    for system, why in skipped.items():
        print(f"  {system:<12} skipped: {why}")
    if args.profile:
        profile_prestashop(args.orders, sims_class, args.seed)
    return 1 if args.strict and not ok else 0


def profile_prestashop(orders: int, sims_class, seed: int) -> None:
    import cProfile
    import pstats

    definition = load_connector("prestashop")
    sims = sims_class(seed, orders, ("prestashop",))
    try:
        via_connector("prestashop", definition, sims)
        profiler = cProfile.Profile()
        profiler.enable()
        via_connector("prestashop", definition, sims)
        profiler.disable()
    finally:
        sims.stop()
    print("\ncProfile of one PrestaShop connector read (own time):")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    sys.exit(main())
