"""``python -m engine`` is the ``passerelle`` command."""
import sys

from engine.cli import oneshot
from engine.cli.quickargs import start_dry_run_readers

oneshot.start(sys.argv[1:])
start_dry_run_readers(sys.argv[1:])  # a file dry-run's large inputs read while the rest loads

from engine.cli.main import main  # noqa: E402  (after the collector is set for a one-shot command)

oneshot.finish(sys.argv[1:], main())
