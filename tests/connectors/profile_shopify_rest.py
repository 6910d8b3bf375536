"""Shopify legacy REST orders list (connector `shopify`, resource `orders_rest`) against the simulator.

Every seventh order is closed (``closed_every``): the resource sends ``status=any`` (the default
``open`` would hide them). ``updated_at_min`` is inclusive, so the expected keys of
the incremental read are the orders updated at or after the cursor. The at-scale read takes 10,000
orders in 40 pages of 250 — exactly the 40-call burst — and must see no 429; the pacing beyond the
burst is proven in tests/sandbox/test_sandbox_shopify_budget.py.
"""
from profile_shopify import PROFILE as GRAPHQL
from profiles import Profile


def _sim(sb):
    return sb.sim("shopify")


def _since_value(sb):
    return sorted((rec["_updated"], rec["updated_at"]) for rec in _sim(sb).orders)[-5][1]


def _since_keys(sb):
    cut = sorted(rec["_updated"] for rec in _sim(sb).orders)[-5]
    return {str(rec["id"]) for rec in _sim(sb).orders if rec["_updated"] >= cut}


PROFILE = Profile(
    system="shopify",
    connector="shopify",
    settings=GRAPHQL.settings,  # the same endpoint, read through the legacy REST resource
    bad_settings=GRAPHQL.bad_settings,
    resource="orders_rest",
    key="id",
    expected_keys=lambda sb: {str(rec["id"]) for rec in _sim(sb).orders},
    page_size=4,
    since=("updated_at", _since_value, _since_keys),
    secret_settings=("access_token",),
    sandbox_options={"options": {"shopify": {"closed_every": 7}}},
    rate_limited=True,
    requests_429=lambda sb: _sim(sb).requests_429,
)
