"""PrestaShop authentication, permissions and activation."""
from __future__ import annotations

import httpx
import pytest

from passerelle_sandbox import Sandbox
from sandbox_helpers import error_codes, xml

REALM = ('Basic realm="Welcome to PrestaShop Webservice, please enter the authentication key as the login. '
         'No password required."')
OTHER = "B" * 32
READER = "R" * 32
INACTIVE = "I" * 32
EMPTY = "E" * 32


@pytest.fixture(scope="module")
def secured() -> Sandbox:
    options = {"prestashop": {
        "keys": {OTHER: {"customers": ["GET"]}, READER: {"orders": ["GET", "HEAD"], "order_histories": ["GET"]},
                 INACTIVE: None, EMPTY: {}},
        "inactive_keys": [INACTIVE],
    }}
    with Sandbox(systems=("prestashop",), orders=5, options=options) as sandbox:
        yield sandbox


def test_no_key_is_answered_by_the_dispatcher(secured: Sandbox) -> None:
    response = httpx.get(secured.api_url("prestashop") + "orders")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == REALM
    assert response.text == "401 Unauthorized"
    assert "PSWS-Version" not in response.headers and "X-Powered-By" not in response.headers


def test_basic_auth_with_key_as_username_password_ignored(secured: Sandbox) -> None:
    key = secured.credentials("prestashop")["key"]
    assert len(key) == 32
    response = httpx.get(secured.api_url("prestashop") + "orders", auth=(key, "anything"))
    assert response.status_code == 200
    assert response.headers["PSWS-Version"] == "8.1.7"
    assert response.headers["X-Powered-By"] == "PrestaShop Webservice"


def test_ws_key_query_parameter(secured: Sandbox) -> None:
    key = secured.credentials("prestashop")["key"]
    response = httpx.get(secured.api_url("prestashop") + "orders/1042", params={"ws_key": key})
    assert response.status_code == 200
    assert xml(response).findtext("order/id") == "1042"


def test_basic_auth_wins_over_ws_key(secured: Sandbox) -> None:
    key = secured.credentials("prestashop")["key"]
    response = httpx.get(secured.api_url("prestashop") + "orders", params={"ws_key": key}, auth=("short", ""))
    assert response.status_code == 401 and error_codes(response) == [18]


@pytest.mark.parametrize("key,codes", [
    ("", [17]),
    ("ABCDE", [18]),
    ("A" * 33, [18]),
    ("Z" * 32, [20, 21]),
    (INACTIVE, [20, 21]),
    (EMPTY, [21]),
])
def test_key_validation_errors(secured: Sandbox, key: str, codes: list[int]) -> None:
    response = httpx.get(secured.api_url("prestashop") + "orders", params={"ws_key": key})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == REALM
    assert error_codes(response) == codes
    assert "PSWS-Version" not in response.headers
    assert response.headers["X-Powered-By"] == "PrestaShop Webservice"


def test_key_errors_follow_output_format(secured: Sandbox) -> None:
    response = httpx.get(secured.api_url("prestashop") + "orders", params={"ws_key": "ABCDE", "output_format": "JSON"})
    assert response.status_code == 401
    assert response.json() == {"errors": [{"code": 18, "message": "Invalid authentication key format"}]}


def test_resource_not_granted_to_the_key_is_code_26(secured: Sandbox) -> None:
    response = httpx.get(secured.api_url("prestashop") + "orders", auth=(OTHER, ""))
    assert response.status_code == 401 and error_codes(response) == [26]
    assert "WWW-Authenticate" not in response.headers and response.headers["PSWS-Version"]
    assert 'Resource of type "orders" is not allowed' in xml(response).findtext("errors/error/message")
    assert httpx.get(secured.api_url("prestashop") + "customers", auth=(OTHER, "")).status_code == 200


def test_method_not_granted_to_the_key_is_405_code_25(secured: Sandbox) -> None:
    body = "<prestashop><order_history><id_order>1042</id_order><id_order_state>3</id_order_state></order_history></prestashop>"
    response = httpx.post(secured.api_url("prestashop") + "order_histories", content=body, auth=(READER, ""))
    assert response.status_code == 405 and error_codes(response) == [25]
    assert secured.sim("prestashop").orders[1042]["current_state"] == 2


def test_unknown_resource_is_400_code_27_with_did_you_mean(secured: Sandbox) -> None:
    key = secured.credentials("prestashop")["key"]
    response = httpx.get(secured.api_url("prestashop") + "order", auth=(key, ""))
    assert response.status_code == 400 and error_codes(response) == [27]
    assert 'Did you mean: "orders"?' in xml(response).findtext("errors/error/message")


def test_root_lists_the_resources_of_the_key(secured: Sandbox) -> None:
    response = httpx.get(secured.api_url("prestashop"), auth=(READER, ""))
    api = xml(response).find("api")
    assert sorted(child.tag for child in api) == ["order_histories", "orders"]
    assert api.find("orders").get("get") == "true" and api.find("orders").get("post") == "false"
    full = httpx.get(secured.api_url("prestashop"), auth=(secured.credentials("prestashop")["key"], ""))
    assert {"orders", "order_details", "order_histories", "stock_availables", "taxes"} <= {
        child.tag for child in xml(full).find("api")}


def test_disabled_webservice_is_503_code_22() -> None:
    with Sandbox(systems=("prestashop",), orders=1, options={"prestashop": {"webservice_enabled": False}}) as sb:
        key = sb.credentials("prestashop")["key"]
        response = httpx.get(sb.api_url("prestashop") + "orders", auth=(key, ""))
        assert response.status_code == 503 and error_codes(response) == [22]
        assert httpx.get(sb.api_url("prestashop") + "orders").status_code == 401  # the dispatcher still asks first


def test_psws_version_can_be_sent_on_errors_too() -> None:
    options = {"prestashop": {"psws_version_on_errors": True, "ps_version": "8.2.0"}}
    with Sandbox(systems=("prestashop",), orders=1, options=options) as sb:
        response = httpx.get(sb.api_url("prestashop") + "orders", params={"ws_key": "ABCDE"})
        assert response.status_code == 401 and response.headers["PSWS-Version"] == "8.2.0"
