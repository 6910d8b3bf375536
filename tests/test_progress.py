"""Progress bars and summaries (issue 12 item 4): a bar with counts and rate on a terminal, and not a
single escape code or carriage return when the output is a pipe or a file, with JSON logs, NO_COLOR
or TERM=dumb. The end-to-end tests run the CLI in a subprocess whose stderr is a real pseudo-terminal
(``pty.openpty``), against the simulators."""
from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from support import ROOT

from engine.runtime.logs import RunLog
from engine.runtime.runner import Summary
from engine.util.progress import ProgressDisplay, summary_table, wanted

SUMMARY = re.compile(r"^(?P<flow>\w+): (?P<read>\d+) read, (?P<created>\d+) created, (?P<updated>\d+) updated, "
                     r"(?P<skipped>\d+) skipped, (?P<failed>\d+) failed, (?P<acked>\d+) acknowledged")
ESC, CR = "\x1b", "\r"


def copy_project(tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(ROOT / "specs/examples/prestashop-sage100", target,
                    ignore=shutil.ignore_patterns("samples", ".passerelle"))
    return target


def env_for(sb) -> dict:
    return {"ACME_PS_URL": sb.url("prestashop"), "ACME_PS_KEY": sb.credentials("prestashop")["key"],
            "ACME_SAGE_URL": sb.url("sage100"), "ACME_SAGE_TOKEN": sb.credentials("sage100")["token"]}


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


# -- when a bar is wanted ----------------------------------------------------------------------------
def test_a_bar_only_for_a_terminal_with_text_logs_and_colours():
    tty, pipe = Terminal(), io.StringIO()
    assert wanted(tty, "text", {"TERM": "xterm-256color"})
    assert not wanted(pipe, "text", {})
    assert not wanted(tty, "json", {})
    assert not wanted(tty, "text", {"NO_COLOR": "1"})
    assert not wanted(tty, "text", {"TERM": "dumb"})
    assert wanted(tty, "text", {"NO_COLOR": ""})  # no-color.org: set *and not empty*
    closed = open(os.devnull)
    closed.close()  # isatty raises ValueError
    assert not wanted(closed, "text", {}) and not wanted(object(), "text", {})


def test_a_run_log_on_a_pipe_writes_nothing_for_progress(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    stream = io.StringIO()
    log = RunLog("text", stream)
    log("progress", flow="orders", read=10, created=3, updated=0, failed=1, skipped=0)
    log("flow_summary", flow="orders", read=10)
    assert stream.getvalue() == "" and log.display is None


def test_the_display_draws_counts_and_rate_prints_lines_above_and_ends_cleanly(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    stream = Terminal()
    display = ProgressDisplay(stream, wait=0)
    display.update("orders_to_sage", read=200, written=190, failed=1, skipped=9)
    time.sleep(0.6)
    display.update("orders_to_sage", read=1200, written=1100, failed=3, skipped=97)
    time.sleep(0.4)  # drawn 4 times a second
    display.print("[12:00:00] plan_live generation=2")
    display.finish("orders_to_sage")
    text = stream.getvalue()
    assert "orders_to_sage" in text and "1,200 read · 1,100 written · 97 skipped · 3 failed" in text
    rate = int(re.search(r"([\d,]+) records/s", text)[1].replace(",", ""))  # 1000 records in 0.6 s or more
    assert 100 < rate <= 1000 / 0.6
    assert "plan_live generation=2" in text
    assert text.rstrip("\r\n").endswith("\x1b[?25h") or "\x1b[?25h" in text.splitlines()[-1]  # cursor shown again
    display.print("after")  # once finished, lines go straight to the stream
    assert stream.getvalue().endswith("after\n")


def test_a_bar_waits_before_it_appears():
    stream = Terminal()
    display = ProgressDisplay(stream, wait=60)
    display.update("quick", read=5)
    display.finish("quick")
    assert stream.getvalue() == ""


def test_the_summary_table_is_aligned():
    a = Summary("orders_to_sage", read=1200, created=1190, failed=10, acked=1190, duration=12.5)
    b = Summary("stock", read=7, updated=4, skipped=3, found=2, duration=0.25, pending=1)
    lines = summary_table([a, b]).splitlines()
    assert lines[0].split() == ["flow", "read", "created", "updated", "skipped", "failed", "acknowledged", "time",
                                "notes"]
    assert lines[2].split()[:8] == ["orders_to_sage", "1200", "1190", "0", "0", "10", "1190", "12.50s"]
    assert lines[-1].split()[:8] == ["total", "1207", "1190", "4", "3", "10", "1190", "12.75s"]
    assert "2 found; 1 pending (resolved next run)" in lines[3]
    # numbers right-aligned under their headers: every column ends where its header ends
    for column in ("read", "created", "failed", "time"):
        end = lines[0].index(column) + len(column)
        for line in lines[2:4] + lines[-1:]:
            assert line[end - 1] != " " and (len(line) == end or line[end] == " "), (column, line)
    assert ESC not in "\n".join(lines)
    assert summary_table([a]).splitlines()[-1].startswith("orders_to_sage")  # one flow: no total row


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.from_regex(r"[a-z_]{1,30}", fullmatch=True),
                          st.lists(st.integers(0, 10**9), min_size=7, max_size=7),
                          st.floats(0, 10**5), st.one_of(st.none(), st.text(max_size=40))), min_size=1, max_size=6))
