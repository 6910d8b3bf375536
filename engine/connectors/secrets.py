"""Keeping secrets out of text, for every protocol: what an endpoint shows (messages, locations,
dry-run requests) goes through a :class:`Scrubber` built from its settings (its secret settings and
the passwords in the URLs among them).

A :class:`~engine.spec.env.Secret` renders as ``***`` by itself; scrubbing is the second line of
defence, for text that comes back from the other side (a vendor's error body echoing a token, a
database driver's message quoting its connection string).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from engine.spec.env import MASK, Scrubber, Secret, register
from engine.util.urls import userinfo_secrets

# keys of an ODBC/ADO connection string whose value is a credential
_CREDENTIAL_KEYS = re.compile(r"(?i)(^|;)(\s*(?:pwd|password|pass|passwd|secret|token|access[ _]?token|"
                              r"account[ _]?key)\s*=\s*)(\{[^}]*\}|[^;]*)")


def settings_scrubber(settings: Mapping[str, Any]) -> Scrubber:
    """A scrubber for an endpoint: every form of its secret settings (see
    :class:`engine.spec.env.Scrubber`) and of the passwords in the user info of any URL among its
    settings (``base_url: https://user:password@host``, secret or not: those are registered for the
    whole command too, like a :class:`Secret`); its auth flow adds the tokens it obtains."""
    secrets: list[Secret | str] = [value for value in settings.values() if isinstance(value, Secret)]
    for value in settings.values():
        for found in url_passwords(value):
            register(found)
            secrets.append(found)
    return Scrubber(secrets)


def url_passwords(value: Any) -> list[str]:
    """The passwords written in the user info of the URLs of one setting value."""
    text = value.reveal() if isinstance(value, Secret) else value
    return userinfo_secrets(text) if isinstance(text, str) else []


def mask_connection_string(text: str) -> str:
    """A connection string (``DSN=X;UID=u;PWD=p``) with the values of its credential keys masked,
    whether or not they came from a secret setting."""
    return _CREDENTIAL_KEYS.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
