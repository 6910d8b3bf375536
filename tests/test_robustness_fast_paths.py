"""Robustness of the mapping fast paths (issue 10): each gives the same result and the same error as
the general path it short-cuts, on random and hostile inputs.

* ``parse_date`` with an ISO-shaped format reads with ``datetime.fromisoformat``
  (engine/lang/transforms/_datefast.py): compared with the same transform built without that reader
  (the regex/strptime path of before) on date texts of every kind — valid, padded, with offsets,
  ``Z``, fractions, week dates, basic formats, hour 24, year 0, other digits, random mutations;
* ``parse_date`` + ``ms_json_date`` fused into one function, compared with the two transforms run
  one after the other, in several zones (DST folds and gaps, 30-minute DST, a skipped day);
* the generated mapper of the reference flow (dict displays, paths read once per block, fused
  transforms) compared with an independent interpreter (``NaiveMapper`` of bench/mapping.py) on
  mutated records: missing keys, nulls, texts or lists where objects are expected.

Derandomized, sized to run in seconds; ``PASSERELLE_FUZZ_SCALE=10`` for a longer hunt.
"""
from __future__ import annotations

import functools
import importlib.util
import os
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from engine.errors import RecordError
from engine.lang.context import SimpleContext
from engine.lang.registry import Registry
from engine.lang.transforms import dates, register_all
from engine.util.jsonout import dumps
from support import ROOT

SCALE = float(os.environ.get("PASSERELLE_FUZZ_SCALE", "1"))
REG = Registry()
register_all(REG)
FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"]
ZONES = ["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Pacific/Apia", "UTC"]


def fuzz(max_examples: int):
    return settings(max_examples=max(1, int(max_examples * SCALE)), deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def parse_date(arg: dict, general: bool = False):
    """The parse_date transform; ``general``: built without the ISO reader (the path of before)."""
    if not general:
        return REG.get("transform", "parse_date").factory(arg, SimpleContext())
    saved = dates.iso_reader
    dates.iso_reader = lambda fmt: None
    try:
        return REG.get("transform", "parse_date").factory(arg, SimpleContext())
    finally:
        dates.iso_reader = saved


def outcome(fn, value):
    """(result, None) or (None, error text): what a caller sees."""
    try:
        result = fn(value)
    except Exception as exc:  # noqa: BLE001 - compared, type and message
        return None, f"{type(exc).__name__}: {exc}"
    if isinstance(result, datetime):
        return (result, result.tzinfo, result.utcoffset(), result.fold), None
    return result, None


# -- strategies ------------------------------------------------------------------------------------

moments = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59))
TAILS = ["", "Z", "+02:00", "-0530", "+0200", ".5", ".123456", ",5", " ", "\n", "+24:00", "z"]


@st.composite
def date_texts(draw):
    moment = draw(moments)
    kind = draw(st.integers(0, 7))
    fmt = draw(st.sampled_from(FORMATS + ["%Y%m%d %H%M%S", "%G-W%V-%u %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f"]))
    text = moment.strftime(fmt)
    if kind == 1:
        text += draw(st.sampled_from(TAILS))
    elif kind == 2:  # one character replaced
        at = draw(st.integers(0, max(0, len(text) - 1)))
        text = text[:at] + draw(st.characters(codec="utf-8")) + text[at + 1:]
    elif kind == 3:  # fixed-shape texts with any digits, hours and days out of range
        text = draw(st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?\Z", fullmatch=True))
    elif kind == 4:
        text = draw(st.sampled_from(["0000-00-00 00:00:00", "0000-00-00", "", "2024-05-14 24:00:00",
                                     "2024-02-30 10:00:00", "٢٠٢٤-٠٥-١٤ 10:21:07",
                                     "２０２４-05-14 10:21:07",
                                     "2024-W20-2 10:21:07", "2024-05-14 10:21:0Z", "2024-05-14 102107",
                                     " 2024-05-14 10:21:07", "2024-05-14 10:21:07 ", "2024-5-14 10:21:07",
                                     "2024-03-31 02:30:00", "2024-10-27 02:30:00", "2024-03-10 02:30:00",
                                     "2024-11-03 01:30:00", "2011-12-30 12:00:00", "2024-04-07 01:45:00"]))
    elif kind == 5:
        text = draw(st.text(max_size=25))
    elif kind == 6:  # around DST changes
        base = draw(st.sampled_from([datetime(2024, 3, 31, 1), datetime(2024, 10, 27, 1),
                                     datetime(2024, 3, 10, 1), datetime(2024, 11, 3, 0),
                                     datetime(2024, 4, 7, 1), datetime(2024, 10, 6, 1),
                                     datetime(2011, 12, 29, 22)]))
        text = (base + timedelta(minutes=draw(st.integers(0, 240)))).strftime(fmt)
    return text


# -- properties ------------------------------------------------------------------------------------

@fuzz(600)
@given(text=date_texts(), fmt=st.sampled_from(FORMATS), zone=st.sampled_from(ZONES))
def test_iso_reader_reads_as_the_general_path(text, fmt, zone):
    arg = {"format": fmt, "tz": zone}
    assert outcome(parse_date(arg), text) == outcome(parse_date(arg, general=True), text)


@fuzz(600)
@given(text=date_texts(), fmt=st.sampled_from(FORMATS), zone=st.sampled_from(ZONES))
def test_fused_ms_json_date_writes_as_the_two_transforms(text, fmt, zone):
    arg = {"format": fmt, "tz": zone}
    parse = parse_date(arg, general=True)
    write = REG.get("transform", "ms_json_date").factory(None, SimpleContext())
    fused = parse_date(arg).fuse("ms_json_date", write)
    assert fused is not None
    assert outcome(fused, text) == outcome(lambda value: write(parse(value)), text)


@fuzz(100)
@given(value=st.one_of(st.none(), st.integers(), st.decimals(allow_nan=False), st.booleans(),
                       st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(),
                                                                             max_size=2)))
