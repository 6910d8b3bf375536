"""Sage 100 WebServices100 (connector `sage100-ws`) against the Sage 100 simulator: clients and
`insert_document`. The same connector's deliveries (incremental) and settlements are in
`profile_sage100_deliveries.py`, its delivery addresses in `profile_sage100_addresses.py`."""
from profiles import Profile

DOC = "DocumentVente:http://www.proconsult.lu/WebServices100"
LINE = "LigneArticle:http://www.proconsult.lu/WebServices100"


def _payload(sb):
    return {"doc": {"__type": DOC, "TypeDocument": 1, "Date": "/Date(1715674867000+0200)/",
                    "Reference": "PS_CONFORM", "NumeroTiers": "WEB000056", "Statut": 0},
            "lignes": [{"__type": LINE, "RefArticle": "MUG-CLASSIC", "Quantite": 1, "PrixUnitaire": 8,
                        "EstValorise": 1}]}


def _verify(sb, result):
    found = sb.sim("sage100").find_documents("PS_CONFORM")
    return len(found) == 1 and found[0]["NumeroDocument"] == result.result and result.result.startswith("BC")


PROFILE = Profile(
    system="sage100",
    connector="sage100-ws",
    settings=lambda sb: {"base_url": sb.url("sage100"), "token": sb.credentials("sage100")["token"]},
    bad_settings=lambda sb: {"base_url": sb.url("sage100"), "token": "not-the-token"},
    resource="clients",
    key="NumeroTiers",
    expected_keys=lambda sb: {c["NumeroTiers"] for c in sb.sim("sage100").clients.values()}
    if isinstance(sb.sim("sage100").clients, dict) else {c["NumeroTiers"] for c in sb.sim("sage100").clients},
    paginated=False,
    write=("insert_document", _payload, lambda sb: {}, _verify),
    secret_settings=("token",),
    big_orders=0,
)
