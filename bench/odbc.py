"""ODBC read throughput and memory: articles with their stock read through the connector vs a hand-written
pyodbc loop, over the SQLite ODBC driver (unixODBC + libsqliteodbc).

The database (a temporary SQLite file) holds N articles in ``F_ARTICLE`` with their stock in two depots of
``F_ARTSTOCK``; both contenders run the same query (one row per article: designation, price, modification
stamp, physical and forward stock summed over the depots) and produce the SAME records — dicts keyed by
column, numbers as exact ``Decimal``, the naive ``cbModification`` given its time zone (ISO 8601 text with
the offset, as the connector reads a Sage database):

* connector — ``open_connector(...).read("articles")``, every page, records as the runtime gets them;
* hand      — what a good engineer writes: one ``pyodbc`` connection, ``fetchmany(batch)``,
              ``dict(zip(columns, row))``, the float and datetime columns converted by index.

Each measurement is a fresh subprocess (``resource.getrusage`` maxrss is per process), rounds alternate
which contender starts; medians are reported. Before timing, both contenders' records are compared on a
small database (identical lists).

Targets: connector rows/s >= 0.8x hand; connector peak RSS at N rows within 10 % of its peak at N/10.

    .venv/bin/python bench/odbc.py [--rows 100000] [--small 10000] [--rounds 3] [--strict]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SPEED_TARGET, RSS_TARGET = 0.8, 1.10
BATCH = 500
ZONE = "Europe/Paris"
QUERY = ("SELECT a.AR_Ref, a.AR_Design, a.AR_PrixVen, a.cbModification, SUM(s.AS_QteSto) AS stock, "
         "SUM(s.AS_QteSto + s.AS_QteCom - s.AS_QteRes) AS forward FROM F_ARTICLE a "
         "JOIN F_ARTSTOCK s ON s.AR_Ref = a.AR_Ref WHERE a.AR_Sommeil = 0 "
         "GROUP BY a.AR_Ref, a.AR_Design, a.AR_PrixVen, a.cbModification")


def make_db(path: Path, rows: int) -> Path:
    with sqlite3.connect(path) as db:
        db.executescript("""
            CREATE TABLE F_ARTICLE (AR_Ref VARCHAR(19) PRIMARY KEY, AR_Design VARCHAR(69) NOT NULL,
              AR_PrixVen NUMERIC(24,6) NOT NULL, AR_Sommeil SMALLINT NOT NULL DEFAULT 0, cbModification DATETIME);
            CREATE TABLE F_ARTSTOCK (AR_Ref VARCHAR(19) NOT NULL, DE_No INTEGER NOT NULL,
              AS_QteSto NUMERIC(24,6) NOT NULL, AS_QteRes NUMERIC(24,6) NOT NULL, AS_QteCom NUMERIC(24,6) NOT NULL,
              PRIMARY KEY (AR_Ref, DE_No));""")
        db.executemany("INSERT INTO F_ARTICLE VALUES (?, ?, ?, 0, ?)",
                       ((f"AR{i:07d}", f"Article n°{i} « été »", f"{i % 997}.{i % 100:02d}",
                         f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00")
                        for i in range(rows)))
        db.executemany("INSERT INTO F_ARTSTOCK VALUES (?, ?, ?, ?, ?)",
                       ((f"AR{i:07d}", depot, i % 50 + depot, i % 3, i % 7) for i in range(rows) for depot in (1, 2)))
    return path


def driver() -> str:
    import pyodbc

    for name in ("SQLite3", "SQLite3 ODBC Driver"):
        if name in pyodbc.drivers():
            return name
    raise SystemExit(f"no SQLite ODBC driver (drivers: {pyodbc.drivers()}); install libsqliteodbc")


def connection_string(db: str) -> str:
    return f"DRIVER={{{driver()}}};Database={db};StepAPI=1"


# -- the two contenders (run in a child process) -----------------------------------------------------

def connector_pages(db: str):
    from engine.connectors.compile import open_connector

    definition = {"name": "bench", "protocol": "odbc", "settings": {"database": {"required": True}},
                  "odbc": {"connection": "DRIVER={{" + driver() + "}};Database={settings.database};StepAPI=1",
                           "batch": BATCH, "timezone": ZONE},
                  "resources": {"articles": {"sql": QUERY, "key": "AR_Ref"}}, "operations": {}}
    endpoint = open_connector("bench", definition, {"database": db})
    try:
        yield from endpoint.read("articles")
    finally:
        endpoint.close()


def hand_pages(db: str):
    import pyodbc

    zone = ZoneInfo(ZONE)
    conn = pyodbc.connect(connection_string(db), autocommit=True)  # streams (see the connector)
    try:
        cursor = conn.cursor()
        cursor.execute(QUERY)
        columns = [c[0] for c in cursor.description]
        fix = [(c[0], c[1]) for c in cursor.description if c[1] in (float, datetime)]
        while True:
            rows = cursor.fetchmany(BATCH)
            if not rows:
                break
            page = [dict(zip(columns, row)) for row in rows]
            for name, kind in fix:
                for record in page:
                    value = record[name]
                    if value is None:
                        continue
                    if kind is float:
                        record[name] = Decimal(repr(value))
                    else:
                        record[name] = value.replace(tzinfo=zone).isoformat()
            yield page
        cursor.close()
        conn.rollback()
    finally:
        conn.close()


CONTENDERS = {"connector": connector_pages, "hand": hand_pages}


def child(name: str, db: str, dump: bool) -> None:
    pages = CONTENDERS[name]
    import pyodbc  # noqa: F401  (imports are not what is measured)

    if name == "connector":
        import engine.connectors.compile  # noqa: F401
        import engine.connectors.odbc_endpoint  # noqa: F401
    if dump:  # the records, for the identity check
        print(json.dumps([r for page in pages(db) for r in page], default=str, sort_keys=True))
        return
    start = time.perf_counter()
    count = 0
    for page in pages(db):
        count += len(page)
    seconds = time.perf_counter() - start
    print(json.dumps({"rows": count, "seconds": seconds,
                      "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def spawn(name: str, db: Path, dump: bool = False) -> dict | list:
    argv = [sys.executable, __file__, "--child", name, "--db", str(db)] + (["--dump"] if dump else [])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=0, help="rows of the RSS comparison's small run "
                        "(default: rows / 10)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--child", choices=sorted(CONTENDERS), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--dump", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.db, args.dump)
        return 0
    small = args.small or max(1, args.rows // 10)
    with tempfile.TemporaryDirectory(prefix="bench-odbc-") as folder:
        check = make_db(Path(folder) / "check.db", min(small, 300))
        assert spawn("connector", check, dump=True) == spawn("hand", check, dump=True), "different records"
        big, little = make_db(Path(folder) / "big.db", args.rows), make_db(Path(folder) / "small.db", small)
        speed: dict[str, list[float]] = {"connector": [], "hand": []}
        rss: dict[str, list[float]] = {"big": [], "small": []}
        for round_ in range(args.rounds):
            order = ["connector", "hand"] if round_ % 2 == 0 else ["hand", "connector"]
            for name in order:
                result = spawn(name, big)
                assert isinstance(result, dict) and result["rows"] == args.rows, result
                speed[name].append(result["rows"] / result["seconds"])
                if name == "connector":
                    rss["big"].append(result["maxrss_mib"])
            result = spawn("connector", little)
            assert isinstance(result, dict)
            rss["small"].append(result["maxrss_mib"])
    conn, hand = statistics.median(speed["connector"]), statistics.median(speed["hand"])
    ratio = conn / hand
    big_rss, small_rss = statistics.median(rss["big"]), statistics.median(rss["small"])
    growth = big_rss / small_rss
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"ODBC read of {args.rows:,} articles with stock (2 depots), SQLite ODBC driver, batch {BATCH}, "
          f"{args.rounds} round(s), medians, load {load}")
    print(f"  connector  {conn:>10,.0f} rows/s")
    print(f"  hand       {hand:>10,.0f} rows/s")
    ok_speed, ok_rss = ratio >= SPEED_TARGET, growth <= RSS_TARGET
    print(f"  connector / hand: {ratio:.2f}x (target >= {SPEED_TARGET}x) {'PASS' if ok_speed else 'FAIL'}")
    print(f"  connector peak RSS: {small_rss:.1f} MiB at {small:,} rows, {big_rss:.1f} MiB at {args.rows:,} rows: "
          f"{growth:.3f}x (target <= {RSS_TARGET}x) {'PASS' if ok_rss else 'FAIL'}")
    return 1 if args.strict and not (ok_speed and ok_rss) else 0


if __name__ == "__main__":
    sys.exit(main())
