"""Robustness of the reserved-name check, the JMESPath lint and positions (Hypothesis).

1. Random expressions built from names (`_`-names among them), pipes, comparisons, `||`, `&&`, `!`,
   parentheses, filters, functions and quoted text never crash the checks; every offset they give is
   inside the text and points at what it names (a `|`, a name); every rewrite a hint gives is a valid
   expression; and any text at all (not only valid JMESPath) leaves them quiet rather than crashing.
2. Random flows using those expressions in every place (`from`, `when`, `each`, `filter`, `key`,
   `target.with`, `acknowledge`, related `match`) validate with located diagnostics only, never a
   traceback nor an internal error.
3. Positions: for random nested lists, `_index`, `_position`, `_parent._position` and `line_number`
   give exactly the element's place, whatever the lists hold.
"""
from __future__ import annotations

import contextlib
import io
import re
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.checks.expr_lint import pipe_problems
from engine.cli.main import main
from engine.lang.expr import ExprError, compile_expression
from engine.lang.exprnames import name_problems, root_names, spanned_tree
from engine.lang.names import RESERVED
from engine.plan.load import load_plan

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# -- 1. expressions -------------------------------------------------------------------------------

NAMES = st.sampled_from(sorted(RESERVED) + ["_postion", "_links", "_", "__type", "a", "role", "meta",
                                            "items", "key", "value"])
LITERALS = st.sampled_from(["'yes'", "'_index'", "`0`", "`\"|\"`", "'a|b'", "`[1, 2]`", "`null`"])


def _expressions(depth: int = 3) -> st.SearchStrategy[str]:
    leaf = st.one_of(NAMES, LITERALS, NAMES.map(lambda n: f'"{n}"'), st.just("@"), st.just("[0]"),
                     st.tuples(NAMES, NAMES).map(lambda p: f"{p[0]}.{p[1]}"))
    if depth == 0:
        return leaf
    sub = _expressions(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(sub, st.sampled_from([" | ", " || ", " && ", " == ", " != ", " > ", "|", "||"]), sub)
          .map("".join),
        sub.map(lambda e: f"({e})"),
        sub.map(lambda e: f"!{e}"),
        st.tuples(NAMES, sub).map(lambda p: f"{p[0]}[?{p[1]}]"),
        st.tuples(NAMES, sub).map(lambda p: f"{p[0]}[*].{{k: {p[1]}}}"),
        st.tuples(sub, sub).map(lambda p: f"not_null({p[0]}, {p[1]})"),
        st.tuples(NAMES, sub).map(lambda p: f"sort_by({p[0]}, &{p[1]})"),
    )


EXPRESSIONS = _expressions()
ALLOWED = st.frozensets(st.sampled_from(sorted(RESERVED)))


@SETTINGS
@given(EXPRESSIONS, ALLOWED)
def test_checks_never_crash_and_point_inside_the_text(text, allowed):
    try:
        compile_expression(text)
    except ExprError:
        return  # bad-expression reports it; the checks run only on what compiled
    tree = spanned_tree(text)
    assert tree is not None, text
    for found in root_names(tree):
        assert text[found.offset:].lstrip('"').startswith(found.name), (text, found)
    for offset, message, hint in name_problems(text, allowed):
        assert 0 <= offset < len(text) and message and hint
        name = re.match(r'"?(_[A-Za-z0-9_]*)', text[offset:])
        assert name and name.group(1) not in allowed or "element" in message, (text, offset, message)
    for offset, message, hint in pipe_problems(text):
        assert text[offset] == "|", (text, offset)
        rewrite = re.search(r"write `(.*)` \(or put", hint)
        assert rewrite, hint
        compile_expression(rewrite.group(1))  # the rewrite is a valid expression


@SETTINGS
@given(st.text(max_size=80), ALLOWED)
def test_any_text_leaves_the_checks_quiet_or_exact(text, allowed):
    list(name_problems(text, allowed))
    list(pipe_problems(text))


# -- 2. flows -------------------------------------------------------------------------------------

SAFE = EXPRESSIONS.filter(lambda t: "\n" not in t)


