"""The connector registry: protocols by ``protocol:`` name (http, odbc, file), and the HTTP auth styles,
pagination styles and body formats. The connector schema's lists are generated from it
(``passerelle schema --write``)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.connectors import file as file_protocol
from engine.connectors import odbc as odbc_protocol
from engine.connectors.base import ConnectorPlan, Endpoint, ProtocolSpec
from engine.connectors.http import auth, bodies, pagination
from engine.connectors.http import protocol as http_protocol


_PROTOCOLS: dict[str, ProtocolSpec] | None = None


def protocols() -> dict[str, ProtocolSpec]:
    global _PROTOCOLS
    if _PROTOCOLS is None:
        _PROTOCOLS = {spec.name: spec for spec in (http_protocol.PROTOCOL, odbc_protocol.PROTOCOL,
                                                    file_protocol.PROTOCOL)}
    return _PROTOCOLS


def protocol(name: str) -> ProtocolSpec | None:
    return protocols().get(name)


def auth_styles() -> Mapping[str, auth.AuthStyle]:
    return auth.STYLES


def pagination_styles() -> Mapping[str, pagination.PaginationStyle]:
    return pagination.STYLES


def body_formats() -> Mapping[str, bodies.BodyFormat]:
    return bodies.FORMATS


def open_endpoint(name: str, plan: ConnectorPlan, settings: Mapping[str, Any], **options) -> Endpoint:
    """One client's endpoint over a compiled connector (``settings`` resolved, secrets wrapped)."""
    spec = protocol(plan.protocol)
    if spec is None:  # pragma: no cover - compile refuses unknown protocols
        raise ValueError(f"protocol {plan.protocol!r} is not known")
    return spec.open(name, plan, settings, **options)