def test_any_summaries_make_an_aligned_table(rows):
    summaries = [Summary(name, *counts, error=error, duration=duration)
                 for name, counts, duration, error in rows]
    lines = summary_table(summaries).splitlines()
    header = lines[0]
    for column in ("read", "created", "updated", "skipped", "failed", "acknowledged", "time"):
        end = header.index(column) + len(column)
        for line in lines[2:]:
            if not line.startswith("-"):
                assert line[end - 1] != " " and (len(line) == end or line[end] == " "), (column, line)
    assert len(lines) == 2 + len(rows) + (2 if len(rows) > 1 else 0)


# -- the CLI under a pseudo-terminal and through pipes ----------------------------------------------
def _environ(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM", "FORCE_COLOR")}
    env.update(PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "sandbox")]), TERM="xterm-256color",
               COLUMNS="120", PASSERELLE_PROGRESS_DELAY="0")
    return {**env, **extra}


def on_terminal(argv: list[str], env: dict, stdout=subprocess.PIPE, timeout: float = 120,
                stop_after: str | None = None) -> tuple[int, str, str]:
    """``passerelle ARGV`` with stderr on a pseudo-terminal: (exit code, stdout, what the terminal showed);
    ``stop_after``: SIGTERM once the terminal has shown that text (a serve)."""
    master, slave = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "engine", *argv], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                               stdout=stdout, stderr=slave)
    os.close(slave)
    shown, deadline = bytearray(), time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the terminal's last writer is gone
                    break
                if not chunk:
                    break
                shown += chunk
                if stop_after and stop_after.encode() in shown and process.poll() is None:
                    process.terminate()
                    stop_after = None
            elif process.poll() is not None:
                break
        out = process.stdout.read() if process.stdout else b""
        code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
    return code, out.decode(), shown.decode("utf-8", "replace")


