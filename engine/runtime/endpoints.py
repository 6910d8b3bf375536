"""Opening a plan's endpoints: settings resolved from the environment, secrets wrapped, each endpoint
made by its protocol (HTTP, ODBC, files) through the connector registry."""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from engine.connectors.base import Endpoint
from engine.connectors.errors import EndpointError
from engine.connectors.registry import open_endpoint
from engine.errors import OperatorError
from engine.plan.model import Plan
from engine.spec.env import ENV_REF, MissingEnv, resolve


class ConfigError(OperatorError):
    """An endpoint cannot be opened (a variable is not set...); the message names the spec location."""

    code = "config"


def resolve_settings(plan: Plan, name: str, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    endpoint = plan.endpoints[name]
    settings: dict[str, Any] = {}
    for key, value in endpoint.settings.items():
        if isinstance(value, str):
            try:
                value = resolve(value, environ, secret=endpoint.connector.settings[key].secret)
            except MissingEnv as exc:
                guess = _set_nearby(exc.name, os.environ if environ is None else environ)
                raise ConfigError(f"{endpoint.locs[key]}: endpoint '{name}' setting '{key}': "
                                  f"environment variable {exc.name} is not set"
                                  + (f" (did you mean {guess}, which is?)" if guess else "")) from None
            _check_not_empty(endpoint, name, key, value)
        settings[key] = value
    return settings


def _set_nearby(name: str, environ: Mapping[str, str]) -> str | None:
    """The variable set in the environment whose name is one slip from ``name`` (ACME_PS_KYE: ACME_PS_KEY)."""
    import difflib

    found = difflib.get_close_matches(name, list(environ), n=1, cutoff=0.85)
    return found[0] if found else None


def _check_not_empty(endpoint, name: str, key: str, value: Any) -> None:
    """A setting the connector needs (required, or with a default of its own) whose value is only an
    environment variable set empty (``VAR=`` left so in ``.env``): said here, not as the transport's
    error on an empty URL or a refused empty credential."""
    decl = endpoint.connector.settings[key]
    written = endpoint.settings[key]
    if value or not (decl.required or (decl.has_default and decl.default not in (None, ""))):
        return
    match = ENV_REF.fullmatch(written.strip())
    if match:
        default = f" (the usual value: {decl.default})" if decl.has_default and not decl.secret else ""
        raise ConfigError(f"{endpoint.locs[key]}: endpoint '{name}' setting '{key}': environment variable "
                          f"{match.group(1)} is empty{default}")


def open_endpoints(plan: Plan, names: Iterable[str], environ: Mapping[str, str] | None = None,
                   **options) -> dict[str, Endpoint]:
    """One endpoint per name (only those a run needs); all closed again if one cannot open."""
    environ = os.environ if environ is None else environ
    names = list(names)
    width = max((plan.endpoints[n].concurrency for n in names if n in plan.endpoints), default=1)
    if width > 1:  # `concurrency: N`: N writes (and their acknowledgements) in flight, plus searches ahead
        options.setdefault("max_connections", max(8, width + 4))
    opened: dict[str, Endpoint] = {}
    try:
        for name in names:
            settings = resolve_settings(plan, name, environ)
            try:
                opened[name] = open_endpoint(name, plan.connectors[name], settings, **options)
                if hasattr(opened[name], "files_root"):  # files a payload names are read from the project
                    opened[name].files_root = plan.project.root  # type: ignore[attr-defined]
            except EndpointError as exc:  # a library or driver missing (ODBC), a setting the transport
                # refuses (a URL it cannot parse...): say so, and where
                raise ConfigError(f"{plan.endpoints[name].loc}: endpoint '{name}' cannot be opened: {exc.message}") from None
    except Exception:
        for endpoint in opened.values():
            endpoint.close()
        raise
    return opened
