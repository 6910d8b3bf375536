"""Fan-out and grouping throughput: the compiled engine path (expand + map) vs hand-written Python.

Two flows, the two complete examples of docs/spec-language.md §7 "Fan-out and grouping":

* fan-out  — Sage articles with quantity tiers -> one PrestaShop specific price per tier, key
             ``{Reference}/{tier.QteMin}``;
* grouping — Sage articles of a range (``Gamme``) -> one Shopify product with its variants, members
             ordered by ``Reference``.

Contenders, timed in one run, round-robin, on the same typed records:

* engine       — what the pipeline does per record between ``prepare`` and JSON: ``flow.fan_out.items``
                 (or ``flow.group.key`` + ``flow.group.scope``) then ``flow.map`` on each item or group;
* hand-written — one function per flow written the way a careful engineer would: the same checks (list
                 or null, a complete and distinct key per item, text keys, nulls sorted last) and the
                 same output (same JSON text, key order included).

Targets: engine >= 0.8x hand-written for each flow.

    .venv/bin/python bench/expand.py [--records 3000] [--rounds 11] [--strict]
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.lang.transforms._common import stringify  # noqa: E402
from engine.plan.load import load_plan  # noqa: E402
from engine.util.jsonout import dumps  # noqa: E402

TARGET = 0.8
# the payloads are reduced to what the comparison needs: the targets' contracts (checked after the
# map, not part of what is timed here) are switched off
SPEC = """
endpoints:
  shop: { use: prestashop, settings: { base_url: "${env:PS_URL}", key: "${env:PS_KEY}" }, override: { operations: { add_specific_price: { accepts: null } } } }
  shopify: { use: shopify, settings: { base_url: "${env:SHOPIFY_URL}", access_token: "${env:SHOPIFY_TOKEN}" }, override: { operations: { set_product: { accepts: null } } } }
  sage: { use: sage100-ws, settings: { base_url: "${env:SAGE_URL}", token: "${env:SAGE_TOKEN}" } }
flows:
  tier_prices_to_shop:
    source: { endpoint: sage, read: articles }
    fan_out: { each: TarifsQuantite, as: tier, key: "{Reference}/{tier.QteMin}" }
    target: { endpoint: shop, write: add_specific_price, update: update_specific_price }
    map:
      id_product: { from: IdBoutique }
      from_quantity: { from: tier.QteMin }
      price: { from: tier.Prix }
      reduction_type: { value: amount }
  ranges_to_shop:
    source: { endpoint: sage, read: articles }
    group: { by: Gamme, order: Reference, as: variants }
    target: { endpoint: shopify, write: set_product, update: set_product }
    map:
      title: { from: Intitule }
      handle: { from: _key, transform: lower }
      variants:
        - each: variants
          map:
            sku: { from: Reference }
            price: { from: PrixVente }
