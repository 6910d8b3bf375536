"""``DELETE /api/{resource}/{id}`` on the PrestaShop simulator, for the resources whose
:attr:`~.ps_schema.Resource.writable` methods name it (``specific_prices``: a tier or a promotion gone
from the ERP).

As ``WebserviceRequest::executeEntityDelete`` (PrestaShop 8, classes/webservice/WebserviceRequest.php,
https://github.com/PrestaShop/PrestaShop): the id is read as an integer; an id the table does not
hold → 404 with error code 87 ``Id(s) not exists: ID``; a deleted record → 200 with no body (the output
is disabled). The list form ``?id=[1,2]`` is not simulated (501, a simulator limit).
"""
from __future__ import annotations

from typing import Any

from passerelle_sandbox.ps_query import WsError, php_int
from passerelle_sandbox.ps_schema import Resource

__all__ = ["delete"]


def delete(res: Resource, ident: str, params: dict[str, Any], tables: dict[str, dict[int, dict]]) -> tuple[int, bytes]:
    """Removes one record of ``res``; (status, body) as PrestaShop answers."""
    if ident == "" and "id" in params:
        raise WsError(501, 0, f"The Passerelle sandbox does not simulate DELETE of a list of {res.name}")
    number = php_int(ident)  # (int) of the segment: no id reads as 0
    table = tables[res.name]
    if number not in table:
        raise WsError(404, 87, f"Id(s) not exists: {number}")
    del table[number]
    return 200, b""
