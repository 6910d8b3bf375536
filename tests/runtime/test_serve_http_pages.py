"""`passerelle serve --listen` serves, beside the webhook intake, the operator dashboard, `/healthz` and
`/metrics` on the same port (issue 15): the health check without a token, everything else only with it,
and the pages see the live webhook queue (its depth on the page and in the metrics)."""
from __future__ import annotations

import httpx
import pytest

from passerelle_sandbox import Sandbox, generate
from passerelle_sandbox.templates import prepare
from webhook_support import Serve, webhook_project, woo_env

TOKEN = "dashboard-token-for-the-wiring-test"


@pytest.mark.slow
def test_serve_listen_answers_health_dashboard_and_metrics_beside_the_webhooks(tmp_path):
    with Sandbox(systems=("woocommerce", "sage100"), dataset=generate(seed=1, orders=2, cases=False),
                 options={"woocommerce": {"line_price": "total"},
                          "sage100": {"special_articles": ("PORT", "REMISE", "FRAIS")}}) as sb:
        prepare(sb)
        project = webhook_project(tmp_path)
        serve = Serve(project, tmp_path / "state", {**woo_env(sb), "PASSERELLE_DASHBOARD_TOKEN": TOKEN})
        try:
            serve.wait_for("flow_summary")
            health = httpx.get(f"{serve.url}/healthz", timeout=10)
            assert health.status_code == 200 and health.json()
            assert httpx.get(f"{serve.url}/metrics", timeout=10).status_code in (401, 403)
            page = httpx.get(f"{serve.url}/", headers={"Authorization": "Bearer not-the-token"}, timeout=10)
            assert page.status_code in (303, 401, 403) and "orders_to_sage" not in page.text

            bearer = {"Authorization": f"Bearer {TOKEN}"}
            page = httpx.get(f"{serve.url}/", headers=bearer, timeout=10)
            assert page.status_code == 200
            assert "orders_to_sage" in page.text and "Webhook queue" in page.text
            assert 'data-metric="queue-depth">0<' in page.text  # the queue of this serve, empty
            metrics = httpx.get(f"{serve.url}/metrics", headers=bearer, timeout=10)
            assert metrics.status_code == 200
            assert "passerelle_queue_depth 0" in metrics.text
            assert TOKEN not in page.text + metrics.text + "".join(serve.lines)
        finally:
            serve.stop()
