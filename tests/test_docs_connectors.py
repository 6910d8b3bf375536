"""A page per shipped connector (issue 12 item 5), generated from its definition by `passerelle schema
--write`: how an endpoint uses it, its settings (required, secret), its resources (key, filters, since,
typed fields), its operations and their contracts (fields, required ones, max lengths); linked from
docs/connectors.md; `--check` fails on a stale, missing or left-over page."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from support import ROOT, run_cli

from engine.schema import connectors_doc
from engine.schema.connectors_doc import (generated_docs, render_connector_page, render_connectors_doc, shipped_plans,
                                          stale_docs, write_docs)

DOCS = ROOT / "docs"
PLANS = {plan.name: plan for plan in shipped_plans()}


def test_every_shipped_connector_has_its_page_current_and_linked():
    shipped = {p.stem for p in (ROOT / "specs" / "connectors").glob("*.yaml")}
    assert set(PLANS) == shipped and len(shipped) >= 9
    pages = {p.stem for p in (DOCS / "connectors").glob("*.md")}
    assert pages == shipped
    index = (DOCS / "connectors.md").read_text(encoding="utf-8")
    assert index == render_connectors_doc()
    assert f"{len(shipped)} connectors are shipped" in index
    for name, plan in PLANS.items():
        assert (DOCS / "connectors" / f"{name}.md").read_text(encoding="utf-8") == render_connector_page(plan), (
            f"docs/connectors/{name}.md is stale: run `passerelle schema --write`")
        assert f"[`{name}`](connectors/{name}.md)" in index
    assert stale_docs() == []


def test_a_page_holds_settings_resources_operations_and_contracts():
    page = (DOCS / "connectors" / "sage100-ws.md").read_text(encoding="utf-8")
    assert page.startswith("<!-- GENERATED")
    for title in ("## Using it", "## Settings", "## Resources (`read:`)", "## Operations (`write:`)", "## Typed fields"):
        assert title in page
    plan = PLANS["sage100-ws"]
    for decl in plan.settings.values():
        row = next(line for line in page.splitlines() if line.startswith(f"| `{decl.name}` |"))
        cells = [c.strip() for c in row.split("|")[1:-1]]
        assert cells[1] == ("yes" if decl.required else "") and cells[2] == ("yes" if decl.secret else "")
    for name in plan.resources:
        assert f"| `{name}` |" in page
    for name in plan.operations:
        assert f"| `{name}` |" in page
    # a contract: each field, its type, its max length, whether it is required
    assert "### What Sage 100 accepts in InsertDocumentEtLignes (`insert_document`)" in page
    assert "| `lignes[].RefArticle` | text | 19 | yes |" in page
    assert "| `doc.NumeroTiers` | text | 17 | yes |" in page


def test_since_and_filters_are_named_per_resource():
    page = (DOCS / "connectors" / "woocommerce.md").read_text(encoding="utf-8")
    orders = next(line for line in page.splitlines() if line.startswith("| `orders` |"))
    assert "`since`" in orders and "`where`" in orders
    sql = (DOCS / "connectors" / "sage100-sql.md").read_text(encoding="utf-8")
    assert "| `articles` | `AR_Ref` | `where` (`AR_Publie`, `AR_Sommeil`, `FA_CodeFamille`); `since` " \
           "(`cbModification`); `keys` (`AR_Ref`) |" in sql
    shop = (DOCS / "connectors" / "prestashop.md").read_text(encoding="utf-8")
    assert "| `orders` | `total_paid` | decimal |" in shop  # the typed fields, per resource


def test_every_relative_link_of_the_pages_leads_to_a_file():
    for path in [DOCS / "connectors.md", *sorted((DOCS / "connectors").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", path.read_text(encoding="utf-8")):
            assert (path.parent / target).exists(), f"{path.name}: broken link {target}"


@pytest.mark.parametrize("name", sorted(PLANS))
def test_the_usage_example_of_each_page_validates(tmp_path, name):
    page = (DOCS / "connectors" / f"{name}.md").read_text(encoding="utf-8")
    snippet = re.search(r"## Using it\n\n```yaml\n(.*?)```", page, re.S)[1]
    project = tmp_path / "client"
    project.mkdir()
    (project / "project.yaml").write_text("project: { name: Client }\n" + snippet, encoding="utf-8")
    code, out, err = run_cli(["validate", str(project), "--strict"], tmp_path)
    assert code == 0, out + err
    for decl in PLANS[name].settings.values():
        assert (f"{decl.name}: " in snippet) == decl.required  # the required settings, and only those


def test_check_names_a_stale_a_missing_and_a_left_over_page(tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    monkeypatch.setattr(connectors_doc, "docs_path", lambda: docs / "connectors.md")
    written = write_docs()
    assert docs / "connectors.md" in written and docs / "connectors" / "prestashop.md" in written
    assert stale_docs() == []
    (docs / "connectors" / "prestashop.md").write_text("edited by hand\n", encoding="utf-8")
    (docs / "connectors" / "magento.md").unlink()
    (docs / "connectors" / "oldshop.md").write_text("a connector no longer shipped\n", encoding="utf-8")
    messages = "\n".join(stale_docs())
    assert "prestashop.md is stale" in messages and "magento.md is stale" in messages
    assert "oldshop.md is left over: no shipped connector 'oldshop'" in messages
    write_docs()  # --write puts it right: the left-over page deleted
    assert stale_docs() == [] and not (docs / "connectors" / "oldshop.md").exists()
    assert set(generated_docs()) == {docs / "connectors.md", *(docs / "connectors" / f"{n}.md" for n in PLANS)}


def test_schema_check_fails_on_a_stale_page(tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    monkeypatch.setattr(connectors_doc, "docs_path", lambda: docs / "connectors.md")
    write_docs()
    (docs / "connectors" / "shopify.md").write_text("old\n", encoding="utf-8")
    code, _, err = run_cli(["schema", "--check"], tmp_path)
    assert code == 1 and "shopify.md is stale" in err and "passerelle schema --write" in err
