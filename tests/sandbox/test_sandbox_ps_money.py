"""PrestaShop simulator after the order (ps_money.py): order_payments, credit slips (order_slip), the
tracking number on order_carriers, the internal note of an order, guests and tax-exempt lines."""
from __future__ import annotations

import re
from decimal import Decimal
from xml.sax.saxutils import escape

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from passerelle_sandbox import Sandbox
from passerelle_sandbox.ps_money import add_order_payment, add_order_slip, make_guest, make_tax_exempt
from sandbox_helpers import error_codes

JSON = {"display": "full", "output_format": "JSON"}


def _paid_order(sim) -> dict:
    return next(o for o in sim.orders.values() if o["current_state"] in (2, 3))


def test_every_paid_order_has_one_payment_found_by_its_reference(ps_w: httpx.Client, fresh: Sandbox) -> None:
    sim = fresh.sim("prestashop")
    order = _paid_order(sim)
    got = ps_w.get("order_payments", params={**JSON, "filter[order_reference]": f"[{order['reference']}]"})
    (payment,) = got.json()["order_payments"]
    assert (payment["amount"], payment["payment_method"]) == (f"{order['total_paid_tax_incl']:.6f}", order["payment"])
    paid = [o for o in sim.orders.values() if o["current_state"] in (2, 3, 4, 5, 9, 11, 14)]
    assert len(sim.tables["order_payments"]) == len(paid)
    second = add_order_payment(sim, order["id"], "-5.00", "Refund")  # a module may record refunds so
    assert ps_w.get(f"order_payments/{second['id']}", params=JSON).json()["order_payment"]["amount"] == "-5.000000"
    refused = ps_w.post("order_payments", content=b"<prestashop><order_payment/></prestashop>")
    assert refused.status_code == 501 and error_codes(refused) == [0]  # not simulated, not a vendor error


def test_a_partial_refund_is_a_slip_with_its_lines(ps_w: httpx.Client, fresh: Sandbox) -> None:
    sim = fresh.sim("prestashop")
    order = _paid_order(sim)
    row = order["associations"]["order_rows"][0]
    slip = add_order_slip(sim, order["id"], {row["id"]: 1}, shipping=True, date="2026-01-02 10:00:00")
    got = ps_w.get(f"order_slip/{slip['id']}", params={"output_format": "JSON"}).json()["order_slip"]
    unit_excl, unit_incl = row["unit_price_tax_excl"], row["unit_price_tax_incl"]
    assert got["id_order"] == order["id"] and got["total_products_tax_excl"] == f"{unit_excl:.6f}"
    assert got["total_shipping_tax_excl"] == f"{order['total_shipping_tax_excl']:.6f}" and got["shipping_cost"] == 1
    assert Decimal(got["amount"]) == round(unit_incl, 2) + order["total_shipping_tax_incl"]
    (detail,) = got["associations"]["order_slip_details"]
    assert (detail["id_order_detail"], detail["product_quantity"]) == (row["id"], 1)
    assert sim.tables["order_details"][row["id"]]["product_quantity_refunded"] == 1
    listed = ps_w.get("order_slip", params={**JSON, "filter[date_add]": ">[2026-01-01 00:00:00]", "date": "1"})
    assert [s["id"] for s in listed.json()["order_slips"]] == [slip["id"]]
    refused = ps_w.post("order_slip", content=b"<prestashop><order_slip/></prestashop>")
    assert refused.status_code == 501


def test_the_tracking_number_is_patched_on_the_order_carrier(ps_w: httpx.Client, fresh: Sandbox) -> None:
    sim = fresh.sim("prestashop")
    order = _paid_order(sim)
    carrier = next(c for c in sim.tables["order_carriers"].values() if c["id_order"] == order["id"])
    state = order["current_state"]
    done = ps_w.patch(f"order_carriers/{carrier['id']}", content=(
        f"<prestashop><order_carrier><id>{carrier['id']}</id><tracking_number>6A1234-56</tracking_number>"
        "</order_carrier></prestashop>"))
    assert done.status_code == 200 and carrier["tracking_number"] == "6A1234-56"
    assert order["current_state"] == state  # the webservice does not move the order
    bad = ps_w.patch(f"order_carriers/{carrier['id']}", content=(
        f"<prestashop><order_carrier><id>{carrier['id']}</id><tracking_number>a&lt;b</tracking_number>"
        "</order_carrier></prestashop>"))
    assert bad.status_code == 400 and error_codes(bad) == [85] and carrier["tracking_number"] == "6A1234-56"


def test_an_order_note_is_patched_and_date_upd_moves(ps_w: httpx.Client, fresh: Sandbox) -> None:
    sim = fresh.sim("prestashop")
    order = _paid_order(sim)
    before = order["date_upd"]
    done = ps_w.patch(f"orders/{order['id']}", content=(
        f"<prestashop><order><id>{order['id']}</id><note>Sage BC00001</note></order></prestashop>"))
    assert done.status_code == 200 and order["note"] == "Sage BC00001" and order["date_upd"] >= before
    assert ps_w.put(f"orders/{order['id']}", content=b"<prestashop><order/></prestashop>").status_code == 501


def test_guests_and_tax_exempt_lines(ps_w: httpx.Client, fresh: Sandbox) -> None:
    sim = fresh.sim("prestashop")
    order = _paid_order(sim)
    make_guest(sim, order["id_customer"])
    customer = ps_w.get(f"customers/{order['id_customer']}", params={"output_format": "JSON"}).json()["customer"]
    assert customer["is_guest"] == "1"
    row = order["associations"]["order_rows"][0]
    total = order["total_paid_tax_incl"]
    detail = make_tax_exempt(sim, row["id"])
    got = ps_w.get(f"order_details/{row['id']}", params={"output_format": "JSON"}).json()["order_detail"]
    assert got.get("associations", {}).get("taxes", []) == []
    assert detail["total_price_tax_incl"] == detail["total_price_tax_excl"]
    assert order["total_paid_tax_incl"] < total


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30))
def test_any_tracking_number_is_stored_whole_or_refused_changing_nothing(ps_w: httpx.Client, fresh: Sandbox,
                                                                         text: str) -> None:
    row = next(iter(fresh.sim("prestashop").tables["order_carriers"].values()))
    before = row["tracking_number"]
    body = (f"<prestashop><order_carrier><id>{row['id']}</id><tracking_number>{escape(text)}</tracking_number>"
            "</order_carrier></prestashop>").encode()
    answer = ps_w.patch(f"order_carriers/{row['id']}", content=body)
    if re.fullmatch(r"[~:#,%&_=()\[\].? +\-@/a-zA-Z0-9]*", text.strip()):
        assert answer.status_code == 200 and row["tracking_number"] == text.strip()
    else:
        assert answer.status_code == 400 and error_codes(answer) == [85] and row["tracking_number"] == before