def piped(argv: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine", *argv], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)


@pytest.fixture
def reference(tmp_path):
    from passerelle_sandbox import Sandbox

    with Sandbox(systems=("prestashop", "sage100"), orders=40, seed=1) as sb:
        yield copy_project(tmp_path), env_for(sb), tmp_path


def test_a_run_on_a_terminal_shows_bars_then_the_summary_table(reference):
    project, env, tmp = reference
    code, out, shown = on_terminal(["run", str(project), "--state", str(tmp / "s")], _environ(**env))
    assert code in (0, 3), shown
    assert "orders_to_sage" in shown and re.search(r"\d+ read · \d+ written · .*\d+ failed", shown), shown
    assert "\x1b[?25l" in shown and "\x1b[?25h" in shown  # the cursor hidden while drawing, shown again
    table = shown[shown.rindex("\x1b[?25h"):]  # after the last bar: the table, plain
    assert re.search(r"flow\s+read\s+created\s+updated\s+skipped\s+failed\s+acknowledged\s+time", table), table
    assert "orders_to_sage" in table and ESC not in table.replace("\x1b[?25h", "").replace("\x1b[1A", "") \
        .replace("\x1b[2K", "")
    assert not SUMMARY.search(shown.replace("\r", ""))  # on a terminal, the table replaces the lines


def test_a_run_through_pipes_has_no_escape_code_and_keeps_the_summary_lines(reference):
    project, env, tmp = reference
    done = piped(["run", str(project), "--state", str(tmp / "s")], _environ(**env))
    assert done.returncode in (0, 3), done.stderr
    assert ESC not in done.stdout + done.stderr and CR not in done.stdout + done.stderr
    flows = {m["flow"] for line in done.stderr.splitlines() if (m := SUMMARY.match(line))}
    assert "orders_to_sage" in flows


def test_a_serve_on_a_terminal_shows_its_runs_bars_then_the_table(reference):
    project, env, tmp = reference
    code, _, shown = on_terminal(["serve", str(project), "--state", str(tmp / "s")], _environ(**env),
                                 stop_after="\x1b[1mstock_to_shop")  # the bar of its first round's last flow
    assert code in (0, 3), shown
    assert re.search(r"orders_to_sage\x1b\[0m .*\d+ read · \d+ written", shown), shown
    table = shown[shown.rindex("\x1b[?25h"):]
    assert "stopping signal=SIGTERM" in shown and re.search(r"flow\s+read\s+created", table), table


@pytest.mark.parametrize("variable", ({"NO_COLOR": "1"}, {"TERM": "dumb"}))
def test_no_color_or_a_dumb_terminal_get_nothing_extra(reference, variable):
    project, env, tmp = reference
    code, _, shown = on_terminal(["run", str(project), "--state", str(tmp / "s")], _environ(**env, **variable))
    assert code in (0, 3), shown
    assert ESC not in shown and "·" not in shown  # no bar, no colour, no escape code
    assert re.search(r"^flow\s+read\s+created\s", shown, re.M)  # the table is plain text: still there


def test_json_logs_on_a_terminal_are_json_lines_only(reference):
    project, env, tmp = reference
    code, _, shown = on_terminal(["run", str(project), "--state", str(tmp / "s"), "--log-format", "json"],
                                 _environ(**env))
    assert code in (0, 3), shown
    lines = [line for line in shown.replace("\r\n", "\n").split("\n") if line]
    events = [json.loads(line) for line in lines]  # every line
    assert {"plan_live", "flow_summary"} <= {e["event"] for e in events} and ESC not in shown


def test_json_logs_report_a_config_error_as_json(tmp_path):
    project = copy_project(tmp_path)
    done = piped(["run", str(project), "--state", str(tmp_path / "s"), "--log-format", "json"],
                 _environ(ACME_PS_URL="http://127.0.0.1:9", ACME_SAGE_URL="http://127.0.0.1:9"))
    assert done.returncode == 1
    events = [json.loads(line) for line in done.stderr.splitlines() if line]
    assert events[-1]["event"] == "error" and events[-1]["code"] == "config"
    assert events[-1]["message"].startswith("error[config]") and "ACME_" in events[-1]["message"]


# -- a large dry-run --------------------------------------------------------------------------------
PROJECT = """\
project: { name: Boutique }
endpoints:
  shop: { use: prestashop, settings: { base_url: "http://shop.test", key: "${env:PS_KEY}" } }
  sage:
    use: sage100-ws
    settings: { base_url: "http://sage.test", token: "${env:SAGE_TOKEN}" }
    override: { operations: { insert_document: { accepts: null } } }
flows:
  items:
    source: { endpoint: shop, read: products }
    key: id
    target: { endpoint: sage, write: insert_document }
    map:
      ref: { from: reference }
      price: { from: price }
"""


@pytest.fixture
def large(tmp_path) -> tuple[Path, Path]:
    project = tmp_path / "boutique"
    project.mkdir()
    (project / "project.yaml").write_text(PROJECT, encoding="utf-8")
    items = tmp_path / "items.jsonl"
    items.write_text("".join(json.dumps({"id": i, "reference": f"R{i}", "price": "1.50"}) + "\n"
                             for i in range(5000)), encoding="utf-8")
    return project, items


def test_a_large_dry_run_draws_on_stderr_only(large, tmp_path):
    project, items = large
    argv = ["dry-run", str(project), "--flow", "items", "--input", str(items), "--format", "json"]
    with open(tmp_path / "payloads.json", "w+b") as payloads:
        code, _, shown = on_terminal(argv, _environ(), stdout=payloads)
        payloads.seek(0)
        data = payloads.read().decode()
    assert code == 0, shown
    assert "items" in shown and "read ·" in shown and "\x1b[?25h" in shown  # the bar, ended cleanly
    assert ESC not in data and CR not in data and len(json.loads(data)) == 5000  # stdout: the payloads alone
    assert "items: 5000 read, 5000 mapped, 0 skipped by filter, 0 failed (nothing was sent)" in shown


def test_a_dry_run_through_pipes_has_no_escape_code(large):
    project, items = large
    done = piped(["dry-run", str(project), "--flow", "items", "--input", str(items), "--format", "json"], _environ())
    assert done.returncode == 0, done.stderr
    assert ESC not in done.stdout + done.stderr and CR not in done.stdout + done.stderr
    assert done.stderr == "items: 5000 read, 5000 mapped, 0 skipped by filter, 0 failed (nothing was sent)\n"
