"""Progress bars and summary tables, for a person watching a terminal — and nothing for anyone else.

A long ``run``, a ``serve``'s runs and a large file dry-run show, on stderr, one bar per flow with its
counts (read, written, failed) and its rate, drawn by ``rich`` (imported here, lazily, only when a bar
is shown: ``validate`` never loads it). Nothing at all is drawn — no bar, no colour, no escape code,
no carriage return — when stderr is not a terminal (a pipe, a file, cron, CI), when the logs are JSON
(``--log-format json``), when ``NO_COLOR`` is set (https://no-color.org) or when ``TERM=dumb``.

The bar waits ``PASSERELLE_PROGRESS_DELAY`` seconds (0.5 by default) before it appears, so a quick
command does not flicker, and it is removed when its flow ends (the summary comes after it).

:func:`summary_table` lays the end-of-run summaries out as an aligned plain-text table (no colour);
the CLI shows it on a terminal (with NO_COLOR and TERM=dumb too: it is plain text) and keeps the
one-line summaries, which scripts parse, everywhere else.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TextIO

DEFAULT_DELAY = 0.5


def wanted(stream: Any, log_format: str = "text", environ: Mapping[str, str] | None = None) -> bool:
    """Whether to draw bars on ``stream``: a terminal, text logs, neither ``NO_COLOR`` nor ``TERM=dumb``."""
    environ = os.environ if environ is None else environ
    if log_format != "text" or environ.get("NO_COLOR") or environ.get("TERM", "") == "dumb":
        return False
    return is_terminal(stream)


def is_terminal(stream: Any) -> bool:
    """Whether a person reads ``stream`` (not a pipe, a file, a closed stream)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


def delay(environ: Mapping[str, str] | None = None) -> float:
    text = (os.environ if environ is None else environ).get("PASSERELLE_PROGRESS_DELAY", "")
    try:
        return max(0.0, float(text)) if text.strip() else DEFAULT_DELAY
    except ValueError:
        return DEFAULT_DELAY


class ProgressDisplay:
    """Bars on ``stream``, one per flow, updated from any thread; ``print`` puts a log line above them.

    Each bar appears only once its flow has lasted ``wait`` seconds; :meth:`finish` removes a flow's bar
    and, when it was the last one, stops the display (the cursor shown again, the bars erased)."""

    def __init__(self, stream: TextIO, wait: float | None = None):
        self.stream = stream
        self.wait = delay() if wait is None else wait
        self._lock = threading.RLock()
        self._progress: Any = None  # rich.progress.Progress while bars are shown
        self._tasks: dict[str, Any] = {}
        self._started: dict[str, tuple[float, int]] = {}

    def update(self, flow: str, read: int = 0, written: int = 0, failed: int = 0, **counts: int) -> None:
        with self._lock:
            now = time.monotonic()
            started, first = self._started.setdefault(flow, (now, read))  # the first count seen, and when
            if flow not in self._tasks and now - started < self.wait:
                return
            # the rate over what was read since the first count (a page or more after the flow started)
            rate = f"{(read - first) / (now - started):,.0f} records/s" if now - started >= 0.5 else ""
            fields = {"counts": _counts(read, written, failed, counts), "rate": rate}
            progress = self._open()
            if flow in self._tasks:
                progress.update(self._tasks[flow], completed=read, **fields)
            else:
                self._tasks[flow] = progress.add_task(flow, total=None, completed=read, **fields)

    def print(self, line: str) -> None:
        """A log line: above the bars while they are shown, else straight to the stream."""
        with self._lock:
            if self._progress is not None:
                self._progress.console.print(line, markup=False, highlight=False, emoji=False, soft_wrap=True)
                return
        self.stream.write(line + "\n")
        self.stream.flush()

    def finish(self, flow: str) -> None:
        with self._lock:
            self._started.pop(flow, None)
            task = self._tasks.pop(flow, None)
            if task is not None and self._progress is not None:
                self._progress.remove_task(task)
            if not self._tasks:
                self.close()

    def close(self) -> None:
        with self._lock:
            progress, self._progress = self._progress, None
            self._tasks.clear()
            if progress is not None:
                progress.stop()

    def _open(self) -> Any:
        if self._progress is None:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            console = Console(file=self.stream, highlight=False, emoji=False)
            self._progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(bar_width=24),
                                      TextColumn("{task.fields[counts]}"), TextColumn("{task.fields[rate]}"),
                                      TimeElapsedColumn(), console=console, transient=True,
                                      redirect_stdout=False, redirect_stderr=False, refresh_per_second=4)
            self._progress.start()
        return self._progress


