"""A flow's ``webhooks:`` compiled and checked: the topics exist in the source connector's
``webhooks`` section and give records of the resource the flow reads, and the source endpoint sets
the setting the signing secret comes from (``${env:NAME}``: the literal-secret check says so)."""
from __future__ import annotations

from typing import Any

from engine.checks.references import connector_plan
from engine.connectors.webhooks import WebhookDecl, seconds
from engine.errors import Diagnostic
from engine.project.load import Item, Project
from engine.util.records import frozen
from engine.util.suggest import hint_for


@frozen
class FlowWebhooks:
    """What ``serve`` needs to take one flow's webhooks: the connector's declaration, the topics the
    flow takes, the endpoint whose setting holds the secret, and how to order and bound events."""

    endpoint: str
    decl: WebhookDecl
    topics: frozenset[str]
    coalesce: bool = False
    max_age: float | None = None  # seconds; None: no bound on a delivery's age

    @property
    def secret_setting(self) -> str:
        return self.decl.secret_setting


def compile_flow_webhooks(item: Item, project: Project, data: Any, diags: list[Diagnostic]) -> FlowWebhooks | None:
    """The flow's ``webhooks`` mapping (schema-valid), or None when it has none or it is wrong (said in
    ``diags``, each located)."""
    if not isinstance(data, dict):
        return None
    source = item.data.get("source") or {}
    endpoint, resource = source.get("endpoint"), source.get("read")
    label = f"flows.{item.name}.webhooks"
    start = len(diags)

    def error(code: str, message: str, at: tuple, hint: str | None = None) -> None:
        diags.append(Diagnostic(code, message, item.loc("webhooks", *at), label + "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" for p in at), hint))

    plan = connector_plan(project, endpoint)
    if plan is None:
        return None  # the source's own diagnostics say why
    decl: WebhookDecl | None = plan.webhooks
    if decl is None:
        error("no-webhooks", f"connector '{plan.name}' of endpoint '{endpoint}' declares no webhooks "
              "(its definition has no `webhooks:` section)", ())
        return None
    if "fan_out" in item.data or "group" in item.data:
        error("webhooks-expanded", "a flow that fans records out or groups them cannot take webhooks "
              "(an event is one record)", ())
    for index, topic in enumerate(data.get("topics") or ()):
        found = decl.topics.get(topic)
        if found is None:
            error("unknown-topic", f"connector '{plan.name}' has no webhook topic '{topic}' (its topics: "
                  f"{', '.join(decl.topics)})", ("topics", index), hint_for(topic, decl.topics, "topics"))
        elif found.resource != resource:
            error("topic-resource", f"topic '{topic}' gives '{found.resource}' records, but the flow reads "
                  f"'{resource}'", ("topics", index),
                  f"its webhooks send '{found.resource}' records: a flow taking them reads `read: "
                  f"{found.resource}`, its mapping written for that shape; else leave this flow to its poll")
    endpoint_item = project.endpoints.get(str(endpoint))
    given = endpoint_item.data.get("settings") if endpoint_item is not None and isinstance(endpoint_item.data,
                                                                                            dict) else None
    if not isinstance(given, dict) or given.get(decl.secret_setting) in (None, ""):
        error("no-webhook-secret", f"endpoint '{endpoint}' does not set '{decl.secret_setting}', the secret "
              "its webhooks are signed with", (),
              f"set it in the endpoint: settings: {{{decl.secret_setting}: \"${{env:NAME}}\"}}")
    if any(d.is_error for d in diags[start:]):
        return None
    max_age = seconds(data.get("max_age"))
    return FlowWebhooks(str(endpoint), decl, frozenset(data.get("topics") or ()), bool(data.get("coalesce")),
                        max_age if max_age is not None else decl.max_age)


__all__ = ["FlowWebhooks", "compile_flow_webhooks"]
