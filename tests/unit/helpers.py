"""Compile a small project from YAML text (tests only)."""
from __future__ import annotations

import textwrap
from pathlib import Path

from engine.plan.compile import compile_project
from engine.project.load import load_project

ENDPOINTS = """
endpoints:
  shop: { use: prestashop, settings: { base_url: "http://shop.test", key: "${env:PS_KEY}" } }
  sage: { use: sage100-ws, settings: { base_url: "http://sage.test", token: "${env:SAGE_TOKEN}" }, override: { operations: { insert_document: { accepts: null } } } }
"""  # the mapping tests write made-up payloads: the Sage 100 contract is dropped (tests/unit/test_contracts.py)


def flow_yaml(map_yaml: str, extra: str = "", source_extra: str = "") -> str:
    return (ENDPOINTS + extra + "\nflows:\n  f:\n    source: { endpoint: shop, read: orders"
            + source_extra + " }\n    target: { endpoint: sage, write: insert_document }\n    map:\n"
            + textwrap.indent(textwrap.dedent(map_yaml).strip("\n"), "      ") + "\n")


def compile_text(tmp_path: Path, text: str, name: str = "spec.yaml"):
    folder = tmp_path / "project"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return compile_project(load_project(folder))


def compile_flow(tmp_path: Path, map_yaml: str, extra: str = ""):
    plan, diags = compile_text(tmp_path, flow_yaml(map_yaml, extra))
    assert plan is not None, "\n".join(d.format_text() for d in diags)
    return plan.flows["f"]
