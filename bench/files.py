"""Files: writing and reading CSV and fixed-width lines through the file connector vs hand-written
loops producing the same bytes / the same records (exact Decimals), side by side in one run.

Contenders per row (median of ``--rounds``, rounds alternate the two):
* csv write  — the connector writes one file of N lines (``endpoint.write`` of a list payload:
  cp1252, ``;``, decimal comma, atomic rename) vs a ``csv.writer`` loop over the same rows;
* csv read   — ``endpoint.read`` of that file (types ``qty: int, price: decimal``) vs a
  ``csv.reader`` loop building the same dicts with ``int`` / ``Decimal``;
* fixed write / fixed read — the same with a fixed-width layout vs a hand-written slicing loop.
Target: the connector at >= 0.8x the hand loop's lines/s on every row; ``--strict`` exits 1 on a miss.
Informational rows: ``batch`` — N separate ``endpoint.write`` calls in ``mode: batch`` (one per record);
``xml write`` / ``xml read`` — the same N records as one XML file (``format: {type: xml, root, record}``).
"""
from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.connectors.compile import open_connector  # noqa: E402

TARGET = 0.8
COLUMNS = [{"name": "ref", "start": 1, "width": 12}, {"name": "label", "start": 13, "width": 30},
           {"name": "qty", "start": 43, "width": 8, "align": "right", "pad": "0"},
           {"name": "price", "start": 51, "width": 12, "align": "right"}]
CSV = {"type": "csv", "delimiter": ";", "encoding": "cp1252", "decimal": ",", "columns": ["ref", "label", "qty", "price"]}
FIXED = {"type": "fixed", "encoding": "cp1252", "decimal": ",", "columns": COLUMNS}
TYPES = {"qty": "int", "price": "decimal"}
XML = {"type": "xml", "root": "Articles", "record": "Article", "attributes": ["ref"], "encoding": "cp1252"}
DEFINITION = {
    "name": "bench", "protocol": "file", "settings": {"dir": {"required": True}},
    "resources": {"csv": {"path": "c/*.csv", "key": "ref", "types": TYPES, "format": CSV},
                  "fixed": {"path": "f/*.txt", "key": "ref", "types": TYPES, "format": FIXED},
                  "xml": {"path": "x/*.xml", "key": "ref", "format": XML}},
    "operations": {"csv": {"path": "c/out.csv", "format": CSV}, "fixed": {"path": "f/out.txt", "format": FIXED},
                   "batch": {"path": "b/out.csv", "format": CSV, "mode": "batch"},
                   "xml": {"path": "x/out.xml", "format": XML}},
}


def rows(n: int) -> list[dict]:
    return [{"ref": f"ART{i:07d}", "label": f"Clé à molette n°{i % 97}", "qty": i % 500,
             "price": Decimal(i % 10000) / 100} for i in range(n)]


