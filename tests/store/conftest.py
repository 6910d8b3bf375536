"""The state store under test, on both backends: ``store`` is parametrised over the embedded SQLite file
and a PostgreSQL database the tests start themselves (``pg_support``: a temporary cluster; under
``CI=true`` or ``PASSERELLE_REQUIRE_PG=1`` a missing PostgreSQL fails instead of skipping).

One migrated database per test module (``pg_database``); each test is its own project in it, so the
tests also run beside other projects' rows, as a shared database holds them."""
from __future__ import annotations

import re
import uuid

import pytest

from pg_support import pg_state_cluster  # noqa: F401 (fixture)

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="module")
def pg_database(pg_state_cluster, request) -> str:  # noqa: F811
    """A database migrated by `db upgrade`'s code, for this module; its URL."""
    from engine.runtime import pg_schema

    name = "state_" + re.sub(r"\W", "_", request.module.__name__)[-40:]
    url = pg_state_cluster.create_database(name)
    connection = pg_schema.connect(url)
    try:
        pg_schema.upgrade(connection, url)
    finally:
        connection.close()
    return url


class Backend:
    """Opens stores on one state (a second store on it is what another process would hold)."""

    def __init__(self, kind: str, tmp_path, request):
        self.kind = kind
        self.path = tmp_path / "state" / "state.db"
        self.url = request.getfixturevalue("pg_database") if kind == "postgresql" else None
        self.project = f"project-{uuid.uuid4().hex[:12]}"
        self.opened: list = []

    def open(self, project: str | None = None):
        if self.kind == "sqlite":
            from engine.runtime.state import SqliteStore

            store = SqliteStore(self.path if project is None else self.path.parent / project / "state.db")
        else:
            from engine.runtime.pg_store import PostgresStore

            store = PostgresStore(self.url, project or self.project)
        self.opened.append(store)
        return store

    def close(self) -> None:
        for store in self.opened:
            store.close()


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path):
    opened = Backend(request.param, tmp_path, request)
    yield opened
    opened.close()


@pytest.fixture
def store(backend):
    return backend.open()
