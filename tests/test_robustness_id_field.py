"""Robustness of ``id_field`` (property-based): any value of the key, on an HTTP or an ODBC operation of a
connector file, validates without a traceback or an internal error, every error located in that file;
any payload and target id build a body holding the id once, the payload's own fields unchanged."""
from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support import validate_connector

from engine.connectors.compile import open_connector

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
values = st.sampled_from(["id", "Id_2", "", "a b", "1x", "{target_id}", "é"]) | st.integers() | st.none() | \
    st.lists(st.text(max_size=3), max_size=2) | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)

PROJECT = """\
endpoints:
  shop: { use: shop, settings: { url: "http://127.0.0.1:9" } }
flows:
  prices:
    source: { endpoint: shop, read: prices }
    target: { endpoint: shop, write: add_price, update: update_price }
    map: { price: { from: price } }
"""


@SETTINGS
@given(values, st.sampled_from(["http", "odbc"]))
def test_any_id_field_validates_with_located_errors(tmp_path_factory, value, protocol):
    update = {"method": "PATCH", "path": "/prices/{target_id}", "body": "json", "id_field": value}
    connector = {"name": "shop", "protocol": protocol, "settings": {"url": {"required": True}},
                 "resources": {"prices": {"path": "/prices", "key": "id"}},
                 "operations": {"add_price": {"method": "POST", "path": "/prices", "body": "json", "creates": True},
                                "update_price": update}}
    if protocol == "http":
        connector["http"] = {"base_url": "{settings.url}"}
    code, text = validate_connector(tmp_path_factory.mktemp("idfield"), connector, PROJECT)
    assert (code == 0) == (protocol == "http" and isinstance(value, str) and bool(re.fullmatch(
        r"[A-Za-z_][A-Za-z0-9_]*", value))), text


payloads = st.dictionaries(st.sampled_from(["price", "id_group", "name", "qty"]),
                           st.integers() | st.text(max_size=5) | st.none(), max_size=4)


@SETTINGS
@given(payloads, st.integers(1, 10**9) | st.text(min_size=1, max_size=6))
def test_the_body_holds_the_id_once_and_the_payload_unchanged(payload, target_id):
    spec = {"name": "shop", "protocol": "http", "settings": {}, "http": {"base_url": "http://127.0.0.1:9"},
            "operations": {"update": {"method": "PATCH", "path": "/p/{target_id}", "body": "json", "id_field": "id"}}}
    with open_connector("shop", spec, {}) as shop:
        body = json.loads(shop.build_write("update", payload, {"target_id": target_id})["content"])
    assert body == {"id": target_id, **payload}
