"""The run state's cost per record: the embedded SQLite store vs the PostgreSQL store, side by side.

Each contender does, per record, what a run of the reference flow does to its state: read the entry,
commit the intent, settle ``done`` with its cross-reference, settle ``acked`` with the
acknowledgement's result (four round trips, three commits). SQLite: a file on disk (WAL). PostgreSQL:
the database ``--state URL`` names (migrated here), else a temporary cluster started for the run
(``tests/pg_support.py``: fsync off — a bound on the server's side, not a durable setting). Rounds
alternate the contenders; the median of the rounds is printed with min..max, and the ratio.
``--writers N`` also runs N PostgreSQL writers at once (threads, one connection and project each):
the records/s of all of them together, against one writer.

Target: none fixed (the state is not the limit of a run: one HTTP write per record costs more); the
figures size a worker (docs/runtime.md) and show what a shared database costs per record.

    .venv/bin/python bench/state_store.py [--records 2000] [--rounds 3] [--writers 2] [--state URL]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "tests"))

from engine.runtime import pg_schema  # noqa: E402
from engine.runtime.pg_store import PostgresStore  # noqa: E402
from engine.runtime.state import ACKED, DONE, SqliteStore  # noqa: E402
from engine.runtime.xref_store import Pair  # noqa: E402

PAYLOAD = '{"doc": {"DO_Ref": "PS_1", "lines": [{"AR_Ref": "MUG", "qty": 2, "price": "12.50"}]}}'


def cycle(store, records: int, offset: int = 0) -> None:
    for number in range(offset, offset + records):
        key = str(number)
        store.entry("orders_to_sage", key)
        store.intend("orders_to_sage", key, PAYLOAD, '{"id": %d}' % number, creating=True)
        store.settle("orders_to_sage", key, f"BC{number}", DONE,
                     pair=Pair("shop", "orders", key, "sage", "orders_to_sage"))
        store.settle("orders_to_sage", key, f"BC{number}", ACKED, ack=("shop.add_order_history", None))


def timed(open_store, records: int) -> float:
    store = open_store()
    try:
        started = time.perf_counter()
        cycle(store, records)
        return records / (time.perf_counter() - started)
    finally:
        store.close()


def writers(url: str, records: int, count: int) -> float:
    """records/s of ``count`` writers at once (each its project, its connection)."""
    stores = [PostgresStore(url, f"bench-{uuid.uuid4().hex[:8]}") for _ in range(count)]
    threads = [threading.Thread(target=cycle, args=(store, records)) for store in stores]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    for store in stores:
        store.close()
    return count * records / elapsed


def line(name: str, values: list[float]) -> str:
    return f"{name:<28} {statistics.median(values):9.0f} records/s  ({min(values):.0f}..{max(values):.0f})"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=2000, help="records per round (default 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3; median reported)")
    parser.add_argument("--writers", type=int, default=2, help="PostgreSQL writers at once (default 2; 1: none)")
    parser.add_argument("--state", metavar="URL", help="a PostgreSQL database (default: a temporary cluster)")
    args = parser.parse_args(argv)
    cluster = None
    url = args.state
    if url is None:
        import pg_support

        cluster = pg_support.start_cluster(odbc=False)
        url = cluster.create_database("bench_state")
    try:
        connection = pg_schema.connect(url)
        pg_schema.upgrade(connection, url)
        connection.close()
        sqlite, postgres, many = [], [], []
        with tempfile.TemporaryDirectory(prefix="passerelle-bench-") as tmp:
            for round_no in range(args.rounds):
                path = Path(tmp) / f"state-{round_no}.db"
                sqlite.append(timed(lambda: SqliteStore(path), args.records))
                postgres.append(timed(lambda: PostgresStore(url, f"bench-{uuid.uuid4().hex[:8]}"), args.records))
                if args.writers > 1:
                    many.append(writers(url, args.records, args.writers))
        print(f"state store, {args.records} records x {args.rounds} rounds (intent, done + pair, acked + ack)")
        print(line("sqlite (file, WAL)", sqlite))
        print(line("postgresql (1 writer)", postgres))
        if many:
            print(line(f"postgresql ({args.writers} writers)", many))
        ratio = statistics.median(postgres) / statistics.median(sqlite)
        print(f"target: none fixed; postgresql / sqlite = {ratio:.2f}x"
              + (f"; {args.writers} writers / 1 = {statistics.median(many) / statistics.median(postgres):.2f}x"
                 if many else ""))
    finally:
        if cluster is not None:
            cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
