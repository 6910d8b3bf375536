"""The Shopify connector's two budgets (shopify.dev/docs/api/usage/rate-limits): its `rate_limit` (the REST
leaky bucket, 2 calls per second) counts REST calls only, and GraphQL calls honour the query-cost bucket
the answers report (`cost_limit`): against the simulator's cost bucket, a run of productSet mutations that
overdraws it waits for the points instead of failing, and every product is written."""
from __future__ import annotations

import sys
from pathlib import Path

from engine.connectors.compile import open_connector
from engine.connectors.http.costlimit import CostBucket, CostLimitPlan
from engine.lang.expr import compile_expression
from engine.spec.env import Secret
from passerelle_sandbox import Sandbox

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "connectors"))
from profiles import connector  # noqa: E402


def _product(n: int) -> dict:
    handle = f"cost-{n}"
    return {"identifier": {"handle": handle}, "input": {
        "title": f"Produit {n}", "handle": handle, "status": "ACTIVE",
        "productOptions": [{"name": "Taille", "values": [{"name": "S"}]}],
        "variants": [{"sku": f"COST-{n}-S", "price": "12.35", "optionValues": [{"optionName": "Taille", "name": "S"}]}]}}


def test_graphql_writes_wait_for_the_cost_bucket_and_skip_the_rest_budget() -> None:
    # a bucket of 25 points restoring 50 per second: a productSet costs 10, so the third write in a row
    # does not fit
    options = {"shopify": {"graphql_bucket": 25, "restore_rate": 50}}
    with Sandbox(systems=("shopify",), orders=1, options=options) as sb:
        settings = {"base_url": sb.url("shopify"), "api_version": "2025-04",
                    "access_token": Secret(sb.credentials("shopify")["access_token"])}
        with open_connector("shopify", connector("shopify"), settings) as ep:
            ids = [ep.write("set_product", _product(n)).result for n in range(12)]
            sim = sb.sim("shopify")
            assert all(ids) and len(set(ids)) == 12
            assert sorted(p["handle"] for p in sim.products if p["handle"].startswith("cost-")) == \
                sorted(f"cost-{n}" for n in range(12))
            assert ep.costs is not None and ep.costs.waited > 0  # it waited for the points before sending
            assert ep.limiter is not None and ep.limiter.tokens == ep.limiter.burst  # no REST call was counted
            ep.read("orders_rest", page_size=1).__next__()  # a REST call is
            assert ep.limiter.tokens < ep.limiter.burst


def _plan() -> CostLimitPlan:
    return CostLimitPlan(*(compile_expression(t) for t in (
        "extensions.cost.requestedQueryCost", "extensions.cost.throttleStatus.currentlyAvailable",
        "extensions.cost.throttleStatus.restoreRate", "errors[?extensions.code == 'THROTTLED']")))


def _answer(requested, available, rate=50, throttled=False) -> dict:
    body: dict = {"extensions": {"cost": {"requestedQueryCost": requested, "throttleStatus": {
        "maximumAvailable": 1000, "currentlyAvailable": available, "restoreRate": rate}}}}
    if throttled:
        body["errors"] = [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]
    return body


def test_the_bucket_waits_for_what_a_query_cost_last_time() -> None:
    now = [100.0]
    bucket = CostBucket(_plan(), clock=lambda: now[0])
    assert bucket.due("q") == 0  # nothing known yet: send
    assert bucket.observe("q", _answer(100, 40)) is None  # run: 40 points left, 50 per second
    assert bucket.due("q") == 60 / 50  # 100 needed, 40 there
    now[0] += 0.5
    assert bucket.due("q") == (100 - 65) / 50
    now[0] += 5
    assert bucket.due("q") == 0 and bucket.due("other") == 0  # another query: its cost is not known
    assert bucket.observe("q", _answer(100, 20, throttled=True)) == (100 - 20) / 50  # refused: wait, send again
    assert bucket.observe("q", _answer(None, None, throttled=True)) == 1.0  # no figures: a second
    assert bucket.observe("q", {"data": {}}) is None and bucket.observe("q", ["not", "an", "object"]) is None
