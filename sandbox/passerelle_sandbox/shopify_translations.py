"""Shop languages and product translations of the Shopify simulator.

Facts (Shopify Admin GraphQL API: ``shopLocales``, ``translatableResources``, ``translatableResource``,
``translationsRegister``, object ``TranslatableResource``, enum ``TranslationErrorCode``;
shopify.dev/docs/api/admin-graphql/2024-10/mutations/translationsRegister and
shopify.dev/docs/apps/build/markets/manage-translated-content):

* the shop's languages: French (primary), English and German, published;
* a product's translatable content: ``title``, ``body_html``, ``handle``, ``product_type``, each with the
  ``digest`` a translation must name (``translatableContentDigest``): the SHA-256 of the value, in hex;
* ``translationsRegister(resourceId, translations: [{locale, key, value, translatableContentDigest}])``
  answers ``translations`` + ``userErrors {field message code}``; checked (all or nothing, the simulator's
  wording): an unknown resource ``RESOURCE_NOT_FOUND``, a locale the shop has not published or its primary
  one ``INVALID_LOCALE_FOR_SHOP``, a key the product cannot translate ``INVALID_KEY_FOR_MODEL``, a digest
  that is not the content's ``INVALID_TRANSLATABLE_CONTENT``, a blank value ``FAILS_RESOURCE_VALIDATION``;
* ``TranslatableResource.translations(locale)`` gives each translation with ``outdated`` (its digest is no
  longer the content's). ``resourceType`` other than ``PRODUCT`` answers NOT_SIMULATED.
"""
from __future__ import annotations

import hashlib
from typing import Any

from passerelle_sandbox.shopify_data import gid
from passerelle_sandbox.shopify_gql import F, GqlError

__all__ = ["TRANSLATION_MUTATIONS", "TRANSLATION_QUERIES", "TRANSLATION_TYPES", "seed_locales"]

_KEYS = {"title": "title", "body_html": "descriptionHtml", "handle": "handle", "product_type": "productType"}


def seed_locales(sim: Any) -> None:
    sim.shop_locales = [{"locale": "fr", "name": "French", "primary": True, "published": True},
                        {"locale": "en", "name": "English", "primary": False, "published": True},
                        {"locale": "de", "name": "German", "primary": False, "published": True}]
    sim.translations = {}  # (product id, locale, key) -> {value, digest}


def digest(value: Any) -> str:
    return hashlib.sha256(str(value or "").encode()).hexdigest()


def _content(product: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": key, "value": product.get(field) or "", "digest": digest(product.get(field)), "locale": "fr",
             "type": "HTML" if key == "body_html" else "STRING"} for key, field in _KEYS.items()]


def _resource(product: dict[str, Any]) -> dict[str, Any]:
    return {"product": product, "resourceId": gid("Product", product["id"])}


def _resources(parent: Any, args: dict[str, Any], ctx: Any) -> Any:
    from passerelle_sandbox.shopify_schema import list_connection

    if args.get("resourceType") != "PRODUCT":
        raise GqlError(f"translatableResources of {args.get('resourceType')} is not simulated (only PRODUCT)",
                       code="NOT_SIMULATED")
    return list_connection([_resource(p) for p in ctx.products], args, ident=lambda r: r["product"]["id"])


