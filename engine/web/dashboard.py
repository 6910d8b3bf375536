"""The operator dashboard of ``passerelle serve``, ``/healthz`` and ``/metrics``, as Starlette routes.

:func:`dashboard_routes` gives the routes; the server (``engine/web/server.py``) mounts them in its
Starlette app, which uvicorn serves on 127.0.0.1 unless told otherwise. Pages:

``/``                 flows (schedule, last run and its counts, records in the target, dead letter, next run),
                      the live plan (version, generation, last change, a reload held back), the webhook
                      queue (depth, age of the oldest event), the last runs;
``/flows/NAME``       one flow: its ledger, its runs, its dead letter;
``/dead-letter``      every record set aside with its reason and spec location, refused updates and
                      removals, each with a Replay button, and Replay all per flow;
``POST /replay``      ``replay`` of one record (``key``) or of all of a flow, exactly as ``passerelle replay``
                      does it (same function, under the flow's lease); the result is shown;
``/healthz``          no token: 200 with ``{"status": "ok"}`` when a plan is loaded and the state store
                      answers, else 503 saying which;
``/metrics``          Prometheus' text format (:mod:`engine.web.metrics`);
``/login``, ``POST /logout``  the cookie for a person (:mod:`engine.web.auth`).

Everything but ``/healthz`` needs the token (:mod:`engine.web.auth`); without a configured token
those routes answer 503 with the reason and the dashboard logs ``dashboard_disabled``.
"""
from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from engine.web import dashboard_data as data
from engine.web import dashboard_html as html
from engine.web.auth import DashboardDisabled, Guard, dashboard_token
from engine.web.dashboard_pages import flow_page, login_page, overview_page, dead_letter_page, replay_banner
from engine.web.dashboard_replay import replay_from_page
from engine.web.metrics import CONTENT_TYPE, RunMetrics, exposition

HEADERS = {"Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; "
                                      "base-uri 'none'",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}
MAX_FORM = 16 * 1024  # bytes a dashboard form may send


@dataclass
class DashboardContext:
    """What the pages need of the serving process.

    ``session``: the :class:`engine.runtime.session.Session` of ``serve`` (live plan, state store,
    project folder; replays run through it). ``queue_status``: a callable ``() -> (depth, oldest_age)``
    giving the number of webhook events accepted and not processed yet and the age in seconds of the
    oldest one (``None`` when the queue is empty); it is called on every page and scrape, from a worker
    thread, and must be cheap and thread-safe. ``environ``: where the token is read (default the process
    environment)."""

    session: Any
    queue_status: Callable[[], tuple[int, float | None]] = data.no_queue
    environ: Mapping[str, str] | None = None
    metrics: RunMetrics = field(default_factory=RunMetrics)


def dashboard_routes(context: DashboardContext) -> list[BaseRoute]:
    """The dashboard's routes, ``/healthz`` always among them."""
    session = context.session
    health = Route("/healthz", _healthz(session), methods=["GET"])
    try:
        guard = Guard(dashboard_token(os.environ if context.environ is None else context.environ,
                                      session.live.current().settings))
    except DashboardDisabled as exc:
        session.log("dashboard_disabled", reason=str(exc))
        refuse = _disabled(str(exc))
        refused: list[BaseRoute] = [Route(path, refuse, methods=["GET", "POST"]) for path in
                                    ("/", "/metrics", "/dead-letter", "/flows/{flow}", "/replay", "/login", "/logout")]
        return [health, *refused]
    return [health, *_Dashboard(context, guard).routes()]


def _healthz(session: Any) -> Callable[[Request], Response]:
    def healthz(request: Request) -> Response:
        ok, checks = data.health(session)
        return Response(json.dumps(checks), 200 if ok else 503, media_type="application/json",
                        headers={"Cache-Control": "no-store"})
    return healthz


def _disabled(reason: str) -> Callable[[Request], Response]:
    def disabled(request: Request) -> Response:
        return PlainTextResponse(f"error[dashboard] {reason}\n", 503, headers=HEADERS)
    return disabled


def _static(name: str, media_type: str) -> Callable[[Request], Response]:
    body = resources.files("engine.web").joinpath(name).read_bytes()

    def static(request: Request) -> Response:
        return Response(body, media_type=media_type, headers={**HEADERS, "Cache-Control": "max-age=300"})
    return static


