"""The dashboard's HTML: server-rendered pages that work without JavaScript.

As the mapping document does (:mod:`engine.mapdoc.html`), every text is escaped with
:func:`html.escape` where it is put into the page, nothing is fetched from elsewhere (the style sheet and
the small script that refreshes parts of a page are served by the dashboard itself), and secrets are
never among what is shown (:mod:`engine.web.dashboard_data` scrubs reasons again).
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from html import escape

from engine.runtime.run_store import RunRecord
from engine.web.dashboard_data import DeadEntry, FlowRow, PlanStatus

OUTCOMES = {"ok": "ok", "records": "records set aside", "error": "stopped"}


def when(stamp: float | None, now: float | None = None) -> str:
    """``2026-12-06 23:59:01 UTC`` in a ``<time>`` with how long ago (or in how long) as its title."""
    if stamp is None:
        return "—"
    now = time.time() if now is None else now
    moment = datetime.fromtimestamp(stamp, timezone.utc)
    text = moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return f'<time datetime="{moment.isoformat()}" title="{escape(ago(stamp, now))}">{text}</time>'


def ago(stamp: float, now: float) -> str:
    delta = now - stamp
    span = abs(delta)
    if span < 60:
        words = f"{span:.0f} s"
    elif span < 3600:
        words = f"{span / 60:.0f} min"
    elif span < 86400:
        words = f"{span / 3600:.1f} h"
    else:
        words = f"{span / 86400:.1f} days"
    return f"{words} ago" if delta >= 0 else f"in {words}"


def seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


def layout(title: str, body: str, *, project: str, active: str = "", signed_in: bool = True,
           csrf: str = "", refresh: str = "") -> str:
    """A whole page; ``refresh``: the address the script fetches again to refresh the page's parts."""
    nav = ""
    refreshing = f' data-refresh-url="{escape(refresh)}"' if refresh else ""
    if signed_in:
        links = [("/", "Overview", "overview"), ("/dead-letter", "Dead letter", "dead-letter"),
                 ("/metrics", "Metrics", "metrics")]
        items = "".join(f'<a href="{href}"{" aria-current=page" if key == active else ""}>{label}</a>'
                        for href, label, key in links)
        nav = (f'<nav>{items}<form method="post" action="/logout" class="inline">'
               f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
               f'<button type="submit" class="link">Log out</button></form></nav>')
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)} — {escape(project)} — Passerelle</title>"
            f'<link rel="stylesheet" href="/static/dashboard.css">'
            f'<script src="/static/dashboard.js" defer></script></head>\n'
            f'<body{refreshing}><header><span class="brand">Passerelle</span> <span class="project">{escape(project)}</span>'
            f"{nav}</header>\n<main>\n{body}\n</main></body></html>\n")


def plan_card(plan: PlanStatus) -> str:
    held = ""
    if plan.held is not None:
        warnings = "".join(f"<li><pre>{escape(w)}</pre></li>" for w in plan.held["warnings"])
        held = (f'<p class="warn">A reload is held back (version <code>{escape(plan.held["version"])}</code>): '
                f"the live plan keeps running. Accept it with <code>passerelle reload PROJECT --accept</code> or "
                f"save the same files again.</p><ul class=\"warnings\">{warnings}</ul>")
    return (f'<section class="card" id="plan" data-refresh><h2>Live plan</h2>'
            f'<dl><dt>Version</dt><dd><code>{escape(plan.version)}</code></dd>'
            f"<dt>Generation</dt><dd>{plan.generation}</dd>"
            f"<dt>Last change</dt><dd>{when(plan.changed_at)}</dd></dl>{held}</section>")


def queue_card(depth: int, oldest: float | None) -> str:
    state = "empty" if depth == 0 else f"{depth} event{'s' if depth != 1 else ''} waiting"
    return (f'<section class="card" id="queue" data-refresh><h2>Webhook queue</h2>'
            f'<dl><dt>Depth</dt><dd class="num" data-metric="queue-depth">{depth}</dd>'
            f"<dt>Oldest event</dt><dd>{escape(seconds(oldest)) if oldest is not None else '—'}</dd>"
            f'</dl><p class="muted">{escape(state)}</p></section>')


def counts(run: RunRecord | None) -> str:
    if run is None:
        return "—"
    parts = [f"{run.count('read')} read", f"{run.count('created')} created"]
    parts += [f"{run.count(name)} {words}" for name, words in (
        ("updated", "updated"), ("found", "found"), ("skipped", "skipped"), ("failed", "failed"),
        ("pending", "pending"), ("acked", "acknowledged"), ("ack_failed", "acks to retry"),
        ("removed", "removed"), ("refused", "refused (reservation)")) if run.count(name)]
    return escape(", ".join(parts))


def outcome(run: RunRecord | None) -> str:
    if run is None:
        return '<span class="badge">never ran</span>'
    title = f' title="{escape(run.error)}"' if run.error else ""
    return f'<span class="badge {escape(run.outcome)}"{title}>{escape(OUTCOMES.get(run.outcome, run.outcome))}</span>'


