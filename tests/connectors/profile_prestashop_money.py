"""PrestaShop Webservice (connector `prestashop`), resource `order_payments` (read since `date_add`) and
operation `update_order_carrier` (the tracking number, PATCH) — what the template
specs/examples/prestashop-sage100-b2b reads and writes after an order (see profile_prestashop.py for
orders)."""
from profiles import Profile


def _sim(sb):
    return sb.sim("prestashop")


def _payments(sb) -> list:
    return list(_sim(sb).tables["order_payments"].values())


def _since_value(sb):
    return sorted(str(p["date_add"]) for p in _payments(sb))[-5]


def _since_keys(sb):
    cut = _since_value(sb)
    return {str(p["id"]) for p in _payments(sb) if str(p["date_add"]) > cut}


def _carrier_row(sb) -> dict:
    return next(c for c in _sim(sb).tables["order_carriers"].values() if c["id_order"] == 1042)


def _write_verify(sb, result):
    row = _carrier_row(sb)
    return row["tracking_number"] == "6A12345678901" and _sim(sb).orders[1042]["current_state"] != 4


PROFILE = Profile(
    system="prestashop",
    connector="prestashop",
    settings=lambda sb: {"base_url": sb.url("prestashop"), "key": sb.credentials("prestashop")["key"]},
    bad_settings=lambda sb: {"base_url": sb.url("prestashop"), "key": "Z" * 32},
    resource="order_payments",
    key="id",
    expected_keys=lambda sb: {str(p["id"]) for p in _payments(sb)},
    since=("date_add", _since_value, _since_keys),
    write=("update_order_carrier", lambda sb: {"id": _carrier_row(sb)["id"], "tracking_number": "6A12345678901"},
           lambda sb: {"id": _carrier_row(sb)["id"]}, _write_verify),
    secret_settings=("key",),
    big_orders=0,
)
