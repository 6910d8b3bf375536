"""Smartstore Web API (connector `smartstore`, OData v4) against the Smartstore simulator."""
from profiles import Profile

NOTE = "Exported to Sage (conformance)"


def _orders(sb) -> list:
    return list(sb.sim("smartstore").orders.values())


def _settings(sb, secret=None) -> dict:
    creds = sb.credentials("smartstore")
    return {"base_url": sb.url("smartstore"), "public_key": creds["public_key"],
            "secret_key": secret if secret is not None else creds["secret_key"]}


def _since_value(sb):
    return sorted(o["UpdatedOnUtc"] for o in _orders(sb))[-5]


def _since_keys(sb):
    cut = _since_value(sb)
    return {str(o["Id"]) for o in _orders(sb) if o["UpdatedOnUtc"] > cut}


def _verify(sb, result):
    notes = [n for n in sb.sim("smartstore").notes.values() if n["OrderId"] == 1042 and n["Note"] == NOTE]
    return len(notes) == 1 and result.status == 201 and result.result == notes[0]["Id"] \
        and notes[0]["DisplayToCustomer"] is False


PROFILE = Profile(
    system="smartstore",
    connector="smartstore",
    settings=_settings,
    bad_settings=lambda sb: _settings(sb, secret="not-the-secret"),
    resource="orders",
    key="Id",
    expected_keys=lambda sb: {str(o["Id"]) for o in _orders(sb)},
    since=("UpdatedOnUtc", _since_value, _since_keys),
    write=("add_order_note", lambda sb: {"OrderId": 1042, "Note": NOTE, "DisplayToCustomer": False},
           lambda sb: {}, _verify),
    secret_settings=("secret_key", "public_key"),
)
