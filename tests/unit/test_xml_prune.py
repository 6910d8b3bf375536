"""A file dry-run decodes only the XML elements its flow may read (engine/connectors/codecs/xmlprune.py,
engine/plan/readfields.py): the same payloads and failures as when every element is decoded, on the
reference example's samples and on the bench generator's files; nothing pruned when the set is None;
a malformed element the flow never reads no longer fails the input, a malformed one it reads fails it
with the same message; the fields records are found by are kept."""
from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from engine.connectors.codecs import xmlstream
from engine.connectors.codecs.instream import stream_input
from engine.connectors.codecs.records import InputError
from engine.connectors.codecs.xmlcodec import XmlError, XmlOptions, _local, record_value
from engine.connectors.codecs.xmlprune import pruned_record
from engine.plan.load import load_plan
from engine.plan.readfields import fields_read
from engine.runtime import dryrun
from engine.runtime.dryrun import dry_run, record_options

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from gen_orders import write  # noqa: E402

EXAMPLE = ROOT / "specs" / "examples" / "prestashop-sage100"
NAMES = ("orders", "order_details", "customers", "carriers", "taxes")
SAMPLES = {n: EXAMPLE / "samples" / f"{n}.xml" for n in NAMES}


@pytest.fixture(scope="module")
def plan():
    return load_plan(EXAMPLE)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("orders")
    write(folder, 60)
    return {n: folder / f"{n}.xml" for n in NAMES}


def streamed(path: Path, options, fields=None) -> list[dict]:
    return [row for _, rows in stream_input(path, default_resource="orders", xml_options=options, fields=fields)
            for row in rows]


def result(plan, files: dict[str, Path]):
    out = dry_run(plan, plan.flows["orders_to_sage"], [(None, p) for p in files.values()])
    return out.payloads, [str(e) for e in out.failures], out.skipped, out.read


def unpruned(monkeypatch):
    monkeypatch.setattr(dryrun, "fields_read", lambda flow, resource: None)


# -- same records, same payloads -------------------------------------------------------------------

@pytest.mark.parametrize("source", ["samples", "generated"])
def test_pruned_records_are_the_full_ones_restricted_to_the_kept_fields(plan, generated, source):
    files = SAMPLES if source == "samples" else generated
    flow = plan.flows["orders_to_sage"]
    options = record_options(plan.connectors["shop"])
    pruned_any = False
    for name, path in files.items():
        keep = fields_read(flow, name)
        full = streamed(path, options)
        pruned = streamed(path, options, lambda resource: fields_read(flow, resource))
        expected = full if keep is None else [{k: v for k, v in row.items() if k in keep} for row in full]
        assert pruned == expected and len(full) > 0, name
        pruned_any |= pruned != full
    assert pruned_any  # the flow reads fewer fields than the files hold: something was skipped


@pytest.mark.parametrize("source", ["samples", "generated"])
def test_the_dry_run_gives_the_same_payloads_with_and_without_pruning(plan, generated, source, monkeypatch):
    files = SAMPLES if source == "samples" else generated
    pruned = result(plan, files)
    unpruned(monkeypatch)
    assert result(plan, files) == pruned
    assert pruned[0] and pruned[3] > 0


def test_nothing_is_pruned_when_the_set_is_none(plan, monkeypatch):
    def refuse(*args):
        raise AssertionError("pruned_record called for a resource read whole")
    monkeypatch.setattr(xmlstream, "pruned_record", refuse)
    options = record_options(plan.connectors["shop"])
    assert streamed(SAMPLES["orders"], options, lambda resource: None) == streamed(SAMPLES["orders"], options)
    flow = plan.flows["orders_to_sage"]
    assert fields_read(flow, "customers") is None  # `from: customer` with a template: read whole
    assert streamed(SAMPLES["customers"], options, lambda resource: fields_read(flow, resource)) == \
        streamed(SAMPLES["customers"], options)


# -- keys kept -------------------------------------------------------------------------------------

def test_the_fields_records_are_found_by_are_in_the_analysis_set(plan):
    flow = plan.flows["orders_to_sage"]
    source = flow.source_fields
    assert source is not None
    assert {"id", "date_upd", "current_state", "id_customer", "id_carrier", "associations"} <= source
    assert flow.key_path == ("id",) and flow.since == "date_upd"
    assert set(flow.related_fields) == {"order_details", "carriers", "taxes"}  # customers: read whole
    for spec in flow.related:
        if spec.resource in flow.related_fields:
            assert {f.split(".")[0].split("[")[0] for f in spec.fields} <= flow.related_fields[spec.resource]
    assert fields_read(flow, "orders") == source  # nothing had to be added back
    assert fields_read(flow, "unknown") is None


def test_the_key_fields_are_kept_even_when_the_analysis_misses_them(plan):
    from dataclasses import replace
    flow = plan.flows["orders_to_sage"]
    bare = replace(flow, source_fields=frozenset({"module"}),
                   related_fields={"taxes": frozenset({"rate"})})
    assert fields_read(bare, "orders") == {"module", "id", "date_upd", "current_state"}
    assert fields_read(bare, "taxes") == {"rate", "id"}  # the join's field on the related side
    assert fields_read(replace(flow, related=flow.related + (replace(flow.related[0], resource="orders"),)),
                       "orders") is None  # the source's resource also joined: read whole


# -- malformed elements ------------------------------------------------------------------------------

