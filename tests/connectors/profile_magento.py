"""Magento 2 REST (connector `magento`) against the Magento simulator."""
from profiles import Profile

COMMENT = "Exported to Sage (conformance)"


def _orders(sb) -> list:
    return list(sb.sim("magento").orders.values())


def _settings(sb, password=None) -> dict:
    creds = sb.credentials("magento")
    return {"base_url": sb.url("magento"), "username": creds["username"],
            "password": password if password is not None else creds["password"], "store": "default"}


def _since_value(sb):
    return sorted(o["updated_at"] for o in _orders(sb))[-5]


def _since_keys(sb):
    cut = _since_value(sb)
    return {str(o["entity_id"]) for o in _orders(sb) if o["updated_at"] > cut}


def _payload(sb):
    status = sb.sim("magento").order(1042)["status"]  # always send the current status
    return {"statusHistory": {"comment": COMMENT, "is_customer_notified": 0, "is_visible_on_front": 0,
                              "parent_id": 1042, "entity_name": "order", "status": status}}


def _verify(sb, result):
    order = sb.sim("magento").order(1042)
    latest = order["status_histories"][0]
    return (result.result is True and latest["comment"] == COMMENT and latest["parent_id"] == 1042
            and latest["status"] == "processing" and order["status"] == "processing")


PROFILE = Profile(
    system="magento",
    connector="magento",
    settings=_settings,
    bad_settings=lambda sb: _settings(sb, password="not-the-password"),
    resource="orders",
    key="entity_id",
    expected_keys=lambda sb: {str(o["entity_id"]) for o in _orders(sb)},
    since=("updated_at", _since_value, _since_keys),
    write=("add_order_comment", _payload, lambda sb: {"id": 1042}, _verify),
    secret_settings=("password",),
)
