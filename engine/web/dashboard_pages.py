"""The dashboard's pages, put together from the parts of :mod:`engine.web.dashboard_html` (escaped there)."""
from __future__ import annotations

from html import escape
from urllib.parse import quote

from engine.runtime.run_store import RunRecord
from engine.web.dashboard_data import DeadEntry, FlowRow, PlanStatus
from engine.web.dashboard_html import (dead_letter_table, flows_table, plan_card, queue_card, runs_table, when)
from engine.web.dashboard_replay import ReplayOutcome


def overview_page(flows: list[FlowRow], plan: PlanStatus, depth: int, oldest: float | None, runs: list[RunRecord],
                  dead: dict[str, int]) -> str:
    total = sum(dead.values())
    dead_card = (f'<section class="card" id="dead-summary" data-refresh><h2>Dead letter</h2>'
                 f'<dl><dt>Records set aside</dt><dd class="num {"bad" if total else ""}" data-metric="dead-total">'
                 f"{total}</dd></dl>"
                 + "".join(f'<p><a href="/dead-letter?flow={escape(flow)}">{escape(flow)}: {count}</a></p>'
                           for flow, count in dead.items() if count)
                 + '<p><a href="/dead-letter">Open the dead letter</a></p></section>')
    return ("<h1>Overview</h1>"
            f'<div class="cards">{plan_card(plan)}{queue_card(depth, oldest)}{dead_card}</div>'
            + flows_table(flows) + runs_table(runs))


def flow_page(row: FlowRow, runs: list[RunRecord], entries: list[DeadEntry], totals: dict[str, int], csrf: str,
              banner: str = "") -> str:
    ledger = "".join(f"<dt>{escape(status)}</dt><dd class=\"num\" data-status=\"{escape(status)}\">{count}</dd>"
                     for status, count in sorted(row.ledger.items()))
    card = (f'<section class="card" id="flow-card" data-refresh><h2>Records</h2><dl>'
            f'<dt>In the target</dt><dd class="num" data-metric="in-target">{row.in_target}</dd>{ledger}</dl></section>')
    about = (f'<section class="card" id="flow-about"><h2>Flow</h2><dl>'
             f"<dt>Schedule</dt><dd>{escape(row.schedule or 'on demand')}</dd>"
             f"<dt>From</dt><dd><code>{escape(row.source)}</code></dd><dt>To</dt><dd><code>{escape(row.target)}</code></dd>"
             f"<dt>Next run</dt><dd>{when(row.next_due)}</dd></dl></section>")
    return (f'<h1>Flow <code>{escape(row.name)}</code></h1>{banner}<div class="cards">{about}{card}</div>'
            + runs_table(runs, "flow-runs", "Runs") + dead_letter_table(entries, totals, csrf))


def dead_letter_page(entries: list[DeadEntry], totals: dict[str, int], csrf: str, flow: str | None) -> str:
    title = f"Dead letter of <code>{escape(flow)}</code>" if flow else "Dead letter"
    intro = ('<p class="muted">Records set aside with their reason and the spec location that set them aside, '
             "updates and removals the target refused. Fix the cause (the spec, a lookup table, the data in a "
             "system), then replay: the record is mapped again with the live plan and sent once.</p>")
    return f"<h1>{title}</h1>{intro}" + dead_letter_table(entries, totals, csrf)


def login_page(target: str, problem: str = "") -> str:
    error = f'<p class="bad" role="alert">{escape(problem)}</p>' if problem else ""
    return (f'<section class="login"><h1>Log in</h1>{error}'
            '<p class="muted">The dashboard token is the value of the environment variable the operator set for '
            "<code>passerelle serve</code> (<code>PASSERELLE_DASHBOARD_TOKEN</code> unless the project names "
            "another).</p>"
            f'<form method="post" action="/login?next={escape(quote(target, safe="/"))}"><label for="token">Token</label>'
            '<input type="password" id="token" name="token" autocomplete="current-password" required autofocus>'
            '<button type="submit">Log in</button></form></section>')


def replay_banner(outcome: ReplayOutcome) -> str:
    what = f"record <code>{escape(outcome.key)}</code>" if outcome.key is not None else "all records"
    lines = "".join(f"<li>{escape(line)}</li>" for line in outcome.lines)
    problems = "".join(f'<li class="bad">{escape(p)}</li>' for p in outcome.problems)
    kind = "ok" if outcome.ok and not outcome.failed else "bad"
    return (f'<div class="banner {kind}" id="replay-result" role="status"><strong>Replay of {what} of flow '
            f"<code>{escape(outcome.flow)}</code>:</strong> {outcome.created} created, {outcome.failed} set aside again"
            f"<ul>{lines}{problems}</ul></div>")


__all__ = ["dead_letter_page", "flow_page", "login_page", "overview_page", "replay_banner"]
