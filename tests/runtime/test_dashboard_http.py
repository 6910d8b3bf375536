"""The operator dashboard over real HTTP (uvicorn on 127.0.0.1): the token (Bearer, login cookie), CSRF on
replay, ``/healthz`` without a token, the dashboard refused without a configured token, and the canary:
no page ever shows a secret, even when the target echoes the credential in the reasons it gives."""
from __future__ import annotations

import re
import sqlite3
import time

import pytest

from engine.spec.env import Secret
from runtime_support import copy_project, simulators
from secrets_support import assert_clean, canary, echo_credentials
from web_support import client, served, session_for

TOKEN = "a-dashboard-token-long-enough-0123"
FLOW = "orders_to_sage"


def _routes(session, environ):
    from engine.web.dashboard import DashboardContext, dashboard_routes
    return dashboard_routes(DashboardContext(session, environ=environ, queue_status=lambda: (3, 42.5)))


@pytest.fixture
def dashboard(tmp_path):
    """A served dashboard on a project that ran once against the simulators (one order refused)."""
    project = copy_project(tmp_path)
    lookups = project / "lookups.yaml"
    lookups.write_text(lookups.read_text().replace("10: S_10", "10: S_99"))  # a tax code Sage does not know
    with simulators(orders=20) as (sb, env):
        session = session_for(project, tmp_path / "state", env)
        try:
            session.run_flows([FLOW])
            with served(_routes(session, {"PASSERELLE_DASHBOARD_TOKEN": TOKEN})) as base:
                yield base, session, sb
        finally:
            session.close()


