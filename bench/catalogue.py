"""Catalogue sync, Sage 100 (SQL, through ODBC) -> Shopify: the engine vs a hand-written client, first sync
and no-change resync, side by side in one run (issue 14).

The Sage database is a temporary SQLite file with the full Sage 100c schema of
``passerelle_sandbox.sage100sql`` (its parameter tables: range axes, families, depots), read through
unixODBC and the SQLite ODBC driver, plus N generated range articles (``GAM000001``...) of one axis
(Taille) with 3 sellable references each (``GAM000001-S``, ``-M``, ``-L``: F_ARTENUMREF), their stock in
two depots (F_GAMSTOCK) and a variant price for size L (F_TARIFGAM ``a01``), bulk-inserted. The shop is
the Shopify simulator, in a child process, without its rate limit. Each range becomes ONE Shopify
product with its 3 variants through ``productSet`` (one request per product; an upsert by handle).

* engine — ``passerelle run --flow ranges_to_shop`` of ``bench/catalogue_project`` (the ``variants``
           resource of the shipped ``sage100-sql`` connector, which gives each variant's article
           designation, grouped by article, the ledger's payload hashes skipping an unchanged product),
           copied into a temporary folder, with the shipped Shopify connector (its ``rate_limit``, the
           REST budget of 2 requests/s, does not count GraphQL calls; their cost bucket is the
           simulator's, made too large to throttle).
* hand   — what a good engineer writes: one pyodbc query (the connector's ``variants`` SQL), the rows
           grouped by article, one
           httpx ``POST graphql.json`` per product with the same mutation and variables, and a local SQLite
           table of payload hashes (sha256 of the canonical JSON) so an unchanged product is not sent
           again; committed after each product (WAL, synchronous NORMAL: as the engine's ledger).

Each sync is a fresh process (``python -m engine run`` / this script with ``--hand``), forked by a small
launcher that times it (interpreter start and imports included: what a scheduled sync costs) and takes
its peak RSS from ``os.wait4``. A round, per contender: a fresh simulator, the first sync, then the resync with the same
state. Rounds alternate who starts; medians are reported. After each first sync the shop's catalogue
(handle, title, options, each variant's SKU, price, barcode and option values) must be the same for
both contenders; the requests each sync sent are counted by the simulator.

Targets: the resync sends 0 writes (and no request but the reads: Shopify is not read at all) and
takes <= 10 % of the first sync's time, for both contenders; printed for information: engine / hand
time ratio of each phase (hand time / engine time: 1.0 = as fast) and peak RSS.

    .venv/bin/python bench/catalogue.py [--articles 20000] [--rounds 3] [--strict]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0:0] = [str(ROOT), str(ROOT / "sandbox"), str(Path(__file__).resolve().parent)]

PROJECT = ROOT / "bench" / "catalogue_project"
FLOW = "ranges_to_shop"
RESYNC_TARGET = 0.10  # resync time / first sync time
VERSION = "2025-04"
SIZES = ("S", "M", "L")
# the shipped connector's productSet document (specs/connectors/shopify.yaml, operation set_product)
MUTATION = """mutation SetProduct($identifier: ProductSetIdentifiers, $input: ProductSetInput!) {
  productSet(identifier: $identifier, input: $input, synchronous: true) {
    product { id handle updatedAt variantsCount { count } }
    userErrors { field message code }
  }
}
"""
# the connector's `variants` SQL (settings: variant_tariff a01, stock_formula forward, subtract_preparing no)
HAND_SQL = """SELECT e."cbMarq", e."AR_Ref", e."AE_Ref", e."AE_CodeBarre", e."AE_Sommeil", e."AG_No1", e."AG_No2",
ROUND(COALESCE(t."TG_Prix", a."AR_PrixVen"), 6) AS "price",
p1."G_Intitule" AS "axis1", g1."EG_Enumere" AS "value1", p2."G_Intitule" AS "axis2", g2."EG_Enumere" AS "value2",
(SELECT SUM(s."GS_QteSto" + s."GS_QteCom" - s."GS_QteRes") FROM "F_GAMSTOCK" s WHERE s."AR_Ref" = e."AR_Ref"
AND s."AG_No1" = e."AG_No1" AND s."AG_No2" = e."AG_No2") AS "stock",
a."AR_Design"
FROM "F_ARTENUMREF" e JOIN "F_ARTICLE" a ON a."AR_Ref" = e."AR_Ref"
JOIN "F_ARTGAMME" g1 ON g1."AG_No" = e."AG_No1"
LEFT JOIN "F_ARTGAMME" g2 ON g2."AG_No" = e."AG_No2"
LEFT JOIN "P_GAMME" p1 ON p1."cbIndice" = a."AR_Gamme1"
LEFT JOIN "P_GAMME" p2 ON p2."cbIndice" = a."AR_Gamme2" AND e."AG_No2" <> 0
LEFT JOIN "F_TARIFGAM" t ON t."AR_Ref" = e."AR_Ref" AND t."AG_No1" = e."AG_No1" AND t."AG_No2" = e."AG_No2"
AND t."TG_RefCF" = 'a01'"""


# -- the Sage database ---------------------------------------------------------------------------------

def connection_string(db: Path) -> str:
    from odbc import driver  # bench/odbc.py: the SQLite ODBC driver's registered name

    return f"DRIVER={{{driver()}}};Database={db};StepAPI=1"


PARAMETER_TABLES = ("P_GAMME", "F_ENUMGAMME", "F_TAXE", "F_FAMILLE", "F_FAMCOMPTA", "F_DEPOT")


def ranges(n: int):
    """(table, columns, lazy rows) of n range articles with 3 sizes each, their stock and L's price."""
    numbers = range(1, n + 1)

    def no(i: int, k: int) -> int:  # F_ARTGAMME.AG_No: after the seeded catalogue's few
        return 1000 + 3 * i + k
    articles = ((f"GAM{i:06d}", f"Polo piqué coton n° {i} « été »", "LINGE", Decimal(i % 97) + Decimal("3.5"),
                 Decimal(i % 89) + Decimal("9.9"), Decimal(i % 7 + 1) / 10, 0, 1, 1, 0, 1,
                 f"376{i:010d}") for i in numbers)
    values = ((no(i, k), f"GAM{i:06d}", size, 0) for i in numbers for k, size in enumerate(SIZES))
    enumref = ((f"GAM{i:06d}", no(i, k), 0, f"GAM{i:06d}-{size}", f"377{i:09d}{k}", Decimal("3.5"), 0)
               for i in numbers for k, size in enumerate(SIZES))
    stock = ((f"GAM{i:06d}", no(i, k), 0, depot, Decimal((i + k * 7 + depot) % 23), Decimal(i % 3), Decimal(k))
             for i in numbers for k in range(3) for depot in (1, 2))
    tariff = ((f"GAM{i:06d}", "a01", no(i, 2), 0, Decimal(i % 89) + Decimal("11.9")) for i in numbers)
    return [("F_ARTICLE", ("AR_Ref", "AR_Design", "FA_CodeFamille", "AR_PrixAch", "AR_PrixVen", "AR_PoidsNet",
                           "AR_Sommeil", "AR_Publie", "AR_Gamme1", "AR_Gamme2", "AR_Type", "AR_CodeBarre"), articles),
            ("F_ARTGAMME", ("AG_No", "AR_Ref", "EG_Enumere", "AG_Type"), values),
            ("F_ARTENUMREF", ("AR_Ref", "AG_No1", "AG_No2", "AE_Ref", "AE_CodeBarre", "AE_PrixAch", "AE_Sommeil"),
             enumref),
            ("F_GAMSTOCK", ("AR_Ref", "AG_No1", "AG_No2", "DE_No", "GS_QteSto", "GS_QteRes", "GS_QteCom"), stock),
            ("F_TARIFGAM", ("AR_Ref", "TG_RefCF", "AG_No1", "AG_No2", "TG_Prix"), tariff)]


