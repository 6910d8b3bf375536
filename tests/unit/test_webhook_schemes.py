"""Webhook signature schemes, the queue's SQL and the time parsing the intake relies on (issue 15)."""
from __future__ import annotations

import hashlib
import hmac

import pytest

from engine.connectors.webhook_schemes import schemes, verify
from engine.runtime.webhook_intake import instant


@pytest.mark.parametrize("secret, body, signature", [
    # base64(HMAC-SHA256) of the raw body, as Shopify (X-Shopify-Hmac-Sha256) and WooCommerce
    # (X-WC-Webhook-Signature) sign; the second with a trailing newline WooCommerce never sends
    ("shpss_test_client_secret", b'{"id":5829173215423,"name":"#1042"}', "YWG5KnVjIbt/2spf6MQ4KB55UrpbTSGcK93UPlM1KQg="),
    ("wc_test_secret", b'{"id":1042,"status":"processing"}', "7VzNP7ySLt+tGKG+/leLzYL+WeUn7C+lc6ugwxEg4yE="),
    ("wc_test_secret", b'{"id":1042,"status":"processing"}\n', "3NrFsH2mCOHxnpQNWs+dVUuXwQrzZ8Tv/4EhM0wx04U="),
])
def test_base64_hmac_sha256_matches_known_signatures(secret, body, signature):
    assert verify("hmac-sha256-base64", secret, body, signature)
    assert not verify("hmac-sha256-base64", secret, body + b" ", signature)
    assert not verify("hmac-sha256-base64", secret + "x", body, signature)


def test_hex_missing_and_empty():
    body = b'{"id": 7}'
    digest = hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert verify("hmac-sha256-hex", "k", body, digest) and verify("hmac-sha256-hex", "k", body, f" {digest} ")
    assert not verify("hmac-sha256-hex", "k", body, digest.upper()[:-1])
    assert not verify("hmac-sha256-hex", "k", body, None) and not verify("hmac-sha256-hex", "", body, digest)
    assert not verify("hmac-sha256-base64", "k", body, "é-not-ascii")
    assert set(schemes()) == {"hmac-sha256-base64", "hmac-sha256-hex"}


def test_instant_reads_offsets_z_nanoseconds_and_naive_gmt():
    assert instant("2026-03-02T10:00:00Z") == instant("2026-03-02T11:00:00+01:00") == instant("2026-03-02T10:00:00")
    assert instant("2026-03-02T10:00:00.123456789Z") == pytest.approx(instant("2026-03-02T10:00:00Z") + 0.123456)
    assert instant("not a date") is None and instant(None) is None and instant("") is None
