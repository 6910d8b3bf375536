"""Robustness of ``passerelle test``: random and mutated test files never give a traceback nor an
internal error — always a pass, or located errors (``file:line:col: error[CODE]``) with exit 1 — and
what ``--update`` writes reads back as the very values it wrote.

Property-based (Hypothesis), derandomized, sized to run in a few seconds
(``PASSERELLE_FUZZ_SCALE=10`` for a longer hunt).
"""
from __future__ import annotations

import copy
import os
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from support import ROOT, run_cli

from engine.runtime.spectests_update import block, scalar
from engine.spec.yamlsrc import load_text
from engine.util.jsonout import dumps

SCALE = float(os.environ.get("PASSERELLE_FUZZ_SCALE", "1"))
LOCATED = re.compile(r"^(?:client/)?tests/\w+\.yaml:(\d+):(\d+): error\[[a-z-]+\] ", re.M)
BAD = ("Traceback", "internal error", "internal-error")

BASE = {"tests": [
    {"name": "stock", "flow": "stock_to_shop",
     "input": [{"Reference": "MUG", "QteStock": "3"}, {"Reference": "PORT", "QteStock": "0"}],
     "related": {"products": [{"id": 27, "reference": "MUG"}],
                 "stock_availables": [{"id": 5, "id_product": 27, "id_product_attribute": 0}]},
     "lookups": {"carriers": {"map": {"UPS": "U"}, "default": "D"}},
     "xref": [{"from": "shop", "type": "orders", "id": "1", "target": "X"}],
     "tz": "Europe/Paris", "now": "2024-05-14T10:00:00+02:00",
     "expect": {"MUG": {"equals": {"id": 5, "quantity": 3}}, "PORT": {"skipped": True}}},
    {"name": "price", "flow": "prices_to_shop", "input": {"file": "prices.json"},
     "related": {"products": {"file": "products.json"}},
     "expect": {"A": {"contains": {"price": Decimal("1.5")}, "absent": ["x"]},
                "B": {"rejected": {"contains": "no", "field": "f"}}}}]}

JUNK = st.one_of(st.none(), st.booleans(), st.integers(-3, 10**20), st.text(max_size=12),
                 st.decimals(allow_nan=False, allow_infinity=False, places=3),
                 st.lists(st.text(max_size=4), max_size=2), st.dictionaries(st.text(max_size=6), st.integers(), max_size=2))


def fuzz(n: int):
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("spectest") / "client"
    shutil.copytree(ROOT / "specs" / "examples" / "prestashop-sage100", root, ignore=shutil.ignore_patterns("tests"))
    (root / "tests").mkdir()
    (root / "tests" / "prices.json").write_text('[{"Reference": "A", "PrixVente": "1.5"}]')
    (root / "tests" / "products.json").write_text('[{"id": 1, "reference": "A"}]')
    return root


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, path + (index,))


ALL_PATHS = list(_paths(BASE))[1:]


@st.composite
def mutated(draw):
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(ALL_PATHS))
        parent = data
        try:
            for step in path[:-1]:
                parent = parent[step]
            action = draw(st.sampled_from(["replace", "delete", "add"]))
            if action == "replace":
                parent[path[-1]] = draw(JUNK)
            elif action == "delete":
                del parent[path[-1]]
            elif isinstance(parent, dict):
                parent[draw(st.text(min_size=1, max_size=8))] = draw(JUNK)
        except (KeyError, IndexError, TypeError):
            continue
    return data


def _check(code: int, out: str, err: str, text: str) -> None:
    both = out + err
    assert not any(marker in both for marker in BAD), both
    assert code in (0, 1), both
    if code == 1:
        assert "error[" in both, both
        lines = text.count("\n") + 1
        for line, col in LOCATED.findall(both):
            assert 1 <= int(line) <= lines + 1 and int(col) >= 1, both


@fuzz(60)
@given(mutated())
def test_mutated_test_files_give_located_errors(project, data):
    text = dumps(data, indent=2)
    (project / "tests" / "t.yaml").write_text(text, encoding="utf-8")
    code, out, err = run_cli(["test", str(project)], project.parent)
    _check(code, out, err, text)


@fuzz(40)
@given(st.text(max_size=200))
def test_random_text_never_breaks_the_command(project, text):
    (project / "tests" / "t.yaml").write_text(text, encoding="utf-8")
    code, out, err = run_cli(["test", str(project), "--format", "junit"], project.parent)
    assert not any(marker in out + err for marker in BAD) and code in (0, 1)


@fuzz(30)
@given(mutated())
def test_update_never_breaks_a_file(project, data):
    text = "\n".join(block(data, 0)) + "\n"  # block style: what --update rewrites
    path = project / "tests" / "t.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = run_cli(["test", str(project), "--update"], project.parent)
    after = path.read_text(encoding="utf-8")
    _check(code, out, err, after)  # reported after the rewrite: located in the file as it now is
    if after != text:  # rewritten: still YAML, the tests still there, in their order
        doc = load_text(after, "t.yaml")
        assert doc.ok, (text, after, doc.diagnostics)
        assert [t.get("name") for t in doc.data["tests"]] == [t.get("name") for t in data["tests"]], after


LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.text(max_size=30),
                   st.decimals(allow_nan=False, allow_infinity=False, places=4).map(lambda d: d.normalize()))
PAYLOADS = st.recursive(LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(st.text(max_size=10), inner, max_size=3)),
                        max_leaves=12)


@fuzz(300)
@given(st.text(max_size=60))
def test_a_text_written_by_update_reads_back_the_same(text):
    doc = load_text(f"key: {scalar(text)}\n", "t.yaml")
    assert doc.ok and doc.data == {"key": text}, scalar(text)


@fuzz(200)
@given(st.dictionaries(st.text(max_size=10), PAYLOADS, min_size=1, max_size=4))
def test_a_payload_written_by_update_reads_back_the_same(payload):
    text = "\n".join(["equals:"] + block(payload, 2)) + "\n"
    doc = load_text(text, "t.yaml")
    assert doc.ok, (text, doc.diagnostics)
    assert dumps(doc.data["equals"]) == dumps(payload), text
