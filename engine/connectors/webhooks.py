"""A connector's ``webhooks:`` section compiled: how its deliveries are signed, identified, dated, and
which resource each topic's body is a record of. Checked at validate: the secret names a secret
setting, each topic's resource is one the connector reads."""
from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from engine.connectors.context import ConnectorCompiler
from engine.util.records import frozen
from engine.util.suggest import hint_for

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"([0-9]{1,6})([smhd])")


def seconds(text: Any) -> float | None:
    """``30m`` -> 1800.0 (the schema checked the form); None when not given."""
    match = _DURATION.fullmatch(text) if isinstance(text, str) else None
    return float(int(match.group(1)) * _UNITS[match.group(2)]) if match else None


@frozen
class TopicDecl:
    name: str
    resource: str
    changed: tuple[str, ...]  # the body path of the record's last change


@frozen
class WebhookDecl:
    """What the engine needs to receive one system's webhooks (no vendor code: all declared)."""

    style: str  # a signature scheme of engine.connectors.webhook_schemes
    signature_header: str
    secret_setting: str
    topic_header: str
    delivery_id: tuple[tuple[str, str], ...]  # ("header", NAME) or ("body", dotted path)
    topics: Mapping[str, TopicDecl]
    sent_at_header: str | None = None
    max_age: float | None = None  # seconds
    ping_field: str | None = None


def compile_webhooks(data: Mapping[str, Any], ctx: ConnectorCompiler) -> WebhookDecl | None:
    """The ``webhooks`` mapping of a (schema-valid) connector definition, or None when it has none."""
    section = data.get("webhooks")
    if not isinstance(section, dict):
        return None
    signature = section.get("signature") or {}
    secret = str(signature.get("secret"))
    decl = ctx.settings.get(secret)
    if decl is None:
        ctx.error("unknown-setting", f"`secret` names no setting of connector '{ctx.name}': '{secret}'",
                  ("webhooks", "signature", "secret"), hint_for(secret, ctx.settings, "settings"))
    elif not decl.secret:
        ctx.error("not-secret", f"setting '{secret}' holds a webhook signing secret: declare it `secret: true`",
                  ("webhooks", "signature", "secret"))
    resources = data.get("resources") or {}
    topics = {}
    for name, topic in (section.get("topics") or {}).items():
        resource = str(topic.get("resource"))
        if resource not in resources:
            ctx.error("unknown-resource", f"topic '{name}' names no resource of connector '{ctx.name}': "
                      f"'{resource}'", ("webhooks", "topics", name, "resource"),
                      hint_for(resource, resources, "resources"))
        topics[name] = TopicDecl(name, resource, tuple(str(topic.get("changed")).split(".")))
    parts = tuple((text.split(":", 1)[0], text.split(":", 1)[1]) for text in section.get("delivery_id") or ())
    ping = section.get("ping")
    return WebhookDecl(str(signature.get("style")), str(signature.get("header")), secret,
                       str(section.get("topic_header")), parts, MappingProxyType(topics),
                       section.get("sent_at_header"), seconds(section.get("max_age")),
                       ping.get("form_field") if isinstance(ping, dict) else None)


__all__ = ["TopicDecl", "WebhookDecl", "compile_webhooks", "seconds"]
