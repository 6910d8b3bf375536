"""WooCommerce authentication over plain http: OAuth 1.0a one-legged only."""
from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import httpx
import pytest

from engine.connectors.http.flows import oauth1_signature
from passerelle_sandbox import Sandbox
from passerelle_sandbox.woo_oauth import base_string, collect_params, header_params
from test_sandbox_woocommerce import woo_client

NOW = datetime(2024, 6, 1, 8, 0, 0, tzinfo=timezone.utc)
READER, WRITER = ("ck_reader", "cs_reader"), ("ck_writer", "cs_writer")


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    options = {"clock": lambda: NOW, "keys": {READER[0]: (READER[1], "read"), WRITER[0]: (WRITER[1], "write")}}
    with Sandbox(systems=("woocommerce",), orders=5, options={"woocommerce": options}) as sandbox:
        yield sandbox


def signed_url(sb: Sandbox, path: str, method: str = "GET", key: str | None = None, secret: str | None = None,
               nonce: str | None = None, at: datetime = NOW, algorithm: str = "HMAC-SHA256",
               extra: dict | None = None, drop: tuple[str, ...] = ()) -> str:
    """Sign with the engine's RFC 5849 signer (independent of the simulator's verifier)."""
    creds = sb.credentials("woocommerce")
    url = sb.api_url("woocommerce") + path
    params = dict(extra or {})
    params.update(oauth_consumer_key=key or creds["consumer_key"], oauth_nonce=nonce or secrets.token_hex(8),
                  oauth_signature_method=algorithm, oauth_timestamp=str(int(at.timestamp())))
    params["oauth_signature"] = oauth1_signature(method, url, list(params.items()), secret or creds["consumer_secret"],
                                                 algorithm)
    return url + "?" + urlencode({k: v for k, v in params.items() if k not in drop})


