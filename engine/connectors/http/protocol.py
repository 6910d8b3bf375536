"""The HTTP protocol as the connector registry sees it: the compile hooks and how an endpoint opens."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.connectors.base import ConnectorPlan, Endpoint, ProtocolSpec
from engine.connectors.http import plan


def open_endpoint(name: str, connector: ConnectorPlan, settings: Mapping[str, Any], **options) -> Endpoint:
    from engine.connectors.http.client import HttpEndpoint  # httpx is loaded only when an endpoint opens

    return HttpEndpoint(name, connector, settings, **options)


PROTOCOL = ProtocolSpec(
    "http", "JSON, XML, GraphQL or SOAP over HTTP(S), with auth styles, pagination styles and retries",
    plan.compile_connector, plan.compile_resource, plan.compile_operation, open_endpoint,
    frozenset({"path", "params", "records", "query", "pagination", "method", "graphql", "nested"}),
    frozenset({"method", "path", "body", "item", "params", "records", "result", "failure", "graphql", "variable",
               "soap", "id_field", "files", "refused"}), concurrent=True)
