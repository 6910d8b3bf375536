"""The shared data set: determinism, reference order 1042, coverage and money consistency."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from passerelle_sandbox.dataset import Dataset, generate

D = Decimal


def _q2(value: Decimal) -> Decimal:
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


@pytest.mark.parametrize("seed,orders", [(1, 1), (1, 5), (2, 20), (7, 60), (3, 300)])
def test_order_1042_is_the_reference_order_whatever_the_seed(seed: int, orders: int) -> None:
    ds = generate(seed=seed, orders=orders)
    assert len(ds.orders) == orders
    order = ds.order(1042)
    assert (order.customer_id, order.address_id, order.carrier_id, order.cart_id) == (56, 87, 3, 1311)
    assert (order.module, order.payment, order.current_state, order.reference) == (
        "ps_wirepayment", "Bank transfer", 2, "LJHRTGKQE")
    assert (order.date_add, order.date_upd, order.invoice_number) == ("2024-05-14 10:21:07", "2024-05-14 10:21:09", 318)
    assert [(l.id, l.reference, l.quantity, l.unit_excl, l.unit_incl.quantize(D("0.01"))) for l in order.lines] == [
        (2201, "TSHIRT-BLU-M", 2, D("12.50"), D("15.00")), (2202, "MUG-CLASSIC", 1, D("8.00"), D("9.60"))]
    assert order.totals() == {
        "products_excl": D("33.00"), "products_incl": D("39.60"), "shipping_excl": D("5.00"),
        "shipping_incl": D("6.00"), "discounts_excl": D("3.00"), "discounts_incl": D("3.60"),
        "total_paid_excl": D("35.00"), "total_paid_incl": D("42.00"),
    }
    assert order.voucher is not None and (order.voucher.order_cart_rule_id, order.voucher.name) == (77, "WELCOME3")
    customer = ds.customer(56)
    assert (customer.firstname, customer.lastname, customer.sage_code) == ("Claire", "Martin", "WEB000056")


def test_same_seed_same_data_and_orders_are_stable_across_sizes() -> None:
    assert generate(seed=4, orders=30).to_json() == generate(seed=4, orders=30).to_json()
    assert generate(seed=4, orders=30).to_json() != generate(seed=5, orders=30).to_json()
    small, large = generate(seed=4, orders=45), generate(seed=4, orders=90)
    assert small.order(1017).lines[0].reference == large.order(1017).lines[0].reference
    assert small.order(1017).date_add == large.order(1017).date_add


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_money_is_consistent_in_decimal(seed: int) -> None:
    ds = generate(seed=seed, orders=120)
    for order in ds.orders:
        for line in order.lines:
            rate = D(1) + line.tax_rate / 100
            assert line.total_excl == line.unit_excl * line.quantity
            assert line.total_incl == _q2(line.unit_excl * line.quantity * rate)
            assert line.unit_excl > 0 and line.unit_excl == _q2(line.unit_excl)
            if line.reduction_percent:
                assert line.unit_excl == _q2(line.price * (1 - line.reduction_percent / 100)) < line.price
            if line.reduction_amount_excl:
                assert line.unit_excl == line.price - line.reduction_amount_excl
        rows = sum((l.unit_excl * l.quantity for l in order.lines), D(0))
        # fees (issue 13: a gift wrap on orders ≡ 12 mod 20) count in the total
        assert sum((f.amount_incl for f in order.fees), D(0)) == order.fees_incl
        assert rows + order.shipping_excl + order.fees_excl - order.discounts_excl == order.total_paid_excl
        assert (sum((l.total_incl for l in order.lines), D(0)) + order.shipping_incl + order.fees_incl
                - order.discounts_incl == order.total_paid_incl)
        assert order.total_paid_excl > 0


def test_twenty_orders_cover_every_feature() -> None:
    ds = generate(seed=1, orders=20)
    orders = ds.orders
    assert any(o.shipping_excl == 0 for o in orders)
    assert any(o.voucher and o.discounts_excl > 0 for o in orders if o.id != 1042)
    assert any(l.reduction_percent > 0 for o in orders for l in o.lines)
    assert any(l.reduction_amount_excl > 0 for o in orders for l in o.lines)
    assert any(len({l.tax_rate for l in o.lines}) >= 2 for o in orders)
    assert any(len(o.lines) >= 3 for o in orders)
    assert {o.module for o in orders} >= {"paypal", "ps_checkout", "stripe_official", "ps_wirepayment",
                                          "ps_checkpayment", "klarnapayment"}
    assert {o.current_state for o in orders} == {2, 3}
    assert {l.tax_rate for o in orders for l in o.lines} >= {D("20.000"), D("5.500")}
    keys = [(o.date_add, o.date_upd) for o in sorted(orders, key=lambda o: o.id)]
    assert [k[0] for k in keys] == sorted(k[0] for k in keys)
    assert [k[1] for k in keys] == sorted(k[1] for k in keys)
    assert all(a <= u for a, u in keys)


def test_catalogue_customers_and_carriers() -> None:
    ds = generate(seed=1, orders=20)
    refs = [a.reference for a in ds.articles]
    assert {"TSHIRT-BLU-M", "MUG-CLASSIC"} <= set(refs) and len(refs) == len(set(refs))
    # one reference is longer than Sage's 19 characters on purpose (issue 13), every other fits
    assert [r for r in refs if len(r) > 19] == ["BOUGIE-PARFUMEE-VANILLE-XL"]
    assert any(p.combinations for p in ds.products if p.id != 12)
    assert [c.name for c in ds.carriers] == ["UPS Ground", "Colissimo", "DHL Express", "Coursier Local",
                                             "Retrait en magasin"]
    assert [c.id for c in ds.carriers if c.pickup] == [5]
    assert [str(t.rate) for t in ds.taxes] == ["20.000", "5.500", "10.000", "2.100", "0.000"]
    assert all(c.sage_code == f"WEB{c.id:06d}" for c in ds.customers)
    assert len({c.email for c in ds.customers}) == len(ds.customers)
    shop_only = generate(seed=1, orders=5, shop_only_customers=3)
    assert [c.in_sage for c in shop_only.customers[-3:]] == [False] * 3


def test_json_round_trip_and_fixture_files(tmp_path) -> None:
    ds = generate(seed=2, orders=25)
    paths = ds.write(tmp_path)
    assert {p.name for p in paths} >= {"dataset.json", "orders.json", "articles.json", "customers.json"}
    again = Dataset.load(tmp_path)
    assert again.to_json() == ds.to_json()
    assert again.order(1042).total_paid_incl == D("42.00")
    assert '"total_paid_incl": "42.00"' in ds.to_json()
