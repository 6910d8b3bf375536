"""Issue 13's templates used as a consultant would: ``passerelle sandbox --template NAME`` started as a
process, the settings it prints put in the environment, the template's flows run in its README's order
with ``passerelle run``, twice. Each test here failed before its fix (review of issue 13)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from support import ROOT
from template_runs import run_flow

SETTING = re.compile(r"(\w+)=(\S+)")


@contextmanager
def sandbox(*argv: str):
    """``passerelle sandbox ARGV`` in a child process: {system: {setting: value}} and the ``made`` lines."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'sandbox'}"}
    proc = subprocess.Popen([sys.executable, "-m", "passerelle_sandbox.cli", "--port-base", "0", *argv],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    systems: dict[str, dict[str, str]] = {}
    made: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "Ctrl-C to stop" in line:
                break
            if line.startswith("made "):
                made.append(line[5:].strip())
            elif " url=" in line:
                name, rest = line.split(" ", 1)
                systems[name] = dict(SETTING.findall(rest))
        else:
            pytest.fail(f"the sandbox stopped: {systems} {made}")
        yield systems, made
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _project(tmp_path: Path, template: str) -> Path:
    project = tmp_path / template
    shutil.copytree(ROOT / "specs" / "examples" / template, project, ignore=shutil.ignore_patterns(".passerelle"))
    return project


def test_woocommerce_template_runs_against_the_sandbox_as_its_readme_says(tmp_path, monkeypatch):
    """Every web order goes to CLIENT-WEB, "created by hand in Sage": the sandbox had no such client,
    so every address and every order of the template failed ("customer 'CLIENT-WEB' does not exist")."""
    with sandbox("--template", "woocommerce-sage100") as (systems, made):
        assert "sage100: generic client CLIENT-WEB" in made
        woo, sage = systems["woocommerce"], systems["sage100"]
        env = {"ACME_WC_URL": woo["url"], "ACME_WC_KEY": woo["consumer_key"], "ACME_WC_SECRET": woo["consumer_secret"],
               "ACME_SAGE_URL": sage["url"], "ACME_SAGE_TOKEN": sage["token"]}
        project, state = _project(tmp_path, "woocommerce-sage100"), str(tmp_path / "state")
        flows = ("customers_to_sage", "customer_addresses_to_sage", "addresses_to_sage", "orders_to_sage",
                 "payments_to_sage")
        first = {flow: run_flow(project, state, env, monkeypatch, flow) for flow in flows}
        assert first["addresses_to_sage"]["created"] == first["orders_to_sage"]["created"] == 20
        assert first["payments_to_sage"]["created"] > 0
        again = {flow: run_flow(project, state, env, monkeypatch, flow) for flow in flows}
        assert all(c["created"] == c["failed"] == 0 for c in again.values()), again


def test_shopify_sage_accounting_template_runs_against_the_sandbox_as_its_readme_says(tmp_path, monkeypatch):
    """The README's "by hand" steps: the sandbox printed no token URL (the template needs one), had no
    generic contact WEBSHOP, and served a French business (FR_* tax ids, French rates on the orders), so
    12 of 20 orders failed on the UK tax table."""
    with sandbox("--template", "shopify-sage-accounting") as (systems, made):
        shop, sage = systems["shopify"], systems["sage-accounting"]
        assert any("WEBSHOP" in line for line in made)
        env = {"ACME_SHOPIFY_URL": shop["url"], "ACME_SHOPIFY_TOKEN": shop["access_token"],
               "ACME_SAGE_URL": sage["url"], "ACME_SAGE_TOKEN_URL": sage["token_url"],
               "ACME_SAGE_CLIENT_ID": sage["client_id"], "ACME_SAGE_CLIENT_SECRET": sage["client_secret"],
               "ACME_SAGE_REFRESH_TOKEN": sage["refresh_token"], "ACME_SAGE_BUSINESS_ID": sage["business_id"],
               "PASSERELLE_STATE_KEY": Fernet.generate_key().decode()}
        project, state = _project(tmp_path, "shopify-sage-accounting"), str(tmp_path / "state")
        flows = ("customers_to_sage", "orders_to_sage", "payments_to_sage")
        first = {flow: run_flow(project, state, env, monkeypatch, flow) for flow in flows}
        assert first["orders_to_sage"]["created"] == 20 and first["orders_to_sage"]["failed"] == 0
        again = {flow: run_flow(project, state, env, monkeypatch, flow) for flow in flows}
        assert all(c["created"] == c["failed"] == 0 for c in again.values()), again
