"""Dataclass methods compiled when first used, not when the class is made (start-up time).

``dataclasses`` writes the source of each method it adds (``__init__``, ``__repr__``, ``__eq__``,
``__hash__``, a frozen class's ``__setattr__``/``__delattr__``) and compiles it with ``exec`` as the
class is made: about 75 µs each, close to 300 of them for the classes ``passerelle validate``
imports — a sixth of its run, mostly for methods it never calls (a connector's ``__eq__``, a plan's
``__repr__``...). :func:`install` makes ``dataclasses`` hand out a stand-in instead, which compiles
the very same source the first time the method is looked up or called and puts the real function
in its place on the class: the classes, their methods and their behaviour are those
``dataclasses`` makes, only built later (or never).

Installed by the command line (``engine.cli``) for its own process; a no-op where ``dataclasses``
does not build its methods through ``_create_fn`` (Python 3.13 compiles them all in one go).
"""
from __future__ import annotations

import dataclasses
import threading
from typing import Any, Callable

_lock = threading.Lock()
_installed = False
original_create_fn: Callable[..., Any] | None = None  # dataclasses' own, once installed
_SIGNATURE = ("name", "args", "body", "globals", "locals", "return_type")  # dataclasses._create_fn, 3.10-3.12


class _LazyMethod:
    """Stands in for one generated method until it is first looked up or called."""

    def __init__(self, make: Callable[[], Any], name: str):
        self._make = make
        self._fn: Any = None
        self.__name__ = self.__qualname__ = name  # what functools.wraps copies (``__repr__``'s wrapper)

    def _real(self) -> Any:
        fn = self._fn
        if fn is None:
            fn = self._fn = self._make()
        return fn

    def __call__(self, *args, **kwargs):
        return self._real()(*args, **kwargs)

    def __get__(self, instance, owner=None):
        fn = self._real()
        for klass in (owner or type(instance)).__mro__:  # the class holding this stand-in gets the function
            if klass.__dict__.get(self.__name__) is self:
                fn.__qualname__ = f"{klass.__qualname__}.{fn.__name__}"  # as dataclasses names it
                setattr(klass, self.__name__, fn)
                break
        return fn.__get__(instance, owner)


def install() -> None:
    """Make ``dataclasses`` compile the methods it generates on first use (once per process)."""
    global _installed, original_create_fn
    with _lock:
        create: Any = getattr(dataclasses, "_create_fn", None)
        code = getattr(create, "__code__", None)
        if _installed or code is None or \
                code.co_varnames[:code.co_argcount + code.co_kwonlyargcount] != _SIGNATURE:
            return  # already done, or a ``dataclasses`` this was not written for: leave it alone
        original_create_fn = create
        dataclasses._create_fn = lazy(create)  # type: ignore[attr-defined]
        _installed = True


def lazy(create: Callable[..., Any]) -> Callable[..., Any]:
    """A ``_create_fn`` handing out stand-ins that call ``create`` when first used."""
    def lazy_create_fn(name, args, body, *, globals=None, locals=None, return_type=dataclasses.MISSING):
        def make():
            return create(name, args, body, globals=globals, locals=locals, return_type=return_type)
        return _LazyMethod(make, name)
    return lazy_create_fn


__all__ = ["install", "lazy"]