def _counts(read: int, written: int, failed: int, others: Mapping[str, int]) -> str:
    text = f"{read:,} read · {written:,} written"
    text += "".join(f" · {value:,} {name}" for name, value in others.items() if value)
    return text + f" · {failed:,} failed"


class DryRunProgress:
    """The bar of a file dry-run: shown only when a person watches stderr and the payloads go to a file
    or a pipe (on a terminal, the payloads scrolling by are the progress, and a bar would garble them).
    A context manager (the bar erased at its end); :meth:`each` passes the mapped records through,
    drawing once every 1024."""

    def __init__(self, flow: str, stdout: Any, stderr: Any):
        self.flow = flow
        self.display = ProgressDisplay(stderr) if wanted(stderr) and not is_terminal(stdout) else None

    def each(self, outcomes: Iterable[Any], counts: Any) -> Iterator[Any]:
        """``outcomes`` as they come; ``counts``: the dry-run's ``DryRunCounts``, filled as they are consumed."""
        if self.display is None:
            yield from outcomes
            return
        for mapped, outcome in enumerate(outcomes, 1):
            yield outcome
            if not mapped & 1023:
                self.display.update(self.flow, read=counts.read, written=mapped, failed=len(counts.failures),
                                    skipped=len(counts.skipped))

    def __enter__(self) -> DryRunProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.display is not None:
            self.display.close()


COLUMNS = ("flow", "read", "created", "updated", "skipped", "failed", "acknowledged", "time")


def summary_table(summaries: Sequence[Any]) -> str:
    """The summaries of a run (``engine.runtime.runner.Summary``) as an aligned table: one row per flow,
    a total row when there are several, and what a row cannot say (found, acknowledgements to retry,
    pending, why a flow stopped) in a last ``notes`` column."""
    rows = [_row(s) for s in summaries]
    if len(rows) > 1:
        total = ["total"] + [str(sum(int(r[i]) for r in rows)) for i in range(1, 7)]
        rows.append(total + [f"{sum(s.duration for s in summaries):.2f}s", ""])
    notes = any(r[-1] for r in rows)
    header = list(COLUMNS) + (["notes"] if notes else [])
    table = [header] + [r if notes else r[:-1] for r in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        out = [cells[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(cells[1:8], widths[1:8])]
        out += [c.ljust(w) for c, w in zip(cells[8:], widths[8:])]
        return "  ".join(out).rstrip()

    lines = [line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in table[1:]]
    if len(rows) > 1:
        lines.insert(-1, lines[1])
    return "\n".join(lines)


def _row(s: Any) -> list[str]:
    notes = []
    if s.found:
        notes.append(f"{s.found} found")
    if s.ack_failed:
        notes.append(f"{s.ack_failed} acknowledgements to retry")
    if s.pending:
        notes.append(f"{s.pending} pending (resolved next run)")
    if s.error:
        notes.append(f"stopped: {s.error}")
    return [s.flow, str(s.read), str(s.created), str(s.updated), str(s.skipped), str(s.failed), str(s.acked),
            f"{s.duration:.2f}s", " ".join("; ".join(notes).split())]  # one line: a reason's line breaks as spaces


__all__ = ["DryRunProgress", "ProgressDisplay", "is_terminal", "summary_table", "wanted"]
