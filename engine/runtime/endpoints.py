"""Opening a plan's endpoints: settings resolved from the environment, secrets wrapped."""
from __future__ import annotations

import os
from collections.abc import Mapping

from engine.plan.compile import Plan
from engine.connectors.http.client import HttpEndpoint
from engine.spec.env import MissingEnv, resolve


class ConfigError(Exception):
    """An endpoint cannot be opened (a variable is not set...); the message names the spec location."""


def resolve_settings(plan: Plan, name: str, environ: Mapping[str, str] | None = None) -> dict:
    item = plan.project.endpoints[name]
    connector = plan.connectors[name]
    declared = connector.data.get("settings") or {}
    given = (item.data.get("settings") or {}) if isinstance(item.data, dict) else {}
    settings = {}
    for key, decl in declared.items():
        decl = decl if isinstance(decl, dict) else {}
        value = given.get(key, decl.get("default"))
        if isinstance(value, str):
            try:
                value = resolve(value, environ, secret=bool(decl.get("secret")))
            except MissingEnv as exc:
                raise ConfigError(f"{item.loc('settings', key)}: endpoint '{name}' setting '{key}': "
                                  f"environment variable {exc.name} is not set") from None
        settings[key] = value
    return settings


def open_endpoints(plan: Plan, names, environ: Mapping[str, str] | None = None, **options) -> dict:
    """HttpEndpoint per endpoint name (only those a run needs)."""
    environ = os.environ if environ is None else environ
    opened = {}
    try:
        for name in names:
            connector = plan.connectors[name]
            if connector.data.get("protocol") != "http":
                raise ConfigError(f"endpoint '{name}': protocol {connector.data.get('protocol')!r} is not "
                                  "supported by `run` yet")
            opened[name] = HttpEndpoint(name, connector.data, resolve_settings(plan, name, environ), **options)
    except Exception:
        for endpoint in opened.values():
            endpoint.close()
        raise
    return opened
