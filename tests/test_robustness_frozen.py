"""``@frozen`` and ``@mutable`` (engine/util/records.py) behave as ``@dataclass(frozen=True)`` and
``@dataclass``: the same class written twice, once with each, must answer alike for any arguments —
construction (or the same TypeError), ``==``, ``hash``, ``repr``, ``replace``, ``asdict``, ``fields``,
assigning and deleting. Property-based (Hypothesis, derandomized), plus the plan classes decorated."""
from __future__ import annotations

import dataclasses
import importlib
from decimal import Decimal
from types import MappingProxyType

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from engine.util.records import frozen, mutable

SETTINGS = settings(max_examples=300, derandomize=True, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _pair(is_frozen: bool):
    """The same class body as a real dataclass and as ``@frozen`` / ``@mutable``."""
    def body():
        class Shape:
            """doc"""
            a: object
            b: object = None
            c: object = dataclasses.field(default_factory=list, compare=False)
            d: object = dataclasses.field(default=0, hash=False, repr=False)
            e: object = dataclasses.field(default=1, init=False)
            f: object = dataclasses.field(default_factory=dict, init=False, hash=False)
        return Shape
    return dataclasses.dataclass(frozen=is_frozen)(body()), (frozen if is_frozen else mutable)(body())


PAIRS = [_pair(True), _pair(False)]
values = st.one_of(st.none(), st.integers(), st.text(max_size=5), st.decimals(allow_nan=True),
                   st.floats(allow_nan=True), st.tuples(st.integers()), st.lists(st.integers(), max_size=2))
names = st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "__init__"])


def _outcome(call):
    try:
        return "ok", call()
    except Exception as exc:  # the same exception type and message is what is compared
        return type(exc).__name__, str(exc)


def _same(real, ours, what):
    r, o = _outcome(lambda: what(real)), _outcome(lambda: what(ours))
    assert r[0] == o[0]
    if r[0] != "ok":
        assert r[1] == o[1]
    return r, o


@pytest.mark.parametrize("pair", [0, 1], ids=["frozen", "mutable"])
@SETTINGS
@given(args=st.lists(values, max_size=5), kwargs=st.dictionaries(names, values, max_size=4))
def test_construction_answers_alike(pair, args, kwargs):
    REAL, OURS = PAIRS[pair]
    real, ours = _outcome(lambda: REAL(*args, **kwargs)), _outcome(lambda: OURS(*args, **kwargs))
    assert real[0] == ours[0]
    if real[0] != "ok":
        assert real[1].replace("Shape", "") == ours[1].replace("Shape", "")
        return
    r, o = real[1], ours[1]
    assert repr(r) == repr(o)
    assert repr(dataclasses.asdict(r)) == repr(dataclasses.asdict(o))
    assert [f.name for f in dataclasses.fields(r)] == [f.name for f in dataclasses.fields(o)]
    _same(r, o, hash)
    for name in ("a", "zz", "e"):
        _same(r, o, lambda obj: setattr(obj, name, 1))
        _same(r, o, lambda obj: delattr(obj, name))
        _same(r, o, repr)


@pytest.mark.parametrize("pair", [0, 1], ids=["frozen", "mutable"])
@SETTINGS
@given(first=st.lists(values, min_size=1, max_size=2), second=st.lists(values, min_size=1, max_size=2),
       change=st.dictionaries(st.sampled_from(["a", "b", "c", "d", "e"]), values, max_size=2))
def test_equality_hash_and_replace_answer_alike(pair, first, second, change):
    REAL, OURS = PAIRS[pair]
    r1, r2 = REAL(*first), REAL(*second)
    o1, o2 = OURS(*first), OURS(*second)
    assert _outcome(lambda: r1 == r2) == _outcome(lambda: o1 == o2)
    assert _outcome(lambda: r1 == r1) == _outcome(lambda: o1 == o1)  # NaN: tuples compare by identity first
    assert _outcome(lambda: r1 != r2) == _outcome(lambda: o1 != o2)
    assert (o1 == REAL(*first)) is False and (o1 == "x") is False
    real, ours = _same(r1, o1, lambda obj: dataclasses.replace(obj, **change))
    if real[0] == "ok":
        assert repr(real[1]) == repr(ours[1])


@pytest.mark.parametrize("decorator", [frozen, mutable])
def test_refuses_what_it_does_not_support(decorator):
    class Own:
        a: int

        def __init__(self):
            pass

    class KwOnly:
        a: int = dataclasses.field(kw_only=True)

    @dataclasses.dataclass
    class Base:
        a: int

    class Child(Base):
        b: int

    for cls in (Own, KwOnly, Child):
        with pytest.raises(TypeError, match="use @dataclass"):
            decorator(cls)


def test_post_init_and_a_body_repr_are_kept():
    @frozen
    class Checked:
        a: int
        b: tuple = ()

        def __post_init__(self):
            object.__setattr__(self, "b", tuple(self.b))

        def __repr__(self):
            return "Checked!"

    assert Checked(1, [2]).b == (2,) and repr(Checked(1)) == "Checked!"
    assert Checked(1, [2]) == Checked(1, (2,)) and hash(Checked(1, [2])) == hash(Checked(1, (2,)))


PLAN_CLASSES = [("engine.connectors.base", "ConnectorPlan"), ("engine.connectors.base", "ResourcePlan"),
                ("engine.project.load", "Item"), ("engine.spec.yamldoc", "YamlDoc"),
                ("engine.connectors.http.plan", "HttpOperation"), ("engine.connectors.sqlfilters", "SqlResource"),
                ("engine.plan.related", "RelatedSpec"), ("engine.plan.model", "FlowPlan")]


@pytest.mark.parametrize("module, name", PLAN_CLASSES)
def test_the_plan_classes_are_frozen_dataclasses(module, name):
    cls = getattr(importlib.import_module(module), name)
    assert dataclasses.is_dataclass(cls)
    required = [f for f in dataclasses.fields(cls) if f.init and f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING]
    with pytest.raises(TypeError, match="missing 1 required positional argument"):
        cls(*[None] * (len(required) - 1))


def test_xml_options_still_checks_and_freezes_its_values():
    from engine.connectors.codecs.xmlcodec import XmlOptions

    options = XmlOptions(root="r", list_containers=["a"], list_item_names={"a": "b"})
    assert options.list_containers == ("a",) and isinstance(options.list_item_names, MappingProxyType)
    assert options == XmlOptions(root="r", list_containers=("a",), list_item_names={"a": "b"})
    with pytest.raises(ValueError, match="non-empty string"):
        XmlOptions(root="")
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.root = "x"  # type: ignore[misc]
    assert dataclasses.replace(options, max_bytes=5).max_bytes == 5 and Decimal(1) == 1
