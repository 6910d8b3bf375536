"""``--state``: a state folder (the SQLite default) or a ``postgresql://`` URL (the shared store). Kept
apart from the stores so that building the command line imports neither of them."""
from __future__ import annotations

from pathlib import Path

SCHEMES = ("postgresql://", "postgres://")


def is_url(text: object) -> bool:
    return isinstance(text, str) and text.startswith(SCHEMES)


def state_arg(text: str) -> Path | str:
    """``--state``: a folder (SQLite), or a ``postgresql://`` URL."""
    return text if is_url(text) else Path(text)


__all__ = ["SCHEMES", "is_url", "state_arg"]
