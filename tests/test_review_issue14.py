"""Issue 14's catalogue templates tried as a consultant would, mistakes made on purpose: each message
must say where and what (review of issue 14)."""
from __future__ import annotations

import shutil

import pytest

from support import ROOT


def test_a_misspelt_environment_variable_is_named_with_the_one_that_is_set(tmp_path):
    """`ACME_PS_KYE` in endpoints.yaml with ACME_PS_KEY in .env said only "ACME_PS_KYE is not set"."""
    from engine.plan.load import load_plan
    from engine.runtime.endpoints import ConfigError, resolve_settings

    project = tmp_path / "p"
    shutil.copytree(ROOT / "specs" / "examples" / "sage100sql-prestashop", project,
                    ignore=shutil.ignore_patterns(".passerelle"))
    endpoints = project / "endpoints.yaml"
    endpoints.write_text(endpoints.read_text(encoding="utf-8").replace("ACME_PS_KEY", "ACME_PS_KYE"), encoding="utf-8")
    environ = {"ACME_PS_URL": "http://127.0.0.1:1", "ACME_PS_KEY": "K" * 32, "PATH": "/bin"}
    with pytest.raises(ConfigError) as caught:
        resolve_settings(load_plan(project), "shop", environ)
    message = str(caught.value)
    assert "endpoints.yaml:21:" in message and "environment variable ACME_PS_KYE is not set" in message
    assert "did you mean ACME_PS_KEY" in message and "K" * 32 not in message
    environ.pop("ACME_PS_KEY")
    with pytest.raises(ConfigError) as caught:
        resolve_settings(load_plan(project), "shop", environ)
    assert "did you mean" not in str(caught.value)
