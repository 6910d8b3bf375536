"""Catalogue mutations of the Shopify simulator: ``productSet`` and ``quantityPricingByVariantUpdate``.

``productSet(identifier, input, synchronous)`` (Shopify Admin GraphQL API, productSet):

* synchronous by default (2024-07+), answers ``product``; ``synchronous: false`` (``productSetOperation``)
  is not simulated (``NOT_SIMULATED``);
* ``identifier: {id | handle}`` upserts (2025-04+): the product found is updated, else one is created.
  On a request whose API version is older, ``identifier`` is refused like any argument the version's
  schema lacks (``argumentNotAccepted``). ``identifier.customId`` (a unique metafield definition) is not
  simulated. Without ``identifier``: ``input.id`` updates, no id creates;
* ``productOptions`` and ``variants`` both present or both absent (userError otherwise);
* non-list fields change only when sent (``title``, ``handle``, ``status``, ``vendor``); list fields are
  replaced: variants not in the input are deleted. A variant without ``id`` keeps the id of the stored
  variant with the same option values [unverified: how Shopify matches variants without id], so order
  lines and price breaks keep pointing at it; others get new ids;
* a variant's ``sku`` is read from ``sku`` or ``inventoryItem.sku`` (which of the two the version's
  ``ProductVariantSetInput`` takes is unverified); ``price`` is a ``Money`` string;
* a created product takes ``input.handle``, else the identifier's handle [unverified], else its title
  in lower case with dashes.

userErrors carry ``field`` and ``message`` (the simulator's wording); their ``code`` is null (the
reference gives no ``ProductSetUserErrorCode`` for these cases).

``quantityPricingByVariantUpdate(priceListId, input)``: ``quantityPriceBreaksToAdd``
(``[{variantId, price: {amount, currencyCode}, minimumQuantity}]``) and ``quantityPriceBreaksToDelete``
(break ids) and ``quantityPriceBreaksToDeleteByVariantId`` (every break of those variants; 2024-04+), and
the list's fixed prices ``pricesToAdd`` (``[{variantId, price}]``) and ``pricesToDeleteByVariantId``
(``PRICE_ADD_VARIANT_NOT_FOUND``, ``PRICE_ADD_CURRENCY_MISMATCH``, ``PRICE_ADD_DUPLICATE_INPUT_FOR_VARIANT``,
``PRICE_DELETE_VARIANT_NOT_FOUND``; ``PRICE_DELETE_PRICE_NOT_FIXED`` for a variant without a fixed price
on the list [verified codes; when each is given is unverified]; a negative amount ``INVALID``
[unverified]) are simulated (quantity rules answer ``NOT_SIMULATED``). All-or-nothing:
every row is checked before anything changes; deletes run before adds. Codes: ``PRICE_LIST_NOT_FOUND``,
``QUANTITY_PRICE_BREAK_ADD_CURRENCY_MISMATCH``, ``QUANTITY_PRICE_BREAK_ADD_DUPLICATE_INPUT_FOR_VARIANT_AND_MIN``,
``QUANTITY_PRICE_BREAK_ADD_INVALID`` (a minimum quantity below 2 or a price not above 0 — the bounds are
unverified) [verified names]; ``QUANTITY_PRICE_BREAK_ADD_VARIANT_NOT_FOUND`` and
``QUANTITY_PRICE_BREAK_DELETE_NOT_FOUND`` [unverified names, by analogy with ``PRICE_ADD_VARIANT_NOT_FOUND``].
A break added for a (variant, minimum quantity) the list already holds replaces it [unverified].
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from passerelle_sandbox.shopify_catalogue_more import apply_extras, check_extras
from passerelle_sandbox.shopify_data import gid
from passerelle_sandbox.shopify_gql import F, GqlError

__all__ = ["CATALOGUE_MUTATIONS", "CATALOGUE_PAYLOADS"]

IDENTIFIER_SINCE = "2025-04"


def _error(field: list[str], message: str, code: str | None = None) -> dict[str, Any]:
    return {"field": field, "message": message, "code": code}


def _options(variant: dict[str, Any]) -> tuple:
    return tuple(sorted((str(o.get("optionName")), str(o.get("name"))) for o in variant.get("optionValues") or []))


def _find(ctx: Any, identifier: dict[str, Any] | None, data: dict[str, Any]) -> tuple[Any, list[dict[str, Any]]]:
    """(stored product or None, userErrors)."""
    if identifier:
        if identifier.get("customId") is not None:
            raise GqlError("productSet identifier.customId is not simulated (use id or handle)", code="NOT_SIMULATED")
        if identifier.get("id"):
            found = ctx.product_by_gid(identifier["id"])
            return found, [] if found else [_error(["identifier", "id"], "Product does not exist")]
        if identifier.get("handle"):
            return ctx.product_by_handle(identifier["handle"]), []
        return None, [_error(["identifier"], "Identifier needs an id or a handle")]
    if data.get("id"):
        found = ctx.product_by_gid(data["id"])
        return found, [] if found else [_error(["input", "id"], "Product does not exist")]
    return None, []


def _check_variants(data: dict[str, Any]) -> list[dict[str, Any]]:
    errors = []
    options = data.get("productOptions") or []
    declared = {str(o.get("name")): {str(v.get("name")) for v in o.get("values") or []} for o in options}
    if len(options) > 3:
        errors.append(_error(["input", "productOptions"], "A product can have at most 3 options"))
    variants = data.get("variants") or []
    if len(variants) > 250:
        errors.append(_error(["input", "variants"], "Input array exceeds 250 items"))
    seen = set()
    for index, variant in enumerate(variants):
        where = ["input", "variants", str(index)]
        values = {str(o.get("optionName")): str(o.get("name")) for o in variant.get("optionValues") or []}
        if set(values) != set(declared) or any(v not in declared[k] for k, v in values.items()):
            errors.append(_error([*where, "optionValues"], "Option values must name each product option once, "
                                 "with one of its values"))
        if _options(variant) in seen:
            errors.append(_error([*where, "optionValues"], "A variant with these option values already exists"))
        seen.add(_options(variant))
        try:
            if variant.get("price") is not None and Decimal(str(variant["price"])) < 0:
                raise InvalidOperation
        except InvalidOperation:
            errors.append(_error([*where, "price"], "Price must be a positive amount"))
    return errors


def _product_set(parent: Any, args: dict[str, Any], ctx: Any) -> dict[str, Any]:
    identifier, data = args.get("identifier"), args.get("input") or {}
    if identifier is not None and ctx.request_version < IDENTIFIER_SINCE:
        raise GqlError("Field 'productSet' doesn't accept argument 'identifier'", code="argumentNotAccepted",
                       name="productSet", typeName="Field", argumentName="identifier")
    if args.get("synchronous") is False:
        raise GqlError("productSet with synchronous: false (productSetOperation) is not simulated",
                       code="NOT_SIMULATED")
    product, errors = _find(ctx, identifier, data)
    if ("productOptions" in data) != ("variants" in data):
        errors.append(_error(["input"], "productOptions and variants must be given together"))
    if "variants" in data:
        errors += _check_variants(data)
    errors += check_extras(ctx, data)
    if product is None and not errors and not data.get("title"):
        errors.append(_error(["input", "title"], "Title can't be blank"))
    if errors:
        return {"product": None, "productSetOperation": None, "userErrors": errors}
    existed = product is not None
    with ctx.lock:
        if product is None:
            handle = data.get("handle") or (identifier or {}).get("handle") or \
                re.sub(r"[^a-z0-9]+", "-", str(data["title"]).lower()).strip("-")
            product = ctx.new_product(handle)
        for name in ("title", "handle", "status", "vendor"):
            if name in data:
                product[name] = data[name]
        ctx.index_handle(product)
        if "variants" in data:
            product["options"] = [{"name": o["name"], "values": [str(v["name"]) for v in o.get("values") or []]}
                                  for o in data["productOptions"]]
            stored = {_options(v): v for v in product["variants"]}
            by_id = {gid("ProductVariant", v["id"]): v for v in product["variants"]}
            fresh = []
            for item in data["variants"]:
                old = by_id.get(item.get("id")) or stored.get(_options(item))
                sku = item.get("sku") or (item.get("inventoryItem") or {}).get("sku")
                variant = {"id": old["id"] if old else ctx.next_variant_id(), "product_id": product["id"],
                           "sku": sku if sku is not None else (old or {}).get("sku"),
                           "price": f"{Decimal(str(item['price'])):.2f}" if item.get("price") is not None
                           else (old or {}).get("price", "0.00"),
                           "barcode": item.get("barcode", (old or {}).get("barcode")),
                           "optionValues": [{"optionName": o["optionName"], "name": str(o["name"])}
                                            for o in item.get("optionValues") or []]}
                variant["title"] = " / ".join(o["name"] for o in variant["optionValues"])
                fresh.append(variant)
            product["variants"] = fresh
            for variant in fresh:
                ctx.ensure_inventory(variant["sku"])
        apply_extras(ctx, product, data)
        product["_updated"] = ctx.now()
        ctx.product_writes.append(product["id"])
    if existed:  # products/update; a new product would be products/create, not simulated
        ctx.hooks.product_changed(product)
    return {"product": product, "productSetOperation": None, "userErrors": []}


def _quantity_pricing(parent: Any, args: dict[str, Any], ctx: Any) -> dict[str, Any]:
    data = args.get("input") or {}
    other = [k for k, v in data.items() if v and k not in ("quantityPriceBreaksToAdd", "quantityPriceBreaksToDelete",
                                                           "quantityPriceBreaksToDeleteByVariantId", "pricesToAdd",
                                                           "pricesToDeleteByVariantId")]
    if other:
        raise GqlError(f"quantityPricingByVariantUpdate {', '.join(sorted(other))} is not simulated "
                       "(only quantity price breaks and fixed prices)", code="NOT_SIMULATED")
    plist = ctx.price_list_by_gid(args.get("priceListId"))
    if plist is None:
        return {"productVariants": None,
                "userErrors": [_error(["priceListId"], "Price List does not exist.", "PRICE_LIST_NOT_FOUND")]}
    errors, adds, seen = [], [], set()
    deletes = list(data.get("quantityPriceBreaksToDelete") or [])
    known = {b["id"] for b in plist["breaks"]}
    for index, ident in enumerate(deletes):
        if ident not in known:
            errors.append(_error(["input", "quantityPriceBreaksToDelete", str(index)],
                                 "Quantity price break not found.", "QUANTITY_PRICE_BREAK_DELETE_NOT_FOUND"))
    by_variant = set()
    for index, ident in enumerate(data.get("quantityPriceBreaksToDeleteByVariantId") or []):
        found = ctx.variant_by_gid(ident)
        if found is None:
            errors.append(_error(["input", "quantityPriceBreaksToDeleteByVariantId", str(index)],
                                 "Quantity price break's variant not found.", "QUANTITY_PRICE_BREAK_DELETE_NOT_FOUND"))
        else:
            by_variant.add(found["id"])
    for index, row in enumerate(data.get("quantityPriceBreaksToAdd") or []):
        where = ["input", "quantityPriceBreaksToAdd", str(index)]
        variant = ctx.variant_by_gid(row.get("variantId"))
        price = row.get("price") or {}
        minimum = row.get("minimumQuantity")
        if variant is None:
            errors.append(_error([*where, "variantId"], "Quantity price break's variant not found.",
                                 "QUANTITY_PRICE_BREAK_ADD_VARIANT_NOT_FOUND"))
            continue
        if price.get("currencyCode") != plist["currency"]:
            errors.append(_error([*where, "price", "currencyCode"],
                                 "Price list and quantity price break currency mismatch.",
                                 "QUANTITY_PRICE_BREAK_ADD_CURRENCY_MISMATCH"))
            continue
        try:
            amount = Decimal(str(price.get("amount")))
        except InvalidOperation:
            amount = Decimal(0)
        if not isinstance(minimum, int) or isinstance(minimum, bool) or minimum < 2 or amount <= 0:
            errors.append(_error(where, "Invalid quantity price break.", "QUANTITY_PRICE_BREAK_ADD_INVALID"))
            continue
        if (variant["id"], minimum) in seen:
            errors.append(_error(where, "Quantity price breaks to add inputs must be unique by variant id and "
                                 "minimum quantity.", "QUANTITY_PRICE_BREAK_ADD_DUPLICATE_INPUT_FOR_VARIANT_AND_MIN"))
            continue
        seen.add((variant["id"], minimum))
        adds.append((variant, minimum, f"{amount:.2f}"))
    unfixed, fixed = _fixed_prices(plist, data, ctx, errors)
    if errors:
        return {"productVariants": None, "userErrors": errors}
    with ctx.lock:
        prices = plist.setdefault("prices", {})
        for variant_id in unfixed:
            prices.pop(variant_id, None)
        for variant, amount in fixed:
            prices[variant["id"]] = {"amount": amount, "currencyCode": plist["currency"]}
        plist["breaks"] = [b for b in plist["breaks"] if b["id"] not in set(deletes) and b["variant_id"] not in by_variant]
        for variant, minimum, amount in adds:
            plist["breaks"] = [b for b in plist["breaks"]
                               if (b["variant_id"], b["minimumQuantity"]) != (variant["id"], minimum)]
            ctx.break_seq += 1
            plist["breaks"].append({"id": gid("QuantityPriceBreak", 9001000 + ctx.break_seq),
                                    "variant_id": variant["id"], "minimumQuantity": minimum,
                                    "price": {"amount": amount, "currencyCode": plist["currency"]}})
    variants = list({v["id"]: v for v in [a[0] for a in adds] + [f[0] for f in fixed]}.values())
    return {"productVariants": variants, "userErrors": []}


def _fixed_prices(plist: dict[str, Any], data: dict[str, Any], ctx: Any, errors: list) -> tuple[list, list]:
    """``pricesToDeleteByVariantId`` (variant ids whose fixed price goes) and ``pricesToAdd``
    (``[{variantId, price: {amount, currencyCode}}]``), checked; errors appended to ``errors``."""
    unfixed, fixed, seen = [], [], set()
    prices = plist.get("prices") or {}
    for index, ident in enumerate(data.get("pricesToDeleteByVariantId") or []):
        variant = ctx.variant_by_gid(ident)
        where = ["input", "pricesToDeleteByVariantId", str(index)]
        if variant is None:
            errors.append(_error(where, "Fixed price's variant not found.", "PRICE_DELETE_VARIANT_NOT_FOUND"))
        elif variant["id"] not in prices:
            errors.append(_error(where, "Price is not fixed.", "PRICE_DELETE_PRICE_NOT_FIXED"))
        else:
            unfixed.append(variant["id"])
    for index, row in enumerate(data.get("pricesToAdd") or []):
        where = ["input", "pricesToAdd", str(index)]
        variant = ctx.variant_by_gid(row.get("variantId"))
        price = row.get("price") or {}
        if variant is None:
            errors.append(_error([*where, "variantId"], "Fixed price's variant not found.", "PRICE_ADD_VARIANT_NOT_FOUND"))
            continue
        if price.get("currencyCode") != plist["currency"]:
            errors.append(_error([*where, "price", "currencyCode"], "Price list and fixed price currency mismatch.",
                                 "PRICE_ADD_CURRENCY_MISMATCH"))
            continue
        if variant["id"] in seen:
            errors.append(_error(where, "Prices to add inputs must be unique by variant id.",
                                 "PRICE_ADD_DUPLICATE_INPUT_FOR_VARIANT"))
            continue
        try:
            amount = Decimal(str(price.get("amount")))
        except InvalidOperation:
            amount = Decimal(-1)
        if amount < 0:
            errors.append(_error([*where, "price", "amount"], "Invalid fixed price.", "INVALID"))  # [unverified]
            continue
        seen.add(variant["id"])
        fixed.append((variant, f"{amount:.2f}"))
    return unfixed, fixed


def _a(key: str) -> Any:
    return lambda p, args, ctx: p.get(key)


_CODED = {"field": F("String", _a("field"), list=True), "message": F("String", _a("message")),
          "code": F("String", _a("code"))}

CATALOGUE_MUTATIONS: dict[str, F] = {
    "productSet": F("ProductSetPayload", _product_set, args=("identifier", "input", "synchronous")),
    "quantityPricingByVariantUpdate": F("QuantityPricingByVariantUpdatePayload", _quantity_pricing,
                                        args=("priceListId", "input")),
}
CATALOGUE_PAYLOADS: dict[str, dict[str, F]] = {
    "ProductSetPayload": {"product": F("Product", _a("product")),
                          "productSetOperation": F("ProductSetOperation", _a("productSetOperation"), simulated=False),
                          "userErrors": F("ProductSetUserError", _a("userErrors"), list=True)},
    "ProductSetUserError": _CODED,
    "QuantityPricingByVariantUpdatePayload": {
        "productVariants": F("ProductVariant", _a("productVariants"), list=True),
        "userErrors": F("QuantityPricingByVariantUserError", _a("userErrors"), list=True)},
    "QuantityPricingByVariantUserError": _CODED,
}
