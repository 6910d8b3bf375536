"""OAuth 1.0a one-legged verification as WooCommerce performs it over plain HTTP.

Follows ``WC_REST_Authentication`` (``get_oauth_parameters``, ``check_oauth_signature``,
``join_with_equals_sign``, ``normalize_parameters``, ``check_oauth_timestamp_and_nonce``), written
independently of the engine's RFC 5849 signer:

* parameters are PHP's ``array_merge($_GET, $_POST)`` (a form-encoded body only), then the ``oauth_*``
  parameters of an ``Authorization: OAuth …`` header on top (``urldecode``d). PHP keeps **one value per
  name**: a repeated plain name keeps the last value; ``a[]=x&a[]=y`` and ``a[k]=v`` build arrays
  (:func:`php_parse`, with PHP's name mangling: ``.`` and space become ``_`` in the base name, an unclosed
  ``[`` becomes ``_``). So a client that sends a parameter twice (the official ``woocommerce`` Python client
  puts ``params`` both in the signed URL and again in the query) is checked against one copy;
* none of the five ``oauth_*`` names non-empty (PHP ``empty``: ``""`` and ``"0"`` are empty) → not an OAuth
  request; some but not all → 401 ``woocommerce_rest_authentication_missing_parameter``
  "Missing OAuth parameter(s) <names>";
* the consumer key must be known ("Consumer key is invalid."), then the signature (HMAC-SHA1 or
  HMAC-SHA256, else "Invalid signature - signature method is invalid."; mismatch → "Invalid signature -
  provided signature does not match."), then the timestamp (±15 min, "Invalid timestamp.") and the nonce
  (kept per timestamp, "Invalid nonce - nonce has already been used.");
* signature base: ``METHOD&rawurlencode(home URL + request path)&`` + the parameters without
  ``oauth_signature``, names sorted with ``strcmp``; each ``name=value`` is encoded once per part, then the
  joined text once more; an array ``a`` contributes ``a[<index>]=value`` per element (``%255B``…``%255D``
  in the base); pairs joined with ``%26``. Key: ``consumer_secret + "&"`` (WooCommerce's secrets are
  ``cs_`` + hex, so encoding the secret first, as RFC 5849 says and as done here, changes nothing for them). The offered signature is read as
  ``rawurldecode`` of it with spaces turned back into ``+``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Any
from urllib.parse import unquote, unquote_plus

__all__ = ["OAUTH_PARAMS", "AuthFailure", "NonceStore", "base_string", "collect_params", "encode", "php_parse",
           "sign"]

OAUTH_PARAMS = ("oauth_consumer_key", "oauth_timestamp", "oauth_nonce", "oauth_signature",
                "oauth_signature_method")
WINDOW_S = 15 * 60
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# WC_REST_Authentication::parse_header's pattern: only oauth_* names are read from the header
_HEADER_PARAM = re.compile(r'(oauth_[a-z_-]*)=(?::?"([^"]*)"|([^,]*))')


class AuthFailure(Exception):
    """A 401 the way WooCommerce reports it (``code``, ``message``)."""

    def __init__(self, code: str, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def encode(text: str) -> str:
    """PHP ``rawurlencode`` (RFC 3986: unreserved ``A-Z a-z 0-9 - . _ ~`` kept) of the UTF-8 bytes."""
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in text.encode("utf-8"))


def header_params(value: str | None) -> dict[str, str]:
    """``Authorization: OAuth k="v", …`` → the ``oauth_*`` parameters, ``urldecode``d."""
    if not value or not value.strip().startswith("OAuth "):
        return {}
    return {name: unquote_plus(quoted if quoted else bare)
            for name, quoted, bare in _HEADER_PARAM.findall(value.strip()[6:])}


def _next_index(node: dict[Any, Any]) -> int:
    ints = [k for k in node if isinstance(k, int)]
    return max(ints) + 1 if ints else 0


def _key(text: str) -> Any:
    return int(text) if re.fullmatch(r"-?[1-9]\d*|0", text) else text


def php_parse(text: str, into: dict[Any, Any] | None = None) -> dict[Any, Any]:
    """PHP ``parse_str`` / ``$_GET``: one value per name, the last wins; ``a[]``/``a[k]`` build arrays."""
    out: dict[Any, Any] = {} if into is None else into
    for part in text.split("&"):
        if not part:
            continue
        raw_name, _, raw_value = part.partition("=")
        name, value = unquote_plus(raw_name).lstrip(" "), unquote_plus(raw_value)
        bracket = name.find("[")
        base = name if bracket < 0 else name[:bracket]
        keys: list[str | None] = []
        rest = "" if bracket < 0 else name[bracket:]
        while rest.startswith("["):
            close = rest.find("]")
            if close < 0:  # an unclosed "[" is kept as "_" (first one only), the rest literally
                if not keys:
                    base += "_" + rest[1:]
                break
            inner = rest[1:close]
            keys.append(inner if inner != "" else None)
            rest = rest[close + 1:]
        base = base.replace(".", "_").replace(" ", "_")
        if not base:
            continue
        node, key = out, _key(base)
        for inner_key in keys:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node, key = child, (_next_index(child) if inner_key is None else _key(inner_key))
        node[key] = value
    return out


def collect_params(query: str, body: bytes, content_type: str | None,
                   authorization: str | None) -> dict[Any, Any]:
    """``array_merge($_GET, $_POST)`` then the header's ``oauth_*`` parameters."""
    params = php_parse(query)
    if (content_type or "").split(";")[0].strip().lower() == "application/x-www-form-urlencoded" and body:
        params.update(php_parse(body.decode("utf-8", "replace")))
    params.update(header_params(authorization))
    return params


