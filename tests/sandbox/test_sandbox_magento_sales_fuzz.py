"""Property tests: whatever body reaches the Magento simulator's refund and ship routes, it answers a
Magento-shaped JSON (a bare id, or {"message": …} with 400, 404 or 501 "not simulated") — never a crash —
and a refused request changes nothing (no memo, no shipment, no order line moved)."""
from __future__ import annotations

import copy
import json
from email.message import Message

from hypothesis import HealthCheck, given, settings, strategies as st

from passerelle_sandbox._http import Request
from passerelle_sandbox.dataset import generate
from passerelle_sandbox.magento import MagentoSim

SIM = MagentoSim(generate(seed=3, orders=4))
TOKEN = "t" * 32
SIM.tokens[TOKEN] = SIM.clock().replace(year=2999)
ORDER_IDS = sorted(SIM.orders)
ITEM_IDS = [i["item_id"] for o in SIM.orders.values() for i in o["items"]]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 5), st.sampled_from(ITEM_IDS), st.text(max_size=12),
                    st.floats(allow_nan=False, allow_infinity=False, min_value=-10, max_value=100))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=8)
line = st.one_of(values, st.fixed_dictionaries({"order_item_id": st.one_of(st.sampled_from(ITEM_IDS), values),
                                                "qty": st.one_of(st.integers(-1, 4), values)}))
track = st.one_of(values, st.fixed_dictionaries({}, optional={
    "track_number": st.one_of(st.just("1Z999"), values), "title": st.one_of(st.just("UPS"), values),
    "carrier_code": st.one_of(st.just("ups"), values)}))
bodies = st.one_of(values, st.fixed_dictionaries({}, optional={
    "items": st.one_of(st.lists(line, max_size=3), values), "tracks": st.one_of(st.lists(track, max_size=2), values),
    "notify": values, "appendComment": values, "comment": values,
    "arguments": st.one_of(values, st.fixed_dictionaries({"shipping_amount": st.one_of(st.integers(-5, 30), values)}))}))


def _state() -> tuple:
    return (copy.deepcopy(SIM.orders), dict(SIM.sales.creditmemos), dict(SIM.sales.shipments))


@settings(max_examples=250, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(["refund", "ship"]), st.sampled_from(ORDER_IDS + [999999]), bodies)
def test_any_body_gets_a_magento_answer_and_a_refused_one_changes_nothing(action, order_id, body) -> None:
    headers = Message()
    headers["Authorization"] = f"Bearer {TOKEN}"
    headers["Content-Type"] = "application/json"
    before = _state()
    response = SIM.handle(Request("POST", f"/rest/V1/order/{order_id}/{action}", headers, json.dumps(body).encode()))
    answer = json.loads(response.body)
    assert response.status in (200, 400, 404, 501), (response.status, answer)
    if response.status == 200:
        assert isinstance(answer, int) and not isinstance(answer, bool)
        kept = SIM.sales.creditmemos if action == "refund" else SIM.sales.shipments
        assert kept[answer]["order_id"] == order_id
    else:
        assert isinstance(answer, dict) and isinstance(answer["message"], str) and answer["message"]
        assert response.status != 501 or answer["message"].startswith("not simulated")
        assert _state() == before
