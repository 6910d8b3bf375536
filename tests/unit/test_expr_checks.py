"""The expression checks run at validate: reserved `_` names (unknown-name), the pipe precedence trap
(pipe-precedence) and strict lookups a null can reach (strict-lookup-null)."""
import pytest

from engine.checks.expr_lint import not_problems, pipe_problems
from engine.lang.exprnames import name_problems, root_names, spanned_tree
from helpers import compile_text, flow_yaml

EACH = frozenset({"_parent", "_index", "_position"})


@pytest.mark.parametrize("text, expected", [
    ("_index", [("_index", 0, True)]),
    ("_parent._position", [("_parent", 0, True)]),
    ("length(_index)", [("_index", 7, True)]),
    ("a || !_key", [("a", 0, True), ("_key", 6, True)]),
    ("items[?_index > `1`].x", [("items", 0, True), ("_index", 7, False)]),
    ("a[*]._links", [("a", 0, True)]),
    ("a._b.c", [("a", 0, True)]),
    ("a | _index", [("a", 0, True), ("_index", 4, False)]),
    ("sort_by(a, &_z)", [("a", 8, True), ("_z", 12, False)]),
    ("{q: _idx, r: a.{s: _index}}", [("_idx", 4, True), ("a", 13, True), ("_index", 19, False)]),
    ('"_x".y', [("_x", 0, True)]),
    ("'_index' == `\"_index\"`", []),
    ("@._links", []),
])
def test_root_names_and_where_they_are_read(text, expected):
    assert [(r.name, r.offset, r.at_root) for r in root_names(spanned_tree(text))] == expected


@pytest.mark.parametrize("text, allowed, offsets", [
    ("_position", EACH, []),
    ("_position", frozenset(), [0]),
    ("join('-', [_parent.ref, to_string(_index)])", EACH, []),
    ("_postion", EACH, [0]),
    ("@._links", frozenset(), []),
    ("items[?_links]", frozenset(), []),  # a field of each element
    ("items[?_position > `1`]", EACH, [7]),  # read on the element: always null
    ("_target.id", frozenset({"_target"}), []),
    ("x || _target.id", frozenset(), [5]),
    ("not valid [", frozenset(), []),  # a syntax error is bad-expression's business
])
def test_name_problems(text, allowed, offsets):
    assert [offset for offset, _, _ in name_problems(text, allowed)] == offsets


def test_a_misspelt_reserved_name_gets_a_did_you_mean():
    (_, message, hint), = name_problems("_postion", EACH)
    assert "unknown name `_postion`" in message
    assert hint.startswith("did you mean `_position`?") and "`@._postion`" in hint


@pytest.mark.parametrize("text", [
    "meta[?key=='b2b'].value | [0] == 'yes' || role == 'b2b'",
    "a | b == c", "a | b | c == `1` && d", "x && (a | b == c)", "a | !b && c", "items[?x | y == z]",
])
def test_pipe_precedence_is_reported(text):
    assert len(list(pipe_problems(text))) == 1


@pytest.mark.parametrize("text", [
    "a | b", "a | [0] == 'yes'", "(a | [0]) == c", "a | (b == c)", "a | !b", "a | [0] == `1` && `true`",
    "(meta[?key=='b2b'].value | [0]) == 'yes' || role == 'b2b'", "a || b == c", "a[?b == c] | [0]",
])
def test_pipe_precedence_is_quiet_when_the_meaning_is_the_same_or_parenthesised(text):
    assert list(pipe_problems(text)) == []


def test_the_hint_is_the_parenthesised_rewrite_and_the_column_the_pipe():
    text = "meta[?key=='b2b'].value | [0] == 'yes' || role == 'b2b'"
    (offset, message, hint), = pipe_problems(text)
    assert text[offset] == "|"
    assert "meta[?key=='b2b'].value | ([0] == 'yes' || role == 'b2b')" in message
    assert "`(meta[?key=='b2b'].value | [0]) == 'yes' || role == 'b2b'`" in hint


LOOKUPS = """
lookups:
  tax_codes: { map: { 20: S_20, 0: EXO } }
  carriers: { map: { UPS: UPS_GND }, default: DIVERS }
"""


@pytest.mark.parametrize("field, warned", [
    ("t: { from: rate, transform: { lookup: tax_codes } }", True),
    ("t: { from: rate, transform: [trim, { lookup: tax_codes }] }", True),
    ("t: { from: rate, transform: { lookup: { map: { a: b } } } }", True),
    ("t: { from: rate, when: rate, transform: { lookup: tax_codes } }", False),
    ("t: { from: rate, required: true, transform: { lookup: tax_codes } }", False),
    ("t: { from: rate, transform: [{ default: 0 }, { lookup: tax_codes }] }", False),
    ("t: { from: rate, transform: [{ default: 0 }, { null_if: 0 }, { lookup: tax_codes }] }", True),
    ("t: { from: rate, transform: { lookup: { table: tax_codes, default: EXO } } }", False),
    ("t: { from: rate, transform: { lookup: carriers } }", False),
    ("t: { from: id, transform: { lookup: tax_codes } }", False),  # the record's key
    ("t: { from: \"coalesce(rate, '0')\", transform: { lookup: tax_codes } }", False),
    ("t: { from: \"to_string(rate)\", transform: { lookup: tax_codes } }", False),
    ("t: { from: \"unique(rates)\", transform: { lookup: tax_codes } }", False),
    ("t: { value: 20, transform: { lookup: tax_codes } }", False),
    ("t: { map: { u: { from: rate, transform: { lookup: tax_codes } } } }", True),
    ("t: { when: flag, map: { u: { from: rate, transform: { lookup: tax_codes } } } }", False),
    ("t: [{ when: flag, map: { u: { from: rate, transform: { lookup: tax_codes } } } }]", False),
    ("t: [{ each: rows, map: { u: { from: rate, transform: { lookup: tax_codes } } } }]", True),
    ("t: { when: flag, value: 1, else: { from: rate, transform: { lookup: tax_codes } } }", True),
])
def test_strict_lookup_null(tmp_path, field, warned):
    _, diags = compile_text(tmp_path, flow_yaml(field, LOOKUPS))
    assert [d.code for d in diags if d.is_error] == []
    assert [d.code for d in diags] == (["strict-lookup-null"] if warned else [])
    assert all(d.severity == "warning" for d in diags)


@pytest.mark.parametrize("text, reported", [
    ("!a.b", ["!a.b"]),
    ("x && !detail.associations.taxes[0]", ["!detail.associations.taxes[0]"]),
    ("!a.b.c || y", ["!a.b.c"]),
    ("!(a.b)", []), ("!a", []), ("!taxes[0]", []), ("!a | b", []), ("!(a.b) && !(c.d)", []),
])
def test_not_before_a_dotted_path_is_reported_with_its_rewrite(text, reported):
    found = list(not_problems(text))
    assert [text[offset:offset + len(r)] for (offset, _, _), r in zip(found, reported)] == reported
    assert len(found) == len(reported)
    for (_, message, hint), written in zip(found, reported):
        assert f"`{written}`" in message and hint == f"write `!({written[1:]})`"
