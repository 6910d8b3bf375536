"""The reference example's HTML mapping document opened in headless Chromium (Debian's ``chromium``,
installed by ``make test``): the rendered DOM holds the field table's rows and the SVG diagram, and a
screenshot is taken under the pytest tmp dir (a test artefact, not committed; its path is printed).

Without Chromium the tests fail when ``CI=true`` (or ``PASSERELLE_REQUIRE_CHROMIUM=1``) and skip elsewhere."""
from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from support import ROOT

from engine.cli.docs_command import write_docs
from engine.plan.load import load_plan
from engine.project.load import ConnectorStore

pytestmark = pytest.mark.slow
EXAMPLE = ROOT / "specs" / "examples" / "prestashop-sage100"


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    message = "chromium is missing: `apt-get install chromium` (make test installs it)"
    if os.environ.get("CI", "").lower() == "true" or os.environ.get("PASSERELLE_REQUIRE_CHROMIUM") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _run(chromium: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    argv = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
            f"--user-data-dir={cwd / 'profile'}", *args]
    # a clean HOME: nothing of the user's profile; the network is never needed (the page fetches nothing)
    env = {**os.environ, "HOME": str(cwd)}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


class _Dom(HTMLParser):
    """The rendered DOM: field-table rows (their cells' text) and the SVG's texts."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self.svg_texts: list[str] = []
        self.svgs = 0
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_svg_text = False
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "svg":
            self.svgs += 1
        if tag == "tr" and "field" in (attrs.get("class") or ""):
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = []
        elif tag == "text":
            self._in_svg_text = True
        if tag in ("script", "link", "img", "iframe") or (attrs.get("src") or "").startswith("http"):
            self.external.append(tag)

    def handle_endtag(self, tag):
        if tag == "td" and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        elif tag == "text":
            self._in_svg_text = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._in_svg_text:
            self.svg_texts.append(data)


def test_the_reference_document_renders_in_chromium_with_its_table_and_diagram(tmp_path):
    chromium = _chromium()
    out = tmp_path / "doc"
    write_docs(EXAMPLE, out, ConnectorStore())
    url = (out / "index.html").as_uri()
    done = _run(chromium, "--dump-dom", url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    dom = _Dom()
    dom.feed(done.stdout)
    assert dom.external == []  # standalone: no script, stylesheet link, image or frame
    plan = load_plan(EXAMPLE, ConnectorStore())
    targets = {row[0] for row in dom.rows}
    for path in ("doc.Reference", "doc.NumeroTiers", "doc.Date", "lignes[].CodeTaxe", "lignes[].PrixUnitaire",
                 "id", "price", "quantity", "id_order_state"):
        assert path in targets, path
    by_target = {row[0]: row for row in dom.rows}
    assert by_target["doc.Reference"][1:3] == ["id", "prefix with “PS_”"]
    assert by_target["quantity"][1:3] == ["QteStock", "as a whole number"]
    assert dom.svgs == 1
    for name, flow in plan.flows.items():
        assert name in dom.svg_texts  # each flow is a labelled arrow
    assert {"PrestaShop", "Sage 100"} <= set(dom.svg_texts)

    shot = tmp_path / "mapping-document.png"
    done = _run(chromium, "--window-size=1280,2400", f"--screenshot={shot}", url, cwd=tmp_path)
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    print(f"screenshot: {shot}")