def _csrf(text: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', text).group(1)


def test_the_token_is_needed_for_everything_but_the_health_check(dashboard):
    base, session, _ = dashboard
    anonymous = client(base)
    health = anonymous.get("/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "ok" and health.json()["plan"]["version"] == session.live.version
    assert health.json()["state"] == {"reachable": True}
    for path in ("/", "/dead-letter", f"/flows/{FLOW}"):
        answer = anonymous.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")
    assert anonymous.get("/metrics").status_code == 401
    assert anonymous.get("/metrics").headers["www-authenticate"].startswith("Bearer")
    assert client(base, "wrong-token-of-the-same-length-xx").get("/metrics").status_code == 401
    assert anonymous.post("/replay", data={"flow": FLOW}).status_code == 401
    metrics = client(base, TOKEN).get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert 'passerelle_dead_letter_records{flow="orders_to_sage"}' in metrics.text
    assert "passerelle_queue_depth 3" in metrics.text and "passerelle_queue_oldest_age_seconds 42.5" in metrics.text


def test_logging_in_sets_an_http_only_same_site_cookie_that_is_not_the_token(dashboard):
    base, _, _ = dashboard
    person = client(base)
    refused = person.post("/login?next=/dead-letter", data={"token": "not-it"})
    assert refused.status_code == 401 and "not the dashboard" in refused.text and "not-it" not in refused.text
    answer = person.post("/login?next=/dead-letter", data={"token": TOKEN})
    assert answer.status_code == 303 and answer.headers["location"] == "/dead-letter"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and TOKEN not in cookie
    assert person.get("/dead-letter").status_code == 200
    assert person.get("/metrics").status_code == 200
    outside = person.post("/login?next=//evil.example/", data={"token": TOKEN})
    assert outside.headers["location"] == "/"  # never sent to another site


def test_replay_needs_the_page_csrf_token_and_a_same_origin_form(dashboard):
    base, session, sb = dashboard
    operator = client(base, TOKEN)
    (entry, *_) = session.state.entries(FLOW, "failed")
    documents = len(sb.sim("sage100").documents)
    assert operator.post("/replay", data={"flow": FLOW, "key": entry.key}).status_code == 403
    csrf = _csrf(operator.get("/").text)
    foreign = operator.post("/replay", data={"flow": FLOW, "key": entry.key, "csrf": csrf},
                            headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403
    assert len(sb.sim("sage100").documents) == documents  # nothing was sent
    unknown = operator.post("/replay", data={"flow": FLOW, "key": "no-such-order", "csrf": csrf})
    assert unknown.status_code == 409 and "no record &#x27;no-such-order&#x27; is set aside" in unknown.text
    again = operator.post("/replay", data={"flow": FLOW, "key": entry.key, "csrf": csrf})  # the cause is not fixed
    assert again.status_code == 200 and "0 created, 1 set aside again" in again.text
    assert len(sb.sim("sage100").documents) == documents
    assert session.state.runs(FLOW, limit=1)[0].kind == "replay"


def test_without_a_token_the_dashboard_is_refused_and_the_health_check_served(tmp_path):
    project = copy_project(tmp_path)
    events = []
    with simulators(orders=2) as (sb, env):
        session = session_for(project, tmp_path / "state", env, log=lambda event, **f: events.append((event, f)))
        try:
            for environ, why in (({}, "PASSERELLE_DASHBOARD_TOKEN is not set"),
                                 ({"PASSERELLE_DASHBOARD_TOKEN": "short"}, "shorter than 16 characters")):
                with served(_routes(session, environ)) as base:
                    anonymous = client(base)
                    assert anonymous.get("/healthz").status_code == 200
                    for path in ("/", "/metrics", "/dead-letter"):
                        answer = anonymous.get(path)
                        assert answer.status_code == 503 and why in answer.text, answer.text
                    assert "short" not in anonymous.get("/").text.replace("shorter", "")
                assert events[-1][0] == "dashboard_disabled" and why in events[-1][1]["reason"]
        finally:
            session.close()


def test_the_project_names_the_token_variable(tmp_path):
    project = copy_project(tmp_path)
    settings = project / "endpoints.yaml"
    text = settings.read_text()
    assert "project:" in text
    settings.write_text(text.replace("project:\n", "project:\n  dashboard: { token_env: ACME_DASHBOARD }\n", 1))
    with simulators(orders=2) as (sb, env):
        session = session_for(project, tmp_path / "state", env)
        try:
            with served(_routes(session, {"ACME_DASHBOARD": TOKEN})) as base:
                assert client(base, TOKEN).get("/").status_code == 200
            with served(_routes(session, {"PASSERELLE_DASHBOARD_TOKEN": TOKEN})) as base:
                assert "ACME_DASHBOARD is not set" in client(base, TOKEN).get("/").text
        finally:
            session.close()


def test_no_page_ever_shows_a_secret(tmp_path):
    """Canary credentials; Sage echoes the token it received in every error; orders refused (an unknown tax
    code), replayed from the page (refused again); a reason kept unscrubbed in the state (a state written
    by another process) — every page, the metrics, the health check and the replay result are clean."""
    secrets = {"ACME_PS_KEY": canary(32), "ACME_SAGE_TOKEN": canary(48), "PASSERELLE_DASHBOARD_TOKEN": canary(40)}
    project = copy_project(tmp_path)
    lookups = project / "lookups.yaml"
    lookups.write_text(lookups.read_text().replace("10: S_10", "10: S_99"))
    options = {"prestashop": {"key": secrets["ACME_PS_KEY"]}, "sage100": {"token": secrets["ACME_SAGE_TOKEN"]}}
    with simulators(orders=30, options=options) as (sb, env):
        echo_credentials(sb.sim("sage100"))
        session = session_for(project, tmp_path / "state", {**env, **secrets})
        try:
            (summary,) = session.run_flows([FLOW])
            reasons = [e.reason for e in session.state.entries(FLOW, "failed")]
            assert summary.failed and all("credential received: ***" in r for r in reasons), reasons
            with sqlite3.connect(tmp_path / "state" / "state.db") as db:  # kept by a process that knew no secret
                db.execute("INSERT INTO ledger (flow, key, status, reason, loc, attempts, updated_at) VALUES "
                           "(?, 'X-1', 'failed', ?, NULL, 1, ?)",
                           (FLOW, f"refused: token {secrets['ACME_SAGE_TOKEN']} is wrong", time.time()))
            Secret(secrets["ACME_SAGE_TOKEN"])  # as serve knows it once its endpoints are open
            with served(_routes(session, {"PASSERELLE_DASHBOARD_TOKEN": secrets["PASSERELLE_DASHBOARD_TOKEN"]})) \
                    as base:
                operator = client(base, secrets["PASSERELLE_DASHBOARD_TOKEN"])
                pages = {path: operator.get(path) for path in
                         ["/", "/dead-letter", f"/dead-letter?flow={FLOW}", "/metrics", "/healthz", "/login",
                          "/static/dashboard.css", "/static/dashboard.js"]
                         + [f"/flows/{name}" for name in session.live.current().flows]}
                csrf = _csrf(pages["/"].text)
                pages["replay one"] = operator.post("/replay", data={"flow": FLOW, "key": reasons and session.state
                                                    .entries(FLOW, "failed")[0].key, "csrf": csrf})
                pages["replay all"] = operator.post("/replay", data={"flow": FLOW, "csrf": csrf})
                pages["login refused"] = client(base).post("/login", data={"token": secrets["ACME_PS_KEY"]})
                assert "credential received: ***" in pages["/dead-letter"].text  # the echo reached the page, masked
                assert "refused: token *** is wrong" in pages["/dead-letter"].text
                assert "set aside again" in pages["replay all"].text
                for where, answer in pages.items():
                    assert answer.status_code in (200, 401, 409), (where, answer.status_code)
                    assert_clean(f"dashboard {where}", answer.content, secrets)
                    for header, value in answer.headers.items():
                        if header != "set-cookie":
                            assert_clean(f"header {header} of {where}", value, secrets)
        finally:
            session.close()


def test_a_replay_while_the_flow_runs_says_so_and_sends_nothing(dashboard):
    base, session, sb = dashboard
    operator = client(base, TOKEN)
    csrf = _csrf(operator.get("/").text)
    documents = len(sb.sim("sage100").documents)
    with session.flow_lease(FLOW):  # serve is running the flow at this moment
        busy = operator.post("/replay", data={"flow": FLOW, "csrf": csrf})
    assert busy.status_code == 409 and "is in use by" in busy.text and "replay again in a moment" in busy.text
    assert len(sb.sim("sage100").documents) == documents
    assert operator.post("/replay", data={"flow": "no_such_flow", "csrf": csrf}).status_code == 404
