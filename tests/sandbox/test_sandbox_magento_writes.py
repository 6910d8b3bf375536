"""Magento simulator writes: order comments, legacy stock items, faults; the connector on top."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx
import pytest

from engine.connectors.http.client import HttpEndpoint, HttpError
from engine.connectors.compile import open_connector
from engine.spec.env import Secret
from engine.project.load import ConnectorStore
from passerelle_sandbox import Faults, Sandbox
from test_sandbox_magento import client, flt, ids

NOW = datetime(2024, 6, 1, 8, 30, 0)


def sandbox(**options) -> Sandbox:
    return Sandbox(systems=("magento",), orders=12, options={"magento": {"clock": lambda: NOW, **options}})


def comment(status: str | None = "processing", **extra) -> dict:
    history = {"comment": "Exported to ERP (A-5531)", "is_customer_notified": 0, "is_visible_on_front": 0,
               "parent_id": 1042, "entity_name": "order", **extra}
    if status is not None:
        history["status"] = status
    return {"statusHistory": history}


def test_comment_with_the_current_status_is_visible_afterwards() -> None:
    with sandbox() as sb, client(sb) as c:
        r = c.post("orders/1042/comments", json=comment())
        assert r.status_code == 200 and r.text == "true"
        order = c.get("orders/1042").json()
        latest = order["status_histories"][0]
        assert latest == {"comment": "Exported to ERP (A-5531)", "created_at": "2024-06-01 08:30:00",
                          "entity_id": latest["entity_id"], "entity_name": "order", "is_customer_notified": 0,
                          "is_visible_on_front": 0, "parent_id": 1042, "status": "processing"}
        assert latest["entity_id"] > max(h["entity_id"] for h in order["status_histories"][1:])
        assert (order["status"], order["state"], order["updated_at"]) == ("processing", "processing",
                                                                         "2024-06-01 08:30:00")
        changed = c.get("orders", params=flt(0, 0, "updated_at", "2024-06-01 00:00:00", "gt"))
        assert ids(changed) == [1042]
        assert sb.sim("magento").comments == [latest] and sb.sim("magento").emails == []


def test_comment_without_status_nulls_the_order_status_by_default() -> None:
    with sandbox() as sb, client(sb) as c:
        assert c.post("orders/1042/comments", json=comment(status=None)).status_code == 200
        order = c.get("orders/1042").json()
        assert "status" not in order and order["state"] == "processing"  # null → omitted (#34180)
        assert "status" not in order["status_histories"][0]
        assert ids(c.get("orders", params=flt(0, 0, "status", "", "null"))) == [1042]


def test_fixed_versions_keep_the_status() -> None:
    with sandbox(missing_status="keep") as sb, client(sb) as c:
        c.post("orders/1042/comments", json=comment(status=None))
        order = c.get("orders/1042").json()
        assert order["status"] == "processing" and order["status_histories"][0]["status"] == "processing"


def test_status_change_and_its_2_4_7_restriction() -> None:
    with sandbox() as sb, client(sb) as c:
        c.post("orders/1042/comments", json=comment(status="exported_erp"))  # undefined status accepted (#32968)
        assert c.get("orders/1042").json()["status"] == "exported_erp"
    with sandbox(comment_sets_status=False) as sb, client(sb) as c:
        c.post("orders/1042/comments", json=comment(status="exported_erp"))
        order = c.get("orders/1042").json()
        assert order["status"] == "processing" and order["status_histories"][0]["status"] == "exported_erp"


def test_customer_notification_and_comment_errors() -> None:
    with sandbox() as sb, client(sb) as c:
        c.post("orders/1042/comments", json=comment(is_customer_notified=1))
        assert sb.sim("magento").emails == [{"order_id": 1042, "email": "claire.martin@example.test",
                                             "comment": "Exported to ERP (A-5531)"}]
        missing = c.post("orders/1042/comments", json={"comment": "flat"})
        assert missing.status_code == 400 and missing.json() == {
            "message": '"%fieldName" is required. Enter and try again.', "parameters": {"fieldName": "statusHistory"}}
        assert c.post("orders/424242/comments", json=comment()).status_code == 404
        broken = c.post("orders/1042/comments", content=b"{not json", headers={"Content-Type": "application/json"})
        assert broken.status_code == 400
        assert len(sb.sim("magento").comments) == 1


def test_stock_item_update_is_idempotent_and_visible() -> None:
    with sandbox() as sb, client(sb) as c:
        for _ in range(2):
            r = c.put("products/MUG-CLASSIC/stockItems/27", json={"stockItem": {"qty": 20, "is_in_stock": True}})
            assert r.status_code == 200 and r.json() == 27
        assert c.get("stockItems/MUG-CLASSIC").json()["qty"] == 20
        assert c.get("products/MUG-CLASSIC").json()["extension_attributes"]["stock_item"]["qty"] == 20
        assert sb.sim("magento").stock("MUG-CLASSIC")["is_in_stock"] is True
        c.put("products/TSHIRT-BLU-M/stockItems/1034", json={"stockItem": {"qty": 0, "is_in_stock": False}})
        assert sb.sim("magento").stock("TSHIRT-BLU-M")["qty"] == 0
        assert c.put("products/NOPE/stockItems/1", json={"stockItem": {"qty": 1}}).status_code == 404
        assert c.put("products/MUG-CLASSIC/stockItems/27", json={"qty": 1}).json()["parameters"] == {
            "fieldName": "stockItem"}


def test_faults_are_honoured() -> None:
    with sandbox() as sb, client(sb) as c:
        sb.sim("magento").faults = Faults(stored_but_lost_rate=1.0, methods=("POST",), path_contains="/comments")
        with pytest.raises(httpx.HTTPError):
            c.post("orders/1042/comments", json=comment())
        assert len(sb.sim("magento").comments) == 1  # stored, the reply was lost
        sb.sim("magento").faults = Faults(error_rate=1.0, statuses=(503,), methods=("POST",))
        assert c.post("orders/1042/comments", json=comment()).status_code == 503
        assert len(sb.sim("magento").comments) == 1  # not applied


# -- the `magento` connector against the simulator ------------------------------------------------------
def endpoint(sb: Sandbox, **overrides) -> HttpEndpoint:
    store = ConnectorStore()
    doc = store.load(store.find("magento", Path(".")))
    creds = sb.credentials("magento")
    settings = {"base_url": sb.url("magento"), "username": creds["username"], "password": Secret(creds["password"]),
                "store": "default", **overrides}
    return open_connector("magento", doc.data["connector"], settings)


def test_connector_where_and_since_together_and_the_error_message() -> None:
    with sandbox() as sb, endpoint(sb) as ep:
        orders = sb.sim("magento").orders
        cut = sorted(o["updated_at"] for o in orders.values())[-6]
        wanted = {o["entity_id"] for o in orders.values() if o["updated_at"] > cut and o["customer_id"] in (56, 7)}
        pages = list(ep.read("orders", where={"customer_id": [56, 7]}, since=("updated_at", cut), page_size=2))
        assert {o["entity_id"] for p in pages for o in p} == wanted
        keyed = list(ep.read("orders", keys=("increment_id", ["000001042", "000001003"])))
        assert sorted(o["entity_id"] for p in keyed for o in p) == [1003, 1042]
        with pytest.raises(HttpError) as info:
            ep.write("add_order_comment", {"comment": "not wrapped"}, {"id": 1042})
        assert info.value.status == 400
        assert info.value.message.endswith(
            '"%fieldName" is required. Enter and try again. {"fieldName":"statusHistory"}')
        result = ep.write("update_stock_item", {"stockItem": {"qty": 3}}, {"sku": "MUG-CLASSIC", "item_id": 27})
        assert result.result == 27 and sb.sim("magento").stock("MUG-CLASSIC")["qty"] == 3


@pytest.mark.parametrize("body", [b'{"statusHistory": {"comment": "x",}}', b"{", b'{"statusHistory": NaN}',
                                  b'{"statusHistory": {"comment": "\xe9"}}'])
def test_a_body_json_decode_refuses_is_400_decoding_error_as_magento_answers_in_production(body: bytes) -> None:
    """Magento\\Framework\\Webapi\\Rest\\Request\\Deserializer\\Json: outside developer mode the message is exactly
    "Decoding error." (HTTP 400, Webapi\\Exception's default); NaN is JSON to Python, not to PHP's json_decode."""
    with sandbox() as sb, client(sb) as c:
        r = c.post("orders/1042/comments", content=body, headers={"Content-Type": "application/json"})
        assert (r.status_code, r.json()) == (400, {"message": "Decoding error."})
