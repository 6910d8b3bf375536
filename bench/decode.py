"""XML -> records: the engine's decoder vs a hand-written lxml loop producing the same dicts.

Pages of PrestaShop orders and of order_details (``display=full``, 100 a page) are read once from
the PrestaShop simulator (in this process), then, per resource, two contenders turn the same bytes
into the same list of dicts, timed in one run, round-robin (the starting contender alternates),
``gc`` disabled inside a timing:

* engine — ``xml_to_records(page, options)`` with the shipped connector's XML options
           (``specs/connectors/prestashop.yaml``): prolog check, safe parse, the general reading
           rules (lists, translated fields, comments, namespaces, duplicates refused);
* hand   — what a developer would write for this one API: ``etree.fromstring`` with the same safe
           parser (``remove_blank_text``, no entities, no network) and two nested comprehensions
           (leaf element -> text, ``associations`` -> lists of dicts), nothing checked.

Per resource, two rows: the whole step (bytes -> dicts), and the conversion alone (trees parsed
beforehand: the engine's ``Reader.fast`` after its once-per-document check, vs the comprehensions). Identical
records are asserted first. Target: engine >= 1.0x hand (records/s) for the whole step; the
conversion row is reported.

    .venv/bin/python bench/decode.py [--orders 2000] [--rounds 7] [--strict]
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
from lxml import etree  # noqa: E402

from engine.connectors.codecs.xmlcodec import XmlOptions, _reader, xml_to_records  # noqa: E402
from engine.project.load import ConnectorStore  # noqa: E402

TARGET = 1.0
PAGE = 100
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=True)


def options() -> XmlOptions:
    doc = ConnectorStore().load(ROOT / "specs" / "connectors" / "prestashop.yaml")
    xml = dict(doc.data["connector"]["format"]["xml"])
    return XmlOptions(root=xml.get("root"), list_attribute=xml.get("list_attribute"),
                      list_containers=tuple(xml.get("list_containers") or ()), i18n_element=xml.get("i18n_element"))


RESOURCES = ("orders", "order_details")


def pages(orders: int, seed: int) -> dict[str, list[bytes]]:
    """Per resource, the pages of ``orders`` records (order_details: the first ``orders`` lines)."""
    from sync import LocalSims

    sims = LocalSims(seed, orders, ("prestashop",))
    try:
        with httpx.Client(base_url=sims.api_url("prestashop"), auth=(sims.credentials("prestashop")["key"], ""),
                          timeout=60) as client:
            return {resource: [client.get(resource, params={"display": "full", "limit": f"{offset},{PAGE}"}).content
                               for offset in range(0, orders, PAGE)] for resource in RESOURCES}
    finally:
        sims.stop()


def hand_convert(doc) -> list[dict]:
    return [{child.tag: (child.text or "") if len(child) == 0 else
             {lst.tag: [{f.tag: f.text or "" for f in item} for item in lst] for lst in child}
             for child in order} for order in doc[0]]


def hand(bodies: list[bytes]) -> list[dict]:
    records: list[dict] = []
    for body in bodies:
        records += hand_convert(etree.fromstring(body, PARSER))
    return records


def engine(bodies: list[bytes], opts: XmlOptions) -> list[dict]:
    records: list[dict] = []
    for body in bodies:
        records += xml_to_records(body, opts)[1]
    return records


def engine_convert(docs, opts: XmlOptions) -> list[dict]:
    reader = _reader(opts)
    records: list[dict] = []
    for doc in docs:
        resource = doc[0]
        assert reader.plain(resource)
        records += [reader.fast(order, True) for order in resource]
    return records


def timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds): one process, no server, so CPU is the steadier figure on a busy machine."""
    gc.collect()
    gc.disable()
    try:
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        return time.perf_counter() - start, time.process_time() - cpu
    finally:
        gc.enable()


def race(contenders: dict, rounds: int) -> dict[str, tuple[list[float], list[float]]]:
    names = list(contenders)
    seconds: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in names}
    for round_no in range(rounds):
        for name in names[round_no % 2:] + names[:round_no % 2]:
            wall, cpu = timed(contenders[name])
            seconds[name][0].append(wall)
            seconds[name][1].append(cpu)
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2000, help="records per resource (default 2000, pages of 100)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds (default 7; median reported)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args(argv)
    opts = options()
    ok = True
    for resource, bodies in pages(args.orders, args.seed).items():
        ok = compare(resource, bodies, opts, args.rounds) and ok
    return 1 if args.strict and not ok else 0


def compare(resource: str, bodies: list[bytes], opts: XmlOptions, rounds: int) -> bool:
    """Print the two rows of one resource; False when the target is missed (exit 2 when the contenders
    read different records)."""
    docs = [etree.fromstring(body, PARSER) for body in bodies]
    expected = hand(bodies)
    if engine(bodies, opts) != expected or engine_convert(docs, opts) != expected or \
            [r for d in docs for r in hand_convert(d)] != expected:
        print(f"{resource}: the contenders read different records", file=sys.stderr)
        raise SystemExit(2)
    n = len(expected)
    rows = {"bytes -> dicts": race({"engine": lambda: engine(bodies, opts), "hand": lambda: hand(bodies)}, rounds),
            "tree -> dicts": race({"engine": lambda: engine_convert(docs, opts),
                                   "hand": lambda: [r for d in docs for r in hand_convert(d)]}, rounds)}
    print(f"PrestaShop {resource}, XML -> dicts: engine decoder vs hand-written lxml loop; {n} records in pages of "
          f"{PAGE}; {rounds} rounds, median records/s (min..max); identical records checked first; "
          f"the ratio judged is CPU time (median)")
    print(f"  {'step':<16}{'engine':>12}{'hand':>12}   wall   CPU ratio (judged)")
    ok = True
    for step, seconds in rows.items():
        rate = {name: n / statistics.median(ts[0]) for name, ts in seconds.items()}
        ratio = rate["engine"] / rate["hand"]
        cpu_ratio = statistics.median(seconds["hand"][1]) / statistics.median(seconds["engine"][1])
        verdict = ""
        if step == "bytes -> dicts":
            ok = cpu_ratio >= TARGET
            verdict = f"  (target >= {TARGET}x)  {'PASS' if ok else 'FAIL'}"
        spread = "  ".join(f"{name} {n / max(ts[0]):,.0f}..{n / min(ts[0]):,.0f}" for name, ts in seconds.items())
        print(f"  {step:<16}{rate['engine']:>12,.0f}{rate['hand']:>12,.0f}  {ratio:.2f}x  {cpu_ratio:.2f}x{verdict}"
              f"    [{spread}]")
    return ok


if __name__ == "__main__":
    sys.exit(main())