def test_fast_paths_refuse_what_is_not_text_as_before(value):
    arg = {"format": FORMATS[0], "tz": "Europe/Paris"}
    write = REG.get("transform", "ms_json_date").factory(None, SimpleContext())
    assert outcome(parse_date(arg), value) == outcome(parse_date(arg, general=True), value)
    general = parse_date(arg, general=True)
    assert outcome(parse_date(arg).fuse("ms_json_date", write), value) == \
        outcome(lambda v: write(general(v)), value)


# -- the generated mapper against an independent interpreter ---------------------------------------

def _bench_mapping():
    spec = importlib.util.spec_from_file_location("bench_mapping", ROOT / "bench" / "mapping.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.lru_cache(maxsize=1)
def reference_flow():
    """The reference flow, the bench's naive interpreter of it and the enriched sample orders."""
    bench = _bench_mapping()
    plan = bench.load_plan(bench.EXAMPLE)
    flow = bench.select_flow(plan, bench.FLOW)
    samples = bench.enriched_samples(plan, flow)
    return flow, bench.NaiveMapper(plan, flow), samples


ODD_VALUES = [None, "", "x", 0, -1, Decimal("0"), Decimal("12.5"), [], [{}], {}, {"rate": Decimal("20")},
              True, "2024-05-14 10:21:07", "2024-03-31 02:30:00"]
PATHS = [("id",), ("id_customer",), ("date_add",), ("module",), ("customer",), ("customer", "firstname"),
         ("carrier",), ("carrier", "name"), ("total_paid_tax_incl",), ("total_shipping_tax_excl",),
         ("total_discounts_tax_excl",), ("carrier_tax_rate",), ("associations",), ("associations", "order_rows"),
         ("row", "detail"), ("row", "detail", "reduction_percent"), ("row", "detail", "tax"),
         ("row", "detail", "tax", "rate"), ("row", "product_price"), ("row", "product_quantity")]


def _mutate(record: dict, path: tuple, action: str, value) -> dict:
    import copy

    record = copy.deepcopy(record)
    if path[0] == "row":
        rows = record.get("associations")
        rows = rows.get("order_rows") if isinstance(rows, dict) else None
        if not isinstance(rows, list) or not rows:
            return record
        target, path = rows[0], path[1:]
    else:
        target = record
    for step in path[:-1]:
        target = target.get(step) if isinstance(target, dict) else None
    if isinstance(target, dict):
        if action == "drop":
            target.pop(path[-1], None)
        else:
            target[path[-1]] = value
    return record


@fuzz(300)
@given(data=st.data())
def test_generated_mapper_agrees_with_an_interpreter_on_mutated_records(data):
    flow, naive, samples = reference_flow()
    record = data.draw(st.sampled_from(samples))
    for _ in range(data.draw(st.integers(1, 3))):
        record = _mutate(record, data.draw(st.sampled_from(PATHS)), data.draw(st.sampled_from(["drop", "set"])),
                         data.draw(st.sampled_from(ODD_VALUES)))
    naive_out, naive_error = outcome(lambda r: dumps(naive.map(r)), record)
    engine_out, engine_error = outcome(lambda r: dumps(flow.map(r)), record)
    if naive_error is None and engine_error is None:
        assert engine_out == naive_out
    elif engine_error is not None:  # refused, located, and never for a reason of the engine's own
        assert engine_error.startswith("RecordError") and "internal error" not in engine_error, engine_error
        assert naive_error is not None or _not_a_list(record), (engine_error, naive_out)
    else:
        pytest.fail(f"the interpreter refused what the engine mapped: {naive_error}")


def _not_a_list(record: dict) -> bool:
    """``each`` over an object or a text: the engine refuses it, the naive interpreter iterates it."""
    rows = record.get("associations")
    rows = rows.get("order_rows") if isinstance(rows, dict) else None
    return rows is not None and not isinstance(rows, list)
