"""WooCommerce wc/v3 (connector `woocommerce`) against the WooCommerce simulator (OAuth 1.0a over http)."""
from profiles import Profile

EXPORTED = "erp_exported_at"


def _orders(sb) -> list:
    return list(sb.sim("woocommerce").orders.values())


def _since_value(sb):
    return sorted(o["date_modified_gmt"] for o in _orders(sb))[-5]


def _since_keys(sb):
    cut = _since_value(sb)
    return {str(o["id"]) for o in _orders(sb) if o["date_modified_gmt"] > cut}


def _write_verify(sb, result):
    sim = sb.sim("woocommerce")
    return sim.meta(1042, EXPORTED) == "2024-05-14T10:30:00Z" and result.result == 1042


def _bad(sb):
    creds = sb.credentials("woocommerce")
    return {"base_url": sb.url("woocommerce"), "consumer_key": creds["consumer_key"],
            "consumer_secret": "cs_" + "0" * 40}


PROFILE = Profile(
    system="woocommerce",
    connector="woocommerce",
    settings=lambda sb: {"base_url": sb.url("woocommerce"), **sb.credentials("woocommerce")},
    bad_settings=_bad,
    resource="orders",
    key="id",
    expected_keys=lambda sb: {str(o["id"]) for o in _orders(sb)},
    since=("date_modified_gmt", _since_value, _since_keys),
    write=("mark_exported", lambda sb: {"meta_data": [{"key": EXPORTED, "value": "2024-05-14T10:30:00Z"}]},
           lambda sb: {"id": 1042}, _write_verify),
    secret_settings=("consumer_key", "consumer_secret"),
)