def _register(parent: Any, args: dict[str, Any], ctx: Any) -> dict[str, Any]:
    product = ctx.product_by_gid(args.get("resourceId"))
    if product is None:
        return {"translations": None, "userErrors": [{"field": ["resourceId"], "message": "Resource does not exist",
                                                      "code": "RESOURCE_NOT_FOUND"}]}
    content = {c["key"]: c for c in _content(product)}
    published = {loc["locale"] for loc in ctx.shop_locales if loc["published"] and not loc["primary"]}
    errors, rows = [], []
    for index, item in enumerate(args.get("translations") or []):
        where = ["translations", str(index)]
        key, locale = item.get("key"), item.get("locale")
        if locale not in published:
            errors.append({"field": [*where, "locale"], "message": f"Locale {locale} is not published for the shop",
                           "code": "INVALID_LOCALE_FOR_SHOP"})
        elif key not in content:
            errors.append({"field": [*where, "key"], "message": f"Key {key} is not translatable for a product",
                           "code": "INVALID_KEY_FOR_MODEL"})
        elif item.get("translatableContentDigest") != content[key]["digest"]:
            errors.append({"field": [*where, "translatableContentDigest"],
                           "message": "Translatable content hash is invalid", "code": "INVALID_TRANSLATABLE_CONTENT"})
        elif not str(item.get("value") or "").strip():
            errors.append({"field": [*where, "value"], "message": "Value can't be blank",
                           "code": "FAILS_RESOURCE_VALIDATION"})
        else:
            rows.append((locale, key, str(item["value"]), content[key]["digest"]))
    if errors:
        return {"translations": None, "userErrors": errors}
    with ctx.lock:
        for locale, key, value, hashed in rows:
            ctx.translations[(product["id"], locale, key)] = {"value": value, "digest": hashed}
    return {"translations": [{"key": k, "value": v, "locale": loc, "outdated": False} for loc, k, v, _ in rows],
            "userErrors": []}


def _translations(res: dict[str, Any], args: dict[str, Any], ctx: Any) -> list[dict[str, Any]]:
    product = res["product"]
    current = {c["key"]: c["digest"] for c in _content(product)}
    return [{"key": key, "value": t["value"], "locale": locale, "outdated": t["digest"] != current.get(key)}
            for (pid, locale, key), t in sorted(ctx.translations.items())
            if pid == product["id"] and locale == args.get("locale")]


def _a(key: str) -> Any:
    return lambda p, args, ctx: p.get(key)


TRANSLATION_QUERIES: dict[str, F] = {
    "shopLocales": F("ShopLocale", lambda p, args, ctx: [loc for loc in ctx.shop_locales if args.get("published")
                                                        is None or loc["published"] == args["published"]],
                     list=True, args=("published",)),
    "translatableResources": F("TranslatableResourceConnection", _resources, connection=True,
                               args=("first", "last", "after", "before", "reverse", "resourceType")),
    "translatableResource": F("TranslatableResource", lambda p, args, ctx: (
        lambda product: _resource(product) if product else None)(ctx.product_by_gid(args.get("resourceId"))),
        args=("resourceId",)),
}
TRANSLATION_MUTATIONS: dict[str, F] = {
    "translationsRegister": F("TranslationsRegisterPayload", _register, args=("resourceId", "translations")),
}
TRANSLATION_TYPES: dict[str, dict[str, F]] = {
    "ShopLocale": {"locale": F("String", _a("locale")), "name": F("String", _a("name")),
                   "primary": F("Boolean", _a("primary")), "published": F("Boolean", _a("published"))},
    "TranslatableResource": {
        "resourceId": F("ID", _a("resourceId")),
        "translatableContent": F("TranslatableContent", lambda p, args, ctx: _content(p["product"]), list=True),
        "translations": F("Translation", _translations, list=True, args=("locale", "outdated")),
    },
    "TranslatableContent": {"key": F("String", _a("key")), "value": F("String", _a("value")),
                            "digest": F("String", _a("digest")), "locale": F("String", _a("locale")),
                            "type": F("LocalizableContentType", _a("type"))},
    "Translation": {"key": F("String", _a("key")), "value": F("String", _a("value")),
                    "locale": F("String", _a("locale")), "outdated": F("Boolean", _a("outdated"))},
    "TranslationsRegisterPayload": {"translations": F("Translation", _a("translations"), list=True),
                                    "userErrors": F("TranslationUserError", _a("userErrors"), list=True)},
    "TranslationUserError": {"field": F("String", _a("field"), list=True), "message": F("String", _a("message")),
                             "code": F("String", _a("code"))},
}
