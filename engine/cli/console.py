"""The ``passerelle`` command as a process starts it: the console script and ``python -m engine``.

Before the command line's modules load, a one-shot command's process is set up (engine/cli/oneshot.py)
and a file dry-run's large inputs start being read (engine/cli/quickargs.py). Ctrl-C while all that is
still loading ends as it does once the command runs: 130 and no traceback (readers already started end
with this process: their pipes close). ``main()`` itself, which tests call many times in one process,
does none of this.
"""
import sys


def run() -> None:  # pragma: no cover - the processes' entry point (tests/unit/test_oneshot.py runs both)
    argv = sys.argv[1:]
    try:
        from engine.cli import oneshot
        from engine.cli.quickargs import start_dry_run_readers

        oneshot.start(argv)
        start_dry_run_readers(argv)
        from engine.cli.main import main  # (after the collector is set for a one-shot command)
    except KeyboardInterrupt:
        sys.exit(130)
    oneshot.finish(argv, main())


__all__ = ["run"]
