"""Sage 100 WebServices100 (connector `sage100-ws`), resource `deliveries` and operation `insert_settlements`.

The simulator starts without documents: the first call of ``settings`` inserts orders through the API and
has Sage transform most of them into delivery notes (``Sage100Sim.deliver``), one second apart on the
simulator's clock, so that the cursor ``DateModification`` orders them.
"""
from datetime import datetime, timedelta, timezone

import httpx

from profiles import Profile

NS = "http://www.proconsult.lu/WebServices100"
DATE = "/Date(1768431600000+0100)/"


class Ticking:
    """A clock one second further at every reading."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def _sim(sb):
    return sb.sim("sage100")


def _deliveries(sb) -> list:
    return [d for d in _sim(sb).documents if d["TypeDocument"] == 3]


def _prepared(sb) -> None:
    if _sim(sb).documents:
        return
    with httpx.Client(base_url=sb.api_url("sage100"), headers={"Authorization": sb.credentials("sage100")["token"]},
                      timeout=10) as client:
        for number in range(1, 9):
            body = {"doc": {"__type": f"DocumentVente:{NS}", "TypeDocument": 1, "Date": DATE,
                            "Reference": f"CONF-{number}", "NumeroTiers": "WEB000056"},
                    "lignes": [{"__type": f"LigneArticle:{NS}", "RefArticle": "MUG-CLASSIC", "Quantite": 1,
                                "PrixUnitaire": 8}]}
            piece = client.post("DocumentService/rest/InsertDocumentEtLignes", json=body).json()
            if number <= 7:
                _sim(sb).deliver(piece["InsertDocumentEtLignesResult"], tracking=f"6A{number:011d}", carrier=2)


def _settings(token):
    def settings(sb):
        _prepared(sb)
        return {"base_url": sb.url("sage100"), "token": token(sb)}
    return settings


def _since_value(sb):
    return sorted(d["DateModification"] for d in _deliveries(sb))[-3]


def _since_keys(sb):
    cut = _since_value(sb)
    return {d["NumeroDocument"] for d in _deliveries(sb) if d["DateModification"] > cut}


def _payment(sb):
    return {"numDoc": _deliveries(sb)[0]["NumeroDocument"], "type": 3, "reglements": [
        {"Date": DATE, "IdModeReglement": 3, "Libelle": "CONFORM-PAY", "TypeValeur": 2, "Valeur": 1.5}]}


def _verify(sb, result):
    settled = [s for s in _sim(sb).settlements if s["Libelle"] == "CONFORM-PAY"]
    return result.result is None and len(settled) == 1 and str(settled[0]["Montant"]) == "1.50"


PROFILE = Profile(
    system="sage100",
    connector="sage100-ws",
    settings=_settings(lambda sb: sb.credentials("sage100")["token"]),
    bad_settings=lambda sb: {"base_url": sb.url("sage100"), "token": "not-the-token"},
    resource="deliveries",
    key="NumeroDocument",
    expected_keys=lambda sb: {d["NumeroDocument"] for d in _deliveries(sb)},
    paginated=False,
    since=("DateModification", _since_value, _since_keys),
    write=("insert_settlements", _payment, lambda sb: {}, _verify),
    secret_settings=("token",),
    sandbox_options={"options": {"sage100": {"clock": Ticking()}}},
    big_orders=0,
)
