"""Hot reload: rebuild the plan when a project file changes; swap only a clean build.

A change (or a periodic rescan, the safety net for polling watchers that collapse events) triggers a
content hash of the project's files. When the hash differs from the live plan's, the whole project is
re-validated and re-compiled in this background thread; only a build without errors replaces the live
plan, and the runner picks it up between records. A broken edit logs its located errors and the last
good plan keeps running. Comparing content hashes (not counting events) guarantees that after a burst
of saves the last saved content is what ends up live.
"""
from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path
from typing import Callable

from engine.plan.model import Plan
from engine.errors import SpecError, format_diagnostics, sort_diagnostics

WATCHED = (".yaml", ".yml", ".csv")


def content_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in WATCHED and path.is_file() and not any(p.startswith(".") for p in path.parts[-3:-1]):
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            try:
                digest.update(path.read_bytes())
            except OSError:
                digest.update(b"<unreadable>")
    return digest.hexdigest()[:12]


class LivePlan:
    """The plan in use, its version, and the background watcher that replaces it."""

    def __init__(self, root: Path, build: Callable[[], Plan], log: Callable[..., None], *,
                 debounce_ms: int = 20, step_ms: int = 5, rescan_s: float = 1.0):
        self.root = root
        self.build = build
        self.log = log
        self.debounce_ms, self.step_ms, self.rescan_s = debounce_ms, step_ms, rescan_s
        self.version = content_hash(root)
        self.plan = build()
        self.generation = 1
        self.swapped_at = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.log("plan_live", generation=self.generation, version=self.version)

    def current(self) -> Plan:
        with self._lock:
            return self.plan

    def check(self) -> bool:
        """Rebuild if the files changed; True when a new plan went live."""
        version = content_hash(self.root)
        if version == self.version:
            return False
        try:
            plan = self.build()
        except SpecError as exc:
            errors = [d for d in exc.diagnostics if d.is_error]
            self.log("plan_rejected", version=version, live_generation=self.generation,
                     errors=len(errors), details=format_diagnostics(sort_diagnostics(errors)))
            self.version = version  # don't rebuild the same broken content again and again
            return False
        except Exception as exc:  # never let a reload bug stop the running flows
            self.log("plan_rejected", version=version, live_generation=self.generation,
                     errors=1, details=f"internal error: {type(exc).__name__}: {exc}")
            self.version = version
            return False
        with self._lock:
            self.plan = plan
            self.version = version
            self.generation += 1
            self.swapped_at = time.monotonic()
        self.log("plan_live", generation=self.generation, version=version)
        return True

    def start(self) -> None:
        self._thread = threading.Thread(target=self._watch, name="passerelle-reload", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _watch(self) -> None:
        from watchfiles import watch

        for _changes in watch(self.root, debounce=self.debounce_ms, step=self.step_ms,
                              stop_event=self._stop, yield_on_timeout=True,
                              rust_timeout=int(self.rescan_s * 1000), raise_interrupt=False):
            if self._stop.is_set():
                return
            try:
                self.check()
            except Exception as exc:  # keep watching whatever happens
                self.log("reload_error", error=f"{type(exc).__name__}: {exc}")
