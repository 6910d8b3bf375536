"""Auth styles a connector definition can name (``http.auth.style``): the registry.

Each style declares its arguments (a JSON Schema fragment: ``passerelle schema --write`` puts them in
``schemas/protocols.schema.json``), which of them are templates over ``settings``, how a dry-run shows
the credentials (masked), and a builder that makes the httpx ``Auth`` flow when an endpoint opens.
Templates are parsed once at compile time (:func:`compile_auth`); secrets are revealed only by the
builder, for the wire.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from engine.connectors.secrets import settings_scrubber
from engine.connectors.templates import Template, TreeRenderer, text_of
from engine.spec.env import MASK, Scrubber
from engine.util.records import frozen

_TEMPLATE = {"type": "string", "description": "A template: `{settings.NAME}` placeholders."}


@frozen
class AuthStyle:
    """One authentication style (`auth: style:`): its arguments and how it builds the client's auth."""

    name: str
    summary: str
    args: Mapping[str, dict]  # argument -> JSON Schema (besides `style`)
    templates: tuple[str, ...]  # string arguments rendered over settings
    trees: tuple[str, ...]  # nested arguments whose strings are templates (params, json, form)
    build: Callable[..., Any]  # (AuthArgs, client_factory, token_store) -> httpx.Auth
    masked: Callable[[Mapping[str, Any]], dict]  # raw args -> {"headers": ..., "params": ...}
    required: tuple[str, ...] = ()


@frozen
class AuthPlan:
    """A connector's authentication: its style and its compiled argument templates."""

    style: AuthStyle
    raw: Mapping[str, Any]
    templates: Mapping[str, Template]
    trees: Mapping[str, TreeRenderer]

    def masked(self) -> dict:
        return self.style.masked(self.raw)


class AuthArgs:
    """An auth plan's arguments rendered with one endpoint's settings, secrets revealed (wire only).
    ``scrubber`` is the endpoint's: an auth flow scrubs its errors with it and adds the tokens it obtains."""

    def __init__(self, plan: AuthPlan, settings: Mapping[str, Any], scrubber: Scrubber | None = None):
        self.plan, self.context = plan, {"settings": dict(settings)}
        self.scrubber = scrubber or settings_scrubber(settings)

    def text(self, name: str, default: str = "") -> str:
        template = self.plan.templates.get(name)
        return text_of(template.render(self.context, reveal=True), reveal=True) if template else default

    def tree(self, name: str) -> Any:
        render = self.plan.trees.get(name)
        return render(self.context, True) if render else None

    def raw(self, name: str, default: Any = None) -> Any:
        return self.plan.raw.get(name, default)


def _flows():
    from engine.connectors.http import flows  # httpx is loaded only when an endpoint opens

    return flows


def _none(args: AuthArgs, client_factory, token_store):
    return _flows().NoAuth()


def _basic(args: AuthArgs, client_factory, token_store):
    import httpx

    return httpx.BasicAuth(args.text("username"), args.text("password"))


def _header(args: AuthArgs, client_factory, token_store):
    return _flows().HeaderAuth(args.raw("header", "Authorization"), args.text("value"))


def _bearer(args: AuthArgs, client_factory, token_store):
    return _flows().HeaderAuth("Authorization", "Bearer " + args.text("token"))


def _query(args: AuthArgs, client_factory, token_store):
    return _flows().QueryAuth({k: text_of(v, reveal=True) for k, v in (args.tree("params") or {}).items()})


def _oauth1(args: AuthArgs, client_factory, token_store):
    return _flows().OAuth1Auth(args.text("consumer_key"), args.text("consumer_secret"),
                               args.raw("signature_method", "HMAC-SHA256"))


