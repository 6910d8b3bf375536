"""Conformance profiles: how to drive one connector definition against its simulator.

Each system adds one module ``profile_<system>.py`` exporting ``PROFILE``; the suite in
``test_conformance.py`` runs the same checks against every profile.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from engine.connectors.http.client import HttpEndpoint, WriteResult
from engine.connectors.compile import open_connector
from engine.spec.env import Secret
from engine.project.load import ConnectorStore

HERE = Path(__file__).resolve().parent


@dataclass
class Profile:
    system: str  # sandbox system name
    connector: str  # connector definition (`use:` name)
    settings: Callable[[Any], dict]  # endpoint settings from the running Sandbox
    bad_settings: Callable[[Any], dict]  # same with wrong credentials
    resource: str  # a list resource (orders for shops)
    key: str  # identity field of its records
    expected_keys: Callable[[Any], set]  # every key the simulator holds for that resource
    page_size: int = 10  # small, to force many pages
    since: tuple[str, Callable[[Any], Any], Callable[[Any], set]] | None = None  # field, value, expected keys
    write: tuple[str, Callable[[Any], Any], Callable[[Any], dict], Callable[[Any, WriteResult], bool]] | None = None
    secret_settings: tuple[str, ...] = ()
    sandbox_options: dict = field(default_factory=dict)
    big_orders: int = 10_000  # size of the "every order exactly once" read (0: not a shop)
    paginated: bool = True  # the resource is paged by the connector
    rate_limited: bool = False  # the simulator enforces a request budget (429 when overrun)
    requests_429: Callable[[Any], int] | None = None  # how many 429 the simulator answered


def connector(name: str) -> dict:
    store = ConnectorStore()
    path = store.find(name, HERE)
    assert path is not None, f"no connector definition {name}"
    doc = store.load(path)
    assert doc.ok and not [d for d in doc.diagnostics if d.is_error], [d.format_text() for d in doc.diagnostics]
    return doc.data["connector"]


def endpoint(profile: Profile, settings: dict, **options) -> HttpEndpoint:
    definition = connector(profile.connector)
    declared = definition.get("settings") or {}
    defaults = {k: d["default"] for k, d in declared.items() if isinstance(d, dict) and "default" in d}
    wrapped = {k: Secret(v) if (declared.get(k) or {}).get("secret") and isinstance(v, str) else v
               for k, v in {**defaults, **settings}.items()}
    return open_connector(profile.system, definition, wrapped, **options)


def all_profiles() -> list[Profile]:
    found = []
    for info in pkgutil.iter_modules([str(HERE)]):
        if info.name.startswith("profile_"):
            module = importlib.import_module(info.name)
            found.append(module.PROFILE)
    return sorted(found, key=lambda p: p.system)
