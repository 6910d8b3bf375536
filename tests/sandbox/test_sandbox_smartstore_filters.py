"""Two filters on one request parameter (OData's `$filter` for a flow's `where` and its `since`): the
connector's `query.combine` joins them, so the server applies both; a connector that declares no way to
join them fails the read with a clear error instead of silently dropping one."""
from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest

from engine.connectors.compile import open_connector
from engine.connectors.http.client import HttpError
from engine.spec.env import Secret
from passerelle_sandbox import Sandbox

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "connectors"))
from profiles import connector  # noqa: E402


def _open(sb: Sandbox, definition: dict):
    creds = sb.credentials("smartstore")
    return open_connector("shop", definition, {"base_url": sb.url("smartstore"), "public_key": creds["public_key"],
                                               "secret_key": Secret(creds["secret_key"])})


@pytest.fixture(scope="module")
def sb():
    with Sandbox(systems=("smartstore",), seed=1, orders=30) as sandbox:
        yield sandbox


def test_where_and_since_are_both_applied_by_the_server(sb):
    orders = list(sb.sim("smartstore").orders.values())
    cut = sorted(o["UpdatedOnUtc"] for o in orders)[len(orders) // 3]
    wanted = {o["Id"] for o in orders if o["UpdatedOnUtc"] > cut and o["PaymentStatus"] == "Paid"
              and o["OrderStatus"] in ("Processing", "Complete")}
    assert wanted and len(wanted) < len(orders)
    with _open(sb, connector("smartstore")) as ep:
        got = [r["Id"] for page in ep.read("orders", where={"PaymentStatus": ["Paid"],
                                                            "OrderStatus": ["Processing", "Complete"]},
                                           since=("UpdatedOnUtc", cut)) for r in page]
    assert sorted(got) == sorted(wanted)


def test_two_filters_on_one_parameter_without_combine_is_a_clear_error(sb):
    definition = copy.deepcopy(connector("smartstore"))
    for place in (definition["http"], *definition["resources"].values()):
        (place.get("query") or {}).pop("combine", None)
    with _open(sb, definition) as ep, pytest.raises(HttpError) as raised:
        list(ep.read("orders", where={"PaymentStatus": ["Paid"]}, since=("UpdatedOnUtc", "2024-01-01T00:00:00Z")))
    message = str(raised.value)
    assert "where (PaymentStatus) and since (UpdatedOnUtc) both set the parameter '$filter'" in message
    assert "combine" in message
