"""PrestaShop simulator: `DELETE /api/specific_prices/{id}` as PrestaShop's webservice answers it
(200 with no body; an id it does not hold: 404 code 87; a resource that forbids it: 405 code 101)."""
from __future__ import annotations

import httpx

from passerelle_sandbox import Sandbox
from sandbox_helpers import error_codes
from test_sandbox_ps_catalogue import PRICE


def test_a_specific_price_is_deleted_then_unknown(ps_w: httpx.Client, fresh: Sandbox) -> None:
    sim = fresh.sim("prestashop")
    created = ps_w.post("specific_prices", content=PRICE.format(product=3, group=0, price="10.32"))
    ident = int(created.text.split("<id><![CDATA[")[1].split("]")[0])
    gone = ps_w.delete(f"specific_prices/{ident}")
    assert (gone.status_code, gone.content) == (200, b"")
    assert ident not in sim.tables["specific_prices"]
    assert ps_w.get(f"specific_prices/{ident}").status_code == 404
    again = ps_w.delete(f"specific_prices/{ident}")
    assert again.status_code == 404 and error_codes(again) == [87]
    assert f"Id(s) not exists: {ident}" in again.text


def test_delete_is_refused_where_prestashop_forbids_it(ps_w: httpx.Client, fresh: Sandbox) -> None:
    refused = ps_w.delete("stock_availables/1")
    assert refused.status_code == 405 and error_codes(refused) == [101]
    assert ps_w.delete("orders/1").status_code == 501  # not simulated: a simulator limit