def base_uri(site: str, path: str) -> str:
    """``get_home_url(null, $path)``: the site URL as configured plus the raw request path."""
    return site.rstrip("/") + path


def _strcmp_key(name: Any) -> bytes:
    return str(name).encode("utf-8")


def _encode_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _encode_value(v) for k, v in value.items()}
    return encode(str(value))


def _joined(params: dict[Any, Any], prefix: str = "") -> list[str]:
    """``join_with_equals_sign``: ``name=value`` (already encoded once) encoded again, arrays flattened."""
    out = []
    for name, value in params.items():
        key = f"{prefix}%5B{name}%5D" if prefix else str(name)
        if isinstance(value, dict):
            out += _joined(value, key)
        else:
            out.append(encode(f"{key}={value}"))
    return out


def base_string(method: str, uri: str, params: dict[Any, Any]) -> str:
    names = sorted((n for n in params if n != "oauth_signature"), key=_strcmp_key)
    normalised = {encode(str(n)): _encode_value(params[n]) for n in names}
    return "&".join((method.upper(), encode(uri), "%26".join(_joined(normalised))))


def sign(text: str, consumer_secret: str, method: str) -> str:
    digest = {"HMAC-SHA1": hashlib.sha1, "HMAC-SHA256": hashlib.sha256}[method]
    # WooCommerce keys with the raw secret; for every secret it issues (cs_ + hex) that equals RFC 5849's
    # encoded secret, which is kept so that tests may use secrets with reserved characters (leak canaries)
    key = (encode(consumer_secret) + "&").encode("utf-8")
    return base64.b64encode(hmac.new(key, text.encode("utf-8"), digest).digest()).decode("ascii")


class NonceStore:
    """Used nonces per consumer key, kept as WooCommerce keeps them: ``{timestamp: nonce}``, entries older
    than the window dropped (so a second request with the same timestamp replaces the first one's nonce)."""

    def __init__(self) -> None:
        self._seen: dict[str, dict[int, str]] = {}

    def use(self, key: str, nonce: str, timestamp: int, now: float) -> bool:
        """Record ``nonce``; False when it is already in the list."""
        seen = self._seen.setdefault(key, {})
        if nonce in seen.values():
            return False
        seen[timestamp] = nonce
        for old in [t for t in seen if t < now - WINDOW_S]:
            del seen[old]
        return True


def _empty(value: Any) -> bool:
    return value in (None, "", "0") or value == {}


def verify(method: str, uri: str, params: dict[Any, Any], secrets: dict[str, str],
           nonces: NonceStore, now: float) -> str | None:
    """The consumer key of a valid OAuth request, None when the request carries no OAuth at all.

    Raises :class:`AuthFailure` exactly as ``WC_REST_Authentication`` would.
    """
    missing = [name for name in OAUTH_PARAMS if _empty(params.get(name))]
    if len(missing) == len(OAUTH_PARAMS):
        return None
    if missing:
        label = "Missing OAuth parameter" if len(missing) == 1 else "Missing OAuth parameters"
        raise AuthFailure("woocommerce_rest_authentication_missing_parameter", f"{label} {', '.join(missing)}")
    key = str(params["oauth_consumer_key"])
    if key not in secrets:
        raise AuthFailure("woocommerce_rest_authentication_error", "Consumer key is invalid.")
    algorithm = params["oauth_signature_method"]
    if algorithm not in ("HMAC-SHA1", "HMAC-SHA256"):
        raise AuthFailure("woocommerce_rest_authentication_error",
                          "Invalid signature - signature method is invalid.")
    offered = unquote(str(params["oauth_signature"]).replace(" ", "+"))
    expected = sign(base_string(method, uri, params), secrets[key], algorithm)
    if not hmac.compare_digest(expected.encode(), offered.encode("utf-8", "replace")):
        raise AuthFailure("woocommerce_rest_authentication_error",
                          "Invalid signature - provided signature does not match.")
    raw = params["oauth_timestamp"]
    timestamp = int(raw) if isinstance(raw, str) and re.fullmatch(r"-?\d+", raw) else -(10 ** 12)
    if abs(timestamp - now) > WINDOW_S:
        raise AuthFailure("woocommerce_rest_authentication_error", "Invalid timestamp.")
    if not nonces.use(key, str(params["oauth_nonce"]), timestamp, now):
        raise AuthFailure("woocommerce_rest_authentication_error", "Invalid nonce - nonce has already been used.")
    return key
