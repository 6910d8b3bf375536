"""Webhook signature schemes: a small registry of generic styles a connector definition names.

A scheme checks the signature a shop sent in a header over the RAW request body, in constant time
(:func:`hmac.compare_digest`), before anything parses the body. No vendor is named here: which
header, which scheme and which setting holds the secret are written in the connector definition
(``webhooks.signature`` in ``specs/connectors/*.yaml``).

* ``hmac-sha256-base64``: base64(HMAC-SHA256(secret, body)) — Shopify's ``X-Shopify-Hmac-Sha256``
  (https://shopify.dev/docs/apps/build/webhooks/verify-deliveries) and WooCommerce's
  ``X-WC-Webhook-Signature`` (``WC_Webhook::generate_signature``);
* ``hmac-sha256-hex``: hex(HMAC-SHA256(secret, body)), lower case — the form PrestaShop webhook
  modules commonly use.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class SignatureScheme:
    name: str
    summary: str
    sign: Callable[[bytes, bytes], str]  # (secret, body) -> the header value a sender writes


def _b64(secret: bytes, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode("ascii")


def _hex(secret: bytes, body: bytes) -> str:
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


_SCHEMES = {s.name: s for s in (
    SignatureScheme("hmac-sha256-base64", "base64 of the HMAC-SHA256 of the raw body with the secret", _b64),
    SignatureScheme("hmac-sha256-hex", "lower-case hex of the HMAC-SHA256 of the raw body with the secret", _hex),
)}


def schemes() -> Mapping[str, SignatureScheme]:
    return dict(_SCHEMES)


def verify(scheme: str, secret: str, body: bytes, given: str | None) -> bool:
    """True when ``given`` (the header's value) is the signature of ``body`` with ``secret``."""
    if not given or not secret:
        return False
    expected = _SCHEMES[scheme].sign(secret.encode("utf-8"), body)
    return hmac.compare_digest(expected.encode("ascii"), given.strip().encode("ascii", "replace"))


__all__ = ["SignatureScheme", "schemes", "verify"]
