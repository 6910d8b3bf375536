"""Shopify GraphQL Admin API (connector `shopify`, resource `customers`) against the Shopify simulator.

Keys are customer gids; the incremental cursor is ``updatedAt`` (``query: "updated_at:>'…'"``, strict).
The write is ``set_product``: a ``productSet`` upsert by handle (API version 2025-04, the first with
``identifier``) creating one product with two variants.
"""
from profiles import Profile


def _sim(sb):
    return sb.sim("shopify")


def _updated(rec) -> str:
    return rec["_updated"].strftime("%Y-%m-%dT%H:%M:%SZ")


def _since_value(sb):
    return sorted(_updated(rec) for rec in _sim(sb).customers)[-5]


def _since_keys(sb):
    cut = _since_value(sb)
    return {rec["admin_graphql_api_id"] for rec in _sim(sb).customers if _updated(rec) > cut}


def _product(sb):
    option = {"name": "Size", "values": [{"name": "M"}, {"name": "L"}]}
    return {"identifier": {"handle": "conformance-tee"},
            "input": {"title": "Conformance tee", "handle": "conformance-tee", "productOptions": [option],
                      "variants": [{"optionValues": [{"optionName": "Size", "name": size}], "price": "15.00",
                                    "sku": f"CONF-TEE-{size}"} for size in ("M", "L")]}}


def _verify(sb, result):
    product = _sim(sb).product_by_handle("conformance-tee")
    return product is not None and result.result == f"gid://shopify/Product/{product['id']}" \
        and sorted(v["sku"] for v in product["variants"]) == ["CONF-TEE-L", "CONF-TEE-M"]


def _settings(token):
    return lambda sb: {"base_url": sb.url("shopify"), "access_token": token(sb), "api_version": "2025-04"}


PROFILE = Profile(
    system="shopify",
    connector="shopify",
    settings=_settings(lambda sb: sb.credentials("shopify")["access_token"]),
    bad_settings=_settings(lambda sb: "shpat_" + "0" * 32),
    resource="customers",
    key="id",
    expected_keys=lambda sb: {rec["admin_graphql_api_id"] for rec in _sim(sb).customers},
    page_size=10,
    since=("updatedAt", _since_value, _since_keys),
    write=("set_product", _product, lambda sb: {}, _verify),
    secret_settings=("access_token",),
    sandbox_options={"options": {"shopify": {"graphql_bucket": 200000.0, "restore_rate": 1000.0}}},
    big_orders=0,
    rate_limited=True,
    requests_429=lambda sb: _sim(sb).requests_429 + _sim(sb).throttled,
)