def hand_csv_write(path: Path, data: list[dict]) -> None:
    with open(path, "w", encoding="cp1252", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(["ref", "label", "qty", "price"])
        for r in data:
            writer.writerow([r["ref"], r["label"], str(r["qty"]), format(r["price"], "f").replace(".", ",")])


def hand_csv_read(path: Path) -> list[dict]:
    out = []
    with open(path, encoding="cp1252", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        names = next(reader)
        for row in reader:
            record = dict(zip(names, row))
            record["qty"] = int(record["qty"])
            record["price"] = Decimal(record["price"].replace(",", "."))
            out.append(record)
    return out


def hand_fixed_write(path: Path, data: list[dict]) -> None:
    with open(path, "w", encoding="cp1252", newline="") as out:
        for r in data:
            price = format(r["price"], "f").replace(".", ",")
            out.write(f"{r['ref']:<12}{r['label']:<30}{r['qty']:08d}{price:>12}\r\n")


def hand_fixed_read(path: Path) -> list[dict]:
    out = []
    with open(path, encoding="cp1252", newline="") as handle:
        for line in handle:
            out.append({"ref": line[0:12].strip(), "label": line[12:42].strip(),
                        "qty": int(line[42:50].lstrip("0") or "0"),
                        "price": Decimal(line[50:62].strip().replace(",", "."))})
    return out


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000, help="lines per file (default 100000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3; median reported)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    data = rows(args.lines)
    times: dict[str, dict[str, list[float]]] = {k: {"connector": [], "hand": []} for k in
                                                ("csv write", "csv read", "fixed write", "fixed read")}
    batch_times, xml_times = [], {"write": [], "read": []}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for sub in "cfbx":
            (root / sub).mkdir()
        hand_dir = root / "hand"
        hand_dir.mkdir()
        for rnd in range(args.rounds):
            with open_connector("bench", DEFINITION, {"dir": str(root)}) as ep:
                order = ("connector", "hand") if rnd % 2 == 0 else ("hand", "connector")
                for who in order:
                    if who == "connector":
                        t, _ = timed(lambda: ep.write("csv", data, {}))
                        times["csv write"]["connector"].append(t)
                        t, got = timed(lambda: [r for page in ep.read("csv") for r in page])
                        times["csv read"]["connector"].append(t)
                        csv_connector = got
                        t, _ = timed(lambda: ep.write("fixed", data, {}))
                        times["fixed write"]["connector"].append(t)
                        t, got = timed(lambda: [r for page in ep.read("fixed") for r in page])
                        times["fixed read"]["connector"].append(t)
                        fixed_connector = got
                    else:
                        t, _ = timed(lambda: hand_csv_write(hand_dir / "out.csv", data))
                        times["csv write"]["hand"].append(t)
                        t, csv_hand = timed(lambda: hand_csv_read(hand_dir / "out.csv"))
                        times["csv read"]["hand"].append(t)
                        t, _ = timed(lambda: hand_fixed_write(hand_dir / "out.txt", data))
                        times["fixed write"]["hand"].append(t)
                        t, fixed_hand = timed(lambda: hand_fixed_read(hand_dir / "out.txt"))
                        times["fixed read"]["hand"].append(t)
                t, _ = timed(lambda: ep.write("xml", data, {}))
                xml_times["write"].append(t)
                t, _ = timed(lambda: [r for page in ep.read("xml") for r in page])
                xml_times["read"].append(t)
                start = time.perf_counter()
                for record in data:
                    ep.write("batch", record, {})
            batch_times.append(time.perf_counter() - start)  # published at close
            os.unlink(root / "b" / "out.csv")
        same_bytes = ((root / "c" / "out.csv").read_bytes() == (hand_dir / "out.csv").read_bytes(),
                      (root / "f" / "out.txt").read_bytes() == (hand_dir / "out.txt").read_bytes())
    same_records = (csv_connector == csv_hand == data, fixed_connector == fixed_hand == data)
    load = os.getloadavg()
    print(f"files: {args.lines} lines, {args.rounds} rounds (median), load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"target >= {TARGET}x the hand loop's lines/s, every row")
    print(f"same bytes written: csv {same_bytes[0]}, fixed {same_bytes[1]}; "
          f"same records read: csv {same_records[0]}, fixed {same_records[1]}")
    print(f"{'row':<12} {'connector lines/s':>18} {'hand lines/s':>14}  ratio  verdict")
    ok = all(same_bytes) and all(same_records)
    for name, pair in times.items():
        connector = args.lines / statistics.median(pair["connector"])
        hand = args.lines / statistics.median(pair["hand"])
        ratio = connector / hand
        passed = ratio >= TARGET
        ok = ok and passed
        print(f"{name:<12} {connector:>18,.0f} {hand:>14,.0f}  {ratio:.2f}x  {'PASS' if passed else 'FAIL'}")
    print(f"{'batch':<12} {args.lines / statistics.median(batch_times):>18,.0f} {'-':>14}  (informational: one "
          "endpoint.write per record, mode: batch)")
    for name in ("write", "read"):
        print(f"{'xml ' + name:<12} {args.lines / statistics.median(xml_times[name]):>18,.0f} {'-':>14}  "
              "(informational: one XML file, lxml)")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
