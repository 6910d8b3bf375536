"""``passerelle check``: can each endpoint be reached with its credentials?

For every endpoint, one small read of its first resource (or of the resource a flow reads from it)
is made; the answer is classified in words a consultant can act on. Nothing is written.
:func:`field_warnings` then reads one record of each flow's source and names the fields a flow reads
that the record has not, when one it has is one slip away (``AR_PoidNet``: ``AR_PoidsNet``).
"""
from __future__ import annotations

from engine.connectors.base import TokenStore
from engine.connectors.errors import EndpointError
from engine.plan.model import Plan
from engine.plan.rootreads import root_reads
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


def _slip(name: str, fields: list[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(name, fields, n=1, cutoff=0.8)
    return found[0] if found else None


def field_warnings(plan: Plan, environ=None, token_store: TokenStore | None = None) -> list[tuple[str, str]]:
    """(flow, message) for each field a flow reads at the top of its record that the first record of its
    source has not, while a field it has is one slip away; a source that cannot be read gives none
    (check_endpoints says why)."""
    firsts: dict[tuple[str, str], dict | None] = {}
    out = []
    for name, flow in plan.flows.items():
        reads = root_reads(flow.item)
        source = (flow.source_endpoint, flow.source_resource)
        if not reads:
            continue
        if source not in firsts:
            firsts[source] = None
            try:
                endpoint = open_endpoints(plan, [source[0]], environ, token_store=token_store)[source[0]]
            except ConfigError:
                continue
            try:
                page = next(iter(endpoint.read(source[1], page_size=1)), [])
                firsts[source] = page[0] if page and isinstance(page[0], dict) else None
            except EndpointError:
                pass
            finally:
                endpoint.close()
        record = firsts[source]
        if record is None:
            continue
        for field, loc in reads.items():
            guess = None if field in record else _slip(field, list(record))
            if guess:
                out.append((name, f"{loc}: reads `{field}`, which the first '{source[1]}' record of {source[0]} "
                                  f"has not (every record reads it as null): did you mean `{guess}`?"))
    return out
