"""Cross-check: the compiled ``orders_to_sage`` mapping against a hand-written twin and the golden file.

``tests/reference_mapping.py`` maps an enriched order without the engine. For every sample order,
both must give exactly the same payload (same JSON text: types, key order, exact decimals), and
both must equal the payloads of the golden dry-run output. Order 1047 (a 19.6 % rate missing from
the strict tax table) must fail in both, with the same reason.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from support import ROOT
from engine.plan.load import load_plan, select_flow
from engine.runtime.dryrun import read_inputs
from engine.errors import RecordError, TransformError
from engine.util.jsonout import dumps
from engine.lang.builtins import default_registry
from engine.plan.related import RelatedData
from reference_mapping import UnknownTaxRate, map_order, ms_json_date, tax_code

EXAMPLE = ROOT / "specs" / "examples" / "prestashop-sage100"
GOLDEN = ROOT / "tests" / "cases" / "dry_run" / "reference_example" / "expected" / "stdout.json"
FAILING = 1047


@pytest.fixture(scope="module")
def flow():
    return select_flow(load_plan(EXAMPLE), "orders_to_sage")


@pytest.fixture(scope="module")
def enriched(flow) -> dict[int, dict]:
    """Every sample order, typed and enriched exactly as the dry-run does, by order id."""
    plan = load_plan(EXAMPLE)
    by_resource = read_inputs(plan, flow, [(None, p) for p in sorted((EXAMPLE / "samples").glob("*.xml"))])
    related = RelatedData()
    for resource, rows in by_resource.items():
        if resource != flow.source_resource:
            related.add(resource, [flow.types[resource](row) for row in rows])
    orders = {}
    for raw in by_resource[flow.source_resource]:
        record = flow.types[flow.source_resource](raw)
        orders[record["id"]] = flow.enrich(record, related)
    return orders


@pytest.fixture(scope="module")
def golden() -> dict[str, dict]:
    """Golden payloads by their Reference (PS_<id>)."""
    payloads = json.loads(GOLDEN.read_text(encoding="utf-8"), parse_float=Decimal)
    return {p["doc"]["Reference"]: p for p in payloads}


def test_samples_cover_the_reference_case(enriched, golden):
    assert sorted(enriched) == [1042, 1043, 1044, 1045, 1046, 1047]
    assert sorted(golden) == [f"PS_{i}" for i in sorted(enriched) if i != FAILING]


@pytest.mark.parametrize("order_id", [1042, 1043, 1044, 1045, 1046])
def test_hand_written_equals_compiled_and_golden(order_id, flow, enriched, golden):
    record = enriched[order_id]
    compiled = dumps(flow.map(record))
    hand = dumps(map_order(record))
    assert hand == compiled
    assert compiled == dumps(golden[f"PS_{order_id}"])


def test_unknown_tax_rate_fails_in_both(flow, enriched):
    record = enriched[FAILING]
    with pytest.raises(RecordError) as engine_error:
        flow.map(record)
    with pytest.raises(UnknownTaxRate) as hand_error:
        map_order(record)
    assert engine_error.value.field == "lignes[0].CodeTaxe"
    assert engine_error.value.reason == str(hand_error.value)
    assert str(hand_error.value) == ("no entry for 19.600 in lookup 'tax_codes' "
                                     "(known keys: 0, 10, 2.1, 20, 5.5)")


def _variants(record: dict):
    """Records exercising the branches the samples do not all reach."""
    def with_rows(**detail_changes):
        rows = [dict(row, detail=dict(row["detail"], **detail_changes))
                for row in record["associations"]["order_rows"]]
        return dict(record, associations=dict(record["associations"], order_rows=rows))

    yield dict(record, total_shipping_tax_excl=Decimal("0.000000"), total_discounts_tax_excl=Decimal("0"))
    yield dict(record, total_shipping_tax_excl=None, total_discounts_tax_excl=None)
    yield dict(record, total_discounts_tax_excl=Decimal("12.340000"), carrier_tax_rate=Decimal("5.500"))
    yield dict(record, carrier=None, module=None)
    yield dict(record, carrier=dict(record["carrier"], name="Chronopost"), module="ps_checkout")
    yield dict(record, customer=dict(record["customer"], firstname="  Anne ", lastname=None))
    yield dict(record, id_customer=1234567, id=7, date_add="2025-03-30 02:15:00")
    yield dict(record, date_add="2024-10-27 02:59:59")
    yield dict(record, date_add="0000-00-00 00:00:00")
    # a guest's order (the generic client) with gift wrapping (the EMBALLAGE line), and their opposites
    yield dict(record, customer=dict(record["customer"], is_guest="1"), total_wrapping_tax_excl=Decimal("2.500000"))
    yield dict(record, customer=dict(record["customer"], is_guest="0"), total_wrapping_tax_excl=Decimal("0"))
    yield dict(record, customer=None, total_wrapping_tax_excl=None)
    yield with_rows(reduction_percent=Decimal("12.50"))
    yield with_rows(reduction_percent=None)
    yield with_rows(reduction_percent=Decimal("-1"))
    yield with_rows(tax=dict(record["associations"]["order_rows"][0]["detail"]["tax"], rate=10))
    yield with_rows(tax=None, associations={"taxes": []})  # a tax-exempt product: EXO (issue 13)


@pytest.mark.parametrize("order_id", [1042, 1043, 1044, 1045, 1046])
def test_variants_agree(order_id, flow, enriched):
    for variant in _variants(enriched[order_id]):
        assert dumps(map_order(variant)) == dumps(flow.map(variant))


def test_strict_tax_table_errors_agree(flow, enriched):
    base = enriched[1042]
    for rate in (None, Decimal("19.6"), "abc", Decimal("20.5")):
        variant = dict(base, carrier_tax_rate=rate)
        with pytest.raises(RecordError) as engine_error:
            flow.map(variant)
        with pytest.raises(UnknownTaxRate) as hand_error:
            map_order(variant)
        assert engine_error.value.reason == str(hand_error.value)
    assert tax_code("20.000") == tax_code(20) == tax_code(Decimal("20.0")) == "S_20"


def test_dates_agree_with_engine_transforms_around_dst():
    """ms_json_date equals parse_date(Europe/Paris) + ms_json_date, hour by hour over both DST changes."""
    registry = default_registry()
    parse = registry.get("transform", "parse_date").factory(
        {"format": "%Y-%m-%d %H:%M:%S", "tz": "Europe/Paris"}, None)
    write = registry.get("transform", "ms_json_date").factory(None, None)
    for start in (datetime(2024, 3, 30, 22), datetime(2024, 10, 26, 22)):
        for minutes in range(0, 8 * 60, 15):
            text = (start + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S")
            assert ms_json_date(text) == write(parse(text)), text
    assert ms_json_date("2024-03-31 02:30:00") == "/Date(1711848600000+0200)/"  # skipped: 03:30+02:00
    assert ms_json_date("2024-10-27 02:30:00") == "/Date(1729989000000+0200)/"  # ambiguous: first
    with pytest.raises(ValueError):
        ms_json_date("14/05/2024")
    with pytest.raises(TransformError):
        parse("14/05/2024")


def test_reference_module_is_engine_free():
    source = (Path(__file__).parent / "reference_mapping.py").read_text(encoding="utf-8")
    assert "import engine" not in source and "from engine" not in source
