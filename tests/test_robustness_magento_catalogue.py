"""Robustness of what the Magento catalogue template added: a dotted ``id_field`` (any name, any payload
shape) never raises anything but a located diagnostic or an EncodeError, and the simulator's catalogue
writes answer any JSON body with a Magento error shape, never a 500 or a traceback."""
from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.connectors.compile import compile_connector, open_connector
from engine.connectors.errors import EncodeError
from passerelle_sandbox import Sandbox

NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}(\.[A-Za-z_][A-Za-z0-9_]{0,6}){0,3}", fullmatch=True)
JSON = st.recursive(st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                    max_leaves=12)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _spec(id_field: str) -> dict:
    return {"name": "shop", "protocol": "http", "settings": {}, "http": {"base_url": "http://127.0.0.1:9/V1"},
            "operations": {"replace": {"method": "PUT", "path": "/media/{target_id}", "body": "json",
                                       "id_field": id_field}}}


@SETTINGS
@given(NAMES, JSON, st.integers(1, 99))
def test_a_dotted_id_field_puts_the_id_at_its_path_whatever_the_payload(id_field: str, payload: Any, ident: int):
    plan, diags = compile_connector(_spec(id_field), lambda path: None)
    assert plan is not None and diags == []
    with open_connector("shop", _spec(id_field), {}) as shop:
        try:
            req = shop.build_write("replace", payload, {"target_id": ident})
        except EncodeError:
            return
    sent = json.loads(req["content"])
    if isinstance(payload, dict):
        node = sent
        for part in id_field.split("."):
            node = node[part]
        assert node == ident


WRITES = st.sampled_from([("PUT", "products/P-1", "product"), ("POST", "products", "product"),
                          ("POST", "categories", "category"), ("PUT", "categories/2", "category"),
                          ("POST", "inventory/source-items", "sourceItems"), ("POST", "products/P-1/media", "entry"),
                          ("PUT", "products/P-1/media/1", "entry")])


def test_the_catalogue_routes_answer_any_body_with_an_error_shape_never_a_500():
    with Sandbox(systems=("magento",), orders=2) as sb:
        creds = sb.credentials("magento")
        api = httpx.Client(base_url=sb.api_url("magento"), timeout=10)
        api.headers["Authorization"] = "Bearer " + api.post("integration/admin/token", json=creds).json()
        api.put("products/P-1", json={"product": {"sku": "P-1", "name": "p", "attribute_set_id": 4, "price": 1}})

        @SETTINGS
        @given(WRITES, JSON)
        def check(write: tuple[str, str, str], inner: Any) -> None:
            method, path, member = write
            answer = api.request(method, path, json={member: inner})
            assert answer.status_code < 500, (method, path, inner, answer.text)
            if answer.status_code >= 400:
                assert isinstance(answer.json().get("message"), str)

        try:
            check()
        finally:
            api.close()
        assert sb.sim("magento").errors == []
