"""What the generated mappers call at run time (engine/plan/codegen.py binds these as arguments of
the factory): the truth rule of conditions, list checks of ``each``, scopes with ``_parent``, and the
relocation of a failure to its field by a traced twin of the mapper."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

from engine.errors import OperatorError, RecordError, TransformError
from engine.lang.values import show

NUM = (int, Decimal, float)


def truthy(value: Any) -> bool:
    if value is None or value is False or value == "" or value == [] or value == {}:
        return False
    if value.__class__ in NUM and value == 0:
        return False
    return True


def iter_list(value: Any, what: str):
    if value is None:
        return ()
    if value.__class__ is list:
        return value
    kind = ("an object" if isinstance(value, dict) else "a text" if isinstance(value, str)
            else "true/false" if isinstance(value, bool) else "a number")  # was: "got str", Python's word
    raise TransformError(f"`each: {what}` expected a list, got {show(value)} ({kind})")


def with_parent(item: Any, parent: Any) -> dict:
    scope = dict(item) if isinstance(item, dict) else {"@": item}
    scope["_parent"] = parent
    return scope


class _Missing(TransformError):
    pass


def missing():
    raise _Missing("required value is null")


def render_field(path: tuple, positions: list) -> str:
    out = ""
    pos = iter(positions)
    for part in path:
        if part is None:
            index = next(pos, None)
            out += f"[{index}]" if index is not None else "[]"
        elif out:
            out += f".{part}"
        else:
            out = str(part)
    return out


class Relocate:
    """Turns a failure of the fast mapper into a located RecordError by re-running it traced."""

    def __init__(self, build_traced: Callable[[], Callable[[dict], dict]]):
        self.build_traced = build_traced  # the traced twin, generated on the first failure only
        self._traced: Callable[[dict], dict] | None = None

    def __call__(self, exc: Exception, record: Any) -> RecordError:
        if isinstance(exc, RecordError):
            return exc
        if isinstance(exc, OperatorError):  # the machine, not the record: never an "internal error"
            raise exc
        if self._traced is None:
            self._traced = self.build_traced()
        try:
            self._traced(record)
        except RecordError as located:
            return located
        except Exception as other:  # pragma: no cover - the traced twin always locates
            exc = other
        reason = str(exc) if isinstance(exc, TransformError) else f"internal error: {type(exc).__name__}: {exc}"
        return RecordError(reason)


