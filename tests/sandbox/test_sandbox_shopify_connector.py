"""The `shopify` connector definition against the simulator: the REST budget holds beyond the burst,
writes that answer HTTP 200 with userErrors fail, and the GraphQL cost ceiling fixes the page size."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx
import pytest

from engine.connectors.http.client import HttpEndpoint, HttpError
from engine.connectors.compile import open_connector
from engine.spec.env import Secret
from passerelle_sandbox import Sandbox

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "connectors"))
from profiles import connector  # noqa: E402

GID = "gid://shopify/Order/5829173215423"


def _endpoint(sb: Sandbox) -> HttpEndpoint:
    settings = {"base_url": sb.url("shopify"), "api_version": "2024-10",
                "access_token": Secret(sb.credentials("shopify")["access_token"])}
    return open_connector("shopify", connector("shopify"), settings)


@pytest.mark.slow
def test_rest_reads_stay_under_the_bucket_beyond_the_burst() -> None:
    """A 6-call bucket and pages of one order: 16 calls, paced by the call-limit header, no 429."""
    with Sandbox(systems=("shopify",), orders=16, options={"shopify": {"rest_bucket": 6}}) as sb, \
            _endpoint(sb) as ep:
        started = time.monotonic()
        pages = list(ep.read("orders_rest", page_size=1))
        elapsed = time.monotonic() - started
        assert [len(p) for p in pages] == [1] * 16
        assert sb.sim("shopify").requests_429 == 0
        assert ep.limiter.waited > 0 and elapsed >= (16 - 6) / 2 - 0.6  # leak of 2 calls per second
        calls = [r for r in sb.sim("shopify").requests if "orders.json" in r[1]]
        assert len(calls) == 16 and {status for _, _, status in calls} == {200}


def test_rest_since_sends_updated_at_min_and_status_any() -> None:
    with Sandbox(systems=("shopify",), orders=20, options={"shopify": {"closed_every": 2}}) as sb, \
            _endpoint(sb) as ep:
        records = sorted(sb.sim("shopify").orders, key=lambda r: r["_updated"])
        found = [o["id"] for page in ep.read("orders_rest", since=("updated_at", records[-3]["updated_at"]))
                 for o in page]
        assert sorted(found) == sorted(r["id"] for r in records[-3:])
        target = next(p for m, p, _ in reversed(sb.sim("shopify").requests) if "orders.json" in p)
        assert "status=any" in target and "updated_at_min=" in target


def test_writes_report_user_errors_as_failures() -> None:
    with Sandbox(systems=("shopify",), orders=12) as sb, _endpoint(sb) as ep:
        sim = sb.sim("shopify")
        assert ep.write("tag_order", {"id": GID, "tags": ["erp-exported"]}).result == GID
        assert sim.tags(1042) == ["erp-exported"]
        with pytest.raises(HttpError, match="reports a failure.*Order does not exist"):
            ep.write("tag_order", {"id": "gid://shopify/Order/1", "tags": ["erp-exported"]})
        stock = sim.stock("MUG-CLASSIC")
        row = {"inventoryItemId": sim.inventory_gid("MUG-CLASSIC"), "locationId": sim.location["gid"],
               "quantity": 42, "compareQuantity": stock + 1}
        payload = {"name": "available", "reason": "correction", "quantities": [row]}
        with pytest.raises(HttpError, match="COMPARE_QUANTITY_STALE"):
            ep.write("set_inventory", payload)
        row["compareQuantity"] = stock
        assert ep.write("set_inventory", payload).result == "correction" and sim.stock("MUG-CLASSIC") == 42
        updated = ep.write("update_order", {"id": GID, "tags": ["wave-12"], "note": "exported"})
        assert updated.result == GID and sim.tags(1042) == ["wave-12"] and sim.order(1042)["note"] == "exported"
        metafields = [{"ownerId": GID, "namespace": "erp", "key": "piece", "type": "single_line_text_field",
                       "value": "BC00001"}]
        assert ep.write("set_metafields", metafields).result.startswith("gid://shopify/Metafield/")
        items = [r for page in ep.read("inventory_items", keys=("sku", ["MUG-CLASSIC", "TSHIRT-BLU-M"]))
                 for r in page]
        assert {r["sku"] for r in items} == {"MUG-CLASSIC", "TSHIRT-BLU-M"}


def test_orders_page_size_fits_the_single_query_cost_ceiling() -> None:
    definition = connector("shopify")
    orders = definition["resources"]["orders"]
    size = orders["pagination"]["page_size"]
    with Sandbox(systems=("shopify",), orders=12) as sb:
        headers = {"X-Shopify-Access-Token": sb.credentials("shopify")["access_token"]}
        url = sb.api_url("shopify") + "graphql.json"
        fits = httpx.post(url, headers=headers, json={"query": orders["graphql"], "variables": {"first": size}})
        assert fits.json()["extensions"]["cost"]["requestedQueryCost"] <= 1000
        bigger = httpx.post(url, headers=headers, json={"query": orders["graphql"], "variables": {"first": size + 4}})
        assert bigger.json()["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"


@pytest.mark.slow
def test_graphql_read_at_the_default_cost_budget_returns_every_order() -> None:
    """A THROTTLED answer (HTTP 200, no data) waits for the cost bucket instead of ending the read."""
    with Sandbox(systems=("shopify",), orders=60) as sb, _endpoint(sb) as ep:
        found = [r["id"] for page in ep.read("orders") for r in page]
        assert len(found) == len(set(found)) == 60
