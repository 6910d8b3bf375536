"""YAML -> plain values: our scalar rules, locations, duplicate keys, and hostile input bounds."""
from decimal import Decimal

import pytest
import yaml

from engine.spec.yamlsrc import MAX_DEPTH, _deep_flow_cut, load_bytes, load_text


def codes(doc):
    return [(d.code, d.loc.line, d.loc.col) for d in doc.diagnostics]


@pytest.mark.parametrize("text, expected", [
    ("v: true", True), ("v: false", False), ("v: null", None), ("v: ~", None), ("v:", None),
    ("v: 42", 42), ("v: -7", -7), ("v: 0", 0), ("v: 12.50", Decimal("12.50")), ("v: 1e3", Decimal("1e3")),
    ("v: '0123'", "0123"), ('v: "true"', "true"), ("v: PS_", "PS_"), ("v: !!str 12", "12"),
    ("v: UPS Ground", "UPS Ground"),
])
def test_scalars(text, expected):
    doc = load_text(text, "f.yaml")
    assert doc.ok and doc.diagnostics == []
    assert doc.data["v"] == expected and type(doc.data["v"]) is type(expected)


def test_money_is_never_float():
    doc = load_text("a: 0.1\nb: [1.10, 2.2]\n", "f.yaml")
    assert doc.data == {"a": Decimal("0.1"), "b": [Decimal("1.10"), Decimal("2.2")]}
    assert not any(isinstance(v, float) for v in [doc.data["a"], *doc.data["b"]])


@pytest.mark.parametrize("value, code", [
    ("NO", "yaml11-bool"), ("yes", "yaml11-bool"), ("Off", "yaml11-bool"), ("True", "yaml11-bool"),
    ("0123", "leading-zero"), ("1:30", "yaml11-sexagesimal"), ("2024-05-14", "yaml11-date"),
    ("0x1F", "yaml11-number"),
])
def test_yaml11_traps_keep_text_and_warn(value, code):
    doc = load_text(f"country: {value}\n", "f.yaml")
    assert doc.data == {"country": value}
    assert [(d.code, d.severity, d.loc.line, d.loc.col) for d in doc.diagnostics] == [(code, "warning", 1, 10)]
    assert doc.ok  # warnings do not make the document invalid


def test_quoted_traps_are_silent():
    doc = load_text("a: 'NO'\nb: \"0123\"\nc: '1:30'\n", "f.yaml")
    assert doc.diagnostics == [] and doc.data == {"a": "NO", "b": "0123", "c": "1:30"}


