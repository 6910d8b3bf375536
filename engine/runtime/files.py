"""Files a payload names, read once per record before the ledger decides (see ``docs/runtime.md``).

The target operation declares which payload members hold a file (``files:``, see
:mod:`engine.connectors.http.files`). Each is read here — confined, bounded, hashed — and the
record's payload JSON is written again with each file's SHA-256 in it. The ledger compares that JSON's
hash with the last one sent (:mod:`engine.runtime.updates`): a record whose data and files are
unchanged is skipped without a request; a changed file makes the record changed, and the flow's
``update`` operation (PrestaShop's ``?ps_method=PUT`` on the image id remembered at creation) sends it.
The bytes read here are the bytes sent: the file is not read again for the request.
"""
from __future__ import annotations

from engine.connectors.errors import EncodeError
from engine.errors import RecordError
from engine.util.jsonout import dumps


def attach(runner, outcome) -> RecordError | None:
    """Read the files of ``outcome``'s payload into it; the record's error when one cannot be sent."""
    flow = runner.flow
    target = runner.target()
    read = getattr(target, "attach_files", None)
    if read is None or not getattr(target.operation(flow.target_operation), "files", ()):
        return None
    try:
        payload = read(flow.target_operation, outcome.payload)
    except EncodeError as exc:
        return RecordError(f"cannot be sent: {exc.message}", flow.name, outcome.key, "map",
                           flow.item.loc("map"))
    if payload is not outcome.payload:
        outcome.payload, outcome.payload_json = payload, dumps(payload)
    return None
