"""How ``passerelle reload PROJECT --accept`` reaches a running ``serve``: two small files in the
project's state folder (``PROJECT/.passerelle`` unless ``state_dir``/``--state`` say otherwise).

* ``reload.json`` — written by ``serve`` (replaced atomically) whenever its reload state changes and
  removed when it stops: its process id, the live plan (generation, version), the reload held back
  if any (version, located warnings) and the answer to the last request.
* ``reload-accept`` — written by the ``reload`` command: a request id and the held version it
  accepts. ``serve`` looks for it every tick of its watcher (20 ms), deletes it, takes the held plan
  if that version is still the one held back and still what the files hold, and answers in
  ``reload.json`` under the same request id.

No signal, no socket: the files work the same for any user allowed to write the state folder, and a
stale ``reload.json`` left by a killed ``serve`` is recognised by its dead process id.
"""
from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

STATUS = "reload.json"
REQUEST = "reload-accept"


def _write_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # running under another user
    return True


class ReloadControl:
    """The ``serve`` side: publishes the reload state and takes the requests."""

    def __init__(self, folder: Path, project: Path):
        self.folder = Path(folder)
        self.project = project
        self.status = self.folder / STATUS
        self.request = self.folder / REQUEST
        self.answer: dict | None = None

    def publish(self, *, generation: int, version: str, settle: float, held: dict | None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.status, {"pid": os.getpid(), "project": str(self.project), "settle": settle,
                                    "live": {"generation": generation, "version": version},
                                    "held": held, "answer": self.answer, "updated": round(time.time(), 3)})

    def take_request(self) -> dict | None:
        """The pending ``reload-accept`` request (removed), or None."""
        try:
            text = self.request.read_text(encoding="utf-8")
            self.request.unlink()
        except FileNotFoundError:
            return None
        except OSError:
            return None
        try:
            request = json.loads(text)
        except ValueError:
            request = None
        return request if isinstance(request, dict) else {"id": None, "version": None}

    def remove(self) -> None:
        for path in (self.status, self.request):
            try:
                path.unlink()
            except OSError:
                pass


def serve_status(folder: Path) -> dict | None:
    """The state a running ``serve`` published in ``folder``; None when no serve is running there."""
    try:
        status = json.loads((Path(folder) / STATUS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(status, dict) or not _alive(status.get("pid")):
        return None
    return status


def request_accept(folder: Path, version: str, timeout: float = 10.0) -> dict | None:
    """Ask the ``serve`` running on ``folder`` to take the reload held back at ``version``; its answer
    (``{"accepted": bool, "message": str, …}``), or None when it did not answer within ``timeout``."""
    ident = uuid.uuid4().hex
    _write_atomic(Path(folder) / REQUEST, {"id": ident, "version": version})
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        status = serve_status(folder)
        answer = status.get("answer") if status else None
        if isinstance(answer, dict) and answer.get("id") == ident:
            return answer
        if status is None:
            break
        time.sleep(0.05)
    try:
        (Path(folder) / REQUEST).unlink()  # not taken: leave nothing behind for a later serve
    except OSError:
        pass
    return None
