"""engine.util.lazymethods: dataclasses whose methods are compiled on first use behave exactly as
those ``dataclasses`` makes at once (the command line installs it for its own process)."""
from __future__ import annotations

import copy
import dataclasses
import inspect

import pytest

from engine.util import lazymethods

_ORIGINAL = lazymethods.original_create_fn or dataclasses._create_fn


def _make_classes():
    @dataclasses.dataclass(frozen=True, slots=True)
    class Loc:
        file: str
        line: int
        col: int = 1

    @dataclasses.dataclass
    class Node:
        """A node."""
        name: str
        children: list = dataclasses.field(default_factory=list)
        parent: Node | None = dataclasses.field(default=None, repr=False, compare=False)

        def __post_init__(self):
            self.name = self.name.strip()

    @dataclasses.dataclass(order=True, unsafe_hash=True)
    class Version:
        major: int
        minor: int = 0

    @dataclasses.dataclass(frozen=True)
    class Base:
        a: int

    @dataclasses.dataclass(frozen=True)
    class Child(Base):
        b: str = "x"

    @dataclasses.dataclass(kw_only=True)
    class Options:
        flag: bool = False
        init_only: dataclasses.InitVar[int] = 0

        def __post_init__(self, init_only):
            self.flag = self.flag or bool(init_only)

    return Loc, Node, Version, Base, Child, Options


def _behaviour(classes) -> list:
    Loc, Node, Version, Base, Child, Options = classes
    seen = []
    loc = Loc("f.yaml", 3)
    seen += [repr(loc), loc == Loc("f.yaml", 3, 1), loc != Loc("f.yaml", 4), hash(loc) == hash(Loc("f.yaml", 3)),
             Loc.__slots__, Loc.__match_args__, str(inspect.signature(Loc)), Loc.__doc__]
    with pytest.raises(dataclasses.FrozenInstanceError) as raised:
        loc.line = 4  # type: ignore[misc]
    seen.append(str(raised.value))
    with pytest.raises(dataclasses.FrozenInstanceError):
        del loc.col  # type: ignore[misc]
    seen.append(copy.deepcopy(loc) == loc)
    node = Node(" a ")
    node.children.append(node)
    node.parent = Node("p")
    seen += [repr(node), node.name, Node("a") == Node("a", parent=node), Node.__hash__ is None, Node.__doc__,
             copy.deepcopy(Node("b")) == Node("b"), Node.__eq__(node, 3)]
    seen += [repr(sorted([Version(2), Version(1, 5), Version(1)])), Version(1) < Version(1, 1), hash(Version(1, 2)),
             Version(1) >= Version(0, 9), repr(Version(3))]
    child = Child(1)
    seen += [repr(child), child == Child(1, "x"), child == Base(1), hash(child) == hash(Child(1)),
             str(inspect.signature(Child)), Child.__doc__]
    with pytest.raises(TypeError):
        Options(True)  # type: ignore[misc]
    seen += [repr(Options(init_only=1)), Options(flag=False) == Options()]
    for cls in classes:
        for name in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__", "__lt__",
                     "__le__", "__gt__", "__ge__"):
            if name in vars(cls):  # looked up as any caller does: the stand-in gives way to the function
                method = getattr(cls, name)
                seen.append((name, type(method).__name__, getattr(method, "__qualname__", None),
                             type(vars(cls)[name]).__name__))
    return seen


def test_lazy_methods_behave_as_the_ones_dataclasses_makes(monkeypatch):
    monkeypatch.setattr(dataclasses, "_create_fn", _ORIGINAL)
    eager = _behaviour(_make_classes())
    monkeypatch.setattr(dataclasses, "_create_fn", lazymethods.lazy(_ORIGINAL))
    classes = _make_classes()
    assert type(vars(classes[3])["__eq__"]) is lazymethods._LazyMethod  # not compiled yet
    assert _behaviour(classes) == eager
    assert all(type(v) is not lazymethods._LazyMethod for cls in classes for v in vars(cls).values())


def test_a_method_is_compiled_once_and_put_on_its_class(monkeypatch):
    made = []

    def counting(*args, **kwargs):
        made.append(args[0])
        return _ORIGINAL(*args, **kwargs)

    monkeypatch.setattr(dataclasses, "_create_fn", lazymethods.lazy(counting))

    @dataclasses.dataclass(frozen=True, slots=True)
    class Loc:
        """Documented: dataclasses does not look at ``__init__`` to write the class's doc."""
        file: str
        line: int

    assert made == []
    for _ in range(3):
        assert Loc("a", 1) == Loc("a", 1)
    assert sorted(made) == ["__eq__", "__init__"]
    assert inspect.isfunction(vars(Loc)["__eq__"]) and vars(Loc)["__eq__"].__qualname__.endswith("Loc.__eq__")


def test_the_command_line_installs_it():
    import engine.cli  # noqa: F401

    assert dataclasses._create_fn is not _ORIGINAL or lazymethods.original_create_fn is None
