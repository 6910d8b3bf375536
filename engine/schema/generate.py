"""Schema files generated from the registries (one source of truth), never edited by hand.

* ``schemas/transforms.schema.json`` — every transform with its argument schema (transform registry);
* ``schemas/protocols.schema.json`` — the protocols, HTTP auth styles (each with its arguments),
  pagination styles, body formats (connector registry) and webhook signature schemes;
  ``connector.schema.json`` refers to it.

``passerelle schema --write`` rewrites them, and ``docs/connectors.md`` with a page per shipped connector
in ``docs/connectors/`` (settings, resources, operations, contracts: :mod:`engine.schema.connectors_doc`);
``--check`` (and a test) fails when one is stale.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from engine.connectors import registry as connectors
from engine.connectors.webhook_schemes import schemes as webhook_schemes
from engine.lang.builtins import default_registry
from engine.schema.connectors_doc import stale_docs, write_docs
from engine.lang.registry import Registry
from engine.util.jsonout import dumps
from engine.util.resources import schemas_dir

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def transforms_schema(registry: Registry | None = None) -> dict:
    registry = registry or default_registry()
    bare, with_args = [], {}
    for spec in registry.all("transform"):
        if spec.args_schema is None or spec.args_optional:
            bare.append(spec.name)
        if spec.args_schema is not None:
            with_args[spec.name] = {"description": spec.summary, **spec.args_schema}
        else:
            with_args[spec.name] = {"description": spec.summary + " (takes no argument: write the bare "
                                    "name)", "type": "null"}
    return {
        "$schema": DRAFT,
        "title": "Passerelle transforms",
        "description": "GENERATED from the transform registry by `passerelle schema --write`; do not "
                       "edit. A pipeline is a list of transforms, each a bare name or a one-key "
                       "mapping {name: argument}.",
        "$defs": {
            "pipeline": {
                "description": "Transforms applied in order to the value.",
                "anyOf": [
                    {"type": "array", "items": {"$ref": "#/$defs/transform"}},
                    {"$ref": "#/$defs/transform"},
                ],
            },
            "transform": {
                "anyOf": [
                    {"enum": bare, "description": "A transform written as a bare name."},
                    {"type": "object", "minProperties": 1, "maxProperties": 1,
                     "properties": with_args, "additionalProperties": False},
                ],
            },
        },
    }


def _styled(kind: str, description: str, styles: dict, common: dict) -> dict:
    """A mapping discriminated by its ``style`` key: each style's own arguments, nothing else."""
    defs = {}
    branches = []
    for name, (summary, args) in styles.items():
        defs[f"{kind}_{name}"] = {
            "type": "object", "description": summary,
            "properties": {"style": {"const": name, "description": summary}, **common, **args},
            "additionalProperties": False,
        }
        branches.append({"if": {"properties": {"style": {"const": name}}, "required": ["style"]},
                         "then": {"$ref": f"#/$defs/{kind}_{name}"}})
    summary = "; ".join(f"{name} ({text})" for name, (text, _) in styles.items())
    defs[kind] = {"type": "object", "description": description,
                  "properties": {"style": {"enum": list(styles), "description": summary}},
                  "required": ["style"], "allOf": branches}
    return defs


def protocols_schema() -> dict:
    auth = {name: (s.summary, dict(s.args)) for name, s in connectors.auth_styles().items()}
    paging = {name: (s.summary, dict(s.args)) for name, s in connectors.pagination_styles().items()}
    bodies = connectors.body_formats()
    protocols = connectors.protocols()
    return {
        "$schema": DRAFT,
        "title": "Passerelle protocols",
        "description": "GENERATED from the connector registry by `passerelle schema --write`; do not edit. "
                       "The protocols a connector definition can name, and the HTTP auth styles, "
                       "pagination styles and body formats with their arguments.",
        "$defs": {
            "protocol": {"enum": list(protocols), "description": "The transport the engine uses: "
                         + "; ".join(f"{n} ({p.summary})" for n, p in protocols.items())},
            "body": {"enum": list(bodies), "description": "How the mapped payload is sent: "
                     + "; ".join(f"{n} ({b.summary})" for n, b in bodies.items())},
            "webhookSignature": {"enum": list(webhook_schemes()), "description": "How webhook deliveries are "
                                 "signed: " + "; ".join(f"{n} ({s.summary})" for n, s in webhook_schemes().items())},
            **_styled("auth", "How requests authenticate.", auth, {}),
            **_styled("pagination", "How lists are paged.", paging,
                      {"page_size": {"type": "integer", "minimum": 1, "description": "records per page"}}),
        },
    }


GENERATED: dict[str, Callable[[], dict]] = {
    "transforms.schema.json": transforms_schema,
    "protocols.schema.json": protocols_schema,
}


def render(name: str) -> str:
    return dumps(GENERATED[name](), indent=2) + "\n"


def write_schemas(directory: Path | None = None) -> list[Path]:
    directory = directory or schemas_dir()
    written = []
    for name in GENERATED:
        path = directory / name
        path.write_text(render(name), encoding="utf-8")
        written.append(path)
    if directory == schemas_dir():
        written += write_docs()
    return written


def check_schemas(directory: Path | None = None) -> list[str]:
    """One message per generated file that no longer matches its registry (empty: all current)."""
    directory = directory or schemas_dir()
    stale = []
    for name in GENERATED:
        path = directory / name
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != render(name):
            stale.append(f"{path} is stale: it no longer matches its registry; run `passerelle schema "
                         "--write` and commit the result")
    if directory == schemas_dir():
        stale += stale_docs()
    return stale
