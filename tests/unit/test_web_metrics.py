"""``/metrics`` in Prometheus' text exposition format: every line parsed by the format's grammar, HELP/TYPE
before the samples, label values escaped, histogram buckets cumulative up to ``+Inf`` = ``_count``;
counters count only the runs that ended after the process started, each once."""
from __future__ import annotations

import re
from types import SimpleNamespace

from engine.runtime.run_store import RunRecord
from engine.runtime.state import SqliteStore
from engine.web.metrics import BUCKETS, Exposition, RunMetrics, exposition

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\\\|\\"|\\n)*"'
SAMPLE = re.compile(rf"^({NAME})(?:\{{((?:{LABEL})(?:,{LABEL})*)\}})? (\S+)$")
LABELS = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"')
HELP = re.compile(rf"^# HELP ({NAME}) .+$")
TYPE = re.compile(rf"^# TYPE ({NAME}) (counter|gauge|histogram|summary|untyped)$")


def parse(text: str) -> dict[str, list[tuple[dict, float]]]:
    """Samples by name; asserts the grammar and that each family is typed before its samples."""
    assert text.endswith("\n")
    types: dict[str, str] = {}
    samples: dict[str, list[tuple[dict, float]]] = {}
    for line in text.splitlines():
        if line.startswith("# HELP"):
            assert HELP.match(line), line
        elif line.startswith("# TYPE"):
            match = TYPE.match(line)
            assert match and match[1] not in types, line
            types[match[1]] = match[2]
        else:
            match = SAMPLE.match(line)
            assert match, line
            name = match[1]
            family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
            assert family in types, f"{name} has no TYPE before it"
            labels = {k: v.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
                      for k, v in LABELS.findall(match[2] or "")}
            value = float("inf") if match[3] == "+Inf" else float(match[3])
            samples.setdefault(name, []).append((labels, value))
    return samples


def _run(flow: str, ended: float, duration: float, outcome: str = "ok", **counts) -> RunRecord:
    return RunRecord(flow, "run", ended - duration, ended, "v1", outcome, None, counts)


def test_label_values_are_escaped():
    out = Exposition()
    out.declare("x_total", "counter", "x")
    out.sample("x_total", 1, flow='a"b\\c\nd')
    (labels, value), = parse(out.text())["x_total"]
    assert labels == {"flow": 'a"b\\c\nd'} and value == 1


def test_run_durations_are_a_cumulative_histogram_and_counters_count_each_run_once():
    metrics = RunMetrics(since=100.0)
    runs = [_run("orders", 99.0, 1.0, created=50),  # ended before the process started: not counted
            _run("orders", 101.0, 0.05, created=2, read=3, refused=1),
            _run("orders", 102.0, 7.0, "records", failed=1, read=1),
            _run("stock", 103.0, 5000.0, "error")]
    metrics.take(lambda since: [r for r in runs if r.ended > since][::-1])
    metrics.take(lambda since: [r for r in runs if r.ended > since][::-1])  # a second scrape: nothing new
    out = Exposition()
    metrics.write(out, ["orders", "stock"])
    samples = parse(out.text())
    runs_total = {(l["flow"], l["outcome"]): v for l, v in samples["passerelle_runs_total"]}
    assert runs_total == {("orders", "ok"): 1, ("orders", "records"): 1, ("stock", "error"): 1}
    records = {(l["flow"], l["result"]): v for l, v in samples["passerelle_run_records_total"]}
    assert records[("orders", "created")] == 2 and records[("orders", "read")] == 4 and records[("orders", "failed")] == 1
    assert records[("orders", "refused")] == 1 and records[("stock", "refused")] == 0  # the reserve step's refusals
    buckets = [(l["le"], v) for l, v in samples["passerelle_run_duration_seconds_bucket"] if l["flow"] == "orders"]
    assert [le for le, _ in buckets] == [repr(b) for b in BUCKETS] + ["+Inf"]
    values = [v for _, v in buckets]
    assert values == sorted(values)  # cumulative
    by_le = dict(buckets)
    assert (by_le["0.1"], by_le["5.0"], by_le["10.0"], by_le["+Inf"]) == (1, 1, 2, 2)
    count = {l["flow"]: v for l, v in samples["passerelle_run_duration_seconds_count"]}
    total = {l["flow"]: v for l, v in samples["passerelle_run_duration_seconds_sum"]}
    assert count == {"orders": 2, "stock": 1} and total["orders"] == 7.05
    stock = [v for l, v in samples["passerelle_run_duration_seconds_bucket"] if l["flow"] == "stock"]
    assert stock[-2:] == [0, 1]  # longer than the last bound: only in +Inf

    runs.append(_run("orders", 104.0, 0.2))
    metrics.take(lambda since: [r for r in runs if r.ended > since][::-1])
    out = Exposition()
    metrics.write(out, ["orders", "stock"])
    again = {(l["flow"], l["outcome"]): v for l, v in parse(out.text())["passerelle_runs_total"]}
    assert again[("orders", "ok")] == 2  # only grows


def test_the_whole_exposition_of_a_session(tmp_path):
    store = SqliteStore(tmp_path / "state.db")
    try:
        store.failed("orders", "7", "refused", "orders.yaml:3:1", None)
        store.intend("orders", "8", "{}")
        store.settle("orders", "8", "BC1", "acked")
        metrics = RunMetrics(since=0.0)
        store.record_run(_run("orders", 10.0, 2.0, "records", read=2, created=1, failed=1))
        live = SimpleNamespace(current=lambda: SimpleNamespace(flows={"orders": None, "stock": None}),
                               generation=3, version='ab"c')
        text = exposition(SimpleNamespace(live=live, state=store), lambda: (5, 12.25), metrics)
    finally:
        store.close()
    samples = parse(text)
    records = {(l["flow"], l["status"]): v for l, v in samples["passerelle_records"]}
    assert records[("orders", "failed")] == 1 and records[("orders", "acked")] == 1 and records[("stock", "acked")] == 0
    assert samples["passerelle_dead_letter_records"] == [({"flow": "orders"}, 1), ({"flow": "stock"}, 0)]
    assert samples["passerelle_queue_depth"] == [({}, 5)]
    assert samples["passerelle_queue_oldest_age_seconds"] == [({}, 12.25)]
    assert samples["passerelle_plan_generation"] == [({}, 3)]
    assert samples["passerelle_plan_info"] == [({"version": 'ab"c'}, 1)]
    assert samples["passerelle_runs_total"] == [({"flow": "orders", "kind": "run", "outcome": "records"}, 1)]