def _flow(exprs: list[str]) -> dict:
    e = iter(exprs)
    return {
        "endpoints": {
            "shop": {"use": "prestashop", "settings": {"base_url": "http://shop", "key": "${env:PS_KEY}"}},
            "sage": {"use": "sage100-ws", "settings": {"base_url": "http://sage", "token": "${env:SAGE_TOKEN}"}},
        },
        "lookups": {"tax_codes": {"map": {"20": "S_20"}}},
        "flows": {"f": {
            "source": {"endpoint": "shop", "read": "orders",
                       "related": {"carrier": {"read": "carriers", "match": {"id": next(e)}, "reference": True}}},
            "key": next(e),
            "filter": next(e),
            "target": {"endpoint": "sage", "write": "insert_document", "with": {"x": next(e)}},
            "acknowledge": {"endpoint": "shop", "write": "add_order_history", "with": {"y": next(e)},
                            "map": {"a": {"from": next(e)}}},
            "map": {
                "top": {"from": next(e), "when": next(e), "transform": {"lookup": "tax_codes"}},
                "lines": [{"each": next(e), "map": {
                    "p": {"from": next(e), "transform": {"multiply": {"from": next(e)}}},
                    "sub": [{"each": next(e), "map": {"q": {"from": next(e), "when": next(e)}}}],
                }}],
            },
        }},
    }


LOCATED = re.compile(r"^(?:.*/)?spec\.yaml:(\d+):(\d+): (error|warning)\[[a-z0-9-]+\] ")


@settings(SETTINGS, max_examples=60)
@given(st.lists(SAFE, min_size=15, max_size=15))
def test_flows_with_random_expressions_give_located_diagnostics(exprs):
    with tempfile.TemporaryDirectory() as folder:
        spec = Path(folder) / "spec.yaml"
        spec.write_text(yaml.safe_dump(_flow(exprs), width=10_000, allow_unicode=True), encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["validate", folder])
        lines = spec.read_text(encoding="utf-8").count("\n") + 1
    text = out.getvalue() + err.getvalue()
    assert code in (0, 1), text
    assert "Traceback" not in text and "internal" not in text, text
    for line in out.getvalue().splitlines():
        if line.startswith(("  hint:", "ok:", "FAILED:")) or not line.strip():
            continue
        match = LOCATED.match(line)
        assert match, line
        assert 1 <= int(match.group(1)) <= lines and int(match.group(2)) >= 1, line


# -- 3. positions ---------------------------------------------------------------------------------

ITEMS = st.lists(st.fixed_dictionaries({"ref": st.text(max_size=5),
                                        "opts": st.lists(st.one_of(st.integers(), st.text(max_size=3),
                                                                   st.none()), max_size=4)}), max_size=6)


NUMBERED = """
endpoints:
  shop: { use: prestashop, settings: { base_url: "http://shop", key: "${env:PS_KEY}" } }
  sage: { use: sage100-ws, settings: { base_url: "http://sage", token: "${env:SAGE_TOKEN}" }, override: { operations: { insert_document: { accepts: null } } } }
flows:
  f:
    source: { endpoint: shop, read: orders }
    target: { endpoint: sage, write: insert_document }
    map:
      lines:
        - each: rows
          map:
            i: { from: _index }
            n: { from: _position, transform: { line_number: { step: 1000 } } }
            subs:
              - each: opts
                map: { v: { from: "@" }, p: { from: _position }, outer: { from: _parent._position },
                       pair: { from: "[_parent._index, _index]" } }
"""


@pytest.fixture(scope="module")
def numbered_flow(tmp_path_factory):
    folder = tmp_path_factory.mktemp("positions")
    (folder / "spec.yaml").write_text(NUMBERED, encoding="utf-8")
    return load_plan(folder).flows["f"]


@SETTINGS
@given(ITEMS)
def test_positions_are_the_elements_places(numbered_flow, rows):
    out = numbered_flow.map({"id": 1, "rows": rows})["lines"]
    assert [line["i"] for line in out] == list(range(len(rows)))
    assert [line["n"] for line in out] == [1000 * (k + 1) for k in range(len(rows))]
    for k, (line, row) in enumerate(zip(out, rows)):
        assert line["subs"] == [{"v": v, "p": j + 1, "outer": k + 1, "pair": [k, j]}
                                for j, v in enumerate(row["opts"])]
