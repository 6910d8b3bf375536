"""Robustness of the WooCommerce simulator's new parts: PHP-style parameter parsing and the signature base
never raise on any query string, and random order/refund/customer/product bodies posted with a valid
signature always get a WooCommerce-shaped JSON answer (201/200, a 4xx/500 ``{"code", "message", "data"}``, or
501 not simulated) — never a simulator crash."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from passerelle_sandbox import Sandbox
from passerelle_sandbox.woo_oauth import base_string, collect_params
from sandbox.test_sandbox_woocommerce import woo_client

NOW = datetime(2024, 6, 1, 8, 0, 0, tzinfo=timezone.utc)


def fuzz(n: int):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None, print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


QUERY_CHARS = st.sampled_from(list("ab[]=&.+% _0123456789%2B%5B%5Dxyz") + ["oauth_nonce", "é", "\x00"])
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-5, 10 ** 6), st.text(max_size=6),
                   st.floats(allow_nan=False, allow_infinity=False, width=32),
                   st.sampled_from(["LIVRE-003", "1.5", "-2", "abc", "NaN", "Infinity", "welcome3", "flat_rate",
                                    "bacs", 0, 2201, 2202]))
ITEM = st.dictionaries(st.sampled_from(["id", "sku", "product_id", "variation_id", "quantity", "total", "subtotal",
                                        "name", "method_id", "total_tax", "code", "refund_total", "meta_data",
                                        "refund_tax", "tax_status", "tax_class"]), SCALAR, max_size=5)
BODY = st.dictionaries(
    st.sampled_from(["line_items", "shipping_lines", "fee_lines", "coupon_lines", "customer_id", "status",
                     "set_paid", "billing", "meta_data", "amount", "api_refund", "email", "sku", "type",
                     "regular_price", "name", "stock_quantity", "manage_stock"]),
    st.one_of(SCALAR, st.lists(st.one_of(ITEM, SCALAR), max_size=3), ITEM), max_size=6)


@fuzz(300)
@given(st.lists(QUERY_CHARS, max_size=30).map("".join), st.binary(max_size=20))
def test_params_and_base_string_never_raise(query: str, body: bytes) -> None:
    params = collect_params(query, body, "application/x-www-form-urlencoded", 'OAuth oauth_nonce="' + query + '"')
    assert isinstance(base_string("GET", "http://shop.test/wp-json/wc/v3/orders", params), str)


@pytest.fixture(scope="module")
def wc() -> Iterator[httpx.Client]:
    with Sandbox(systems=("woocommerce",), orders=6, options={"woocommerce": {"clock": lambda: NOW}}) as sb:
        with woo_client(sb, at=NOW) as client:
            yield client


@fuzz(400)
@given(st.sampled_from(["orders", "orders/1042", "orders/1042/refunds", "customers", "products"]), BODY)
def test_random_writes_get_woocommerce_answers(wc: httpx.Client, path: str, body: dict) -> None:
    response = (wc.put if path == "orders/1042" else wc.post)(path, json=body)
    assert response.status_code in (200, 201, 400, 404, 500, 501), response.text
    assert response.headers["Content-Type"].startswith("application/json"), response.text  # not a crash page
    payload = response.json()
    if response.status_code >= 400:
        assert set(payload) == {"code", "message", "data"} and payload["code"] != "internal_error", payload
        assert payload["code"] == "woocommerce_rest_cannot_create_order_refund" or \
            payload["data"]["status"] == response.status_code
