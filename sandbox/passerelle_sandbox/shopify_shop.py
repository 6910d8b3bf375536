"""The shop itself, and the simulator's "not simulated" answer (Shopify simulator).

* REST ``GET shop.json`` → ``{"shop": {…}}`` (what ShopifyAPI's ``shopify.Shop.current()`` reads), with the
  documented properties the sandbox can fill: ``id, name, email, customer_email, domain,
  myshopify_domain, currency, iana_timezone, country_code, country_name, primary_locale,
  taxes_included, created_at, updated_at`` (fields as listed by shopify.dev, REST Admin API 2024-07
  "Shop" resource). ``fields=a,b`` keeps only those.
* GraphQL root field ``shop`` (type ``Shop``: ``id, name, email, contactEmail, myshopifyDomain, url,
  currencyCode, ianaTimezone, createdAt, updatedAt``); the real fields it does not serve (``plan``,
  ``primaryDomain``, ``billingAddress``…) answer ``NOT_SIMULATED``.
* :func:`not_simulated`: every REST path, method or API version the simulator does not serve answers
  **501** ``{"errors": "… is not simulated …", "not_simulated": "<what>"}`` — never Shopify's genuine
  ``404 {"errors":"Not Found"}``, so a connector bug cannot pass for a vendor answer. A 404 remains the
  answer for an order id the simulator does not hold (a resource it does simulate).
"""
from __future__ import annotations

import random
from datetime import datetime, timezone
from typing import Any

from passerelle_sandbox._http import Response
from passerelle_sandbox.shopify_data import gid, gql_time, rest_time
from passerelle_sandbox.shopify_gql import F

__all__ = ["SHOP_ID", "SHOP_QUERIES", "SHOP_TYPES", "not_simulated", "shop_json"]

SHOP_ID = 60123456789
SHOP_NAME = "Passerelle Sandbox"
SHOP_EMAIL = "boutique@example.test"
_CREATED = datetime(2023, 9, 1, 6, 0, tzinfo=timezone.utc)


def not_simulated(sim: Any, what: str, headers: list[tuple[str, str]]) -> Response:
    """501: ``what`` (``GET products.json``, ``API version 2024-13``…) is outside the simulated subset."""
    return sim.json(501, {"errors": f"{what} is not simulated by the Passerelle Shopify sandbox "
                                    "(it serves a subset of the Admin API, see docs/simulators.md)",
                          "not_simulated": what}, headers)


def shop_record(sim: Any) -> dict[str, Any]:
    domain = f"{sim.shop}.myshopify.com"
    return {"id": SHOP_ID, "name": SHOP_NAME, "email": SHOP_EMAIL, "customer_email": SHOP_EMAIL,
            "domain": domain, "myshopify_domain": domain, "currency": sim.currency,
            "iana_timezone": sim.tz.key,
            "country_code": "FR", "country_name": "France", "primary_locale": "fr", "taxes_included": True,
            "created_at": rest_time(_CREATED, sim.tz), "updated_at": rest_time(_CREATED, sim.tz)}


def shop_json(sim: Any, fields: str | None, headers: list[tuple[str, str]]) -> Response:
    record = shop_record(sim)
    if fields:
        wanted = {f.strip() for f in fields.split(",")}
        record = {k: v for k, v in record.items() if k in wanted}
    return sim.json(200, {"shop": record}, headers)


def _field(key: str) -> F:
    return F("String", lambda p, args, ctx: shop_record(ctx)[key])


def _unserved(*names: str) -> dict[str, F]:
    return {name: F("", lambda p, args, ctx: None, simulated=False) for name in names}


SHOP_QUERIES = {"shop": F("Shop", lambda p, args, ctx: {})}
SHOP_TYPES = {
    "Shop": {
        "id": F("ID", lambda p, args, ctx: gid("Shop", SHOP_ID)),
        "name": _field("name"), "email": _field("email"), "contactEmail": _field("customer_email"),
        "myshopifyDomain": _field("myshopify_domain"),
        "url": F("URL", lambda p, args, ctx: f"https://{shop_record(ctx)['domain']}"),
        "currencyCode": F("CurrencyCode", lambda p, args, ctx: ctx.currency),
        "ianaTimezone": F("String", lambda p, args, ctx: ctx.tz.key),
        "createdAt": F("DateTime", lambda p, args, ctx: gql_time(_CREATED)),
        "updatedAt": F("DateTime", lambda p, args, ctx: gql_time(_CREATED)),
        **_unserved("plan", "primaryDomain", "billingAddress", "description", "timezoneAbbreviation",
                    "weightUnit", "taxesIncluded", "features", "currencySettings", "enabledPresentmentCurrencies",
                    "shopOwnerName", "resourceLimits", "taxShipping"),
    },
}


def unsimulated_root(body: dict[str, Any]) -> bool:
    """A root field the simulator does not serve: the whole answer is 501 (see :mod:`.shopify_gql`)."""
    return any(e.get("extensions", {}).get("code") == "NOT_SIMULATED"
               and e.get("extensions", {}).get("typeName") in ("QueryRoot", "Mutation") for e in body.get("errors", ()))


def derive_token(seed: int) -> str:
    """The Admin API access token a data set's shop answers to (the same for the same seed)."""
    return "shpat_" + "%032x" % random.Random(f"shopify-token:{seed}").getrandbits(128)
