"""The last-item race with the run state in PostgreSQL (`project.state` from the environment): the
reservation's intent (`reserving`), the document's (`pending`) and the refusal (`refused`) go through the
PostgreSQL store as through SQLite — 50 orders for the last 10 items, 8 in flight: 10 confirmed, 40
cancelled and told, every order final in the PostgreSQL ledger, and a second run changes nothing."""
from __future__ import annotations

from collections import Counter

import pytest

from engine.runtime.store_open import locate, reading

from pg_support import pg_state_cluster  # noqa: F401 (fixture)
from reserve_support import deliver, outcome, project_copy, race
from runtime_support import cli

pytestmark = pytest.mark.slow  # starts the session's PostgreSQL cluster


def test_the_race_with_a_postgresql_state(tmp_path, monkeypatch, pg_state_cluster):  # noqa: F811
    url = pg_state_cluster.create_database("reserve_race")
    project = project_copy(tmp_path, concurrency=8)
    endpoints = project / "endpoints.yaml"
    endpoints.write_text(endpoints.read_text().replace("project:\n", 'project:\n  state: "${env:PASSERELLE_STATE}"\n', 1))
    with race(orders=50, stock=10, latency_ms=10) as (sb, env, ids):
        env = {**env, "PASSERELLE_STATE": url}
        run = lambda argv, e: cli(argv, e, monkeypatch)  # noqa: E731
        code, out, err = cli(["db", "upgrade", str(project)], env, monkeypatch)
        assert code == 0, err
        code, err = deliver(project, None, env, run)
        assert code == 0 and "50 read, 10 created" in err and "40 refused" in err, err
        got = outcome(sb)
        assert len(got["confirmed"]) == 10 and len(got["cancelled"]) == 40 and got["told"] == got["cancelled"]
        assert got["available"] == 0 and got["never_negative"] and len(got["history"]) == 10
        with reading(locate(project, {"state": url}, None)) as state:  # the project's rows (row-level security)
            entries = state.entries("orders_to_sage")
        assert Counter(e.status for e in entries) == {"acked": 10, "refused": 40}
        assert not (tmp_path / "project" / ".passerelle" / "state.db").exists()  # nothing kept in SQLite
        code, err = deliver(project, None, env, run)
        assert code == 0, err
        again = outcome(sb)
        assert again["history"] == got["history"] and again["notes"] == got["notes"]