def _token(args: AuthArgs, client_factory, token_store):
    flows = _flows()
    fetch = flows.post_for_token(client_factory, args.text("token_url"), json_body=args.tree("json"),
                                 form=args.tree("form"), token_path=args.raw("token_path", "@"),
                                 default_ttl=args.raw("ttl"), scrubber=args.scrubber)
    return flows.TokenAuth(fetch, args.raw("header", "Authorization"), args.raw("prefix", "Bearer "))


def _refresh(args: AuthArgs, client_factory, token_store):
    return _flows().refresh_auth(args, client_factory, token_store)


def _no_mask(raw: Mapping[str, Any]) -> dict:
    return {}


def _header_mask(raw: Mapping[str, Any]) -> dict:
    return {"headers": {raw.get("header", "Authorization"): MASK}}


def _prefixed_mask(raw: Mapping[str, Any]) -> dict:
    return {"headers": {raw.get("header", "Authorization"): raw.get("prefix", "Bearer ") + MASK}}


_OAUTH1_PARAMS = ("oauth_consumer_key", "oauth_nonce", "oauth_signature", "oauth_signature_method",
                  "oauth_timestamp")

STYLES: dict[str, AuthStyle] = {style.name: style for style in (
    AuthStyle("none", "no credentials", {}, (), (), _none, _no_mask),
    AuthStyle("basic", "HTTP Basic: username and password (a key as user with an empty password)",
              {"username": _TEMPLATE, "password": _TEMPLATE}, ("username", "password"), (), _basic,
              lambda raw: {"headers": {"Authorization": f"Basic {MASK}"}}),
    AuthStyle("header", "a raw credential in a header of your choice",
              {"header": {"type": "string"}, "value": _TEMPLATE}, ("value",), (), _header, _header_mask,
              ("value",)),
    AuthStyle("bearer", "`Authorization: Bearer <token>`", {"token": _TEMPLATE}, ("token",), (), _bearer,
              _prefixed_mask, ("token",)),
    AuthStyle("query", "credentials as query parameters",
              {"params": {"type": "object", "additionalProperties": {"type": "string"}}}, (), ("params",),
              _query, lambda raw: {"params": {k: MASK for k in raw.get("params") or {}}}, ("params",)),
    AuthStyle("oauth1", "one-legged OAuth 1.0a signature (RFC 5849), what WooCommerce requires over http",
              {"consumer_key": _TEMPLATE, "consumer_secret": _TEMPLATE,
               "signature_method": {"enum": ["HMAC-SHA1", "HMAC-SHA256"]}},
              ("consumer_key", "consumer_secret"), (), _oauth1,
              lambda raw: {"params": {k: MASK for k in _OAUTH1_PARAMS}}, ("consumer_key", "consumer_secret")),
    AuthStyle("token", "fetch a token from a login URL (json or form body), then send it with a prefix; "
              "fetched again once on 401",
              {"token_url": _TEMPLATE, "json": {"type": "object"}, "form": {"type": "object"},
               "token_path": {"type": "string", "description": "JMESPath to the token in the answer"},
               "ttl": {"type": "number", "description": "seconds a token lives (when the answer does not say)"},
               "header": {"type": "string"}, "prefix": {"type": "string"}},
              ("token_url",), ("json", "form"), _token, _prefixed_mask, ("token_url",)),
    AuthStyle("oauth2_refresh", "OAuth 2 refresh-token grant; short-lived access tokens renewed before "
              "they expire; a rotated refresh token is kept in the run state",
              {"token_url": _TEMPLATE, "client_id": _TEMPLATE, "client_secret": _TEMPLATE,
               "refresh_token": _TEMPLATE, "token_path": {"type": "string"}, "ttl_path": {"type": "string"},
               "margin": {"type": "number", "description": "renew this many seconds before expiry"},
               "refresh_token_path": {"type": "string", "description": "where a rotated refresh token is "
                                      "in the token answer (default refresh_token)"}},
              ("token_url", "client_id", "client_secret", "refresh_token"), (), _refresh, _prefixed_mask,
              ("token_url", "client_id", "client_secret", "refresh_token")),
)}
