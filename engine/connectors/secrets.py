"""Keeping secrets out of text, for every protocol: what an endpoint shows (messages, locations,
dry-run requests) goes through a :class:`Scrubber` built from its settings.

A :class:`~engine.spec.env.Secret` renders as ``***`` by itself; scrubbing is the second line of
defence, for text that comes back from the other side (a vendor's error body echoing a token, a
database driver's message quoting its connection string).
"""
from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from engine.spec.env import MASK, Secret

# keys of an ODBC/ADO connection string whose value is a credential
_CREDENTIAL_KEYS = re.compile(r"(?i)(^|;)(\s*(?:pwd|password|pass|passwd|secret|token|access[ _]?token|"
                              r"account[ _]?key)\s*=\s*)(\{[^}]*\}|[^;]*)")


def secret_forms(settings: Mapping[str, Any]) -> list[str]:
    """Every way a secret setting could appear in text: plain, URL-encoded, base64 (longest first)."""
    forms: set[str] = set()
    for value in settings.values():
        if isinstance(value, Secret) and len(value.reveal()) >= 3:
            text = value.reveal()
            forms.update({text, quote(text, safe=""), quote(text), base64.b64encode(text.encode()).decode()})
    return sorted(forms, key=len, reverse=True)


class Scrubber:
    """Removes every form of the secret settings from a text."""

    def __init__(self, settings: Mapping[str, Any]):
        self.forms = secret_forms(settings)

    def __call__(self, text: str) -> str:
        for form in self.forms:
            if form in text:
                text = text.replace(form, MASK)
        return text


def mask_connection_string(text: str) -> str:
    """A connection string (``DSN=X;UID=u;PWD=p``) with the values of its credential keys masked,
    whether or not they came from a secret setting."""
    return _CREDENTIAL_KEYS.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
