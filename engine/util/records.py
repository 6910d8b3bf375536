"""``@frozen`` and ``@mutable``: ``@dataclass(frozen=True)`` and ``@dataclass`` for the classes a
compiled spec is made of, without compiling code when their module is imported.

``dataclasses.dataclass`` writes the source of each method it adds (``__init__``, ``__repr__``,
``__eq__``, and for a frozen class ``__hash__``, ``__setattr__``, ``__delattr__``) and compiles it with
``exec``: about 0.5 ms per frozen class, 0.25 ms per other one — ~20 ms for the ~55 classes every
``passerelle validate`` imports, a sixth of its run (issue 10, start-up; ``python -X importtime``).
Here ``dataclasses`` still collects the fields (so ``fields()``, ``replace()``, ``asdict()`` and
``is_dataclass()`` work as before, and the field options — defaults, ``default_factory``, ``init``,
``repr``, ``compare``, ``hash`` — mean what they mean there), and the class gets shared methods that
behave as the generated ones do:

* ``__init__(*args, **kwargs)``: the fields in order, positionally or by name, defaults and
  factories, ``__post_init__`` called last, Python's own ``TypeError`` messages for a missing,
  unknown or repeated argument;
* ``__eq__`` (same class only, on the ``compare`` fields, as tuples) and ``__repr__``
  (``Name(a=1, b='x')``, ``...`` on recursion);
* frozen: ``__hash__`` (of the tuple of the hashed fields), and ``__setattr__`` / ``__delattr__``
  raising ``FrozenInstanceError``; mutable: ``__hash__ = None``, as ``dataclass`` sets it.

A ``__repr__`` or ``__eq__`` the class body defines is kept, as ``dataclass`` keeps it. Instances are
built a little slower (~0.6 µs more than the generated ``__init__``, which assigns each field in
straight-line code): this is for classes made when a spec is compiled, not for classes made per
record (those keep ``@dataclass``). Not
supported (``TypeError`` at import): ``kw_only``, ``InitVar`` and ``ClassVar`` fields, a class body
defining ``__init__``, ``__hash__``, ``__setattr__``, ``__delattr__`` or ``__slots__``, and
subclassing a dataclass. ``tests/test_robustness_frozen.py`` compares both with ``dataclass``.
"""
from __future__ import annotations

import dataclasses
from operator import attrgetter
from reprlib import recursive_repr
from typing import Any, Callable, TypeVar, dataclass_transform

_T = TypeVar("_T")
_MISSING: Any = dataclasses.MISSING
_OWN = ("__init__", "__hash__", "__setattr__", "__delattr__", "__slots__")


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple]:
    """``obj -> (obj.a, obj.b, ...)``, always a tuple (as the generated methods compare tuples)."""
    if not names:
        return lambda obj: ()
    if len(names) == 1:
        name = names[0]
        return lambda obj: (getattr(obj, name),)
    return attrgetter(*names)


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def frozen(cls: type[_T]) -> type[_T]:
    """``@dataclass(frozen=True)``, its methods shared instead of compiled (see the module)."""
    return _make(cls, True)


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def mutable(cls: type[_T]) -> type[_T]:
    """``@dataclass``, its methods shared instead of compiled (see the module)."""
    return _make(cls, False)


