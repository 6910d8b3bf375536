"""``python -m engine`` is the ``passerelle`` command."""
import sys

from engine.cli import oneshot

oneshot.start(sys.argv[1:])

from engine.cli.main import main  # noqa: E402  (after the collector is set for a one-shot command)

oneshot.finish(sys.argv[1:], main())
