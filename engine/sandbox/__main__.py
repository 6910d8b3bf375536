"""``python -m engine.sandbox`` — same as :func:`engine.sandbox.cli.main`."""
from .cli import main

raise SystemExit(main())
