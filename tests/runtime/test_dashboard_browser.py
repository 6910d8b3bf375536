"""The operator dashboard in headless Chromium (Debian's ``chromium``, driven by Playwright; no browser is
downloaded): an order Sage refuses (an article it does not know) is in the dead letter with its reason
and spec location; the article is created in Sage; the operator logs in and clicks Replay on the page;
the document is created in the Sage simulator and the page shows the new counts. Screenshots are kept
under the pytest tmp dir (test artefacts; their paths are printed).

Without Chromium the test fails when ``CI=true`` (or ``PASSERELLE_REQUIRE_CHROMIUM=1``) and skips elsewhere."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from runtime_support import copy_project, documents_by_reference, eligible_orders, simulators
from web_support import served, session_for

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
TOKEN = "dashboard-token-for-the-browser-test"


def _chromium() -> str:
    if CHROMIUM.exists():
        return str(CHROMIUM)
    message = "chromium is missing: `apt-get install chromium` (make test installs it)"
    if os.environ.get("CI", "").lower() == "true" or os.environ.get("PASSERELLE_REQUIRE_CHROMIUM") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _cell(page, flow: str, metric: str) -> str:
    return page.locator(f'tr[data-flow="{flow}"] [data-metric="{metric}"]').inner_text().strip()


def test_replay_from_the_page_creates_the_document_and_the_page_shows_it(tmp_path):
    chromium = _chromium()
    from playwright.sync_api import sync_playwright

    from engine.web.dashboard import DashboardContext, dashboard_routes

    project = copy_project(tmp_path)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with simulators(orders=8) as (sb, env):
        sage, shop = sb.sim("sage100"), sb.sim("prestashop")
        wanted = sorted(eligible_orders(sb))
        article = shop.orders[wanted[0]]["associations"]["order_rows"][0]["product_reference"]
        refused = sorted(o for o in wanted if any(row["product_reference"] == article
                                                  for row in shop.orders[o]["associations"]["order_rows"]))
        kept = sage.articles.pop(article)  # Sage does not know this article: its orders are refused
        session = session_for(project, tmp_path / "state", env)
        try:
            (summary,) = session.run_flows(["orders_to_sage"])
            assert summary.failed == len(refused) and summary.created == len(wanted) - len(refused)
            routes = dashboard_routes(DashboardContext(session, environ={"PASSERELLE_DASHBOARD_TOKEN": TOKEN}))
            with served(routes) as base, sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(base + "/")
                assert page.url.startswith(base + "/login")  # the token first
                page.fill("#token", "not the token at all, sorry")
                page.click("button[type=submit]")
                assert "not the dashboard's" in page.inner_text("main")
                page.screenshot(path=str(shots / "login-refused.png"))
                page.fill("#token", TOKEN)
                page.click("button[type=submit]")
                page.wait_for_url(base + "/")
                assert _cell(page, "orders_to_sage", "in-target") == str(len(wanted) - len(refused))
                assert _cell(page, "orders_to_sage", "dead-letter") == str(len(refused))
                page.screenshot(path=str(shots / "overview.png"), full_page=True)

                page.click('tr[data-flow="orders_to_sage"] [data-metric="dead-letter"] a')
                row = page.locator(f'tr[data-key="{refused[0]}"]')
                assert f"article '{article}' does not exist" in row.inner_text()
                assert "orders_to_sage.yaml:" in row.locator("code").nth(1).inner_text()
                page.screenshot(path=str(shots / "dead-letter.png"), full_page=True)

                sage.articles[article] = kept  # the cause fixed: the article exists in Sage
                before = len(sage.documents)
                row.locator("button", has_text="Replay").click()
                page.wait_for_selector("#replay-result")
                assert "1 created" in page.inner_text("#replay-result")
                assert len(sage.documents) == before + 1  # created in the Sage simulator
                assert documents_by_reference(sb)[f"PS_{refused[0]}"] == 1
                in_target = page.locator('#flow-card [data-metric="in-target"]').inner_text()
                assert in_target == str(len(wanted) - len(refused) + 1)  # the page shows the new count
                runs = page.locator("#flow-runs tbody tr").first.inner_text()
                assert "replay" in runs and "1 created" in runs
                page.screenshot(path=str(shots / "after-replay.png"), full_page=True)

                if len(refused) > 1:  # the rest of the flow at once
                    page.locator("form.replay button", has_text="Replay all").click()
                    page.wait_for_selector("#replay-result")
                    assert f"{len(refused) - 1} created" in page.inner_text("#replay-result")
                page.goto(base + "/")
                assert page.locator('tr[data-flow="stock_to_shop"]').inner_text().count("never ran") == 1
                page.evaluate("window.stayed = true")
                (stock,) = session.run_flows(["stock_to_shop"])  # as serve runs it on its schedule
                page.evaluate("window.passerelleRefresh()")  # what the page's timer does every 10 s
                page.wait_for_function("!document.querySelector('tr[data-flow=stock_to_shop]')"
                                       ".innerText.includes('never ran')")
                assert page.evaluate("window.stayed") is True  # refreshed in place, not reloaded
                assert f"{stock.read} read" in page.locator('tr[data-flow="stock_to_shop"]').inner_text()
                assert _cell(page, "orders_to_sage", "in-target") == str(len(wanted))
                assert _cell(page, "orders_to_sage", "dead-letter") == "0"
                assert documents_by_reference(sb) == {f"PS_{o}": 1 for o in wanted}
                page.screenshot(path=str(shots / "overview-after.png"), full_page=True)

                page.locator("button.link", has_text="Log out").click()
                page.wait_for_url(base + "/login")
                page.goto(base + "/dead-letter")
                assert page.url.startswith(base + "/login")
                browser.close()
        finally:
            session.close()
    print(f"screenshots: {shots}")
