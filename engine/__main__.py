"""``python -m engine`` is the ``passerelle`` command."""
import sys

from .cli import main

sys.exit(main())
