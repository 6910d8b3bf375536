"""``python -m passerelle_sandbox`` — same as :func:`passerelle_sandbox.cli.main`."""
from passerelle_sandbox.cli import main

raise SystemExit(main())
