"""A worker's jobs: a project's flow run against the simulators through the queue, each project's
own environment, hot reload per project (the last clean plan runs; a broken edit never does)."""
from __future__ import annotations

import json
import shutil

import pytest

from cluster_support import cli, queue_counts, start_worker, stop, wait_until
from engine.cli.cluster_farm import Farm
from engine.runtime.flow_worker import FlowWorker, ProjectInvalid

FLOW = "orders_to_sage"


class Events(list):
    def __call__(self, event, **fields):
        self.append({"event": event, **fields})


@pytest.fixture
def farm(tmp_path):
    farm = Farm(tmp_path / "projects", 2, orders=3).start()
    yield farm
    farm.stop()


def _sage_refs(farm, name):
    return sorted(d["Reference"] for d in farm.sandboxes[name].sim("sage100").documents)


@pytest.fixture
def pg_farm(tmp_path, jobs_database):
    """Two projects whose run state is in the cluster's PostgreSQL (``state:`` from their .env)."""
    farm = Farm(tmp_path / "projects", 2, orders=3, state=jobs_database).start()
    yield farm
    farm.stop()


@pytest.mark.slow
def test_a_worker_runs_queued_flows_of_each_project_and_status_shows_them(pg_farm, jobs_database, tmp_path):
    farm = pg_farm
    projects = farm.root
    worker = start_worker(projects, jobs_database, tmp_path / "worker.log")
    try:
        queued = cli("schedule", "--once", "--projects", str(projects), "--database", jobs_database)
        assert queued.returncode == 0, queued.stderr
        assert "2 flow run(s) queued" in queued.stderr
        assert wait_until(lambda: queue_counts(jobs_database).get("succeeded", 0) >= 2
                          and not queue_counts(jobs_database).get("todo") and not queue_counts(jobs_database).get("doing"),
                          timeout=60)
    finally:
        stop(worker)
    for name in ("client001", "client002"):
        assert _sage_refs(farm, name) == farm.expected[name]  # its own Sage, each order once
    status = cli("status", "--projects", str(projects), "--database", jobs_database, "--format", "json")
    assert status.returncode == 0, status.stderr
    rows = {(r["project"], r["flow"]): r for r in json.loads(status.stdout)}
    row = rows[("client001", FLOW)]
    assert row["last_outcome"] == "ok" and row["last_counts"]["created"] == len(farm.expected["client001"])
    assert row["ledger"]["acked"] == len(farm.expected["client001"]) and row["failures"] == 0
    assert isinstance(row["next_run"], float) and row["worker"] is None
    assert not (projects / "client001" / ".passerelle" / "state.db").exists()  # the state is in PostgreSQL
    table = cli("status", "--projects", str(projects), "--database", jobs_database)
    assert "client002" in table.stdout and "next run" in table.stdout.splitlines()[0]
    assert "postgres@" not in table.stdout + table.stderr


def test_a_worker_on_a_database_without_job_tables_says_which_command_makes_them(pg_state_cluster, tmp_path):
    url = pg_state_cluster.create_database("no_job_tables")
    done = cli("worker", "--projects", str(tmp_path), "--database", url, timeout=60)
    assert done.returncode == 1 and "has no job tables: run `passerelle jobs upgrade" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_queue_refuses_a_second_run_of_a_flow_while_one_waits(jobs_database):
    from engine.runtime.flow_jobs import enqueue, make_app

    app = make_app(jobs_database)
    with app.open():
        assert enqueue(app, "acme", FLOW) is True
        assert enqueue(app, "acme", FLOW) is False  # the queueing lock: one waiting run per flow
        assert enqueue(app, "acme", "stock_to_shop") is True
        assert enqueue(app, "globex", FLOW) is True
    assert queue_counts(jobs_database) == {"todo": 3}


def test_each_project_resolves_its_own_environment_only(farm, monkeypatch):
    # client002 has no .env: it takes the process environment, which holds client002's values;
    # client001's .env says its own, under the same names
    env2 = dict(line.split("=", 1) for line in (farm.root / "client002" / ".env").read_text().split())
    (farm.root / "client002" / ".env").unlink()
    for key, value in env2.items():
        monkeypatch.setenv(key, value)
    events = Events()
    worker = FlowWorker(farm.root, events)
    assert worker.run_flow("client001", FLOW)["created"] == 3
    assert worker.run_flow("client002", FLOW)["created"] == 3
    assert _sage_refs(farm, "client001") == farm.expected["client001"]
    assert _sage_refs(farm, "client002") == farm.expected["client002"]
    # a variable missing from a project's .env is missing, even though the process has one by that name
    env_file = farm.root / "client001" / ".env"
    env_file.write_text("".join(line + "\n" for line in env_file.read_text().splitlines()
                                if not line.startswith("ACME_SAGE_TOKEN=")))
    shutil.rmtree(farm.root / "client001" / ".passerelle")
    farm.sandboxes["client001"].sim("sage100").documents.clear()
    result = worker.run_flow("client001", FLOW)
    assert "ACME_SAGE_TOKEN" in (result["error"] or "") and result["created"] == 0
    assert farm.sandboxes["client001"].sim("sage100").documents == []


def test_a_worker_runs_the_latest_clean_plan_of_each_project(farm):
    events = Events()
    worker = FlowWorker(farm.root, events)
    assert worker.run_flow("client001", FLOW)["created"] == 3
    live = worker.pool.live("client001")
    assert live.generation == 1
    spec = farm.root / "client001" / "orders_to_sage.yaml"
    clean = spec.read_text()
    spec.write_text(clean.replace("    key: id\n", "    key: id\n    bogus_field: 1\n"))  # an invalid edit
    done = worker.run_flow("client001", FLOW)  # runs, on the last clean plan
    assert done["error"] is None and live.generation == 1
    rejected = [e for e in events if e["event"] == "plan_rejected"]
    assert rejected and rejected[-1]["project"] == "client001" and "orders_to_sage.yaml" in rejected[-1]["details"]
    spec.write_text(clean.replace("schedule: every 5m", "schedule: every 7m"))  # a clean edit goes live
    worker.run_flow("client001", FLOW)
    assert live.generation == 2 and live.current().flows[FLOW].schedule == "every 7m"
    assert worker.pool.live("client002").generation == 1  # the other project's plan is its own


def test_a_project_that_never_built_clean_runs_nothing(farm):
    spec = farm.root / "client002" / "orders_to_sage.yaml"
    spec.write_text(spec.read_text().replace("    key: id\n", "    key: id\n    bogus_field: 1\n"))
    worker = FlowWorker(farm.root, Events())
    events = worker.log
    with pytest.raises(ProjectInvalid, match=r"client002 has never built clean:\n.*orders_to_sage.yaml:\d+:\d+"):
        worker.run_flow("client002", FLOW)
    assert [e["project"] for e in events if e["event"] == "project_invalid"] == ["client002"]
    assert farm.sandboxes["client002"].sim("sage100").documents == []
    assert worker.run_flow("client001", FLOW)["created"] == 3
