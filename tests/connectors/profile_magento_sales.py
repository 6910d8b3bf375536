"""Magento 2 REST (connector `magento`), resource `creditmemos` and operation `ship_order`, against the
Magento simulator (``passerelle_sandbox.magento_sales``).

The simulator starts without credit memos: the first call of ``settings`` refunds one unit of a line of
each of 15 orders (a second apart on the simulator's clock, so that the cursor ``updated_at`` orders them).
"""
from datetime import datetime, timedelta

from passerelle_sandbox.magento_sales import refund
from profiles import Profile

TRACK = {"track_number": "1Z999AA10123456784", "title": "United Parcel Service", "carrier_code": "ups"}


class Ticking:
    """A naive UTC clock one second further at every reading (Magento's own clock is naive UTC)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def _sim(sb):
    return sb.sim("magento")


def _memos(sb) -> list:
    return list(_sim(sb).sales.creditmemos.values())


def _prepared(sb) -> None:
    sim = _sim(sb)
    if sim.sales.creditmemos:
        return
    for order in [sim.orders[k] for k in sorted(sim.orders)][:15]:
        line = next(i for i in order["items"] if not i.get("parent_item_id"))
        refund(sim, order["entity_id"], {"items": [{"order_item_id": line["item_id"], "qty": 1}]})


def _settings(password=None):
    def settings(sb) -> dict:
        _prepared(sb)
        creds = sb.credentials("magento")
        return {"base_url": sb.url("magento"), "username": creds["username"],
                "password": password if password is not None else creds["password"], "store": "default"}
    return settings


def _since_value(sb):
    return sorted(m["updated_at"] for m in _memos(sb))[-4]


def _since_keys(sb):
    cut = _since_value(sb)
    return {str(m["entity_id"]) for m in _memos(sb) if m["updated_at"] > cut}


def _shipped(sb):
    return sorted(_sim(sb).orders)[-1]


def _verify(sb, result):
    shipments = [s for s in _sim(sb).sales.shipments.values() if s["order_id"] == _shipped(sb)]
    return (len(shipments) == 1 and result.result == shipments[0]["entity_id"]
            and [{k: t[k] for k in TRACK} for t in shipments[0]["tracks"]] == [TRACK])


PROFILE = Profile(
    system="magento",
    connector="magento",
    settings=_settings(),
    bad_settings=_settings(password="not-the-password"),
    resource="creditmemos",
    key="entity_id",
    expected_keys=lambda sb: {str(m["entity_id"]) for m in _memos(sb)},
    since=("updated_at", _since_value, _since_keys),
    write=("ship_order", lambda sb: {"tracks": [TRACK], "notify": False}, lambda sb: {"orderId": _shipped(sb)},
           _verify),
    secret_settings=("password",),
    sandbox_options={"options": {"magento": {"clock": Ticking()}}},
    big_orders=0,
)
