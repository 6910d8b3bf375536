"""PrestaShop Webservice (connector `prestashop`) against the PrestaShop simulator."""
from profiles import Profile


def _orders(sb) -> list:
    return list(sb.sim("prestashop").orders.values())


def _since_value(sb):
    return sorted(str(o["date_upd"]) for o in _orders(sb))[-5]


def _since_keys(sb):
    cut = _since_value(sb)
    return {str(o["id"]) for o in _orders(sb) if str(o["date_upd"]) > cut}


def _write_verify(sb, result):
    history = sb.sim("prestashop").order_histories[-1]
    order = sb.sim("prestashop").orders[1042]
    return int(history["id_order"]) == 1042 and int(order["current_state"]) == 14 and result.result


PROFILE = Profile(
    system="prestashop",
    connector="prestashop",
    settings=lambda sb: {"base_url": sb.url("prestashop"), "key": sb.credentials("prestashop")["key"]},
    bad_settings=lambda sb: {"base_url": sb.url("prestashop"), "key": "Z" * 32},
    resource="orders",
    key="id",
    expected_keys=lambda sb: {str(o["id"]) for o in _orders(sb)},
    since=("date_upd", _since_value, _since_keys),
    write=("add_order_history", lambda sb: {"id_order": 1042, "id_order_state": 14}, lambda sb: {},
           _write_verify),
    secret_settings=("key",),
)
