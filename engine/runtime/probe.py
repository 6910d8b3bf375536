"""``passerelle check``: can each endpoint be reached with its credentials?

For every endpoint, one small read of its first resource (or of the resource a flow reads from it)
is made; the answer is classified in words a consultant can act on. Nothing is written.
"""
from __future__ import annotations

from engine.connectors.base import TokenStore
from engine.connectors.errors import EndpointError
from engine.plan.model import Plan
from engine.runtime.endpoints import ConfigError, open_endpoints


def _probe_resource(plan: Plan, name: str) -> str | None:
    for flow in plan.flows.values():
        if flow.source_endpoint == name:
            return flow.source_resource
    return next(iter(plan.connectors[name].resources), None)


def check_endpoints(plan: Plan, environ=None, token_store: TokenStore | None = None) -> list[tuple[str, bool, str]]:
    results = []
    for name in plan.endpoints:  # a compiled plan has every endpoint's connector
        resource = _probe_resource(plan, name)
        try:
            endpoints = open_endpoints(plan, [name], environ, token_store=token_store)
        except ConfigError as exc:
            results.append((name, False, str(exc)))
            continue
        endpoint = endpoints[name]
        try:
            if resource is None:
                results.append((name, True, f"{endpoint.location()}: no readable resource to probe"))
                continue
            page = next(iter(endpoint.read(resource, page_size=1)), [])
            results.append((name, True, f"{endpoint.location()}: read '{resource}' "
                                        f"({len(page)} record(s) in the first page)"))
        except EndpointError as exc:
            kind = "unreachable" if exc.status is None else {
                401: "credentials refused", 403: "access forbidden", 404: "path not found"}.get(exc.status, "error")
            results.append((name, False, f"{kind}: {exc.message}"))
        finally:
            endpoint.close()
    return results
