"""The environment variables a compiled project needs: every ``${env:NAME}`` written in its endpoints'
settings (resolved when an endpoint opens: ``run``, ``serve``, ``check``, a live ``dry-run``) and in its
``project:`` block, each with what it is for (the connector's description of the setting)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from engine.plan.model import Plan
from engine.spec.env import ENV_REF


# the run state's encryption key (engine.runtime.vault reads it): a server that rotates its refresh
# token hands out one the run state must keep, sealed with this key
STATE_KEY = "PASSERELLE_STATE_KEY"
ROTATING_AUTH = frozenset({"oauth2_refresh"})
STATE_KEY_HELP = ("key encrypting the tokens kept in the run state; make one with python -c \"from "
                  "cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\" and keep it "
                  "like a password (NEW,OLD to change keys)")


@dataclass
class EnvVar:
    name: str
    secret: bool = False
    uses: list[str] = field(default_factory=list)  # "endpoint 'shop' setting 'key' (prestashop)"
    descriptions: list[str] = field(default_factory=list)


def env_variables(plan: Plan) -> list[EnvVar]:
    """Each variable once, in the order the project first names it."""
    found: dict[str, EnvVar] = {}
    for endpoint_name, endpoint in plan.endpoints.items():
        declared = endpoint.connector.settings
        for key, value in endpoint.settings.items():
            decl = declared.get(key)
            for name in _names(value):
                var = found.setdefault(name, EnvVar(name))
                var.secret = var.secret or bool(decl is not None and decl.secret)
                var.uses.append(f"endpoint '{endpoint_name}' setting '{key}' ({endpoint.connector.name})")
                description = decl.description if decl is not None else None
                if description and description not in var.descriptions:
                    var.descriptions.append(" ".join(description.split()))
    for key, value in plan.settings.items():
        for name in _names(value):
            found.setdefault(name, EnvVar(name)).uses.append(f"project setting '{key}'")
    for endpoint_name, endpoint in plan.endpoints.items():
        auth = ((endpoint.connector.source or {}).get("http") or {}).get("auth") or {}
        if isinstance(auth, dict) and auth.get("style") in ROTATING_AUTH:  # `check` and `run` stop without it
            var = found.setdefault(STATE_KEY, EnvVar(STATE_KEY, secret=True, descriptions=[STATE_KEY_HELP]))
            var.uses.append(f"endpoint '{endpoint_name}' ({endpoint.connector.name}): its rotated refresh token "
                            "in the run state")
    return list(found.values())


def _names(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        for match in ENV_REF.finditer(value):
            yield match.group(1)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _names(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _names(item)
