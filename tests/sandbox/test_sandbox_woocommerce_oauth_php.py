"""Gap 3 of issue 13: WooCommerce signs over PHP's merged ``$_GET``/``$_POST`` (one value per name).

The official ``woocommerce`` client over plain http puts ``params`` in the signed URL and again in the query,
so every parameter arrives twice; WooCommerce sees it once and the signature matches. Also
``orderby=modified``, which the current orders controller accepts (``WC_REST_CRUD_Controller``).
"""
from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest
from woocommerce import API

from passerelle_sandbox import Sandbox
from passerelle_sandbox.woo_oauth import base_string, collect_params, php_parse, sign


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(systems=("woocommerce",), orders=12) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def api(sb: Sandbox) -> API:
    creds = sb.credentials("woocommerce")
    return API(url=sb.url("woocommerce"), consumer_key=creds["consumer_key"],
               consumer_secret=creds["consumer_secret"], version="wc/v3", timeout=10)


def test_official_client_with_params_is_accepted(api: API, sb: Sandbox) -> None:
    response = api.get("orders", params={"per_page": 5, "status": "any", "orderby": "id", "order": "asc"})
    assert response.status_code == 200, response.text
    assert response.request.url.count("per_page=5") == 2  # the client sends it twice; PHP keeps one
    assert [o["id"] for o in response.json()] == sorted(sb.sim("woocommerce").orders)[:5]


def test_orderby_modified_is_accepted(api: API, sb: Sandbox) -> None:
    response = api.get("orders", params={"orderby": "modified", "order": "asc", "per_page": 100})
    assert response.status_code == 200, response.text
    stamps = [(o["date_modified_gmt"], o["id"]) for o in response.json()]
    assert stamps == sorted(stamps) and len(stamps) == len(sb.sim("woocommerce").orders)


def test_php_parse_keeps_one_value_per_name() -> None:
    assert php_parse("a=1&a=2&b.c=3&d+e=4") == {"a": "2", "b_c": "3", "d_e": "4"}
    assert php_parse("s[]=x&s[]=y&m[k]=v&m[]=w") == {"s": {0: "x", 1: "y"}, "m": {"k": "v", 0: "w"}}
    assert php_parse("a[]=1&a=2") == {"a": "2"} and php_parse("a=2&a[]=1") == {"a": {0: "1"}}
    assert php_parse("x[y=1&=2&[z]=3") == {"x_y": "1"}


def test_post_form_overrides_get_and_header_overrides_both() -> None:
    params = collect_params("a=1&oauth_nonce=q", b"a=2", "application/x-www-form-urlencoded",
                            'OAuth oauth_nonce="h+x%2B", realm="r"')
    assert params == {"a": "2", "oauth_nonce": "h x+"}  # urldecode: "+" is a space


def test_array_parameters_sign_with_their_indexes(sb: Sandbox) -> None:
    """``status[]=a&status[]=b`` is the array ``status[0], status[1]`` in the signature base."""
    creds = sb.credentials("woocommerce")
    url = sb.api_url("woocommerce") + "orders"
    oauth = {"oauth_consumer_key": creds["consumer_key"], "oauth_nonce": secrets.token_hex(8),
             "oauth_signature_method": "HMAC-SHA256", "oauth_timestamp": str(int(time.time()))}
    query = urlencode([("status[]", "processing"), ("status[]", "completed"), *oauth.items()])
    text = base_string("GET", url, php_parse(query))
    assert "status%255B0%255D%3Dprocessing%26status%255B1%255D%3Dcompleted" in text
    signed = f"{url}?{query}&" + urlencode({"oauth_signature": sign(text, creds["consumer_secret"], "HMAC-SHA256")})
    response = httpx.get(signed)
    assert response.status_code == 200, response.text
    assert {o["status"] for o in response.json()} <= {"processing", "completed"}
