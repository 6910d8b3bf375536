"""The connector registry: protocols by ``protocol:`` name (http, odbc, file), and the HTTP auth styles,
pagination styles and body formats. The connector schema's lists are generated from it
(``passerelle schema --write``)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.connectors.base import ConnectorPlan, Endpoint, ProtocolSpec
from engine.connectors.http import auth, bodies, pagination

_PROTOCOLS: dict[str, ProtocolSpec] | None = None
_ONE: dict[str, ProtocolSpec] = {}  # the protocols imported so far, by name


def _imported(name: str) -> ProtocolSpec | None:
    """One protocol's spec, its module imported on first use: a project of HTTP connectors (and a
    file dry-run of it) does not load the ODBC and file protocols' modules (their SQL and file codecs)."""
    found = _ONE.get(name)
    if found is None:
        if name == "http":
            from engine.connectors.http import protocol as http_protocol
            found = http_protocol.PROTOCOL
        elif name == "odbc":
            from engine.connectors import odbc as odbc_protocol
            found = odbc_protocol.PROTOCOL
        elif name == "file":
            from engine.connectors import file as file_protocol
            found = file_protocol.PROTOCOL
        else:
            return None
        _ONE[name] = found
    return found


def protocols() -> dict[str, ProtocolSpec]:
    global _PROTOCOLS
    if _PROTOCOLS is None:
        _PROTOCOLS = {spec.name: spec for spec in map(_imported, ("http", "odbc", "file")) if spec is not None}
    return _PROTOCOLS


def protocol(name: str) -> ProtocolSpec | None:
    return _imported(name) if isinstance(name, str) else None


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

