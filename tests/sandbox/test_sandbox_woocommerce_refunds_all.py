"""WooCommerce 9.0+'s top-level ``GET /wc/v3/refunds`` (``woo_refunds_all``): every refund whatever its order,
in the order refunds' format, linked ``up`` to its order, filtered by ``parent``, paged; other methods 404."""
from __future__ import annotations

import httpx

from passerelle_sandbox import Sandbox
from test_sandbox_woocommerce_writes import sb, wc  # noqa: F401  (the same fresh sandbox and signed client)


def test_refunds_list_every_refund_with_its_order_link(wc: httpx.Client, sb: Sandbox) -> None:
    seeded = {r.id for o in sb.dataset.orders for r in o.refunds}  # the data set's partial refunds (issue 13)
    before = wc.get("refunds", params={"orderby": "id", "order": "asc"}).json()
    assert len(before) == len(seeded) > 0 and all(x["reason"] == "Retour client" for x in before)
    first, second = sorted(sb.sim("woocommerce").orders)[:2]
    made = {}
    for oid in (first, second):
        r = wc.post(f"orders/{oid}/refunds", json={"amount": "1.00", "reason": f"r{oid}", "api_refund": False})
        assert r.status_code == 201, r.text
        made[r.json()["id"]] = oid
    listed = wc.get("refunds", params={"orderby": "id", "order": "asc", "include": ",".join(map(str, made))})
    assert listed.status_code == 200 and listed.headers["X-WP-Total"] == "2"
    assert [(x["id"], x["amount"], x["reason"]) for x in listed.json()] == [
        (rid, "1.00", f"r{oid}") for rid, oid in sorted(made.items())]
    assert wc.get("refunds").headers["X-WP-Total"] == str(len(seeded) + 2)
    for refund in listed.json():
        assert "parent_id" not in refund  # as WooCommerce: the order is named by the link only
        assert refund["_links"]["up"][0]["href"].endswith(f"/orders/{made[refund['id']]}")
    only = wc.get("refunds", params={"parent": str(second)}).json()
    assert [x["id"] for x in only] == [rid for rid, oid in made.items() if oid == second]
    assert wc.get("refunds", params={"per_page": 1}).headers["X-WP-TotalPages"] == str(len(seeded) + 2)
    assert wc.post("refunds", json={}).status_code == 404  # a route WooCommerce does not have
