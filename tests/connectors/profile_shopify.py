"""Shopify GraphQL Admin API (connector `shopify`, resource `orders`) against the Shopify simulator.

Keys are order gids. The incremental cursor is ``updatedAt`` (``query: "updated_at:>'…'"``, strict).
The write tags order 1042 through ``tagsAdd`` and checks the simulator's tags.

The engine paces requests (REST bucket, 2/s) but not GraphQL *cost* yet, and a THROTTLED answer
(HTTP 200, no data) would end a read early: the cost bucket is therefore widened here so these
checks measure paging, and ``requests_429`` counts THROTTLED answers too (the at-scale read must see
none). The default bucket (2,000 points, 100/s) and THROTTLED itself are proven in
tests/sandbox/test_sandbox_shopify_graphql.py. ``big_orders`` is 400 (40 pages of 10, the cost
ceiling's page size with 10 lines and 3 shipping lines per order, inside the 40-call burst); 10,000
orders are read through REST in profile_shopify_rest.py.
"""
from profiles import Profile


def _sim(sb):
    return sb.sim("shopify")


def _updated(rec) -> str:
    return rec["_updated"].strftime("%Y-%m-%dT%H:%M:%SZ")


def _since_value(sb):
    return sorted(_updated(rec) for rec in _sim(sb).orders)[-5]


def _since_keys(sb):
    cut = _since_value(sb)
    return {rec["admin_graphql_api_id"] for rec in _sim(sb).orders if _updated(rec) > cut}


def _verify(sb, result):
    tags = _sim(sb).tags(1042)
    return {"erp-exported", "sage-BC00042"} <= set(tags) and result.result == "gid://shopify/Order/5829173215423"


PROFILE = Profile(
    system="shopify",
    connector="shopify",
    settings=lambda sb: {"base_url": sb.url("shopify"), "access_token": sb.credentials("shopify")["access_token"],
                         "api_version": "2024-10"},
    bad_settings=lambda sb: {"base_url": sb.url("shopify"), "access_token": "shpat_" + "0" * 32,
                             "api_version": "2024-10"},
    resource="orders",
    key="id",
    expected_keys=lambda sb: {rec["admin_graphql_api_id"] for rec in _sim(sb).orders},
    page_size=10,
    since=("updatedAt", _since_value, _since_keys),
    write=("tag_order", lambda sb: {"id": "gid://shopify/Order/5829173215423", "tags": ["erp-exported", "sage-BC00042"]},
           lambda sb: {}, _verify),
    secret_settings=("access_token",),
    sandbox_options={"options": {"shopify": {"graphql_bucket": 200000.0, "restore_rate": 1000.0}}},
    big_orders=400,
    rate_limited=True,
    requests_429=lambda sb: _sim(sb).requests_429 + _sim(sb).throttled,
)
