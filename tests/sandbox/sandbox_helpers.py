"""Helpers shared by the sandbox tests (clients, XML/JSON error parsing)."""
from __future__ import annotations

from typing import Any

import httpx
from lxml import etree

from passerelle_sandbox import Sandbox

XLINK = "http://www.w3.org/1999/xlink"
NS = "http://www.proconsult.lu/WebServices100"


def ps_client(sandbox: Sandbox) -> httpx.Client:
    return httpx.Client(base_url=sandbox.api_url("prestashop"), auth=(sandbox.credentials("prestashop")["key"], ""),
                        timeout=10)


def sage_client(sandbox: Sandbox) -> httpx.Client:
    return httpx.Client(base_url=sandbox.api_url("sage100"),
                        headers={"Authorization": sandbox.credentials("sage100")["token"]}, timeout=10)


def xml(response: httpx.Response) -> etree._Element:
    return etree.fromstring(response.content)


def error_codes(response: httpx.Response) -> list[int]:
    if response.headers.get("content-type", "").startswith("application/json"):
        return [e["code"] for e in response.json()["errors"]]
    return [int(code) for code in xml(response).xpath("/prestashop/errors/error/code/text()")]


def ids(response: httpx.Response) -> list[int]:
    """Ids from an XML list (ids-only or full)."""
    root = xml(response)
    listing = root[0]
    out = []
    for node in listing:
        out.append(int(node.get("id")) if node.get("id") else int(node.findtext("id")))
    return out


INSERT = "DocumentService/rest/InsertDocumentEtLignes"


def order_body(reference: str = "PS_1042") -> dict[str, Any]:
    """Order 1042 as the connector would send it (contract names, WCF wrapped form)."""
    line = f"LigneArticle:{NS}"
    return {
        "doc": {"__type": f"DocumentVente:{NS}", "TypeDocument": 1, "Date": "/Date(1715674867000+0200)/",
                "Reference": reference, "NumeroTiers": "WEB000056", "Statut": 0, "IdModeExpedition": 4},
        "lignes": [
            {"__type": line, "RefArticle": "TSHIRT-BLU-M", "Designation": "T-shirt - Color : Blue, Size : M",
             "Quantite": 2, "PrixUnitaire": 12.5, "EstValorise": True, "CodeTaxe": "S_20"},
            {"__type": line, "RefArticle": "MUG-CLASSIC", "Quantite": 1, "PrixUnitaire": 8.0, "RemiseType1": None,
             "RemiseValeur1": 0, "EstValorise": 1, "CodeTaxe": "S_20"},
            {"__type": line, "RefArticle": "PORT", "Quantite": 1, "PrixUnitaire": 5.0, "EstValorise": True},
            {"__type": line, "RefArticle": "REMISE", "Quantite": 1, "PrixUnitaire": -3.0, "EstValorise": True},
        ],
    }


def started_lines(process: Any) -> list[str]:
    """The lines ``passerelle sandbox`` (a child process, stdout piped as text) prints until it is ready."""
    lines: list[str] = []
    while not lines or "Ctrl-C" not in lines[-1]:
        line = process.stdout.readline()
        assert line, process.stderr.read()
        lines.append(line.strip())
    return lines