async def _form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (the dashboard's forms), first value of each name."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            return {}
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


def sign_in_routes(guard: Guard, project: Callable[[], str],
                   log: Callable[..., None] = lambda event, **fields: None) -> list[BaseRoute]:
    """``/login`` (GET the form, POST the token: a cookie, then back to ``?next=``, a page of this
    dashboard only; a wrong token costs half a second and is logged), ``/logout`` (CSRF-checked) and the
    page's style and script — shared by the project dashboard and the status across projects."""
    async def login(request: Request) -> Response:
        target = request.query_params.get("next") or "/"
        if not target.startswith("/") or target.startswith("//"):
            target = "/"  # only a page of this dashboard
        if request.method == "GET":
            return HTMLResponse(html.layout("Log in", login_page(target), project=project(), signed_in=False),
                                headers=HEADERS)
        form = await _form(request)
        if guard.valid_token(form.get("token", "")):
            response = RedirectResponse(target, 303, headers=HEADERS)
            guard.log_in(response, request)
            return response
        await asyncio.sleep(0.5)  # a wrong token costs time: guessing is slow
        log("dashboard_login_refused", client=request.client.host if request.client else None)
        return HTMLResponse(html.layout("Log in", login_page(target, "This token is not the dashboard's."),
                                        project=project(), signed_in=False), 401, headers=HEADERS)

    async def logout(request: Request) -> Response:
        form = await _form(request)
        if not guard.form_allowed(request, form):
            return PlainTextResponse("CSRF check failed: reload the page\n", 403, headers=HEADERS)
        response = RedirectResponse("/login", 303, headers=HEADERS)
        guard.log_out(response)
        return response

    return [Route("/login", login, methods=["GET", "POST"]), Route("/logout", logout, methods=["POST"]),
            Route("/static/dashboard.css", _static("dashboard.css", "text/css"), methods=["GET"]),
            Route("/static/dashboard.js", _static("dashboard.js", "text/javascript"), methods=["GET"])]


class _Dashboard:
    def __init__(self, context: DashboardContext, guard: Guard):
        self.context, self.session, self.guard = context, context.session, guard

    def routes(self) -> list[BaseRoute]:
        return [Route("/", self.guarded(self.overview), methods=["GET"]),
                Route("/flows/{flow}", self.guarded(self.flow), methods=["GET"]),
                Route("/dead-letter", self.guarded(self.dead_letter), methods=["GET"]),
                Route("/replay", self.replay, methods=["POST"]),
                Route("/metrics", self.metrics, methods=["GET"]),
                *sign_in_routes(self.guard, lambda: self.project, self.session.log)]

    # -- pages ------------------------------------------------------------------------------------
    @property
    def project(self) -> str:
        name = self.session.live.current().settings.get("name")
        return name if isinstance(name, str) and name else self.session.project_dir.name

    def page(self, title: str, body: str, active: str = "", refresh: str = "", status: int = 200) -> Response:
        text = html.layout(title, body, project=self.project, active=active, csrf=self.guard.csrf, refresh=refresh)
        return HTMLResponse(text, status, headers=HEADERS)

    def guarded(self, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def checked(request: Request) -> Response:
            if not self.guard.authenticated(request):
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target, safe='')}", 303, headers=HEADERS)
            return handler(request)
        return checked

    def overview(self, request: Request) -> Response:
        depth, oldest = self.context.queue_status()
        flows = data.flows(self.session)
        body = overview_page(flows, data.plan_status(self.session), depth, oldest, data.recent_runs(self.session),
                             {row.name: row.dead for row in flows})
        return self.page("Overview", body, "overview", refresh="/")

    def flow(self, request: Request) -> Response:
        name = request.path_params["flow"]
        rows = [row for row in data.flows(self.session) if row.name == name]
        if not rows:
            return self.page("No such flow", f"<h1>No flow named <code>{html.escape(name)}</code></h1>"
                             '<p><a href="/">Back to the overview</a></p>', status=404)
        return self.page(f"Flow {name}", self.flow_body(rows[0]), refresh=f"/flows/{quote(name)}")

    def flow_body(self, row: data.FlowRow, banner: str = "") -> str:
        entries, totals = data.dead_letter(self.session, row.name)
        return flow_page(row, data.recent_runs(self.session, row.name, 50), entries, totals, self.guard.csrf, banner)

    def dead_letter(self, request: Request) -> Response:
        flow = request.query_params.get("flow") or None
        entries, totals = data.dead_letter(self.session, flow)
        refresh = "/dead-letter" + (f"?flow={quote(flow)}" if flow else "")
        return self.page("Dead letter", dead_letter_page(entries, totals, self.guard.csrf, flow), "dead-letter",
                         refresh=refresh)

    # -- actions ----------------------------------------------------------------------------------
    async def replay(self, request: Request) -> Response:
        if not self.guard.authenticated(request):
            return PlainTextResponse("log in first\n", 401, headers=HEADERS)
        form = await _form(request)
        if not self.guard.form_allowed(request, form):
            return PlainTextResponse("this form is not from this dashboard (CSRF check failed): reload the page\n",
                                     403, headers=HEADERS)
        name, key = form.get("flow", ""), form.get("key") or None
        rows = [row for row in data.flows(self.session) if row.name == name]
        if not rows:
            return self.page("No such flow", f"<h1>No flow named <code>{html.escape(name)}</code></h1>", status=404)
        outcome = await run_in_threadpool(replay_from_page, self.session, name, key)
        row = [r for r in data.flows(self.session) if r.name == name][0]
        return self.page(f"Flow {name}", self.flow_body(row, replay_banner(outcome)),
                         status=200 if outcome.ok else 409)

    def metrics(self, request: Request) -> Response:
        if not self.guard.authenticated(request):
            return PlainTextResponse("a token is needed: Authorization: Bearer TOKEN\n", 401,
                                     headers={**HEADERS, "WWW-Authenticate": 'Bearer realm="passerelle"'})
        text = exposition(self.session, self.context.queue_status, self.context.metrics)
        return Response(text, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})


__all__ = ["DashboardContext", "dashboard_routes", "sign_in_routes"]
