"""``python -m engine`` is the ``passerelle`` command."""
import sys

try:  # Ctrl-C while the command is still loading ends as it does once it runs: 130, no traceback
    from engine.cli import oneshot
    from engine.cli.quickargs import start_dry_run_readers

    oneshot.start(sys.argv[1:])
    start_dry_run_readers(sys.argv[1:])  # a file dry-run's large inputs read while the rest loads

    from engine.cli.main import main  # (after the collector is set for a one-shot command)
except KeyboardInterrupt:
    sys.exit(130)  # (readers already started end with this process: their pipe closes)

oneshot.finish(sys.argv[1:], main())
