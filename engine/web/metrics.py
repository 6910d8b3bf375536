"""``/metrics``: what ``serve`` is doing, in Prometheus' text exposition format (version 0.0.4).

Gauges are read when scraped: the ledger's records by flow and status, the dead letter, the webhook
queue's depth and the age of its oldest event, the live plan. Counters and the run-duration histogram
count the runs that ended since this process started: each scrape takes the runs the run history
(:mod:`engine.runtime.run_store`) gained since the last one, so they only grow while the process lives,
as counters must (a restart starts them at zero; Prometheus' ``rate()`` handles that).

The format: https://prometheus.io/docs/instrumenting/exposition_formats/ — ``# HELP`` and ``# TYPE``
once per metric, label values escaped (backslash, double quote, line feed), a histogram as cumulative
``_bucket{le=...}`` series ending with ``+Inf``, then ``_sum`` and ``_count``.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from engine.runtime.run_store import COUNTS, RunRecord

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)  # run durations, seconds
STATUSES = ("pending", "done", "acked", "failed", "removing", "removed")


def label_value(text: Any) -> str:
    return str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def number(value: float) -> str:
    if isinstance(value, float) and math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return repr(value) if isinstance(value, float) else str(int(value))


class Exposition:
    """Lines of the text format, each metric's HELP and TYPE written once, before its samples."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._declared: set[str] = set()

    def declare(self, name: str, kind: str, help_text: str) -> None:
        if name not in self._declared:
            self._declared.add(name)
            self.lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]

    def sample(self, name: str, value: float, **labels: Any) -> None:
        inner = ",".join(f'{key}="{label_value(val)}"' for key, val in labels.items())
        self.lines.append(f"{name}{{{inner}}} {number(value)}" if inner else f"{name} {number(value)}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


class RunMetrics:
    """Counters and histograms of the runs that ended since this process started (thread-safe)."""

    def __init__(self, since: float | None = None):
        self._lock = threading.Lock()
        self.seen = time.time() if since is None else since  # runs that ended before are not counted
        self.runs: dict[tuple[str, str, str], int] = {}  # (flow, kind, outcome) -> runs
        self.records: dict[tuple[str, str], int] = {}  # (flow, count name) -> records
        self.buckets: dict[str, list[int]] = {}  # flow -> count per bucket (not cumulative)
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.last_end: dict[str, float] = {}

    def take(self, fetch: Callable[[float], list[RunRecord]]) -> None:
        """Count the runs ``fetch(since)`` gives (newest first, as the run history lists them)."""
        with self._lock:
            for run in sorted(fetch(self.seen), key=lambda r: r.ended):
                if run.ended <= self.seen:
                    continue
                self.observe(run)
                self.seen = run.ended

    def observe(self, run: RunRecord) -> None:
        key = (run.flow, run.kind, run.outcome)
        self.runs[key] = self.runs.get(key, 0) + 1
        for name, value in run.counts.items():
            self.records[(run.flow, name)] = self.records.get((run.flow, name), 0) + value
        slots = self.buckets.setdefault(run.flow, [0] * (len(BUCKETS) + 1))
        slots[next((i for i, bound in enumerate(BUCKETS) if run.duration <= bound), len(BUCKETS))] += 1
        self.sums[run.flow] = self.sums.get(run.flow, 0.0) + run.duration
        self.counts[run.flow] = self.counts.get(run.flow, 0) + 1
        self.last_end[run.flow] = max(self.last_end.get(run.flow, 0.0), run.ended)

    def write(self, out: Exposition, flows: Iterable[str]) -> None:
        with self._lock:
            out.declare("passerelle_runs_total", "counter", "Flow runs and replays that ended since the process started.")
            for (flow, kind, outcome), value in sorted(self.runs.items()):
                out.sample("passerelle_runs_total", value, flow=flow, kind=kind, outcome=outcome)
            out.declare("passerelle_run_records_total", "counter",
                        "Records handled by the runs that ended since the process started, by result.")
            for flow in sorted(set(flows) | {f for f, _ in self.records}):
                for name in COUNTS:
                    out.sample("passerelle_run_records_total", self.records.get((flow, name), 0), flow=flow,
                               result=name)
            out.declare("passerelle_run_duration_seconds", "histogram", "Duration of the flow runs and replays.")
            for flow in sorted(self.counts):
                running = 0
                for bound, count in zip(BUCKETS + (math.inf,), self.buckets[flow]):
                    running += count
                    out.sample("passerelle_run_duration_seconds_bucket", running, flow=flow, le=number(float(bound)))
                out.sample("passerelle_run_duration_seconds_sum", round(self.sums[flow], 6), flow=flow)
                out.sample("passerelle_run_duration_seconds_count", self.counts[flow], flow=flow)
            out.declare("passerelle_last_run_end_timestamp_seconds", "gauge", "When the flow's last run ended.")
            for flow, ended in sorted(self.last_end.items()):
                out.sample("passerelle_last_run_end_timestamp_seconds", round(ended, 3), flow=flow)


def exposition(session: Any, queue_status: Callable[[], tuple[int, float | None]], runs: RunMetrics) -> str:
    """The whole ``/metrics`` text for a serving ``session`` (live plan, state store)."""
    out = Exposition()
    live = session.live
    plan = live.current()
    store = session.state
    runs.take(lambda since: store.runs(since=since, limit=100_000))
    out.declare("passerelle_plan_generation", "gauge", "Generation of the live plan (1 at start, +1 per reload).")
    out.sample("passerelle_plan_generation", live.generation)
    out.declare("passerelle_plan_info", "gauge", "The live plan's version (a hash of the project's files).")
    out.sample("passerelle_plan_info", 1, version=live.version)
    out.declare("passerelle_records", "gauge", "Records in the run state's ledger, by flow and status.")
    failed: dict[str, int] = {}
    for flow in plan.flows:
        counts = store.counts(flow)
        failed[flow] = counts.get("failed", 0)
        for status in sorted(set(STATUSES) | set(counts)):
            out.sample("passerelle_records", counts.get(status, 0), flow=flow, status=status)
    out.declare("passerelle_dead_letter_records", "gauge", "Records set aside (dead letter), by flow.")
    for flow, value in failed.items():
        out.sample("passerelle_dead_letter_records", value, flow=flow)
    depth, oldest = queue_status()
    out.declare("passerelle_queue_depth", "gauge", "Webhook events accepted and not processed yet.")
    out.sample("passerelle_queue_depth", depth)
    out.declare("passerelle_queue_oldest_age_seconds", "gauge", "Age of the oldest queued webhook event (0: none).")
    out.sample("passerelle_queue_oldest_age_seconds", round(oldest or 0.0, 3))
    runs.write(out, plan.flows)
    return out.text()


__all__ = ["BUCKETS", "CONTENT_TYPE", "Exposition", "RunMetrics", "exposition", "label_value"]
