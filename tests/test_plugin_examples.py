"""Every registered transform's declared examples run as tests (they also appear in the docs)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from engine.lang.context import SimpleContext
from engine.errors import TransformError
from engine.lang.lookups import build_lookup
from engine.lang.registry import Registry
from engine.lang.transforms import register_all


def _registry() -> Registry:
    registry = Registry()
    register_all(registry)
    return registry


REGISTRY = _registry()
PLUGINS = list(REGISTRY.all("transform"))
CASES = [pytest.param(spec, example, id=f"{spec.name}-{i}")
         for spec in PLUGINS for i, example in enumerate(spec.examples)]


def same(result, expected) -> bool:
    """Equal, of the same type (12 is not Decimal('12') in the docs), same UTC offset for dates."""
    if isinstance(expected, list):
        return isinstance(result, list) and len(result) == len(expected) and all(
            same(r, e) for r, e in zip(result, expected))
    if type(result) is not type(expected) or result != expected:
        return False
    if isinstance(expected, datetime):
        return result.utcoffset() == expected.utcoffset()
    return True


def run(spec, example):
    lookups = {name: build_lookup(name, table, Path(".")) for name, table in (example.lookups or {}).items()}
    fn = spec.factory(example.args, SimpleContext(lookups))
    return fn(example.input, example.scope) if spec.needs_scope else fn(example.input)


@pytest.mark.parametrize(("spec", "example"), CASES)
def test_example(spec, example):
    if example.raises is not None:
        with pytest.raises(TransformError) as info:
            run(spec, example)
        assert example.raises in str(info.value)
    else:
        result = run(spec, example)
        assert same(result, example.output), f"{spec.name}({example.args!r}) on {example.input!r}: {result!r}"


@pytest.mark.parametrize(("spec", "example"), CASES)
def test_example_args_match_schema(spec, example):
    if spec.args_schema is None:
        assert example.args is None
    elif example.args is None:
        assert spec.args_optional, f"{spec.name} needs an argument"
    else:
        jsonschema.Draft202012Validator(spec.args_schema).validate(example.args)


@pytest.mark.parametrize("spec", PLUGINS, ids=[s.name for s in PLUGINS])
def test_plugin_declaration(spec):
    assert spec.summary.strip()
    assert len(spec.examples) >= 2
    assert spec.category != "misc"
    if spec.args_schema is not None:
        jsonschema.Draft202012Validator.check_schema(spec.args_schema)
        assert "description" in spec.args_schema
        _assert_described(spec.args_schema, spec.name)


def _assert_described(schema: dict, where: str) -> None:
    """Every property has a description, every object is closed (the editor schema relies on it)."""
    for branch in schema.get("oneOf", []):
        _assert_described(branch, where)
    if schema.get("type") == "object" and "properties" in schema:
        assert schema.get("additionalProperties") is False, where
        for name, prop in schema["properties"].items():
            assert prop.get("description"), f"{where}.{name} has no description"
            _assert_described(prop, f"{where}.{name}")


def test_examples_cover_edges():
    """At least one example per module shows a null or an error."""
    by_category: dict[str, bool] = {}
    for spec in PLUGINS:
        edge = any(e.raises or e.input is None or e.output is None for e in spec.examples)
        by_category[spec.category] = by_category.get(spec.category, False) or edge
    assert all(by_category.values()), by_category


def test_decimal_numbers_are_valid_schema_numbers():
    # YAML non-integer numbers arrive as Decimal: the schemas must accept them.
    spec = REGISTRY.get("transform", "tax_excl")
    jsonschema.Draft202012Validator(spec.args_schema).validate(Decimal("5.5"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(spec.args_schema).validate({"from": "tax_rate", "extra": 1})
