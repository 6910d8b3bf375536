"""Run logs: readable lines for a person, JSON lines when headless (``--log-format json``).

Only what the runner passes is logged — flow names, record keys, counts, reasons and masked URLs —
never settings; and every line is scrubbed of every registered secret before it is written (the
last safety net: endpoints already scrub the messages they raise).
"""
from __future__ import annotations

import json
import sys
import time
from typing import TextIO

from engine.spec.env import scrub
from engine.util.jsonout import dumps
from engine.util.progress import ProgressDisplay, wanted


class RunLog:
    def __init__(self, fmt: str = "text", stream: TextIO | None = None, progress: bool | None = None):
        self.fmt = fmt
        self.stream = stream or sys.stderr
        # bars (engine/util/progress.py) only for a person at a terminal: never in a pipe, a file, JSON
        self.progress = wanted(self.stream, fmt) if progress is None else progress and fmt == "text"
        self.display = ProgressDisplay(self.stream) if self.progress else None

    def __call__(self, event: str, **fields) -> None:
        if self.fmt == "json":
            line = {"ts": round(time.time(), 3), "event": event, **fields}
            self.stream.write(scrub(dumps(line)) + "\n")
            self.stream.flush()
            return
        if event == "progress":
            if self.display is not None:
                self.display.update(scrub(str(fields.get("flow"))), read=fields.get("read", 0),
                                    written=fields.get("created", 0) + fields.get("updated", 0),
                                    failed=fields.get("failed", 0), skipped=fields.get("skipped", 0))
            return
        if event == "flow_summary" and self.display is not None:
            self.display.finish(scrub(str(fields.get("flow"))))  # the bar goes; the summary follows
        if event in ("record_created", "flow_summary"):
            return  # the summary line says it; JSON logs keep every event
        head = _TEXT_HEAD.get(event)
        if head is None:
            details = " ".join(f"{k}={_text(v)}" for k, v in fields.items())
        else:  # a readable line: a few fields, then the sentence; located warnings on their own lines
            details = " ".join(f"{k}={_text(fields[k])}" for k in head if k in fields)
            sentence = fields.get("diff") or fields.get("hint")
            if sentence:
                details += f": {sentence}"
            if fields.get("details"):
                details += "\n" + "\n".join(f"  {line}" for line in str(fields["details"]).splitlines())
        text = scrub(f"[{time.strftime('%H:%M:%S')}] {event} {details}")
        if self.display is not None:
            self.display.print(text)  # above the bars while they are shown
            return
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Remove any bar still shown (a run stopped by an error, or by a signal)."""
        if self.display is not None:
            self.display.close()


# events whose text line shows these fields, then their `diff` (or `hint`) and `details` lines
_TEXT_HEAD = {"plan_live": ("generation", "version", "previous", "confirmed"),
              "plan_held": ("version", "live_generation", "warnings")}


def _text(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if " " not in text else json.dumps(text, ensure_ascii=False)
