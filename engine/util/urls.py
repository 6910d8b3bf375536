"""Credentials written in a URL (``https://user:password@host/``): found, and masked wherever shown.

A password in a URL's user info is a secret even when the setting holding the URL is not declared
``secret``. :func:`mask_userinfo` replaces the user info of every URL in a text with ``***`` (what
:class:`engine.spec.env.Scrubber` does to every text it scrubs, so messages, logs, command output
and the reasons kept in the state all pass through it); :func:`userinfo_secrets` gives the password
(the user name when there is no password: a token used as user name) so that it is also scrubbed
where it appears without its URL (percent-decoded, inside a Basic header...).

Linear in the text: ``scheme://`` (or its JSON-escaped ``:\\/\\/``) is searched for, then the
authority up to the first ``/``, ``?``, ``#`` or white space; its user info ends at the last ``@``.
"""
from __future__ import annotations

import re
from urllib.parse import unquote

MASK = "***"
_SEPARATOR = re.compile(r"://|:\\/\\/")
_AUTHORITY_END = re.compile(r"[/\\?#\s\"'<>]")


def _userinfos(text: str):
    """``(start, end)`` of the user info of every URL in ``text``."""
    for separator in _SEPARATOR.finditer(text):
        start = separator.end()
        stop = _AUTHORITY_END.search(text, start)
        end = text.rfind("@", start, stop.start() if stop else len(text))
        if end > start:
            yield start, end


def mask_userinfo(text: str) -> str:
    """``text`` with the user info of every URL in it replaced by ``***``
    (``http://bob:pw@host/x`` -> ``http://***@host/x``)."""
    if "@" not in text or ("://" not in text and ":\\/\\/" not in text):
        return text
    out, last = [], 0
    for start, end in _userinfos(text):
        if start < last:
            continue
        out.append(text[last:start])
        out.append(MASK)
        last = end
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def userinfo_secrets(text: str, users: bool = True) -> list[str]:
    """The secrets in the user info of the URLs in ``text``: each password as written and
    percent-decoded; for user info without a password, the user name (a token used as user name),
    unless ``users`` is False."""
    if "@" not in text:
        return []
    found: list[str] = []
    for start, end in _userinfos(text):
        user, has_password, password = text[start:end].partition(":")
        if not has_password and not users:
            continue
        secret = password if has_password else user
        for form in (secret, unquote(secret)):
            if form and form != MASK and form not in found:
                found.append(form)
    return found
