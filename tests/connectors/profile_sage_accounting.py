"""Sage Business Cloud Accounting v3.1 (connector `sage-accounting`) against its simulator."""
from passerelle_sandbox.sbca_data import parse_since
from profiles import Profile

SYSTEM = "sage-accounting"


def _sim(sb):
    return sb.sim(SYSTEM)


def _settings(sb, **override):
    sim = _sim(sb)
    settings = {"base_url": sb.url(SYSTEM), "token_url": sim.token_url(sb.base_url(SYSTEM)),
                **sim.credentials()}
    settings.update(override)
    return settings


def _contacts(sb) -> list:
    return _sim(sb).tables["contacts"].items


def _since_value(sb):
    return sorted(c["updated_at"] for c in _contacts(sb))[-5]


def _since_keys(sb):
    cut = parse_since(_since_value(sb))  # updated_or_created_since is inclusive
    return {c["id"] for c in _contacts(sb) if parse_since(c["updated_at"]) >= cut}


def _payload(sb):
    sim = _sim(sb)
    return {"sales_invoice": {
        "contact_id": sim.contact_for("WEB000056")["id"], "date": "2024-05-14", "reference": "PS_CONFORM",
        "invoice_lines": [
            {"description": "T-shirt - Color : Blue, Size : M", "product_id": sim.product_for("TSHIRT-BLU-M")["id"],
             "ledger_account_id": sim.ledger_account_id(707000), "quantity": "2.00", "unit_price": "12.50",
             "tax_rate_id": "FR_STANDARD"},
            {"description": "Classic mug", "ledger_account_id": sim.ledger_account_id(707000), "quantity": "1.00",
             "unit_price": "8.00", "tax_rate_id": "FR_STANDARD", "discount_amount": "1.00"}]}}


def _verify(sb, result):
    found = _sim(sb).find_invoices("PS_CONFORM")
    return (result.status == 201 and len(found) == 1 and found[0]["id"] == result.result
            and (found[0]["net_amount"], found[0]["tax_amount"], found[0]["total_amount"]) == ("32.00", "6.40", "38.40"))


PROFILE = Profile(
    system=SYSTEM,
    connector="sage-accounting",
    settings=_settings,
    bad_settings=lambda sb: _settings(sb, refresh_token="not-a-valid-refresh-token-0123456789"),
    resource="contacts",
    key="id",
    expected_keys=lambda sb: {c["id"] for c in _contacts(sb)},
    since=("updated_at", _since_value, _since_keys),
    write=("create_sales_invoice", _payload, lambda sb: {}, _verify),
    secret_settings=("refresh_token", "client_secret"),
    big_orders=0,  # an accounting system, not a shop: its orders become invoices (see the sandbox tests)
)
