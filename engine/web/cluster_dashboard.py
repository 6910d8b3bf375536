"""The cluster's dashboard: ``passerelle status --projects DIR --listen HOST:PORT`` over HTTP.

The rows are those of ``passerelle status`` (:func:`engine.runtime.cluster_status.collect`, computed
again on every request: a reload of the page is a fresh status). Routes:

``/``              the status table across projects, server-rendered, every text escaped, the style
                   sheet of the project dashboard (:mod:`engine.web.dashboard_html`);
``/status.json``   the same rows as ``passerelle status --format json``;
``/login``         the cookie for a person; ``POST /logout`` ends it;
``/healthz``       no token: ``{"status": "ok"}`` when the jobs database answers, else 503.

Everything but ``/healthz`` needs the token (:mod:`engine.web.auth`: ``Authorization: Bearer TOKEN``
or the login cookie); without it ``/status.json`` answers 401 and ``/`` 401 with the login form.
No project's ``.env`` value is ever on a page: the rows carry names, times and counts only.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from engine.errors import OperatorError
from engine.runtime.cluster_status import FlowStatus
from engine.util.jsonout import dumps
from engine.web import dashboard_html as html
from engine.web.auth import Guard
from engine.web.dashboard import HEADERS, sign_in_routes
from engine.web.dashboard_pages import login_page

TITLE = "Cluster status"
SCOPE = "all projects"


def _counts(row: FlowStatus) -> str:
    if row.last_run is None:
        return "—"
    return escape(", ".join(f"{v} {k}" for k, v in (row.last_counts or {}).items()) or "nothing new")


def _next(row: FlowStatus) -> str:
    if isinstance(row.next_run, str):
        return f'<span class="badge">{escape(row.next_run)}</span>'
    if row.next_run is None:
        return "on demand"
    return html.when(row.next_run)


def _outcome(row: FlowStatus) -> str:
    if row.last_outcome is None:
        return '<span class="badge">never ran</span>'
    words = html.OUTCOMES.get(row.last_outcome, row.last_outcome)
    return f'<span class="badge {escape(row.last_outcome)}">{escape(words)}</span>'


def status_table(rows: list[FlowStatus]) -> str:
    """The rows as the page's table: per project and flow, last run, next run, counts, failures, worker."""
    head = ("Project", "Flow", "Schedule", "Last run", "Outcome", "Last run counts", "In target", "Dead letter",
            "Next run", "Running on")
    body = []
    for row in rows:
        in_target = sum(v for k, v in (row.ledger or {}).items() if k in ("done", "acked"))
        dead = f'<span class="num bad">{row.failures}</span>' if row.failures else '<span class="num">0</span>'
        body.append(
            f'<tr data-project="{escape(row.project)}" data-flow="{escape(row.flow)}">'
            f'<th scope="row">{escape(row.project)}</th><td>{escape(row.flow)}</td>'
            f"<td>{escape(row.schedule or 'on demand')}</td><td>{html.when(row.last_run)}</td>"
            f'<td>{_outcome(row)}</td><td class="counts">{_counts(row)}</td>'
            f'<td class="num" data-metric="in-target">{in_target}</td><td data-metric="dead-letter">{dead}</td>'
            f"<td>{_next(row)}</td><td>{escape(row.worker or '—')}</td></tr>")
    if not body:
        return '<section id="flows"><h2>Flows</h2><p class="muted">No project with flows in this folder.</p></section>'
    heads = "".join(f'<th scope="col">{h}</th>' for h in head)
    projects = len({row.project for row in rows})
    return (f'<section id="flows"><h2>Flows of {projects} project{"s" if projects != 1 else ""}</h2>'
            f'<div class="scroll"><table class="flows"><thead><tr>{heads}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>"
            '<p class="muted">Reload the page for a fresh status; the same rows as JSON: '
            '<a href="/status.json">/status.json</a>.</p></section>')


def cluster_routes(rows: Callable[[], list[FlowStatus]], healthy: Callable[[], tuple[bool, dict]],
                   guard: Guard) -> list[BaseRoute]:
    """The routes; ``rows`` computes the status (called on each request, from a worker thread),
    ``healthy`` says whether the jobs database answers."""
    def authenticated(request: Request) -> bool:
        return guard.authenticated(request)

    def unavailable(exc: OperatorError) -> Response:
        return PlainTextResponse(f"error[status] {exc}\n", 503, headers=HEADERS)

    def page(request: Request) -> Response:
        if not authenticated(request):
            return HTMLResponse(html.layout("Log in", login_page("/"), project=SCOPE, signed_in=False), 401,
                                headers={**HEADERS, "WWW-Authenticate": 'Bearer realm="passerelle"'})
        try:
            table = status_table(rows())
        except OperatorError as exc:  # the jobs database is down: said, with its URL masked
            return unavailable(exc)
        body = f"<h1>{TITLE}</h1>{table}" + (
            f'<form method="post" action="/logout" class="inline"><input type="hidden" name="csrf" '
            f'value="{escape(guard.csrf)}"><button type="submit" class="link">Log out</button></form>')
        return HTMLResponse(html.layout(TITLE, body, project=SCOPE, signed_in=False), headers=HEADERS)

    def as_json(request: Request) -> Response:
        if not authenticated(request):
            return PlainTextResponse("a token is needed: Authorization: Bearer TOKEN\n", 401,
                                     headers={**HEADERS, "WWW-Authenticate": 'Bearer realm="passerelle"'})
        try:
            found = rows()
        except OperatorError as exc:
            return unavailable(exc)
        return Response(dumps([r.as_json() for r in found], indent=2), media_type="application/json", headers=HEADERS)

    def healthz(request: Request) -> Response:
        ok, checks = healthy()
        return Response(json.dumps(checks), 200 if ok else 503, media_type="application/json",
                        headers={"Cache-Control": "no-store"})

    return [Route("/healthz", healthz, methods=["GET"]), Route("/", page, methods=["GET"]),
            Route("/status.json", as_json, methods=["GET"]), *sign_in_routes(guard, lambda: SCOPE)]


def database_health(connect: Callable[[], Any]) -> Callable[[], tuple[bool, dict]]:
    """``/healthz``: one ``SELECT 1`` on the jobs database (its URL is never in the answer)."""
    def healthy() -> tuple[bool, dict]:
        try:
            with connect() as connection:
                connection.execute("SELECT 1")
        except Exception:  # noqa: BLE001 — any failure to answer is "unreachable"; the reason may hold the URL
            return False, {"status": "unavailable", "jobs_database": "unreachable"}
        return True, {"status": "ok", "jobs_database": "ok"}
    return healthy


__all__ = ["cluster_routes", "database_health", "status_table"]