"""


# -- hand-written ------------------------------------------------------------------------------------

def _key_part(value, position: int) -> str:
    if value.__class__ is str:
        if not value:
            raise ValueError(f"item {position}: empty key part")
        return value
    if value is None or isinstance(value, (dict, list)):
        raise ValueError(f"item {position}: no key part")
    return stringify(value)


def tiers_by_hand(record: dict) -> list:
    tiers = record.get("TarifsQuantite")
    if tiers is None:
        return []
    if tiers.__class__ is not list:
        raise ValueError("TarifsQuantite is not a list")
    reference = _key_part(record.get("Reference"), 1)
    product = record.get("IdBoutique")
    out, seen = [], set()
    for position, tier in enumerate(tiers, 1):
        tier = tier if tier.__class__ is dict else {}
        quantity = tier.get("QteMin")
        key = f"{reference}/{_key_part(quantity, position)}"
        if key in seen:
            raise ValueError(f"two items with the key {key}")
        seen.add(key)
        out.append((key, {"id_product": product, "from_quantity": quantity, "price": tier.get("Prix"),
                          "reduction_type": "amount"}))
    return out


def ranges_by_hand(records: list) -> list:
    groups: dict = {}
    for record in records:
        range_ = record.get("Gamme")
        if range_ is None or range_ == "":
            continue  # set aside (the engine sends it to the dead letter)
        key = range_ if range_.__class__ is str else stringify(range_)
        groups.setdefault(key, []).append(record)
    out = []
    for key, members in groups.items():
        members = sorted(members, key=lambda m: (m.get("Reference") is None, m.get("Reference") or ""))
        first = members[0]
        out.append((key, {"title": first.get("Intitule"), "handle": key.lower(),
                          "variants": [{"sku": m.get("Reference"), "price": m.get("PrixVente")} for m in members]}))
    return out


# -- the engine path ---------------------------------------------------------------------------------

def tiers_by_engine(flow):
    items, mapper = flow.fan_out.items, flow.map

    def run(record: dict) -> list:
        return [(key, mapper(scope)) for key, scope in items(record)]

    return run


def ranges_by_engine(flow):
    key_of, scope_of, mapper = flow.group.key, flow.group.scope, flow.map

    def run(records: list) -> list:
        groups: dict = {}
        for record in records:
            key = key_of(record)
            if key is not None:
                groups.setdefault(key, []).append(record)
        return [(key, mapper(scope_of(key, members))) for key, members in groups.items()]

    return run


# -- data and timing ---------------------------------------------------------------------------------

def articles(count: int) -> list:
    sizes = ("XS", "S", "M", "L", "XL")
    out = []
    for i in range(count):
        tiers = [{"QteMin": q, "Prix": Decimal(20 - j) + Decimal(i % 100) / 100} for j, q in enumerate((10, 50, 100))]
        out.append({"Reference": f"TSHIRT-{i // 5:05d}-{sizes[i % 5]}", "Gamme": f"TSHIRT-{i // 5:05d}",
                    "Intitule": f"T-shirt {i // 5}", "IdBoutique": 1000 + i, "PrixVente": Decimal("19.90") + i % 7,
                    "Designation": "T-shirt coton bio", "FA_CodeFamille": "TEXTILE", "TarifsQuantite": tiers})
    return out[::-1]  # the members of a range read out of order: `order` has work to do


def time_once(fn, data, per_record: bool) -> float:
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        if per_record:
            for record in data:
                fn(record)
        else:
            fn(data)
        return time.perf_counter() - start
    finally:
        gc.enable()


def compare(name: str, contenders: dict, data: list, per_record: bool, rounds: int) -> float:
    def whole(fn):
        return [pair for record in data for pair in fn(record)] if per_record else fn(data)
    texts = {who: dumps(whole(fn)) for who, fn in contenders.items()}
    assert len(set(texts.values())) == 1, f"{name}: outputs differ"
    items = len(whole(contenders["engine"]))
    for fn in contenders.values():
        time_once(fn, data[:300], per_record)
    seconds: dict = {who: [] for who in contenders}
    names = list(contenders)
    for round_no in range(rounds):
        for who in names[round_no % 2:] + names[:round_no % 2]:
            seconds[who].append(time_once(contenders[who], data, per_record))
    rate = {who: len(data) / statistics.median(times) for who, times in seconds.items()}
    ratio = rate["engine"] / rate["hand-written"]
    print(f"{name}: {len(data)} records -> {items} items, outputs identical")
    for who in names:
        print(f"  {who:<13}{rate[who]:>12,.0f} records/s   {1e6 / rate[who]:7.2f} µs/record")
    print(f"  engine / hand-written = {ratio:.2f}x  (target >= {TARGET}x)  {'PASS' if ratio >= TARGET else 'FAIL'}")
    return ratio


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "spec.yaml").write_text(SPEC, encoding="utf-8")
        plan = load_plan(Path(folder))
    data = articles(args.records)
    tiers, ranges = plan.flows["tier_prices_to_shop"], plan.flows["ranges_to_shop"]
    fan = compare("fan-out (tier prices)", {"engine": tiers_by_engine(tiers), "hand-written": tiers_by_hand},
                  data, True, args.rounds)
    group = compare("grouping (ranges)", {"engine": ranges_by_engine(ranges), "hand-written": ranges_by_hand},
                    data, False, args.rounds)
    return 1 if args.strict and min(fan, group) < TARGET else 0


if __name__ == "__main__":
    sys.exit(main())
