"""OAuth 1.0a one-legged verification as WooCommerce performs it over plain HTTP.

Written from RFC 5849 and the checks of WooCommerce's ``WC_REST_Authentication``, independently of the engine's signer:

* parameters come from the query string, a form-encoded body and an ``Authorization: OAuth …``
  header (RFC 5849 §3.5.1); none of the five ``oauth_*`` names present → not an OAuth request;
  some but not all → 401 ``woocommerce_rest_authentication_missing_parameter``
  "Missing OAuth parameter(s) <names>";
* the consumer key must be known (401 "Consumer key is invalid."), then the signature is checked
  (method HMAC-SHA1 or HMAC-SHA256, else "Invalid signature - signature method is invalid.";
  mismatch → "Invalid signature - provided signature does not match."), then the timestamp
  (±15 min, "Invalid timestamp.") and the nonce (single use within the window, "Invalid nonce -
  nonce has already been used."), in WooCommerce's order;
* signature base string (RFC 5849 §3.4.1): ``METHOD&enc(base URI)&enc(normalised parameters)``, the
  base URI without query, lower-case scheme/host, default port dropped; parameters decoded, each
  name and value percent-encoded per RFC 3986 (unreserved ``A-Z a-z 0-9 - . _ ~`` kept), sorted by
  name then value, joined ``name=value`` with ``&``; ``oauth_signature`` excluded; key =
  ``enc(consumer_secret) + "&"`` (no token secret). A space in the offered signature is read as
  ``+`` (an unencoded ``+`` in a query string).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import parse_qsl, unquote

__all__ = ["OAUTH_PARAMS", "AuthFailure", "NonceStore", "base_string", "collect_params", "encode", "sign"]

OAUTH_PARAMS = ("oauth_consumer_key", "oauth_timestamp", "oauth_nonce", "oauth_signature",
                "oauth_signature_method")
WINDOW_S = 15 * 60
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_HEADER_PARAM = re.compile(r'([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"([^"]*)"|([^,\s]*))')


class AuthFailure(Exception):
    """A 401 the way WooCommerce reports it (``code``, ``message``)."""

    def __init__(self, code: str, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def encode(text: str) -> str:
    """RFC 3986 percent-encoding of UTF-8 bytes, unreserved characters kept (RFC 5849 §3.6)."""
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in text.encode("utf-8"))


def header_params(value: str | None) -> list[tuple[str, str]]:
    """``Authorization: OAuth k="v", …`` → decoded pairs (``realm`` dropped, RFC 5849 §3.5.1)."""
    if not value or value[:6].lower() != "oauth ":
        return []
    return [(unquote(name), unquote(quoted if quoted else bare))
            for name, quoted, bare in _HEADER_PARAM.findall(value[6:]) if name != "realm"]


def collect_params(query: str, body: bytes, content_type: str | None,
                   authorization: str | None) -> list[tuple[str, str]]:
    """Every parameter that takes part in the signature (RFC 5849 §3.4.1.3.1)."""
    pairs = parse_qsl(query, keep_blank_values=True)
    if (content_type or "").split(";")[0].strip().lower() == "application/x-www-form-urlencoded" and body:
        pairs += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    return pairs + header_params(authorization)


def base_uri(scheme: str, host: str, path: str) -> str:
    """RFC 5849 §3.4.1.2: lower-case scheme and host, default port omitted, no query."""
    scheme = scheme.lower()
    host = host.lower()
    if (scheme == "http" and host.endswith(":80")) or (scheme == "https" and host.endswith(":443")):
        host = host.rsplit(":", 1)[0]
    return f"{scheme}://{host}{path}"


def base_string(method: str, uri: str, params: list[tuple[str, str]]) -> str:
    pairs = sorted((encode(k), encode(v)) for k, v in params if k != "oauth_signature")
    normalised = "&".join(f"{k}={v}" for k, v in pairs)
    return "&".join((method.upper(), encode(uri), encode(normalised)))


def sign(text: str, consumer_secret: str, method: str) -> str:
    digest = {"HMAC-SHA1": hashlib.sha1, "HMAC-SHA256": hashlib.sha256}[method]
    key = (encode(consumer_secret) + "&").encode("utf-8")
    return base64.b64encode(hmac.new(key, text.encode("utf-8"), digest).digest()).decode("ascii")


class NonceStore:
    """Nonces seen per consumer key, forgotten once outside the timestamp window."""

    def __init__(self) -> None:
        self._seen: dict[str, dict[str, float]] = {}

    def use(self, key: str, nonce: str, now: float) -> bool:
        """Record ``nonce``; False when it was already used within the window."""
        seen = self._seen.setdefault(key, {})
        if len(seen) > 4096:
            for old in [n for n, at in seen.items() if at < now - WINDOW_S]:
                del seen[old]
        at = seen.get(nonce)
        if at is not None and at >= now - WINDOW_S:
            return False
        seen[nonce] = now
        return True


def verify(method: str, uri: str, params: list[tuple[str, str]], secrets: dict[str, str],
           nonces: NonceStore, now: float) -> str | None:
    """The consumer key of a valid OAuth request, None when the request carries no OAuth at all.

    Raises :class:`AuthFailure` exactly as ``WC_REST_Authentication`` would.
    """
    found: dict[str, str] = {}
    for name, value in params:
        if name in OAUTH_PARAMS and value != "":
            found[name] = value
    if not found:
        return None
    missing = [name for name in OAUTH_PARAMS if name not in found]
    if missing:
        label = "Missing OAuth parameter" if len(missing) == 1 else "Missing OAuth parameters"
        raise AuthFailure("woocommerce_rest_authentication_missing_parameter", f"{label} {', '.join(missing)}")
    key = found["oauth_consumer_key"]
    if key not in secrets:
        raise AuthFailure("woocommerce_rest_authentication_error", "Consumer key is invalid.")
    algorithm = found["oauth_signature_method"]
    if algorithm not in ("HMAC-SHA1", "HMAC-SHA256"):
        raise AuthFailure("woocommerce_rest_authentication_error",
                          "Invalid signature - signature method is invalid.")
    offered = found["oauth_signature"].replace(" ", "+")
    expected = sign(base_string(method, uri, params), secrets[key], algorithm)
    if not hmac.compare_digest(expected.encode(), offered.encode("utf-8", "replace")):
        raise AuthFailure("woocommerce_rest_authentication_error",
                          "Invalid signature - provided signature does not match.")
    try:
        timestamp = int(found["oauth_timestamp"])
    except ValueError:
        timestamp = -(10 ** 12)
    if abs(timestamp - now) > WINDOW_S:
        raise AuthFailure("woocommerce_rest_authentication_error", "Invalid timestamp.")
    if not nonces.use(key, found["oauth_nonce"], now):
        raise AuthFailure("woocommerce_rest_authentication_error", "Invalid nonce - nonce has already been used.")
    return key
