"""The process of a one-shot command: ``passerelle validate``, which editors and CI start constantly, and
a file dry-run (``dry-run --input ...``), whose start-up and exit are a large part of its time on a
file of a thousand records.

Validate's objects (parsed specs, compiled connectors, the modules) all live until the command ends, so

* for validate, the cyclic garbage collector's young generation is collected every 100,000 allocations
  instead of every 700: each collection would walk objects that are all still alive (mypy's ``main``
  raises the same threshold for the same reason). A file dry-run too, but only until its plan is
  compiled and its related records indexed (:func:`compiled`): its source records come and go, and with
  the raised threshold a dry-run mapping its source in two processes grew by ~0.8 KB per record in each
  (100,000 orders: 38 -> 137 MiB) where the default thresholds keep it flat. What is alive then (the
  modules, the plan, the related index) stays alive to the end: it is frozen, out of every later
  collection (the mapper processes forked after keep it so: runtime/fedmap.py, splitmap.py); while the
  index was given back to the collector, two full collections walked it at 10,000 orders (~140 ms of
  a parent's 230 ms of collections; 68 ms left). The readers it forks before (engine/runtime/earlyread.py)
  keep the raised threshold;
* the process ends with ``os._exit`` once its output is flushed, instead of freeing every object one
  by one at interpreter exit (mypy's ``hard_exit``). Nothing is left to finish: validate starts no
  thread, opens no file it keeps, and registers no ``atexit`` handler; a file dry-run ends this way
  only once it has said it finished (:func:`completed`: every record read, so its reader processes
  and its temporary index are closed), any other ending (an unreadable input, a closed pipe, an
  interruption) ends as Python ends;
* half of the projects are validated by a forked child on the other core (engine/plan/forked.py).

Only the console entry points (``passerelle``, ``python -m engine``) call these, never ``main()`` itself,
which tests call many times in one process; every other command ends as Python ends.
"""
from __future__ import annotations

import gc
import os
import sys

ONE_SHOT = frozenset({"validate"})
YOUNG_THRESHOLD = 100_000
_started: list[str] = []  # the one-shot command this process was started for (at most one)
_completed: list[bool] = []  # a file dry-run's "every record was read" (completed())
_raised: list[int] = []  # a file dry-run compiling: the young threshold start() raised


def running(command: str) -> bool:
    """Whether this whole process is the one-shot ``command`` (not a test calling ``main()``)."""
    return command in _started


def is_one_shot(argv: list[str]) -> bool:
    return bool(argv) and (argv[0] in ONE_SHOT or _file_dry_run(argv))


def _file_dry_run(argv: list[str]) -> bool:
    """``dry-run ... --input FILE``: reads files (a live dry-run holds connections and a token store)."""
    return argv[0] == "dry-run" and any(arg == "--input" or arg.startswith("--input=") for arg in argv[1:])


def completed() -> None:
    """Said by a one-shot file dry-run whose work ended as planned: its process may end at once."""
    _completed.append(True)


def compiled() -> None:
    """A one-shot file dry-run's plan is compiled and its related records indexed: the default
    thresholds again for its records, and every object alive now (modules, plan, index) is left out
    of later collections (``gc.freeze``): none of them is garbage.
    (Until now its objects all stayed alive, as validate's: see the module.) Frozen first: with the
    young threshold lowered first, the next allocation would walk every object made since the last
    collection (~25 ms after a dry-run's compile), all of them alive."""
    if _raised:
        from engine.runtime.heap import freeze_for_good

        freeze_for_good()
        _, middle, old = gc.get_threshold()
        gc.set_threshold(_raised.pop(), middle, old)


def start(argv: list[str]) -> None:
    """Before the command runs (``argv`` without the program name)."""
    if is_one_shot(argv):
        _started.append(argv[0])
        young, middle, old = gc.get_threshold()
        if argv[0] not in ONE_SHOT:  # a file dry-run: until its plan is compiled (see the module's docstring)
            _raised.append(young)
        gc.set_threshold(YOUNG_THRESHOLD, middle, old)


def finish(argv: list[str], code: int) -> None:
    """End the process with ``code``: at once for a one-shot command, its output flushed first."""
    if is_one_shot(argv) and (argv[0] == "validate" or _completed):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe (`validate | head`): nothing more to say
                pass
        os._exit(code)
    sys.exit(code)
