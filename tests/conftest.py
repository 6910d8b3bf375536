"""Shared test options: ``--update-golden`` rewrites golden files instead of comparing (review the diff!)."""
from __future__ import annotations

import os
import shutil
import tempfile

import pytest


def pytest_configure(config):
    """``validate`` keeps parsed spec files in a cache folder (engine/spec/yamlcache.py): the tests and
    the commands they start use a folder of their own, never the user's ~/.cache."""
    if "PASSERELLE_CACHE_DIR" not in os.environ:
        config._passerelle_cache = os.environ["PASSERELLE_CACHE_DIR"] = tempfile.mkdtemp(
            prefix="passerelle-test-cache-")


def pytest_unconfigure(config):
    made = getattr(config, "_passerelle_cache", None)
    if made:
        shutil.rmtree(made, ignore_errors=True)


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite golden expected files from the current output")


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


def pytest_collection_modifyitems(config, items):
    """Tests marked slow run first (in their collected order otherwise): with pytest-xdist's work
    stealing (`make test`), a long test then never starts last while the other workers sit idle."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