def make_db(path: Path, n: int) -> Path:
    """The Sage 100c schema, its parameter tables from the seeded catalogue, and n generated ranges."""
    from passerelle_sandbox.sage100sql import create_statements
    from passerelle_sandbox.sage100sql_seed import CATALOGUE, SEEDED_AT, insert_sql

    stamp = SEEDED_AT.isoformat(sep=" ")
    plain = lambda v: str(v) if isinstance(v, Decimal) else v.isoformat(sep=" ") if hasattr(v, "isoformat") else v  # noqa: E731
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        for statement in create_statements("sqlite"):
            db.execute(statement)
        tables = [(t, c, r) for t, c, r in CATALOGUE if t in PARAMETER_TABLES] + ranges(n)
        for table, columns, rows in tables:
            db.executemany(insert_sql(table, columns), ((*map(plain, row), stamp) for row in rows))
    return path


# -- the simulator (a child process, see bench/sync.py) ----------------------------------------------

def shop_report(sb) -> dict:
    """In the simulator's process: the requests since the last call (by method and GraphQL operation) and a
    digest of the catalogue the syncs built (ids left out: both contenders must build the same shop)."""
    from collections import deque

    sim = sb.sim("shopify")
    counts = Counter(f"{method} {path.split('?')[0].rsplit('/', 1)[-1]}" for method, path, _ in sim.requests)
    sim.requests = deque()  # unbounded from now on (the default keeps the last 20,000)
    writes, sim.product_writes = len(sim.product_writes), []
    ours = sorted((p for p in sim.products if str(p.get("handle", "")).startswith("gam")), key=lambda p: p["handle"])
    shape = [(p["handle"], p["title"], p.get("status"), p.get("options"),
              [(v["sku"], v["price"], v.get("barcode"), v["optionValues"]) for v in p["variants"]]) for p in ours]
    digest = hashlib.sha256(json.dumps(shape, sort_keys=True, default=str).encode()).hexdigest()
    return {"requests": dict(counts), "product_writes": writes, "products": len(ours), "digest": digest,
            "sample": shape[:1]}


