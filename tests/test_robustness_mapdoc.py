"""Robustness of the mapping document (``passerelle docs``, Hypothesis).

1. Any text given as a condition or a source path is written in words or shown as written: never a
   traceback, never an empty cell.
2. Random `map` trees (nested objects, lists with `each`/`when`, values with `from`/`value`, `when`/
   `else`, `required`, transform pipelines drawn from the registry's own examples) become field rows
   without raising; every transform step is in words.
3. Random graphs of systems and flows give well-formed SVG naming every system and flow.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.lang.builtins import default_registry
from engine.mapdoc import diagram
from engine.mapdoc.exprwords import condition, source
from engine.mapdoc.fields import FieldWalker

SETTINGS = settings(max_examples=80, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
REGISTRY = default_registry()
STEPS = [spec.name if ex.args is None else {spec.name: ex.args}
         for spec in REGISTRY.all("transform") for ex in spec.examples if spec.name != "lookup"]

EXPRS = st.one_of(
    st.sampled_from(["a > `0`", "a.b != null && c == null", "!x", "a || b || `0`", "length(ref) > `19`",
                     "items[?qty > `1`]", "`", "a ||", "to_string(id)", "@", "x[0].y", "a == 'b'", ""]),
    st.text(max_size=30))
NAMES = st.text(alphabet="abcXYZ_09é-", min_size=1, max_size=8)


def _values(inner):
    value = st.fixed_dictionaries({}, optional={
        "from": EXPRS, "value": st.one_of(st.none(), st.integers(), st.text(max_size=8), st.booleans()),
        "when": EXPRS, "else": st.one_of(st.integers(), st.fixed_dictionaries({"from": EXPRS})),
        "required": st.booleans(), "omit_null": st.booleans(),
        "transform": st.lists(st.sampled_from(STEPS), max_size=3)})
    item = st.fixed_dictionaries({}, optional={"each": EXPRS, "when": EXPRS, "map": inner, "from": EXPRS})
    return st.one_of(value, st.lists(item, max_size=3), inner)


MAPS = st.recursive(st.dictionaries(NAMES, st.fixed_dictionaries({"value": st.integers()}), max_size=3),
                    lambda inner: st.dictionaries(NAMES, _values(inner), max_size=4), max_leaves=12)


@SETTINGS
@given(EXPRS)
def test_any_condition_or_source_is_written_in_words_or_as_written(text):
    for words in (condition(text), source(text)):
        assert isinstance(words, str) and words.strip()


@SETTINGS
@given(MAPS)
def test_random_maps_become_rows_with_every_transform_in_words(spec):
    walker = FieldWalker(REGISTRY, {})
    walker.walk(spec)
    assert walker.undescribed == []
    for row in walker.rows:
        assert row.target and "None" not in row.words


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from("ABCDE"), st.sampled_from("ABCDE"), NAMES), max_size=8))
def test_random_flow_graphs_give_well_formed_svg(edges):
    systems = {name: f"System {name} & co" for name in "ABCDE"}
    svg = ET.fromstring(diagram.render(systems, edges))
    texts = {t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")}
    assert {f"System {n} & co" for n in "ABCDE"} <= texts
    assert {label for _, _, label in edges} <= texts
