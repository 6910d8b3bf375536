"""``python -m engine`` is the ``passerelle`` command."""
import sys

from engine.cli.main import main

sys.exit(main())
