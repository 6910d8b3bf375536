"""Hot reload: rebuild the plan when the project's files change and stay put; swap only a clean,
settled, unsurprising build.

The project's files are the YAML files directly in the folder and in ``connectors/``, the CSV files
beside them, and every file a lookup of the live plan is read from. A background thread watches them
(watchfiles, plus a rescan every second for file systems that lose events) and:

1. waits until no file changed for the **settle period** (``project: { reload: { settle: 1s } }`` or
   ``serve --settle``; default 1 s) — a file being written (an upload, a slow editor) is never built;
2. reads every file once into a snapshot, hashes those bytes, and builds from the *same* bytes
   (``engine.util.fileio.pinned``); the build counts only if a fresh hash taken after it agrees and no
   file is younger than the settle period — else the wait starts again;
3. a build with errors is logged (``plan_rejected``, located) and the live plan keeps running;
4. a clean build that would remove a flow, empty a lookup table or remove most of a flow's fields is
   **held back** (``plan_held``, located warnings, see ``reload_policy``) until the same content is
   saved again after it was held, or ``passerelle reload PROJECT --accept`` (``reload_control``);
5. otherwise it replaces the live plan — the runner picks it up between two records — and the diff
   is logged (``plan_live``).

Content hashes, not event counts, decide: after a burst of saves the last saved content is the one
that goes live, once.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from engine.errors import Diagnostic, SpecError, format_diagnostics, sort_diagnostics
from engine.plan.model import Plan
from engine.project.load import display
from engine.runtime.reload_control import ReloadControl
from engine.runtime.reload_policy import (DEFAULT_SETTLE, SETTLE_BOUND, lookup_files, plan_diff, settle_of,
                                          suspicious)
from engine.runtime.snapshot import WATCHED, Snapshot, content_hash, read_snapshot
from engine.util.fileio import pinned


@dataclass
class Held:
    """A clean build held back as suspicious, waiting for a confirmation."""

    version: str
    plan: Plan
    warnings: list[Diagnostic]
    since: float  # monotonic
    confirmed: bool = False

    def status(self) -> dict:
        return {"version": self.version, "warnings": [d.format_text() for d in self.warnings]}


class LivePlan:
    """The plan in use, its version, and the background watcher that replaces it.

    All reload decisions are taken in the watcher thread (or by ``check``/``accept`` called directly
    when the watcher is not started); readers only call ``current()``.
    """

    def __init__(self, root: Path, build: Callable[[], Plan], log: Callable[..., None], *,
                 debounce_ms: int = 20, step_ms: int = 5, rescan_s: float = 1.0, tick_ms: int = 20,
                 settle: float | None = None):
        self.root = Path(root).resolve()
        self.build = build
        self.log = log
        self.debounce_ms, self.step_ms, self.rescan_s, self.tick_ms = debounce_ms, step_ms, rescan_s, tick_ms
        self.settle_option = settle
        self.settle = settle if settle is not None else DEFAULT_SETTLE
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._control: ReloadControl | None = None
        self._extra: set[Path] = set()
        self._held: Held | None = None
        self._considered = ""  # the last content built (live, rejected or held back)
        self.plan: Plan | None = None
        self.version = ""
        self.generation = 0
        self.builds = 0
        plan, snap = self._first_build()
        self._swap(plan, snap.digest)
        self._seen, self._dirty = snap.digest, False
        self._quiet_since = self._last_rescan = time.monotonic()

    # -- readers ---------------------------------------------------------------------------------
    def current(self) -> Plan:
        with self._lock:
            assert self.plan is not None
            return self.plan

    @property
    def held(self) -> Held | None:
        return self._held

    # -- building --------------------------------------------------------------------------------
    def _build_from(self, snap: Snapshot) -> Plan:
        self.builds += 1
        with pinned(snap.files):
            plan = self.build()
        missing = lookup_files(plan) - snap.paths - self._extra
        if missing:  # a lookup file not read into the snapshot: watch it, and read it next time
            self._extra |= missing
            raise _Unsettled()
        return plan

    def _first_build(self) -> tuple[Plan, Snapshot]:
        """Build once the files have been quiet for the settle period (at most settle x 5 of waiting:
        ``run`` must not start from a file being written, nor wait forever for one)."""
        start = time.monotonic()
        settle, waited = self.settle, ""
        while True:
            bound = start + settle * SETTLE_BOUND
            snap = read_snapshot(self.root, self._extra)
            if snap.age() < settle and time.monotonic() < bound:
                waited = snap.newest_file
                time.sleep(max(0.01, min(settle - snap.age(), bound - time.monotonic())))
                continue
            try:
                plan = self._build_from(snap)
            except _Unsettled:
                continue
            if read_snapshot(self.root, self._extra).digest != snap.digest and time.monotonic() < bound:
                waited = snap.newest_file
                continue
            own = settle_of(plan) if self.settle_option is None else None
            if own is not None and own > settle and snap.age() < own:
                self.settle = settle = own
                continue
            if own is not None:
                self.settle = own
            break
        if waited:
            self.log("project_settled", waited_s=round(time.monotonic() - start, 3), file=waited,
                     quiet=snap.age() >= settle)
        return plan, snap

    def check(self) -> bool:
        """Build now if the files differ from the live plan, without waiting for the settle period (the
        hold-back rules apply); True when a new plan went live. For tools and tests: ``serve`` uses
        the watcher."""
        snap = read_snapshot(self.root, self._extra)
        if snap.digest == self._considered and not self._confirmed(snap.digest):
            return False
        self._seen = snap.digest
        return self._try(snap)

    def _try(self, snap: Snapshot) -> bool:
        """Build ``snap``; True when it went live."""
        try:
            plan = self._build_from(snap)
        except _Unsettled:
            self._changed(time.monotonic())
            return False
        except SpecError as exc:
            if self._moved(snap):
                return False
            errors = [d for d in exc.diagnostics if d.is_error]
            self.log("plan_rejected", version=snap.digest, live_generation=self.generation,
                     errors=len(errors), details=format_diagnostics(sort_diagnostics(errors)))
            self._considered = snap.digest
            return False
        except Exception as exc:  # never let a reload bug stop the running flows
            self.log("plan_rejected", version=snap.digest, live_generation=self.generation,
                     errors=1, details=f"internal error: {type(exc).__name__}: {exc}")
            self._considered = snap.digest
            return False
        if self._moved(snap):
            return False
        confirmed = self._confirmed(snap.digest)
        self._considered = snap.digest
        assert self.plan is not None
        warnings = suspicious(self.plan, plan)
        if warnings and not confirmed:
            self._held = Held(snap.digest, plan, warnings, time.monotonic())
            self._extra |= lookup_files(plan)
            self.log("plan_held", version=snap.digest, live_generation=self.generation,
                     warnings=len(warnings), details=format_diagnostics(sort_diagnostics(warnings)),
                     hint=f"kept back: the live plan (generation {self.generation}) keeps running. "
                     f"If this is intended, save the same content again, or run `passerelle reload "
                     f"{display(self.root)} --accept`")
            self._publish()
            return False
        self._swap(plan, snap.digest, confirmed="save" if confirmed else None)
        return True

    def _confirmed(self, digest: str) -> bool:
        held = self._held
        return held is not None and held.version == digest and held.confirmed

    def _moved(self, snap: Snapshot) -> bool:
        """The files changed while ``snap`` was being built: the build does not count."""
        if read_snapshot(self.root, self._extra).digest == snap.digest:
            return False
        self._changed(time.monotonic())
        return True

    def _swap(self, plan: Plan, version: str, confirmed: str | None = None) -> None:
        diff = plan_diff(self.plan, plan)
        previous = self.version
        with self._lock:
            self.plan = plan
            self.version = self._considered = version
            self.generation += 1
            self.swapped_at = time.monotonic()
        self._held = None
        self._extra = lookup_files(plan)
        own = settle_of(plan)
        if self.settle_option is None and self.generation > 1:
            self.settle = own if own is not None else DEFAULT_SETTLE
        fields: dict[str, object] = {"previous": previous} if previous else {"settle": self.settle}
        if confirmed:
            fields["confirmed"] = confirmed
        self.log("plan_live", generation=self.generation, version=version, **fields, diff=diff.text(),
                 **diff.fields())
        self._publish()

    def accept(self, version: str | None = None) -> tuple[bool, str]:
        """Take the reload held back (``version``, when given, must be the one held)."""
        held = self._held
        if held is None:
            return False, f"nothing is held back; plan generation {self.generation} ({self.version}) is live"
        if version and version != held.version:
            return False, (f"the reload held back now is {held.version}, not {version}: "
                           "run the command again to accept it")
        if read_snapshot(self.root, self._extra).digest != held.version:
            self._changed(time.monotonic())
            return False, "the files changed since the reload was held back: the new content is being considered"
        self._swap(held.plan, held.version, confirmed="accept")
        return True, f"plan generation {self.generation} ({self.version}) is live"

    # -- the watcher -----------------------------------------------------------------------------
    def start(self, control: Path | None = None) -> None:
        """Watch in a background thread; with ``control`` (the state folder), publish the reload state
        there and take ``passerelle reload --accept`` requests."""
        if control is not None:
            self._control = ReloadControl(control, self.root)
            self._publish()
        self._thread = threading.Thread(target=self._watch, name="passerelle-reload", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        if self._control is not None:
            self._control.remove()

    def _publish(self) -> None:
        if self._control is not None:
            try:
                self._control.publish(generation=self.generation, version=self.version, settle=self.settle,
                                      held=self._held.status() if self._held else None)
            except OSError as exc:
                self.log("reload_error", error=f"cannot write {self._control.status}: {exc}")

    def _relevant(self, changes) -> bool:
        for _change, name in changes:
            path = Path(name)
            if path in self._extra or (path.name.endswith(WATCHED)
                                       and path.parent in (self.root, self.root / "connectors")):
                return True
        return False

    def _watch(self) -> None:
        from watchfiles import watch

        for changes in watch(self.root, watch_filter=None, debounce=self.debounce_ms, step=self.step_ms,
                             stop_event=self._stop, yield_on_timeout=True, rust_timeout=self.tick_ms,
                             raise_interrupt=False):
            if self._stop.is_set():
                return
            try:
                self._tick(self._relevant(changes))
            except Exception as exc:  # keep watching whatever happens
                self.log("reload_error", error=f"{type(exc).__name__}: {exc}")

    def _tick(self, saved: bool) -> None:
        now = time.monotonic()
        if saved or now - self._last_rescan >= self.rescan_s:
            self._last_rescan = now
            self._observe(content_hash(self.root, self._extra), saved, now)
        if self._control is not None:
            self._take_request()
        if self._dirty and time.monotonic() - self._quiet_since >= self.settle:
            self._settled()

    def _changed(self, now: float) -> None:
        self._seen = ""  # unknown: the next observation counts as a change
        self._observe(content_hash(self.root, self._extra), True, now)

    def _observe(self, digest: str, saved: bool, now: float) -> None:
        if saved:
            self._quiet_since = now
        held = self._held
        if digest != self._seen:
            self._seen, self._quiet_since = digest, now
            if held is not None and digest != held.version:
                self._held = None
                self._considered = ""  # the content held back is considered afresh if it comes back
                self.log("plan_hold_dropped", version=held.version, reason="the files changed again")
                self._publish()
            self._dirty = digest != self._considered
        elif saved and held is not None and digest == held.version and now >= held.since:
            held.confirmed = True  # the same content saved again after it was held back
            self._dirty = True

    def _settled(self) -> None:
        snap = read_snapshot(self.root, self._extra)
        now = time.monotonic()
        if snap.digest != self._seen:
            self._observe(snap.digest, False, now)
            return
        if snap.age() < self.settle:  # written without an event reaching us
            self._quiet_since = now - snap.age()
            return
        self._dirty = False
        if snap.digest != self._considered or self._confirmed(snap.digest):
            self._try(snap)

    def _take_request(self) -> None:
        assert self._control is not None
        request = self._control.take_request()
        if request is None:
            return
        accepted, message = self.accept(request.get("version"))
        self.log("reload_accept", accepted=accepted, message=message)
        self._control.answer = {"id": request.get("id"), "accepted": accepted, "message": message,
                                "generation": self.generation, "version": self.version}
        self._publish()


class _Unsettled(Exception):
    """The build read a file the snapshot did not hold: build again from a new snapshot."""
