"""Canary secrets and the ways they could leak (imported as ``secrets_support`` by the secret tests).

A canary is a distinctive random string used as a credential. It holds a space, ``/``, ``+``, ``&``
and ``=`` so that its URL-encoded (``quote``, ``quote_plus``), JSON- and XML-escaped forms differ
from the plain text; :func:`leak_forms` lists every form a leak could take, base64 included at the
three byte alignments (so ``Basic base64(user:secret)`` and a secret inside any base64 blob are
found whatever precedes it).
"""
from __future__ import annotations

import base64
import html
import json
import uuid
from pathlib import Path
from urllib.parse import quote, quote_plus

from passerelle_sandbox._http import Response


def canary(length: int = 40) -> str:
    """``CANARY/xxxx+ &=xxxx…`` of exactly ``length`` characters (PrestaShop keys are 32)."""
    head = "CANARY/" + uuid.uuid4().hex[:4] + "+ &="
    tail = (uuid.uuid4().hex * 2)[: length - len(head)]
    assert len(tail) >= 12, "a canary needs enough random characters to be distinctive"
    return head + tail


def _b64_cores(data: bytes, encode=base64.b64encode) -> list[str]:
    """The base64 characters that depend only on ``data`` when it starts at each byte alignment."""
    cores = []
    for shift in range(3):
        encoded = encode(b"\0" * shift + data).decode()
        first = -(-8 * shift // 6)  # the first character holding no bit of the prefix
        last = 8 * (shift + len(data)) // 6  # characters before this one hold no bit of what follows
        cores.append(encoded[first:last])
    return cores


def leak_forms(secret: str, users: tuple[str, ...] = ()) -> dict[str, str]:
    """Every form of ``secret`` worth looking for: name -> text (a secret read from a file with its
    line break is looked for without it too)."""
    forms = _forms(secret, users)
    if secret.strip() != secret:
        forms.update({f"{name}, stripped": form for name, form in _forms(secret.strip(), users).items()})
    return forms


def _forms(secret: str, users: tuple[str, ...]) -> dict[str, str]:
    forms = {
        "plain": secret,
        "quote": quote(secret),
        "quote(safe='')": quote(secret, safe=""),
        "quote_plus": quote_plus(secret),
        "url as httpx normalises it": quote(secret, safe="!$&'()*+,;=:@/?~"),
        "json": json.dumps(secret)[1:-1],
        "json with escaped slashes": json.dumps(secret)[1:-1].replace("/", "\\/"),
        "xml": html.escape(secret, quote=False),
        "repr": repr(secret)[1:-1],
        "bytes repr": repr(secret.encode())[2:-1],
        "base64": base64.b64encode(secret.encode()).decode(),
        "basic auth base64 (secret:)": base64.b64encode(f"{secret}:".encode()).decode(),
    }
    for user in users:
        forms[f"basic auth base64 ({user}:secret)"] = base64.b64encode(f"{user}:{secret}".encode()).decode()
    for shift, core in enumerate(_b64_cores(secret.encode())):
        forms[f"base64 at offset {shift}"] = core
    for shift, core in enumerate(_b64_cores(secret.encode(), base64.urlsafe_b64encode)):
        forms[f"urlsafe base64 at offset {shift}"] = core
    return forms


def find_leaks(blob: str | bytes, secrets: dict[str, str], users: tuple[str, ...] = ()) -> list[str]:
    """``["ACME_PS_KEY (quote_plus)", ...]`` for every form of every secret found in ``blob``."""
    data = blob.encode() if isinstance(blob, str) else blob
    found = []
    for label, secret in secrets.items():
        for name, form in leak_forms(secret, users).items():
            if form.encode() in data:
                found.append(f"{label} ({name})")
    return found


def assert_clean(where: str, blob: str | bytes, secrets: dict[str, str], users: tuple[str, ...] = ()) -> None:
    leaks = find_leaks(blob, secrets, users)
    if leaks:
        text = blob if isinstance(blob, str) else blob.decode("utf-8", "replace")
        raise AssertionError(f"secret leaked in {where}: {', '.join(leaks)}\n--- {where} ---\n{text[:3000]}")


def state_files(state_dir: Path) -> dict[str, bytes]:
    """The bytes of the state database and its write-ahead log (what a backup would copy)."""
    return {path.name: path.read_bytes() for path in sorted(Path(state_dir).glob("state.db*"))}


def echo_credentials(sim, fail_writes: int | None = None) -> None:
    """Make a running simulator's error answers echo the credential it received ("invalid key XYZ"),
    as some vendors do: whatever the engine copies from an error body must be scrubbed. Wraps the
    simulator's public ``handle``; the rest of its behaviour is unchanged, except that with
    ``fail_writes`` every POST is answered with that status (and not applied)."""
    handle = sim.handle

    def echoing(request):
        if fail_writes and request.method == "POST":
            response = Response(fail_writes, b"Service unavailable", [("Content-Type", "text/plain")])
        else:
            response = handle(request)
        if response.status < 400 or not response.body:
            return response
        received = request.header("Authorization") or ""
        if received[:6].lower() == "basic ":
            received += " = " + base64.b64decode(received[6:]).decode("utf-8", "replace")
        sent = request.body.decode("utf-8", "replace")
        echo = f"(credential received: {received}; query: {request.query}; body: {sent})"
        body = response.body
        if body.lstrip()[:1] == b"<":
            body = body.replace(b"<message><![CDATA[", b"<message><![CDATA[" + echo.encode() + b" ")
        else:
            try:
                data = json.loads(body)
            except ValueError:
                body += (" " + echo).encode()
            else:
                body = json.dumps(_echo_into(data, echo)).replace("/", "\\/").encode()  # WCF escapes '/'
        return Response(response.status, body, response.headers, response.head_only)

    sim.handle = echoing


ECHOED = ("message", "$message", "error", "error_description")  # the members vendors put their words in


def _echo_into(data, echo: str):
    if isinstance(data, dict):
        return {k: (f"{v} {echo}" if isinstance(v, str) and k.lower() in ECHOED else _echo_into(v, echo))
                for k, v in data.items()}
    if isinstance(data, list):
        return [_echo_into(item, echo) for item in data]
    return data
