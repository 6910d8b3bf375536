"""'Did you mean ...?' suggestions for misspelt names."""
from __future__ import annotations

from collections.abc import Iterable


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name nearest to ``name``, when one is near enough to be a likely typo."""
    known = [k for k in known if isinstance(k, str)]
    if not isinstance(name, str) or not known:
        return None
    lowered = {k.lower(): k for k in known}
    if name.lower() in lowered:
        return lowered[name.lower()]
    import difflib  # only when a name is misspelt (start-up of `validate`)

    match = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return match[0] if match else None


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``"; did you mean 'lookup'?"`` or ``""``."""
    guess = closest(name, known)
    return f"; did you mean '{guess}'?" if guess else ""


def known_list(known: Iterable[str], limit: int = 12) -> str:
    names = sorted(k for k in known if isinstance(k, str))
    shown = ", ".join(names[:limit])
    return shown + (f", … ({len(names)} in all)" if len(names) > limit else "")


def hint_for(name: str, known: Iterable[str], what: str = "names") -> str:
    """A hint line: the likely intended name, else the list of known names."""
    known = list(known)
    guess = closest(name, known)
    if guess:
        return f"did you mean '{guess}'?"
    if not known:
        return f"no {what} are defined"
    return f"known {what}: {known_list(known)}"
