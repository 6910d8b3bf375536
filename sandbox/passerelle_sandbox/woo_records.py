"""WooCommerce ``POST customers`` and ``POST products`` (simple products).

* ``POST customers``: ``email`` required (400 ``rest_missing_callback_param``), a valid address (400
  ``rest_invalid_param`` "Invalid email address."); an e-mail already registered → 400
  ``registration-error-email-exists`` "An account is already registered with your email address. Please log
  in." (``wc_create_new_customer``, reported through ``WC_Data_Exception``). ``username`` defaults to the
  e-mail's local part (suffixed ``-2``… when taken). → 201 with the customer (``role`` customer,
  ``is_paying_customer`` false).
* ``POST products``: ``type`` simple (default) or variable (its catalogue members: :mod:`.woo_catalogue`); other types are not simulated (501). A ``sku`` already used
  by a product or a variation → 400 ``product_invalid_sku`` "Invalid or duplicated SKU." with
  ``data.resource_id`` (the owner) and ``data.unique_sku`` (``WC_Product::set_sku``). → 201.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from passerelle_sandbox.woo_create import add_meta
from passerelle_sandbox.woo_data import money
from passerelle_sandbox.woo_query import WcError

__all__ = ["create_customer", "create_product"]

ADDRESS = ("first_name", "last_name", "company", "address_1", "address_2", "city", "state", "postcode", "country")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise WcError(400, "rest_invalid_json", "Invalid JSON body passed.")
    return body


def _address(posted: Any, keys: tuple[str, ...]) -> dict[str, str]:
    out = dict.fromkeys(keys, "")
    if isinstance(posted, dict):
        out.update({k: str(v) for k, v in posted.items() if k in out and v is not None})
    return out


def create_customer(sim: Any, body: Any, now: datetime) -> dict[str, Any]:
    body = _object(body)
    email = body.get("email")
    if email in (None, ""):
        raise WcError(400, "rest_missing_callback_param", "Missing parameter(s): email", params=["email"])
    email = str(email)
    if not _EMAIL.match(email):
        raise WcError(400, "rest_invalid_param", "Invalid parameter(s): email", params={"email": "Invalid email address."})
    if any(c["email"].lower() == email.lower() for c in sim.customers.values()):
        raise WcError(400, "registration-error-email-exists",
                      "An account is already registered with your email address. Please log in.")
    taken = {c["username"] for c in sim.customers.values()}
    username = str(body.get("username") or email.split("@")[0])
    base, n = username, 1
    while username in taken:
        n += 1
        username = f"{base}-{n}"
    cid = max(sim.customers, default=0) + 1
    digest = hashlib.md5(email.lower().encode()).hexdigest()
    record = {"id": cid, **sim.builder.dates_of("date_created", now), **sim.builder.dates_of("date_modified", now),
              "email": email, "first_name": str(body.get("first_name") or ""),
              "last_name": str(body.get("last_name") or ""), "role": "customer", "username": username,
              "billing": _address(body.get("billing"), (*ADDRESS, "email", "phone")),
              "shipping": _address(body.get("shipping"), (*ADDRESS, "phone")), "is_paying_customer": False,
              "avatar_url": f"https://secure.gravatar.com/avatar/{digest}?s=96&d=mm&r=g", "meta_data": []}
    add_meta(sim, record, body.get("meta_data"))
    sim.customers[cid] = record
    return record


def _price(name: str, value: Any) -> str:
    text = "" if value is None else str(value)
    if text and not re.fullmatch(r"\d+(\.\d+)?", text):
        raise WcError(400, "rest_invalid_param", f"Invalid parameter(s): {name}",
                      params={name: f"{name} is not of type string."})
    return money(Decimal(text)) if text else ""


def create_product(sim: Any, body: Any, now: datetime) -> dict[str, Any]:
    body = _object(body)
    kind = body.get("type") or "simple"
    if kind not in ("simple", "variable"):
        raise WcError(501, "passerelle_sandbox_not_simulated",
                      f"The Passerelle sandbox does not simulate creating {kind} products.")
    sku = str(body.get("sku") or "")
    owner = next((r["id"] for r in [*sim.products.values(), *sim.variations.values()] if sku and r["sku"] == sku),
                 None)
    if owner is not None:
        taken = {r["sku"] for r in [*sim.products.values(), *sim.variations.values()]}
        n = 1
        while f"{sku}-{n}" in taken:
            n += 1
        raise WcError(400, "product_invalid_sku", "Invalid or duplicated SKU.", resource_id=owner,
                      unique_sku=f"{sku}-{n}")
    pid = max([*sim.products, *sim.variations, *sim.orders], default=0) + 1
    name = str(body.get("name") or "Product")
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or str(pid)
    regular, sale = _price("regular_price", body.get("regular_price")), _price("sale_price", body.get("sale_price"))
    manage = body.get("manage_stock") is True and kind == "simple"
    raw = body.get("stock_quantity")
    if raw is not None and (isinstance(raw, bool) or not isinstance(raw, int)):
        raise WcError(400, "rest_invalid_param", "Invalid parameter(s): stock_quantity",
                      params={"stock_quantity": "stock_quantity is not of type integer."})
    quantity = raw if manage else None
    record = {"id": pid, "name": name, "slug": slug, "permalink": f"/product/{slug}/",
              **sim.builder.dates_of("date_created", now), **sim.builder.dates_of("date_modified", now),
              "type": kind, "status": str(body.get("status") or "publish"), "sku": sku,
              "price": sale or regular, "regular_price": regular, "sale_price": sale,
              "tax_status": str(body.get("tax_status") or "taxable"), "tax_class": str(body.get("tax_class") or ""),
              "manage_stock": manage, "stock_quantity": quantity,
              "stock_status": sim.builder.stock_status(True, quantity) if manage
              else str(body.get("stock_status") or "instock"),
              "weight": str(body.get("weight") or ""), "attributes": [], "variations": [], "parent_id": 0,
              "meta_data": []}
    add_meta(sim, record, body.get("meta_data"))
    sim.products[pid] = record
    return record
