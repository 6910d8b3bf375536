"""``${env:NAME}`` references: where secrets and per-machine settings come from.

A setting's value may be a literal or contain references; they are resolved only when an endpoint
is actually used (never at validation, never in dry-run from files), and a resolved secret is
wrapped in a :class:`Secret`, which is not a string and shows as ``***`` wherever it ends up.

Text that may carry a secret anyway (a vendor's error body echoing the credential, an exception of
the HTTP library quoting a header) goes through a :class:`Scrubber`: every form of a secret becomes
``***``, whether plain, URL-encoded, escaped or base64 at any alignment, and so does the user info of
any URL (``https://user:password@host``: see :mod:`engine.util.urls`). An endpoint scrubs every
message it raises of its own secrets (its secret settings, the tokens its auth flow obtained);
command output, log lines and the reasons kept in the state file are scrubbed again where they
leave the process, by :func:`scrub`, of every secret made in this command (each ``Secret`` made,
each token a server issued, is registered).
"""
from __future__ import annotations

import base64
import json
import os
import re
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from urllib.parse import quote, quote_plus

from engine.util.urls import mask_userinfo

ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
ANY_REF = re.compile(r"\$\{([^}]*)\}?")


class MissingEnv(Exception):
    def __init__(self, name: str):
        super().__init__(f"environment variable {name} is not set")
        self.name = name


MASK = "***"


class Secret:
    """A resolved secret. It is not a string: it cannot be concatenated, JSON-encoded or written into a
    message by accident (``str()``, ``repr()`` and f-strings show ``***``; ``"x" + secret`` and
    ``json.dumps(secret)`` raise). Only a transport putting a request on the wire calls
    :meth:`reveal`."""

    __slots__ = ("_text",)

    def __init__(self, text: str):
        self._text = str(text)
        register(self._text)

    def reveal(self) -> str:
        """The real text, for the wire only."""
        return self._text

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __jsonout__(self) -> str:  # engine.util.jsonout writes the mask: a secret has no other JSON form
        return MASK

    def __bool__(self) -> bool:
        return bool(self._text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._text == self._text

    def __hash__(self) -> int:
        return hash((Secret, self._text))

    def __copy__(self) -> "Secret":
        return self

    def __deepcopy__(self, memo: dict) -> "Secret":
        return self

    def __reduce__(self):  # never pickled into a file or a queue
        raise TypeError("a Secret cannot be pickled")


MIN_LENGTH = 3  # a shorter secret cannot be told from ordinary text (and is no secret)
URL_SAFE = "!$&'()*+,;=:@/?~"  # what a URL may hold as is: httpx encodes only the rest of a URL it is given
_PERCENT = re.compile(r"%[0-9A-F]{2}")


def secret_forms(text: str) -> set[str]:
    """Every way ``text`` could appear in a message: plain (also without surrounding whitespace, and
    as a Python repr shows it), URL-encoded (fully, ``quote_plus``, or only what a URL cannot hold, as
    httpx does to a URL it is given; lower-case escapes too), JSON- and XML-escaped, and base64
    (standard and URL-safe) at each of the three byte alignments — so ``Basic base64(user:secret)``,
    or the secret anywhere inside a base64 blob, is found whatever precedes it."""
    import html  # (its entity table costs start-up time to every command; only secrets need it)

    forms: set[str] = set()
    for plain in {text, text.strip()}:
        if len(plain) < MIN_LENGTH:
            continue
        quoted = {quote(plain, safe=""), quote(plain), quote(plain, safe=URL_SAFE), quote_plus(plain),
                  quote_plus(plain, safe="/")}
        forms |= quoted | {_PERCENT.sub(lambda m: m.group(0).lower(), q) for q in quoted}
        escaped = json.dumps(plain)[1:-1]
        forms |= {plain, escaped, escaped.replace("/", "\\/"), json.dumps(plain, ensure_ascii=False)[1:-1],
                  html.escape(plain, quote=False), html.escape(plain), repr(plain)[1:-1],
                  repr(plain.encode())[2:-1]}
        data = plain.encode()
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            for shift in range(3):
                encoded = encode(b"\0" * shift + data).decode()
                core = encoded[-(-8 * shift // 6): 8 * (shift + len(data)) // 6]  # only bits of the secret
                if len(core) >= 2 * MIN_LENGTH:
                    forms.add(core)
    return forms


class Scrubber:
    """Replaces every form (:func:`secret_forms`) of its secrets with ``***``. ``add`` one more: a
    configured secret stays; a token a server issued at run time is one of the latest 32 kept (a
    long ``serve`` renews short-lived tokens all day)."""

    def __init__(self, secrets: Iterable[Secret | str] = ()):
        self._lock = threading.Lock()
        self._configured = {s.reveal() if isinstance(s, Secret) else str(s) for s in secrets}
        self._obtained: deque[str] = deque(maxlen=32)
        self.forms = self._forms()

    def _forms(self) -> list[str]:
        forms: set[str] = set()
        for text in self._configured | set(self._obtained):
            forms |= secret_forms(text)
        return sorted(forms, key=len, reverse=True)  # a longer form first: no half-masked leftovers

    def add(self, text: str, obtained: bool = False) -> None:
        if text in self._configured or (obtained and text in self._obtained):
            return
        with self._lock:
            (self._obtained.append if obtained else self._configured.add)(text)
            self.forms = self._forms()

    def __call__(self, text: str) -> str:
        for form in self.forms:
            if form in text:
                text = text.replace(form, MASK)
        return mask_userinfo(text)  # the user info of any URL (``https://user:pw@host``) too


_known = Scrubber()  # every secret of this process (or of the command running: see secrets_scope)


def register(text: str, obtained: bool = False) -> None:
    """Treat ``text`` as a secret from now on: :func:`scrub` removes it. Every :class:`Secret` is
    registered when made; an auth flow registers the tokens a server issues (``obtained``)."""
    _known.add(text, obtained)


def scrub(text: str) -> str:
    """``text`` without any secret registered (in this command's scope), in any form."""
    return _known(text)


@contextmanager
def secrets_scope():
    """Within it, :func:`scrub` knows only the secrets made within it: one command run in a process
    that runs many (tests) does not mask another command's secrets in its output."""
    global _known
    previous, _known = _known, Scrubber()
    try:
        yield
    finally:
        _known = previous


def reference_problems(text: str) -> list[tuple[int, str]]:
    """(offset, problem) for each malformed ``${...}`` in ``text``."""
    problems = []
    for match in ANY_REF.finditer(text):
        if not ENV_REF.fullmatch(match.group(0)):
            problems.append((match.start(), f"malformed reference {match.group(0)!r}: write "
                             "${env:NAME} with NAME made of letters, digits and '_'"))
    return problems


def has_reference(text: object) -> bool:
    return isinstance(text, str) and bool(ENV_REF.search(text))


def resolve(text: str, environ: Mapping[str, str] | None = None, secret: bool = False) -> str | Secret:
    """Substitute every ``${env:NAME}``; raises MissingEnv for an unset variable."""
    environ = os.environ if environ is None else environ

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        if name not in environ:
            raise MissingEnv(name)
        return environ[name]

    value = ENV_REF.sub(substitute, text)
    return Secret(value) if secret else value
