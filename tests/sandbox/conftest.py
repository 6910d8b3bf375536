"""Fixtures: one read-only sandbox with 250 orders per session, fresh sandboxes for writes."""
from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from passerelle_sandbox import Sandbox
from sandbox_helpers import ps_client, sage_client


@pytest.fixture(scope="session")
def big() -> Iterator[Sandbox]:
    """250 orders; tests using it must not write."""
    with Sandbox(seed=1, orders=250) as sandbox:
        yield sandbox


@pytest.fixture()
def fresh() -> Iterator[Sandbox]:
    with Sandbox(seed=1, orders=20) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def ps(big: Sandbox) -> Iterator[httpx.Client]:
    with ps_client(big) as client:
        yield client


@pytest.fixture()
def ps_w(fresh: Sandbox) -> Iterator[httpx.Client]:
    with ps_client(fresh) as client:
        yield client


@pytest.fixture()
def sage(fresh: Sandbox) -> Iterator[httpx.Client]:
    with sage_client(fresh) as client:
        yield client