def test_duplicate_key_is_an_error_at_the_second_key():
    doc = load_text("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert codes(doc) == [("duplicate-key", 3, 1)]
    assert "first defined at line 1" in doc.diagnostics[0].message
    assert doc.data == {"a": 1, "b": 2}


def test_locations_of_values_and_keys():
    doc = load_text("flows:\n  x:\n    map:\n      a: {from: b}\n", "f.yaml")
    assert doc.loc(("flows", "x", "map", "a", "from")).line == 4
    assert doc.loc(("flows", "x", "map", "a", "from")).col == 17
    assert doc.key_loc(("flows", "x", "map", "a")).col == 7
    # a path below a located node falls back to its nearest located ancestor
    assert doc.loc(("flows", "x", "map", "a", "from", "nothing")).line == 4


def test_syntax_error_is_located():
    doc = load_text("a: [1, 2\nb: 3\n", "f.yaml")
    assert [d.code for d in doc.diagnostics] == ["yaml-syntax"]
    assert doc.diagnostics[0].loc.line >= 1 and not doc.ok


def test_tab_indentation_gets_a_hint():
    doc = load_text("a:\n\tb: 1\n", "f.yaml")
    assert doc.diagnostics[0].code == "yaml-syntax"
    assert doc.diagnostics[0].hint == "indent with spaces, not tabs"


def test_deep_nesting_is_bounded():
    doc = load_text("[" * 100_000 + "]" * 100_000, "f.yaml")  # libyaml's composer segfaults on this
    assert [d.code for d in doc.diagnostics] == ["too-deep"]
    assert doc.diagnostics[0].loc.col == MAX_DEPTH + 1


# Deep enough that libyaml >= 0.2.6 (PyYAML 6.0.4) gives up on its own at 1000 flow levels while
# looking ahead: the engine's depth check must answer first, at the place where nesting passes 64.
DEEP = 2000


@pytest.mark.parametrize("text, line, col", [
    ("flows: " + "[" * DEEP, 1, len("flows: ") + MAX_DEPTH),  # the mapping is level 1
    ("[" * DEEP + "]" * DEEP, 1, MAX_DEPTH + 1),
    ("[\n" * DEEP, MAX_DEPTH + 1, 1),
    ("{a: " * DEEP + "x" + "}" * DEEP, 1, len("{a: ") * MAX_DEPTH + 1),
    ('{"a":' * DEEP + "1" + "}" * DEEP, 1, len('{"a":') * MAX_DEPTH + 1),
    ("- " * DEEP + "x\n", 1, len("- ") * MAX_DEPTH + 1),  # block nesting
    ("".join(" " * i + "a:\n" for i in range(DEEP // 10)) + "x\n", MAX_DEPTH + 1, MAX_DEPTH + 1),
    # mapping, sequence, mapping, then '{' and '[' by turns: level 65 is the 31st '['
    ("a:\n  - b: " + "{c: [" * DEEP, 2, len("  - b: ") + 30 * len("{c: [") + len("{c: [")),
    # libyaml reads ahead at most 1024 characters: the limit is far from the first '['
    ("[" * 30 + " " * 2000 + "[" * DEEP, 1, 30 + 2000 + (MAX_DEPTH + 1 - 30)),
    ("k: &anchor !!seq " + "[" * DEEP, 1, len("k: &anchor !!seq ") + MAX_DEPTH),
    ("k:\r\n  " + "[" * DEEP, 2, len("  ") + MAX_DEPTH),
])
def test_too_deep_is_found_by_the_engine_whatever_libyaml_does(text, line, col):
    assert codes(load_text(text, "f.yaml")) == [("too-deep", line, col)]


NOISE = "[" * DEEP + "{" * DEEP  # never an opener below


@pytest.mark.parametrize("text", [
    f'q: "{NOISE}"\n',
    f"q: '{NOISE}'\n",
    f"q: 'it''s {NOISE}'\n",
    f'q: "say \\"{NOISE}\\" \\\\"\n',
    f"# {NOISE}\n",
    f"q: 1  # {NOISE}\n",
    f"q: [a, '{NOISE}', \"{NOISE}\"]  # {NOISE}\n",
    f"q: |\n  {NOISE}\n\n  {NOISE}\n",
    f"q: >-\n  {NOISE}\n",
    f"q:\n- a: |\n    {NOISE}\n  b: 1\n",
    f"q:\n- |\n  {NOISE}\n",
    f"q: some text {NOISE}\n",  # inside a plain scalar of block context
    f"q: a{NOISE}\n",
    f"q: &x\n  - {{k: '{NOISE}'}}\n",
])
def test_brackets_that_open_nothing_are_not_nesting(text):
    doc = load_text(text, "f.yaml")
    assert doc.ok and doc.diagnostics == [] and doc.data == yaml.safe_load(text)  # valid stays valid
    assert _deep_flow_cut(text, 0, len(text)) is None
    # and a really deep collection after them is still found, at its own place
    lines = text.count("\n")
    deep = load_text(text + "z: " + "[" * DEEP, "f.yaml")
    assert codes(deep) == [("too-deep", lines + 1, len("z: ") + MAX_DEPTH)]


def test_a_plain_scalar_line_taken_for_nesting_does_not_hide_the_real_place():
    # The continuation line of a plain scalar looks like flow openers to the scan: that place is
    # not confirmed, and the scan goes on to the real one.
    text = "q: x\n  " + "[" * 100 + "\nz: " + "[" * DEEP
    assert load_text(text, "f.yaml").ok is False
    assert codes(load_text(text, "f.yaml")) == [("too-deep", 3, len("z: ") + MAX_DEPTH)]


def test_a_syntax_error_before_deep_nesting_is_reported_as_such():
    text = "q: 'unclosed\nz: " + "[" * DEEP
    assert [d.code for d in load_text(text, "f.yaml").diagnostics] == ["yaml-syntax"]
    text = "q: x\n  " + "[" * 100 + "\nb: 'unclosed\n"  # brackets in text: nothing to confirm
    assert [d.code for d in load_text(text, "f.yaml").diagnostics] == ["yaml-syntax"]


def test_diagnostics_before_the_deep_place_are_kept():
    text = "country: NO\nz: " + "[" * DEEP
    assert codes(load_text(text, "f.yaml")) == [("yaml11-bool", 1, 10), ("too-deep", 2, len("z: ") + MAX_DEPTH)]


def test_alias_bomb_is_bounded():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    doc = load_text("\n".join(lines) + "\n", "f.yaml")
    assert "too-large" in [d.code for d in doc.diagnostics]


def test_aliases_and_merge_keys():
    doc = load_text("base: &b {x: 1, y: 2}\nitem:\n  <<: *b\n  y: 3\n", "f.yaml")
    assert doc.ok and doc.data["item"] == {"y": 3, "x": 1}


@pytest.mark.parametrize("text, code", [
    ("a: 1e999999", "number-range"), ("a: " + "9" * 500, "number-range"),
    ("a: !!python/object x", "yaml-tag"), ("a: 1\n---\nb: 2\n", "multiple-documents"),
    ("? [a]\n: b\n", "complex-key"), ("a: *nope\n", "yaml-syntax"),
])
def test_hostile_values_get_located_errors(text, code):
    doc = load_text(text, "f.yaml")
    assert code in [d.code for d in doc.diagnostics]
    assert all(d.loc.line >= 1 and d.loc.col >= 1 for d in doc.diagnostics)


def test_invalid_utf8_points_at_the_byte():
    doc = load_bytes(b"a: 1\nb: caf\xe9\n", "f.yaml")
    assert [(d.code, d.loc.line, d.loc.col) for d in doc.diagnostics] == [("encoding", 2, 7)]


def test_utf16_and_bom_are_read():
    assert load_bytes("a: é\n".encode("utf-16"), "f.yaml").data == {"a": "é"}
    assert load_bytes(b"\xef\xbb\xbfa: 1\n", "f.yaml").data == {"a": 1}


def test_numeric_keys_keep_their_text():
    doc = load_text("map: {20: S_20, 5.5: S_5, 20.0: X}\n", "f.yaml")
    assert list(doc.data["map"]) == ["20", "5.5", "20.0"]