def error(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert body["data"]["status"] == response.status_code
    return response.status_code, body["code"], body["message"]


def test_signature_base_string_as_woocommerce_builds_it() -> None:
    """RFC 5849 §3.4.1.1's request, read the way PHP and ``WC_REST_Authentication`` read it: one value per
    name (the form body's ``a3`` wins over the query's), only ``oauth_*`` names from the header, names sorted
    with ``strcmp`` on their raw text (``c2`` before ``c@``, where RFC 5849 sorts the encoded ``c%40`` first)."""
    header = ('OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_token="kkk9d7dh3k39sjv7", '
              'oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", '
              'oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"')
    params = collect_params("b5=%3D%253D&a3=a&c%40=&a2=r%20b", b"c2&a3=2+q", "application/x-www-form-urlencoded",
                            header)
    assert header_params(header)["oauth_signature"] == "bYT5CMsGcbgUdFHObYMEfcx6bsw="
    assert base_string("POST", "http://example.com/request", params) == (
        "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26b5%3D%253D%25253D%26"
        "c2%3D%26c%2540%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26"
        "oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7")


@pytest.mark.parametrize("algorithm", ["HMAC-SHA1", "HMAC-SHA256"])
def test_signed_requests_are_accepted(sb: Sandbox, algorithm: str) -> None:
    url = signed_url(sb, "orders/1042", algorithm=algorithm, extra={"_fields": "id,total"})
    response = httpx.get(url)
    assert response.status_code == 200 and response.json() == {"id": 1042, "total": "42.00"}


def test_engine_signer_interoperates(sb: Sandbox) -> None:
    with woo_client(sb, at=NOW) as client:
        assert client.get("orders", params={"status": "any", "search": "claire martin"}).status_code == 200
        assert client.put("orders/1042", json={"customer_note": "hello"}).status_code == 200


def test_oauth_in_authorization_header(sb: Sandbox) -> None:
    url = signed_url(sb, "orders/1042")
    base, query = url.split("?")
    pairs = [p.split("=", 1) for p in query.split("&")]
    header = "OAuth " + ", ".join(f'{k}="{v}"' for k, v in pairs)
    assert httpx.get(base, headers={"Authorization": header}).status_code == 200


def test_no_credentials_is_cannot_view(sb: Sandbox) -> None:
    response = httpx.get(sb.api_url("woocommerce") + "orders")
    assert error(response) == (401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
    assert "WWW-Authenticate" not in response.headers


def test_basic_and_query_keys_are_ignored_over_http(sb: Sandbox) -> None:
    creds = sb.credentials("woocommerce")
    basic = httpx.get(sb.api_url("woocommerce") + "orders", auth=(creds["consumer_key"], creds["consumer_secret"]))
    query = httpx.get(sb.api_url("woocommerce") + "orders", params=creds)
    for response in (basic, query):
        assert error(response) == (401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")


def test_missing_oauth_parameters(sb: Sandbox) -> None:
    one = httpx.get(sb.api_url("woocommerce") + "orders", params={"oauth_consumer_key": "ck_x"})
    assert error(one) == (401, "woocommerce_rest_authentication_missing_parameter",
                          "Missing OAuth parameters oauth_timestamp, oauth_nonce, oauth_signature, "
                          "oauth_signature_method")
    no_nonce = httpx.get(signed_url(sb, "orders", drop=("oauth_nonce",)))
    assert error(no_nonce)[2] == "Missing OAuth parameter oauth_nonce"


@pytest.mark.parametrize("kwargs,message", [
    ({"key": "ck_unknown"}, "Consumer key is invalid."),
    ({"secret": "cs_wrong"}, "Invalid signature - provided signature does not match."),
    ({"algorithm": "PLAINTEXT"}, "Invalid signature - signature method is invalid."),
    ({"at": NOW - timedelta(minutes=16)}, "Invalid timestamp."),
    ({"at": NOW + timedelta(minutes=16)}, "Invalid timestamp."),
])
def test_refused_signatures(sb: Sandbox, kwargs: dict, message: str) -> None:
    response = httpx.get(signed_url(sb, "orders", **kwargs))
    assert error(response) == (401, "woocommerce_rest_authentication_error", message)


def test_timestamp_inside_window_and_nonce_single_use(sb: Sandbox) -> None:
    url = signed_url(sb, "orders/1042", nonce="fixed-nonce-1", at=NOW - timedelta(minutes=14))
    assert httpx.get(url).status_code == 200
    again = httpx.get(url)
    assert error(again) == (401, "woocommerce_rest_authentication_error",
                            "Invalid nonce - nonce has already been used.")


def test_signature_covers_query_and_method(sb: Sandbox) -> None:
    url = signed_url(sb, "orders", extra={"per_page": "5"})
    assert error(httpx.get(url.replace("per_page=5", "per_page=6")))[2] == \
        "Invalid signature - provided signature does not match."
    assert error(httpx.delete(signed_url(sb, "orders/1042")))[2] == \
        "Invalid signature - provided signature does not match."


def test_key_permissions(sb: Sandbox) -> None:
    put = httpx.put(signed_url(sb, "orders/1042", "PUT", *READER), json={"customer_note": "x"})
    assert error(put) == (401, "woocommerce_rest_authentication_error",
                          "The API key provided does not have write permissions.")
    get = httpx.get(signed_url(sb, "orders/1042", "GET", *WRITER))
    assert error(get)[2] == "The API key provided does not have read permissions."
    assert httpx.get(signed_url(sb, "orders/1042", "GET", *READER)).status_code == 200


def test_anonymous_per_route_codes_option() -> None:
    with Sandbox(systems=("woocommerce",), orders=3, options={"woocommerce": {"anonymous_error": "per_route"}}) as s:
        root = s.api_url("woocommerce")
        assert error(httpx.get(root + "orders/1042"))[1:] == ("woocommerce_rest_cannot_view",
                                                              "Sorry, you cannot view this resource.")
        assert error(httpx.put(root + "orders/1042", json={}))[1] == "woocommerce_rest_cannot_edit"
        assert error(httpx.post(root + "products/batch", json={}))[1] == "woocommerce_rest_cannot_batch"


def test_relaxed_http_auth_option() -> None:
    with Sandbox(systems=("woocommerce",), orders=3, options={"woocommerce": {"relax_http_auth": True}}) as s:
        creds, root = s.credentials("woocommerce"), s.api_url("woocommerce")
        assert httpx.get(root + "orders", auth=(creds["consumer_key"], creds["consumer_secret"])).status_code == 200
        wrong = httpx.get(root + "orders", auth=(creds["consumer_key"], "cs_nope"))
        assert error(wrong) == (401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
        assert wrong.headers["WWW-Authenticate"].startswith('Basic realm="WooCommerce API.')
        assert httpx.get(root + "orders", params=creds).status_code == 200