def start_shop():
    from sync import RemoteSims

    options = {"shopify": {"graphql_bucket": 1e12, "restore_rate": 1e12, "rest_bucket": 10**9, "rest_leak": 1e9}}
    sims = RemoteSims(1, 1, systems=("shopify",), options=options, report=shop_report)
    sims.outcome()  # resets the request log (unbounded)
    return sims


# -- the contenders --------------------------------------------------------------------------------

def engine_project(folder: Path) -> Path:
    """bench/catalogue_project, with the shipped Shopify connector as it is: its `rate_limit` (the REST
    budget) does not count GraphQL calls, and the simulator's cost bucket is too large to throttle."""
    project = folder / "project"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns(".passerelle"))
    return project


def money(value) -> str:
    """A price as Shopify takes it: text with 2 decimals (the driver gives text or float, never Decimal)."""
    return str(Decimal(value if isinstance(value, str) else repr(value)).quantize(Decimal("0.01")))


def hand_sync(odbc: str, url: str, token: str, state: Path) -> dict:
    """The hand-written client: read, group, build, skip what the hash table says was sent, POST the rest."""
    import httpx
    import pyodbc

    conn = pyodbc.connect(odbc, autocommit=True)  # streams (the SQLite driver buffers inside a transaction)
    groups: dict[str, list] = {}
    try:
        cursor = conn.cursor()
        cursor.execute(HAND_SQL)
        while True:
            rows = cursor.fetchmany(500)
            if not rows:
                break
            for row in rows:
                groups.setdefault(row.AR_Ref, []).append(row)
    finally:
        conn.close()
    store = sqlite3.connect(state)
    store.execute("PRAGMA journal_mode=WAL")  # as the engine's ledger: durable across a crash of the process
    store.execute("PRAGMA synchronous=NORMAL")
    store.execute("CREATE TABLE IF NOT EXISTS sent (handle TEXT PRIMARY KEY, hash TEXT NOT NULL, id TEXT NOT NULL)")
    known = dict(store.execute("SELECT handle, hash FROM sent"))
    sent = skipped = 0
    client = httpx.Client(base_url=f"{url}/admin/api/{VERSION}", timeout=30,
                          headers={"X-Shopify-Access-Token": token, "Accept": "application/json"})
    try:
        for ref, rows in groups.items():
            rows.sort(key=lambda r: r.AE_Ref)
            handle, first = ref.lower(), rows[0]
            variables = {"identifier": {"handle": handle}, "input": {
                "title": first.AR_Design, "handle": handle, "status": "ACTIVE",
                "productOptions": [{"name": first.axis1, "values": [{"name": r.value1} for r in rows]}],
                "variants": [{"sku": r.AE_Ref, "barcode": r.AE_CodeBarre,
                              "price": money(r.price),
                              "optionValues": [{"optionName": r.axis1, "name": r.value1}]} for r in rows]}}
            digest = hashlib.sha256(json.dumps(variables, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
            if known.get(handle) == digest:
                skipped += 1
                continue
            body = json.dumps({"query": MUTATION, "variables": variables}, ensure_ascii=False).encode()
            response = client.post("/graphql.json", content=body, headers={"Content-Type": "application/json"})
            response.raise_for_status()
            answer = response.json()
            result = (answer.get("data") or {}).get("productSet") or {}
            if answer.get("errors") or result.get("userErrors"):
                raise SystemExit(f"{ref}: {answer.get('errors') or result['userErrors']}")
            store.execute("INSERT OR REPLACE INTO sent VALUES (?, ?, ?)", (handle, digest, result["product"]["id"]))
            store.commit()
            sent += 1
    finally:
        client.close()
        store.close()
    return {"read": sum(map(len, groups.values())), "sent": sent, "skipped": skipped}


# run by a small interpreter that forks the sync: Linux carries the peak RSS of the process that execs into
# the new program (and a vfork child shares its parent's), so a sync started straight from this big process
# would report at least this process's RSS
LAUNCHER = """import json, os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    json.dump({"seconds": time.perf_counter() - start, "rss": usage.ru_maxrss / 1024,
               "code": os.waitstatus_to_exitcode(status)}, out)
"""


def timed(argv: list[str], env: dict, folder: Path) -> dict:
    """One sync in a fresh process: its wall time and peak RSS, measured by a small launcher (above)."""
    result = folder / "timed.json"
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        subprocess.run([sys.executable, "-S", "-c", LAUNCHER, str(result), *argv], stdout=out, stderr=err, env=env,
                       cwd=ROOT, check=False)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    measured = json.loads(result.read_text()) if result.exists() else {"code": -1}
    if measured["code"] != 0:
        raise SystemExit(f"{' '.join(argv[:4])}... failed ({measured['code']}):\n{stdout}\n{stderr}")
    return {**measured, "stdout": stdout, "stderr": stderr}


def run_round(name: str, db: Path, folder: Path, n: int) -> dict:
    """A fresh shop, then the first sync and the resync of one contender."""
    work = folder / f"{name}-{time.monotonic_ns()}"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "sandbox"),
                                                        os.environ.get("PYTHONPATH", "")])}
    sims = start_shop()
    try:
        url, token = sims.url("shopify"), sims.credentials("shopify")["access_token"]
        odbc = connection_string(db)
        if name == "engine":
            env.update(BENCH_SAGE_ODBC=odbc, BENCH_SHOPIFY_URL=url, BENCH_SHOPIFY_TOKEN=token)
            argv = [sys.executable, "-m", "engine", "run", str(engine_project(work)), "--state", str(work / "state"),
                    "--flow", FLOW]
        else:
            argv = [sys.executable, __file__, "--hand", "--odbc", odbc, "--url", url, "--token", token,
                    "--state", str(work / "hashes.db")]
        out: dict = {}
        for phase in ("first", "resync"):
            out[phase] = timed(argv, env, work)
            out[phase]["shop"] = sims.outcome()
        first = out["first"]["shop"]
        assert first["product_writes"] == n and first["products"] == n, (name, first, out["first"]["stderr"][-2000:])
        return out
    finally:
        sims.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000, help="range articles (3 variants each)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--hand", action="store_true", help=argparse.SUPPRESS)
    for hidden in ("--odbc", "--url", "--token", "--state"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.hand:
        print(json.dumps(hand_sync(args.odbc, args.url, args.token, Path(args.state))))
        return 0
    n = args.articles
    results: dict[str, list[dict]] = {"engine": [], "hand": []}
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="bench-catalogue-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        db = make_db(folder / "sage.db", n)
        made = time.perf_counter() - start
        for round_ in range(args.rounds):
            for name in (("engine", "hand") if round_ % 2 == 0 else ("hand", "engine")):
                results[name].append(run_round(name, db, folder, n))
    digests = {r["first"]["shop"]["digest"] for rs in results.values() for r in rs}
    assert len(digests) == 1, ("the contenders built different catalogues",
                               {k: [r["first"]["shop"]["sample"] for r in rs] for k, rs in results.items()})
    load = f"{load_before} before, " + " ".join(f"{x:.2f}" for x in os.getloadavg()) + " after"
    print(f"Catalogue sync Sage 100 SQL (ODBC, SQLite driver) -> Shopify simulator: {n:,} range articles x "
          f"{len(SIZES)} variants = {n:,} productSet, {args.rounds} round(s), medians, fresh process per sync, "
          f"load {load} (database made in {made:.1f} s)")
    med = {name: {phase: statistics.median(r[phase]["seconds"] for r in rs) for phase in ("first", "resync")}
           for name, rs in results.items()}
    rss = {name: {phase: statistics.median(r[phase]["rss"] for r in rs) for phase in ("first", "resync")}
           for name, rs in results.items()}
    ok = True
    print(f"  {'':8} {'first sync':>12} {'resync':>10} {'resync/first':>13} {'resync requests':>16} "
          f"{'peak RSS first/resync':>22}")
    for name, rs in results.items():
        resync_requests = max(sum(r["resync"]["shop"]["requests"].values()) for r in rs)
        resync_writes = max(r["resync"]["shop"]["product_writes"] for r in rs)
        share = med[name]["resync"] / med[name]["first"]
        passed = resync_writes == 0 and resync_requests == 0 and share <= RESYNC_TARGET
        ok &= passed
        print(f"  {name:8} {med[name]['first']:>10.2f} s {med[name]['resync']:>8.2f} s {share:>12.1%} "
              f"{resync_requests:>16} {rss[name]['first']:>10.1f} / {rss[name]['resync']:.1f} MiB  "
              f"(target: 0 requests, <= {RESYNC_TARGET:.0%}) {'PASS' if passed else 'FAIL'}")
    first_requests = {name: max(sum(r["first"]["shop"]["requests"].values()) for r in rs)
                      for name, rs in results.items()}
    print(f"  first sync requests: engine {first_requests['engine']:,}, hand {first_requests['hand']:,} "
          f"(same catalogue built: yes)")
    for phase in ("first", "resync"):
        print(f"  {phase:6} engine / hand speed: {med['hand'][phase] / med['engine'][phase]:.2f}x "
              f"({med['engine'][phase]:.2f} s vs {med['hand'][phase]:.2f} s; information, no target)")
    print(f"  peak RSS engine / hand, first sync: {rss['engine']['first'] / rss['hand']['first']:.2f}x")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