def broken_orders(tmp_path: Path, inside: str) -> dict[str, Path]:
    text = SAMPLES["orders"].read_text(encoding="utf-8")
    path = tmp_path / "orders.xml"
    path.write_text(text.replace("  </order>\n", inside + "  </order>\n", 1), encoding="utf-8")
    return {**SAMPLES, "orders": path}


@pytest.mark.parametrize("inside", [
    "    <gift_message><p>a</p><p>b</p></gift_message>\n",  # a repeated name inside an unused field
    "    <shipping_number>1</shipping_number>\n",  # an unused field repeated in the record
    '    <gift_wrapping nodeType="x">text</gift_wrapping>\n',  # a list holding text
])
def test_a_malformed_element_the_flow_never_reads_no_longer_fails_the_input(plan, tmp_path, inside, monkeypatch):
    files = broken_orders(tmp_path, inside)
    expected = result(plan, SAMPLES)
    assert result(plan, files) == expected
    unpruned(monkeypatch)
    with pytest.raises(InputError):
        result(plan, files)


@pytest.mark.parametrize("inside, message", [
    ("    <module>again</module>\n", "element <module> appears more than once inside <order>"),
    ("    <date_upd><p>a</p><p>b</p></date_upd>\n", "element <p> appears more than once inside <date_upd>"),
])
def test_a_malformed_element_the_flow_reads_fails_with_the_same_message(plan, tmp_path, inside, message, monkeypatch):
    files = broken_orders(tmp_path, inside)
    if "date_upd>" in inside:  # replace the record's own field rather than repeating it
        text = files["orders"].read_text(encoding="utf-8")
        first = text.index("<date_upd>")
        end = text.index("</date_upd>", first) + len("</date_upd>\n")
        files["orders"].write_text(text[:first] + text[end:].lstrip(" "), encoding="utf-8")
    with pytest.raises(InputError) as pruned:
        result(plan, files)
    unpruned(monkeypatch)
    with pytest.raises(InputError) as full:
        result(plan, files)
    assert message in str(pruned.value)
    assert str(pruned.value) == str(full.value)


def test_a_used_error_is_reported_even_after_an_unused_one(plan, tmp_path):
    files = broken_orders(tmp_path, "    <gift_message><p>a</p><p>b</p></gift_message>\n    <module>again</module>\n")
    with pytest.raises(InputError, match="element <module> appears more than once inside <order>"):
        result(plan, files)


# -- the oracle: the general reader on the record without its unused children -----------------------

PS = XmlOptions(root="prestashop", list_attribute="nodeType", list_containers=("associations",),
                i18n_element="language")
OPTIONS = [PS, XmlOptions(), XmlOptions(list_attribute="kind", list_containers=("rows", "b"), i18n_element="t")]
TAGS = st.sampled_from(["a", "b", "id", "rows", "t", "language", "{urn:x}a", "{urn:x}c"])
TEXTS = st.sampled_from(["", " ", "x", "1.50", "é"])


@st.composite
def trees(draw, depth=0):
    el = etree.Element(draw(TAGS) if depth else draw(st.sampled_from(["order", "rows", "{urn:x}o"])))
    if draw(st.integers(0, 3)) == 0:
        el.set(draw(st.sampled_from(["kind", "nodeType", "id"])), draw(TEXTS))
    if draw(st.booleans()):
        el.text = draw(TEXTS) or None
    if depth < 3:
        for _ in range(draw(st.integers(0, 5))):
            kind = draw(st.sampled_from(["element"] * 4 + ["comment"]))
            el.append(draw(trees(depth + 1)) if kind == "element" else etree.Comment("c"))
    return el


def outcome(fn):
    try:
        return ("value", fn())
    except XmlError as exc:
        return ("error", exc.message, exc.line)


def plainly_a_dict(el, options) -> bool:
    """The records the reader prunes (the module's contract); any other is read whole."""
    first = el[0].tag if len(el) else None
    return (isinstance(first, str) and el.tag[0] != "{" and el.tag not in options.list_containers
            and (options.list_attribute is None or el.get(options.list_attribute) is None)
            and _local(first) != options.i18n_element)


def oracle(el, options, keep):
    """The general reader on a copy of ``el`` without the children the flow never reads (a leading
    sentinel child keeps it a dict whatever is left), or on ``el`` itself when it is read whole."""
    if not plainly_a_dict(el, options):
        return outcome(lambda: record_value(el, options))
    trimmed = copy.deepcopy(el)
    for child in list(trimmed):
        if isinstance(child.tag, str) and _local(child.tag) not in keep:
            trimmed.remove(child)
    trimmed.insert(0, etree.Element("sentinel"))
    found = outcome(lambda: record_value(trimmed, options))
    if found[0] == "value":
        del found[1]["sentinel"]
    return found


@settings(max_examples=500, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees(), st.sampled_from(range(len(OPTIONS))), st.frozensets(st.sampled_from(["a", "b", "id", "c", "t"])))
def test_generated_records_read_as_the_general_reader_on_the_kept_children(root, options, keep):
    opts = OPTIONS[options]
    record = etree.fromstring(etree.tostring(root))  # with source lines
    got = outcome(lambda: pruned_record(opts, keep)(record))
    assert got == oracle(record, opts, keep)
    full = outcome(lambda: record_value(record, opts))
    if full[0] == "value" and plainly_a_dict(record, opts):
        assert got == ("value", {k: v for k, v in full[1].items() if k in keep})  # same values, fewer