def flows_table(rows: list[FlowRow]) -> str:
    head = ("Flow", "Schedule", "From → to", "Last run", "Outcome", "Last run counts", "In target", "Dead letter",
            "Next run")
    body = []
    for row in rows:
        dead = (f'<a href="/dead-letter?flow={escape(row.name)}" class="num bad">{row.dead}</a>' if row.dead
                else '<span class="num">0</span>')
        body.append(
            f'<tr data-flow="{escape(row.name)}"><th scope="row"><a href="/flows/{escape(row.name)}">'
            f"{escape(row.name)}</a></th><td>{escape(row.schedule or 'on demand')}</td>"
            f"<td><code>{escape(row.source)}</code> → <code>{escape(row.target)}</code></td>"
            f"<td>{when(row.last.ended if row.last else None)}</td><td>{outcome(row.last)}</td>"
            f'<td class="counts">{counts(row.last)}</td>'
            f'<td class="num" data-metric="in-target">{row.in_target}</td>'
            f'<td data-metric="dead-letter">{dead}</td><td>{when(row.next_due)}</td></tr>')
    heads = "".join(f'<th scope="col">{h}</th>' for h in head)
    return (f'<section id="flows" data-refresh><h2>Flows</h2><div class="scroll"><table class="flows"><thead><tr>{heads}'
            f"</tr></thead><tbody>{''.join(body)}</tbody></table></div></section>")


def runs_table(runs: list[RunRecord], section_id: str = "runs", title: str = "Last runs") -> str:
    if not runs:
        return f'<section id="{section_id}" data-refresh><h2>{escape(title)}</h2><p class="muted">No run yet.</p></section>'
    body = "".join(
        f'<tr><td>{escape(run.flow)}</td><td>{escape(run.kind)}</td><td>{when(run.started)}</td>'
        f'<td class="num">{escape(seconds(run.duration))}</td><td>{outcome(run)}</td><td class="counts">{counts(run)}'
        + (f'<div class="error">{escape(run.error)}</div>' if run.error else "")
        + f'</td><td><code title="{escape(run.plan_version or "")}">{escape((run.plan_version or "")[:12])}</code></td></tr>'
        for run in runs)
    heads = "".join(f'<th scope="col">{h}</th>' for h in ("Flow", "Kind", "Started", "Duration", "Outcome", "Counts",
                                                           "Plan"))
    return (f'<section id="{section_id}" data-refresh><h2>{escape(title)}</h2><div class="scroll"><table class="runs">'
            f"<thead><tr>{heads}</tr></thead><tbody>{body}</tbody></table></div></section>")


def replay_form(csrf: str, flow: str, key: str | None, label: str) -> str:
    key_field = f'<input type="hidden" name="key" value="{escape(key)}">' if key is not None else ""
    return (f'<form method="post" action="/replay" class="inline replay">'
            f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
            f'<input type="hidden" name="flow" value="{escape(flow)}">{key_field}'
            f'<button type="submit">{escape(label)}</button></form>')


def dead_letter_table(entries: list[DeadEntry], totals: dict[str, int], csrf: str) -> str:
    parts = []
    for flow, total in totals.items():
        if not total:
            continue
        mine = [e for e in entries if e.flow == flow]
        more = (f'<p class="muted">{total - len(mine)} more not listed: replay all sends them too.</p>'
                if total > len(mine) else "")
        rows = "".join(
            f'<tr data-key="{escape(e.key)}"><th scope="row"><code>{escape(e.key)}</code></th>'
            f'<td>{escape(e.kind)}' + (f' <span class="muted">(as {escape(e.target_id)})</span>' if e.target_id else "")
            + f'</td><td class="reason">{escape(e.reason)}</td>'
            f"<td>{'<code>' + escape(e.loc) + '</code>' if e.loc else '—'}</td>"
            f'<td class="num">{e.attempts}</td><td>{when(e.updated_at)}</td>'
            f"<td>{replay_form(csrf, flow, e.key, 'Replay')}</td></tr>"
            for e in mine)
        heads = "".join(f'<th scope="col">{h}</th>' for h in ("Record", "Status", "Reason", "Spec", "Attempts",
                                                               "Since", ""))
        parts.append(
            f'<section class="dead" data-flow="{escape(flow)}"><h3>{escape(flow)} <span class="count">{total}</span>'
            f"</h3>{replay_form(csrf, flow, None, f'Replay all {total} of {flow}')}"
            f'<div class="scroll"><table class="dead"><thead><tr>{heads}</tr></thead><tbody>{rows}</tbody></table>'
            f"</div>{more}</section>")
    if not parts:
        parts.append('<p class="muted" id="dead-empty">Nothing is set aside: every record reached its target.</p>')
    return f'<section id="dead-letter" data-refresh><h2>Dead letter</h2>{"".join(parts)}</section>'


__all__ = ["dead_letter_table", "flows_table", "layout", "plan_card", "queue_card", "replay_form", "runs_table",
           "when"]
