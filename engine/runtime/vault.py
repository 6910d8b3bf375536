"""Rotated credentials at rest: the refresh tokens a server rotates are kept in the run state
encrypted with Fernet (the ``cryptography`` package: AES-128-CBC with an HMAC-SHA256, authenticated)
under a key taken from the environment, ``PASSERELLE_STATE_KEY``.

* Make a key once per deployment and keep it like a password, outside the project::

      python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"

* Changing keys: set ``PASSERELLE_STATE_KEY=NEW,OLD`` (comma-separated; the first encrypts, any
  decrypts), run once (the renewed token is kept under the new key), then drop the old one.
* No key when a token must be kept or read: an error naming the variable, never clear text. The key
  is asked for as soon as an endpoint whose server rotates refresh tokens opens with a state, before
  any token request: a rotated token that could not be kept would be lost (the server spent the old
  one), and the next run could not authenticate.
* A token that cannot be decrypted (another key, a damaged value) is an error that says what to do;
  the run does not fall back on the configured ``refresh_token``: that one is usually spent already,
  and starting from it silently would hide a key mix-up. To start again from the configured token on
  purpose, delete the kept one (``sqlite3 STATE_DB "DELETE FROM tokens"``).
* A value written in clear by an earlier version is read once and written again encrypted.

``cryptography`` is imported only here, when a token is kept or read: validating a project, or running
one without such a server, never needs it.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from engine.connectors.errors import EndpointError
from engine.spec.env import register

KEY_VARIABLE = "PASSERELLE_STATE_KEY"
PREFIX = "fernet:"  # marks an encrypted value (an earlier version stored tokens in clear)
MAKE_KEY = 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'


class VaultError(EndpointError):
    """A token cannot be kept or read: no key, a malformed key, another key. Raised while an endpoint
    opens (the runtime reports it as a configuration error, with the endpoint's location) or when a
    rotated token is kept (the flow stops)."""


def cipher(environ: Mapping[str, str] | None = None) -> Any:
    """The Fernet cipher (a ``MultiFernet``) of ``PASSERELLE_STATE_KEY``; VaultError when it is unset
    or malformed, or when ``cryptography`` is not installed."""
    environ = os.environ if environ is None else environ
    keys = [key.strip() for key in environ.get(KEY_VARIABLE, "").split(",") if key.strip()]
    if not keys:
        raise VaultError(f"{KEY_VARIABLE} is not set: the run state keeps the refresh token this server "
                         f"rotates, encrypted with that key. Make one with `{MAKE_KEY}`, keep it like a "
                         "password, and set it in the environment of every run")
    for key in keys:
        register(key)
    try:
        from cryptography.fernet import Fernet, MultiFernet
    except ImportError:  # pragma: no cover - a dependency of passerelle
        raise VaultError("the cryptography package is needed to keep rotated tokens encrypted "
                         "(pip install cryptography)") from None
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError):
        raise VaultError(f"{KEY_VARIABLE} is not a Fernet key (32 random bytes in URL-safe base64, 44 "
                         f"characters; several keys are separated by commas): make one with `{MAKE_KEY}`") from None


def seal(fernet: Any, value: str) -> str:
    """``value`` encrypted, as stored."""
    return PREFIX + fernet.encrypt(value.encode()).decode()


def unseal(fernet: Any, stored: str, where: str, forget: str | None = None) -> tuple[str, bool]:
    """``(value, sealed)`` of a stored value: decrypted, or a value an earlier version wrote in clear
    (``sealed`` False: write it again). VaultError when it cannot be decrypted; ``forget``: the command
    deleting the kept tokens (default: the SQLite state's)."""
    if not stored.startswith(PREFIX):
        return stored, False
    from cryptography.fernet import InvalidToken

    try:
        value = fernet.decrypt(stored[len(PREFIX):].encode()).decode()
    except (InvalidToken, ValueError):
        raise VaultError(f"the refresh token kept in {where} cannot be decrypted with {KEY_VARIABLE} (it was "
                         "kept with another key?): set the key it was kept with (NEW,OLD to move to a new "
                         f"one); or, to start again from the configured refresh_token, delete it: "
                         + (forget or f'sqlite3 {where} "DELETE FROM tokens"')) from None
    register(value)
    return value, True
