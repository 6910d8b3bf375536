"""Sage 100 WebServices100 (connector `sage100-ws`), resource `delivery_addresses` and operation
`insert_delivery_address` (one principal address per seeded client; the write adds one under a client)."""
from profiles import Profile


def _sim(sb):
    return sb.sim("sage100")


def _address(sb):
    return {"NumeroTiers": "WEB000056", "Intitule": "CONFORM Bureau", "Adresse": "1 rue de la Paix",
            "CodePostal": "75002", "Ville": "Paris", "Pays": "France"}


def _verify(sb, result):
    stored = _sim(sb).addresses.get(result.result)
    return stored is not None and stored["NumeroTiers"] == "WEB000056" and stored["Intitule"] == "CONFORM Bureau"


PROFILE = Profile(
    system="sage100",
    connector="sage100-ws",
    settings=lambda sb: {"base_url": sb.url("sage100"), "token": sb.credentials("sage100")["token"]},
    bad_settings=lambda sb: {"base_url": sb.url("sage100"), "token": "not-the-token"},
    resource="delivery_addresses",
    key="Id",
    expected_keys=lambda sb: {str(ident) for ident in _sim(sb).addresses},
    paginated=False,
    write=("insert_delivery_address", _address, lambda sb: {}, _verify),
    secret_settings=("token",),
    big_orders=0,
)
