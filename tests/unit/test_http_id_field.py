"""``id_field`` on an HTTP update operation: the id its create answered (``target_id``) goes into the
body too (PrestaShop's PUT/PATCH refuse a body without ``<id>``, code 90), under the name given."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from engine.connectors.compile import compile_connector, open_connector
from engine.connectors.errors import ConnectorError


def definition(body: str = "xml", **extra) -> dict:
    return {"name": "shop", "protocol": "http", "settings": {},
            "http": {"base_url": "http://127.0.0.1:9/api"},
            "operations": {"update_price": {"method": "PATCH", "path": "/specific_prices/{target_id}", "body": body,
                                            "item": "specific_price", "id_field": "id", **extra},
                           "plain": {"method": "PATCH", "path": "/specific_prices/{target_id}", "body": body,
                                     "item": "specific_price"}}}


@pytest.mark.parametrize("body", ["xml", "json"])
def test_the_target_id_goes_into_the_body_under_the_name_given(body):
    with open_connector("shop", definition(body), {}) as shop:
        req = shop.build_write("update_price", {"price": Decimal("9.90")}, {"target_id": 7})
        plain = shop.build_write("plain", {"price": Decimal("9.90")}, {"target_id": 7})
    assert req["path"] == "/specific_prices/7"
    if body == "xml":
        assert b"<specific_price><id>7</id><price>9.90</price></specific_price>" in req["content"]
        assert b"<id>" not in plain["content"]
    else:
        assert json.loads(req["content"]) == {"id": 7, "price": 9.9}
        assert "id" not in json.loads(plain["content"])


def test_the_payload_keeps_its_own_fields_and_the_id_comes_first():
    with open_connector("shop", definition("json"), {}) as shop:
        req = shop.build_write("update_price", {"id_group": 4, "price": 1}, {"target_id": "12"})
    assert list(json.loads(req["content"])) == ["id", "id_group", "price"]


def test_id_field_is_an_http_key_only():
    spec = {"name": "erp", "protocol": "odbc", "settings": {"connection": {"required": True}},
            "operations": {"rename": {"sql": "UPDATE t SET a = {payload.a}", "id_field": "id"}}}
    _, diags = compile_connector(spec, lambda path: None)
    assert [(d.code, d.path) for d in diags] == [("foreign-key", "connector.operations.rename.id_field")]
    with pytest.raises(ConnectorError):
        open_connector("erp", spec, {"connection": "DSN=x"})


def test_a_dotted_id_field_puts_the_id_into_a_nested_object_without_changing_the_payload():
    """Magento's gallery update reads the entry id from the body's ``entry.id``."""
    spec = {"name": "shop", "protocol": "http", "settings": {}, "http": {"base_url": "http://127.0.0.1:9/V1"},
            "operations": {"replace": {"method": "PUT", "path": "/media/{target_id}", "body": "json",
                                       "id_field": "entry.id"}}}
    payload = {"entry": {"label": "front"}, "other": 1}
    with open_connector("shop", spec, {}) as shop:
        req = shop.build_write("replace", payload, {"target_id": 5})
        bare = shop.build_write("replace", {"other": 1}, {"target_id": 5})
        create = shop.build_write("replace", payload, {"target_id": None})
    assert json.loads(req["content"]) == {"entry": {"id": 5, "label": "front"}, "other": 1}
    assert json.loads(bare["content"]) == {"other": 1, "entry": {"id": 5}}
    assert json.loads(create["content"]) == payload and payload == {"entry": {"label": "front"}, "other": 1}
