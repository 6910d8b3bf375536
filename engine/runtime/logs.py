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


class RunLog:
    def __init__(self, fmt: str = "text", stream: TextIO | None = None, progress: bool | None = None):
        self.fmt = fmt
        self.stream = stream or sys.stderr
        self.progress = self.stream.isatty() if progress is None else progress
        self._progress_shown = False

    def __call__(self, event: str, **fields) -> None:
        if self.fmt == "json":
            line = {"ts": round(time.time(), 3), "event": event, **fields}
            self.stream.write(scrub(dumps(line)) + "\n")
            self.stream.flush()
            return
        if event == "progress":
            if self.progress:
                self.stream.write(scrub(f"\r  {fields.get('flow')}: {fields.get('read')} read, "
                                        f"{fields.get('created')} created, {fields.get('failed')} failed …"))
                self.stream.flush()
                self._progress_shown = True
            return
        if self._progress_shown:
            self.stream.write("\r\033[K")
            self._progress_shown = False
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
        self.stream.write(scrub(f"[{time.strftime('%H:%M:%S')}] {event} {details}") + "\n")
        self.stream.flush()


# events whose text line shows these fields, then their `diff` (or `hint`) and `details` lines
_TEXT_HEAD = {"plan_live": ("generation", "version", "previous", "confirmed"),
              "plan_held": ("version", "live_generation", "warnings")}


def _text(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if " " not in text else json.dumps(text, ensure_ascii=False)
