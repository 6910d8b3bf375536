"""``python -m engine`` is the ``passerelle`` command (engine/cli/console.py)."""
try:
    from engine.cli.console import run
except KeyboardInterrupt:  # (as run() itself: Ctrl-C while loading ends with 130, no traceback)
    raise SystemExit(130) from None

run()
