"""The reference project (PrestaShop -> Sage 100) run with its state in PostgreSQL (``state:`` from the
environment) against the simulators: the database migrated by `passerelle db upgrade PROJECT`, each
order created once, the ledger in PostgreSQL (nothing in the project's folder), `failures` and `replay`
working on it, a run never migrating a database by itself."""
from __future__ import annotations

import json

import psycopg
import pytest

from pg_support import pg_state_cluster  # noqa: F401 (fixture)
from runtime_support import cli, copy_project, documents_by_reference, sent_orders, simulators


@pytest.fixture
def pg_project(tmp_path, pg_state_cluster):  # noqa: F811
    url = pg_state_cluster.create_database("reference_e2e")
    project = copy_project(tmp_path)
    endpoints = project / "endpoints.yaml"
    text = endpoints.read_text()
    endpoints.write_text(text.replace("project:\n", 'project:\n  state: "${env:PASSERELLE_STATE}"\n', 1))
    return project, url


def test_the_reference_project_runs_on_a_postgresql_state(pg_project, monkeypatch):
    project, url = pg_project
    lookups = project / "lookups.yaml"
    good = lookups.read_text()
    lookups.write_text(good.replace("      5.5: S_5\n", ""))  # some orders set aside until the table is fixed
    with simulators(orders=30) as (sb, env):
        env = {**env, "PASSERELLE_STATE": url}
        wanted = {f"PS_{i}": 1 for i in sent_orders(sb)}  # before the acknowledgements move them
        code, out, err = cli(["run", str(project)], env, monkeypatch)
        assert code == 1 and "error[state]" in err and "passerelle db upgrade" in err  # never migrated silently
        assert documents_by_reference(sb) == {}
        code, out, err = cli(["db", "upgrade", str(project)], env, monkeypatch)
        assert code == 0 and "applied 1" in out, err
        code, out, err = cli(["run", str(project)], env, monkeypatch)
        assert code == 3, err
        code, out, err = cli(["failures", str(project), "--format", "json"], env, monkeypatch)
        failed = json.loads(out)
        assert code == 0 and failed and all("no entry for 5.5" in f["reason"] for f in failed)
        lookups.write_text(good)
        code, out, err = cli(["replay", str(project)], env, monkeypatch)
        assert code == 0, err
        code, out, err = cli(["run", str(project)], env, monkeypatch)  # once more: nothing created twice
        assert code == 0, err
        assert documents_by_reference(sb) == wanted
        code, out, err = cli(["failures", str(project), "--format", "json"], env, monkeypatch)
        assert [f for f in json.loads(out) if f.get("status") is None and "no entry" in f["reason"]] == []
        code, out, err = cli(["xref", str(project), "--format", "json", "--state", url], env, monkeypatch)
        assert code == 0 and len([r for r in json.loads(out) if r["type"] == "orders"]) >= len(wanted)
        assert url.split("@")[0] not in out + err
    with psycopg.connect(url) as connection:
        rows = connection.execute("SELECT project, status, count(*) FROM passerelle.ledger "
                                  "WHERE flow = 'orders_to_sage' GROUP BY project, status").fetchall()
        history = connection.execute("SELECT kind, count(*) FROM passerelle.runs GROUP BY kind").fetchall()
    assert {project_id for project_id, _, _ in rows} == {"project"}  # the folder's name
    assert dict(history).get("run", 0) >= 2 and dict(history).get("replay", 0) >= 1  # the run history there too
    assert sum(n for _, status, n in rows if status in ("done", "acked")) == len(wanted)
    assert not (project / ".passerelle" / "state.db").exists()  # the ledger is in PostgreSQL only
