"""``passerelle status --projects DIR --listen``: the cluster's status over real HTTP, behind the
dashboard token, after a worker ran each project's flow (a real PostgreSQL holds jobs and run state)."""
from __future__ import annotations

import json

import httpx
import pytest

from cluster_support import cli, queue_counts, start_worker, stop, wait_until
from engine.cli.cluster import status_server
from engine.cli.cluster_farm import Farm
from engine.errors import OperatorError

FLOW = "orders_to_sage"
TOKEN = "cluster-dashboard-token-0123456789"
CANARY = "canary-secret-7f3a9c1e5b"


@pytest.fixture
def farm3(tmp_path, jobs_database):
    farm = Farm(tmp_path / "projects", 3, orders=2, state=jobs_database).start()
    yield farm
    farm.stop()


def _env_values(projects) -> set[str]:
    values = set()
    for env in projects.glob("*/.env"):
        for line in env.read_text("utf-8").splitlines():
            name, _, value = line.partition("=")
            if len(value) >= 8:
                values.add(value)
    return values


@pytest.mark.slow
def test_the_status_page_lists_each_project_and_flow_behind_the_token(farm3, jobs_database, tmp_path):
    projects = farm3.root
    for env in projects.glob("*/.env"):  # a secret the page must never show
        env.write_text(env.read_text("utf-8") + f"SHOP_CANARY={CANARY}\n", encoding="utf-8")
    worker = start_worker(projects, jobs_database, tmp_path / "worker.log")
    try:
        queued = cli("schedule", "--once", "--projects", str(projects), "--database", jobs_database)
        assert queued.returncode == 0, queued.stderr
        assert wait_until(lambda: queue_counts(jobs_database).get("succeeded", 0) >= 3
                          and not queue_counts(jobs_database).get("todo") and not queue_counts(jobs_database).get("doing"),
                          timeout=90)
    finally:
        stop(worker)
    server = status_server(projects, jobs_database, "127.0.0.1:0", environ={"PASSERELLE_DASHBOARD_TOKEN": TOKEN})
    try:
        base, auth = server.url, {"Authorization": f"Bearer {TOKEN}"}
        assert httpx.get(f"{base}/").status_code == 401
        assert httpx.get(f"{base}/status.json").status_code == 401
        assert httpx.get(f"{base}/status.json", headers={"Authorization": "Bearer not-the-token-at-all"}).status_code == 401
        health = httpx.get(f"{base}/healthz")
        assert health.status_code == 200 and health.json()["status"] == "ok"

        page = httpx.get(f"{base}/", headers=auth)
        assert page.status_code == 200 and "/static/dashboard.css" in page.text
        for name in ("client001", "client002", "client003"):
            created = len(farm3.expected[name])
            row = page.text.split(f'<tr data-project="{name}" data-flow="{FLOW}">', 1)[1].split("</tr>", 1)[0]
            assert f"{created} created" in row and 'class="badge ok"' in row
            assert f'data-metric="in-target">{created}<' in row

        listed = httpx.get(f"{base}/status.json", headers=auth).json()
        cli_rows = json.loads(cli("status", "--projects", str(projects), "--database", jobs_database,
                                  "--format", "json").stdout)
        assert [(r["project"], r["flow"], r["last_counts"], r["ledger"]) for r in listed] == \
            [(r["project"], r["flow"], r["last_counts"], r["ledger"]) for r in cli_rows]  # one source of truth

        # a person logs in with the token: the cookie opens the page
        with httpx.Client(base_url=base) as browser:
            assert browser.post("/login", data={"token": "wrong-token-wrong-token"}).status_code == 401
            assert browser.post("/login", data={"token": TOKEN}, follow_redirects=True).status_code == 200
            assert "client003" in browser.get("/").text

        shown = page.text + json.dumps(listed)
        assert CANARY not in shown and TOKEN not in shown
        for value in _env_values(projects):
            assert value not in shown, "a value of a project's .env is on the status page"
    finally:
        server.stop()


def test_the_status_server_refuses_to_start_without_a_token(jobs_database, tmp_path):
    with pytest.raises(OperatorError, match="PASSERELLE_DASHBOARD_TOKEN is not set"):
        status_server(tmp_path, jobs_database, "127.0.0.1:0", environ={})
    with pytest.raises(OperatorError, match="shorter than"):
        status_server(tmp_path, jobs_database, "127.0.0.1:0", environ={"PASSERELLE_DASHBOARD_TOKEN": "short"})


def test_the_command_serves_until_stopped_and_warns_when_other_machines_can_reach_it(jobs_database, tmp_path):
    import subprocess
    import sys

    from cluster_support import ENV

    command = [sys.executable, "-m", "engine", "status", "--projects", str(tmp_path), "--database", jobs_database]
    refused = cli(*command[3:], "--listen", "127.0.0.1:0")  # no token in the environment: nothing listens
    assert refused.returncode == 1 and "PASSERELLE_DASHBOARD_TOKEN is not set" in refused.stderr
    env = {**ENV, "PASSERELLE_DASHBOARD_TOKEN": TOKEN}
    process = subprocess.Popen([*command, "--listen", "0.0.0.0:0"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        started = process.stderr.readline()
        assert " on http://0.0.0.0:" in started, started
        assert "reachable from other machines" in process.stderr.readline()
        port = started.split("http://0.0.0.0:", 1)[1].split("/", 1)[0]
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").json()["status"] == "ok"
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 401
    finally:
        process.terminate()
        assert process.wait(30) == 0
        rest = process.stderr.read()
        process.stderr.close()
    assert "Traceback" not in rest and "postgres@" not in started + rest


def test_the_status_table_escapes_what_it_shows_and_says_what_waits():
    from engine.runtime.cluster_status import FlowStatus
    from engine.web.cluster_dashboard import status_table

    rows = [FlowStatus("<script>alert(1)</script>", "orders&more", "every 5m", last_run=1_700_000_000.0,
                       last_outcome="records", last_counts={"created": 2, "failed": 1}, next_run="queued",
                       ledger={"acked": 2, "failed": 1}, failures=1, worker="worker 3 since 10:00:00"),
            FlowStatus("beta", "stock", None)]
    page = status_table(rows)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "orders&amp;more" in page
    assert "2 created, 1 failed" in page and "records set aside" in page and ">queued<" in page
    assert '<span class="num bad">1</span>' in page and "worker 3 since 10:00:00" in page
    assert "never ran" in page and "Flows of 2 projects" in page