def _make(cls: type[_T], is_frozen: bool) -> type[_T]:
    decorator = "@frozen" if is_frozen else "@mutable"
    own = [name for name in _OWN if name in cls.__dict__ and not (name == "__hash__" and cls.__dict__[name] is None)]
    if own or any(dataclasses.is_dataclass(base) for base in cls.__mro__[1:]):
        raise TypeError(f"{decorator} {cls.__qualname__}: its body defines {', '.join(own)}; use @dataclass"
                        if own else f"{decorator} {cls.__qualname__}: subclasses a dataclass; use @dataclass")
    undocumented = not cls.__doc__  # dataclass would document it from inspect.signature (slow: ~3 ms)
    if undocumented:
        cls.__doc__ = cls.__name__
    dataclasses.dataclass(cls, init=False, repr=False, eq=False)  # collects the fields, compiles nothing
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if undocumented:
        cls.__doc__ = f"{cls.__name__}({', '.join(f.name for f in fields if f.init)})"
    if any(f.kw_only is True for f in fields) or len(fields) != len(cls.__dataclass_fields__):  # type: ignore[attr-defined]
        raise TypeError(f"{decorator} {cls.__qualname__}: kw_only, InitVar and ClassVar fields are not supported; "
                        "use @dataclass")
    _add_init(cls, fields)
    names = frozenset(f.name for f in fields)

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    compared = _getter(tuple(f.name for f in fields if f.compare))
    hashed = _getter(tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash)))
    shown = tuple(f.name for f in fields if f.repr)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return compared(self) == compared(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(hashed(self))

    @recursive_repr()
    def __repr__(self) -> str:
        return f"{self.__class__.__qualname__}({', '.join(f'{n}={getattr(self, n)!r}' for n in shown)})"

    shared: tuple[Any, ...] = (__eq__, __repr__)
    for method in shared:
        if method.__name__ not in cls.__dict__:  # a body's own __eq__ or __repr__ stays
            method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
            setattr(cls, method.__name__, method)
    if not is_frozen:
        cls.__hash__ = None  # type: ignore[assignment]  # mutable and compared by value: unhashable
        return cls
    shared = (__hash__, __setattr__, __delattr__)
    for method in shared:
        method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
        setattr(cls, method.__name__, method)
    return cls


def _add_init(cls: type, fields: tuple[dataclasses.Field, ...]) -> None:
    given: tuple[tuple[str, Any, Any], ...] = tuple((f.name, f.default, f.default_factory) for f in fields if f.init)
    known = frozenset(name for name, _, _ in given)
    made: tuple[tuple[str, Any], ...] = tuple((f.name, f.default_factory) for f in fields
                                              if not f.init and f.default_factory is not _MISSING)
    count = len(given)
    title = f"{cls.__qualname__}.__init__()"
    required = sum(default is _MISSING and factory is _MISSING for _, default, factory in given)
    post_init = hasattr(cls, "__post_init__")
    put = object.__setattr__

    def refuse(args: tuple, kwargs: dict) -> TypeError | None:
        """Python's own refusal of these arguments, in its order: keywords, count, missing."""
        for name in kwargs:
            if name not in known:
                return TypeError(f"{title} got an unexpected keyword argument {name!r}")
            if any(name == given[i][0] for i in range(min(len(args), count))):
                return TypeError(f"{title} got multiple values for argument {name!r}")
        if len(args) > count:
            takes = f"from {required + 1} to {count + 1}" if required < count else f"{count + 1}"
            plural = "s" if required < count or count + 1 != 1 else ""
            return TypeError(f"{title} takes {takes} positional argument{plural} but {len(args) + 1} were given")
        missing = [repr(name) for i, (name, default, factory) in enumerate(given) if i >= len(args)
                   and name not in kwargs and default is _MISSING and factory is _MISSING]
        if missing:
            listed = missing[0] if len(missing) == 1 else (
                f"{missing[0]} and {missing[1]}" if len(missing) == 2 else f"{', '.join(missing[:-1])}, and {missing[-1]}")
            return TypeError(f"{title} missing {len(missing)} required positional argument"
                             f"{'s' if len(missing) > 1 else ''}: {listed}")
        return None

    names = tuple(name for name, _, _ in given)
    tails = tuple(given[index:] for index in range(count + 1))  # the fields after `index` positional ones
    # the instance's __dict__ filled at once, unless a field's name is also a data descriptor of the class
    direct = not any(hasattr(type(getattr(cls, name, None)), "__set__") for name in names)
    simple = direct and not made and not post_init

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        given_count = len(args)
        if simple and given_count == count and not kwargs:  # every field given in order: the common call
            self.__dict__.update(zip(names, args))
            return
        if kwargs:
            if given_count > count or not known.issuperset(kwargs) or any(n in kwargs for n in names[:given_count]) \
                    or (given_count < required and any(n not in kwargs for n in names[given_count:required])):
                raise refuse(args, kwargs) or AssertionError("unreachable")
            values = dict(zip(names, args))
            for name, default, factory in tails[given_count]:
                values[name] = kwargs[name] if name in kwargs else default if factory is _MISSING else factory()
        elif required <= given_count <= count:
            values = dict(zip(names, args))
            for name, default, factory in tails[given_count]:
                values[name] = default if factory is _MISSING else factory()
        else:
            raise refuse(args, kwargs) or AssertionError("unreachable")
        for name, factory in made:
            values[name] = factory()
        if direct:
            self.__dict__.update(values)
        else:
            for name, value in values.items():
                put(self, name, value)
        if post_init:
            self.__post_init__()

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = __init__  # type: ignore[misc]


__all__ = ["frozen", "mutable"]
