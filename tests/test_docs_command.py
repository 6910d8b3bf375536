"""``passerelle docs``: the client's mapping document (Markdown pages + one standalone HTML page).

The reference example is documented and its pages checked against its spec: every mapped field is in
the field table with every one of its transforms in words; every registered transform has words; the
date and the plan's version are on each page; no secret reaches a page. The rendering in a real browser
is in ``test_docs_command_browser.py``."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from support import ROOT, run_cli

from engine.cli.docs_command import generated_at, write_docs
from engine.lang.builtins import default_registry
from engine.mapdoc import diagram
from engine.mapdoc.exprwords import condition, source
from engine.plan.load import load_plan
from engine.project.load import ConnectorStore
from engine.runtime.reload_policy import lookup_files
from engine.runtime.snapshot import content_hash
from engine.schema.validate import FIELD_SPEC_KEYS

EXAMPLE = ROOT / "specs" / "examples" / "prestashop-sage100"
EXAMPLES = sorted(p for p in (ROOT / "specs" / "examples").iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def documented(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docs")
    write_docs(EXAMPLE, out, ConnectorStore())
    return out


def test_every_registered_transform_has_words_for_each_of_its_examples():
    registry = default_registry()
    names = registry.names("transform")
    assert names
    missing = [n for n in names if registry.describe(n, None if registry.get("transform", n).args_schema is None
                                                     else registry.get("transform", n).examples[0].args) is None]
    assert not missing, f"transforms with no words template (engine/lang/transforms/words.py): {missing}"
    for spec in registry.all("transform"):
        for example in spec.examples:
            text = registry.describe(spec.name, example.args)
            assert isinstance(text, str) and text.strip() and "None" not in text, (spec.name, example.args, text)


def _leaves(spec, prefix=""):
    """(target path, field spec) of every mapped value of a `map`, lists as `name[]`."""
    for name, entry in spec.items():
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(entry, list):
            for item in entry:
                yield from _leaves(item["map"], f"{path}[]") if "map" in item else [(f"{path}[]", item)]
        elif any(k in entry for k in FIELD_SPEC_KEYS):
            yield from _leaves(entry["map"], path) if "map" in entry else [(path, entry)]
        else:
            yield from _leaves(entry, path)


def test_the_reference_example_pages_hold_every_mapped_field_with_its_words(documented):
    plan = load_plan(EXAMPLE, ConnectorStore())
    registry = default_registry()
    assert sorted(p.name for p in documented.iterdir()) == sorted(
        [f"{name}.md" for name in plan.flows] + ["index.md", "index.html", "flows.svg"])
    for name, flow in plan.flows.items():
        page = (documented / f"{name}.md").read_text()
        rows = {}
        for line in page.splitlines():
            match = re.match(r"\| `([^`]+)` \| (.*)$", line)
            if match:
                rows.setdefault(match.group(1), []).append(match.group(2))
        for path, spec in _leaves(flow.item.data["map"]):
            assert path in rows, f"{name}: field {path} missing from the table"
            cells = " ".join(rows[path])
            if "from" in spec:
                assert f"`{spec['from']}`" in cells, (path, cells)
            for step in spec.get("transform") or []:
                tname, arg = (step, None) if isinstance(step, str) else next(iter(step.items()))
                assert registry.describe(tname, arg) in cells, (path, tname, cells)
            if "when" in spec:
                assert "only when" in cells


def test_the_words_a_client_reads(documented):
    page = (documented / "orders_to_sage.md").read_text()
    assert "prefix with “PS_”" in page
    assert "translated with table tax_codes (20 → S_20, 5.5 → S_5" in page
    assert "only when `detail.reduction_percent` is above 0; otherwise `unit_price_tax_excl`" in page
    assert "read as a date YYYY-MM-DD hh:mm:ss in Europe/Paris, then written as `/Date(ms)/`" in page
    assert "lignes: item 2, only when `total_shipping_tax_excl` is above 0" in page
    assert "| doc.NumeroTiers | required, at most 17 characters |" in page  # the target's contract
    assert "## Acknowledgement: shop.add_order_history" in page and "| `id_order_state` | fixed: 14 |" in page
    assert "Schedule: every 5m." in page and "Only records where `current_state` is 2 or 3." in page
    index = (documented / "index.md").read_text()
    assert "## Lookup table tax_codes" in index and "| 5.5 | “S_5” |" in index
    assert "the record is rejected (no default)" in index  # tax_codes is strict
    stock = (documented / "stock_to_shop.md").read_text()
    assert "Only records where `stock` is present are sent" in stock
    assert "the first of `combination.id_product`, `product.id` that is not empty" in stock


def test_each_page_has_the_date_and_the_plan_version(documented):
    plan = load_plan(EXAMPLE, ConnectorStore())
    version = content_hash(EXAMPLE, lookup_files(plan))
    for page in documented.iterdir():
        if page.suffix in (".md", ".html"):
            text = page.read_text()
            assert version in text, page.name
            assert re.search(r"Generated \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC[+-]\d{2}:\d{2}", text), page.name


def test_the_generation_date_names_its_time_zone():
    paris = timezone(timedelta(hours=2), "CEST")
    assert generated_at(datetime(2025, 6, 2, 14, 5, tzinfo=paris)).startswith("2025-06-02")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC[+-]\d{2}:\d{2}( \(.+\))?", generated_at())


def test_no_secret_reaches_a_page(tmp_path, monkeypatch):
    monkeypatch.setenv("ACME_PS_KEY", "k3y-v3ry-s3cr3t-value")
    monkeypatch.setenv("ACME_SAGE_TOKEN", "t0ken-s3cr3t-value")
    write_docs(EXAMPLE, tmp_path, ConnectorStore())
    for page in tmp_path.iterdir():
        text = page.read_text()
        assert "s3cr3t" not in text, page.name
    assert "key: environment variable ACME_PS_KEY" in (tmp_path / "index.md").read_text()


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_shipped_example_is_documented_with_every_transform_in_words(example, tmp_path):
    from engine.mapdoc.model import build
    plan = load_plan(example, ConnectorStore())
    doc = build(plan, default_registry(), "now", "v")
    assert doc.undescribed == []
    write_docs(example, tmp_path, ConnectorStore())
    ET.fromstring((tmp_path / "flows.svg").read_text())  # well-formed SVG


def test_conditions_and_sources_in_words():
    assert condition("detail.reduction_percent > `0`") == "`detail.reduction_percent` is above 0"
    assert condition("product != null && combination == null") == "`product` is present and `combination` is empty"
    assert condition("length(Reference) > `19`") == "the length of `Reference` is above 19"
    assert condition("a[?b == `1`]") == "`` a[?b == `1`] ``"  # no plain reading: shown as written
    assert source("a || b.c || `0`") == "the first of `a`, `b.c`, 0 that is not empty"
    assert source("associations.taxes[0].id") == "`associations.taxes[0].id`"


def test_the_diagram_puts_two_systems_syncing_both_ways_side_by_side():
    edges = [("shop", "sage", "orders"), ("sage", "shop", "stock"), ("sage", "crm", "customers")]
    cols = diagram.columns(["shop", "sage", "crm"], edges)
    assert cols["shop"] != cols["sage"] and cols["crm"] > cols["sage"]
    svg = diagram.render({"shop": "PrestaShop", "sage": "Sage 100", "crm": "A & B"}, edges)
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert {"PrestaShop", "Sage 100", "A & B", "orders", "stock", "customers"} <= set(texts)
    assert len(list(root.iter("{http://www.w3.org/2000/svg}path"))) == 4  # three arrows and the marker


def test_cli_docs_writes_and_reports(tmp_path):
    code, out, err = run_cli(["docs", str(EXAMPLE), "--out", str(tmp_path / "doc"), "--flow", "stock_to_shop"],
                             ROOT)
    assert code == 0, err
    assert "index.html" in out
    assert sorted(p.name for p in (tmp_path / "doc").iterdir()) == ["flows.svg", "index.html", "index.md",
                                                                   "stock_to_shop.md"]
    code, out, err = run_cli(["docs", str(EXAMPLE), "--out", str(tmp_path / "x"), "--flow", "stock_to_shp"], ROOT)
    assert code == 1 and "error[unknown-flow]" in err and "stock_to_shop" in err
    code, out, err = run_cli(["docs", str(tmp_path / "nowhere"), "--out", str(tmp_path / "y")], ROOT)
    assert code == 1 and "error[not-found]" in err
