"""Text transforms: stringifying, padding, regexes, templates, nulls and casts."""
from __future__ import annotations

from decimal import Decimal

import pytest

from engine.lang.context import SimpleContext
from engine.errors import TransformError
from engine.lang.registry import ArgError, Registry
from engine.lang.transforms import register_all

REG = Registry()
register_all(REG)
D = Decimal


def make(name, arg=None):
    return REG.get("transform", name).factory(arg, SimpleContext())


@pytest.mark.parametrize(("name", "arg", "value", "expected"), [
    ("prefix", "PS_", 1042, "PS_1042"),
    ("prefix", "PS_", D("12.50"), "PS_12.50"),
    ("prefix", "PS_", D("1E+2"), "PS_100"),
    ("prefix", "flag=", True, "flag=true"),
    ("suffix", "-B", "C56", "C56-B"),
    ("upper", None, "éric", "ÉRIC"),
    ("lower", None, "ÉRIC", "éric"),
    ("trim", None, "\t C56 \r\n", "C56"),
    ("trim", None, 56, "56"),
    ("truncate", 19, "X" * 25, "X" * 19),
    ("truncate", 0, "C56", ""),
    ("truncate", 17, 1042, "1042"),
    ("pad", {"width": 6, "char": "0"}, 56, "000056"),
    ("pad", {"width": 6}, "56", "    56"),
    ("pad", {"width": 6, "char": "0", "side": "right"}, "56", "560000"),
    ("pad", {"width": 3, "char": "0"}, "123456", "123456"),
    ("replace", {"old": ".", "new": ","}, D("12.50"), "12,50"),
    ("regex_replace", {"pattern": r"\s+", "replace": " "}, "12  rue\tdes Lilas", "12 rue des Lilas"),
    ("regex_replace", {"pattern": r"(?P<d>\d+)", "replace": r"<\g<d>>"}, "a1b22", "a<1>b<22>"),
    ("join", "/", ["a", D("1.5"), None, 2], "a/1.5/2"),
    ("join", ", ", [], ""),
    ("concat", None, ["PS", None, 1042], "PS1042"),
    ("split", ";", "a;b;;c", ["a", "b", "", "c"]),
    ("split", ",", "", []),
])
def test_text_transforms(name, arg, value, expected):
    assert make(name, arg)(value) == expected


@pytest.mark.parametrize("name,arg", [
    ("prefix", "x"), ("suffix", "x"), ("upper", None), ("lower", None), ("trim", None), ("truncate", 3),
    ("pad", {"width": 3}), ("replace", {"old": "a", "new": "b"}), ("join", ","), ("concat", None),
    ("split", ","), ("template", "{a}"), ("cast", "int"), ("regex_replace", {"pattern": "a", "replace": ""}),
])
def test_null_in_null_out(name, arg):
    assert make(name, arg)(None) is None


@pytest.mark.parametrize(("name", "arg", "value", "message"), [
    ("prefix", "x", {"a": 1}, "expected text, got dict"),
    ("upper", None, ["a"], "use join"),
    ("join", ",", "a,b", "join expects a list, got 'a,b'"),
    ("join", ",", [{"a": 1}], "expected text"),
    ("coalesce", None, "x", "coalesce expects a list"),
])
def test_text_errors(name, arg, value, message):
    with pytest.raises(TransformError, match=message):
        make(name, arg)(value)


def test_join_does_not_mutate_its_input():
    items = ["a", None, "b"]
    assert make("join", "-")(items) == "a-b"
    assert items == ["a", None, "b"]


def test_regex_is_validated_at_compile_time():
    with pytest.raises(ArgError) as info:
        make("regex_replace", {"pattern": "([0-9]+", "replace": ""})
    assert info.value.at == ("pattern",)
    assert "missing )" in info.value.message
    assert info.value.offset == 0


def test_bad_group_reference_is_an_arg_error():
    with pytest.raises(ArgError) as info:
        make("regex_replace", {"pattern": "(a)", "replace": r"\2"})
    assert info.value.at == ("replace",)
    assert "invalid group reference" in info.value.message


# --- template ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("template", "value", "expected"), [
    ("{firstname} {lastname}", {"firstname": "Claire", "lastname": "Martin"}, "Claire Martin"),
    ("{{literal}} {a}", {"a": 1}, "{literal} 1"),
    ("{a}}}", {"a": "x"}, "x}"),
    ("{a}-{b}", {"a": None}, "-"),
    ("{amount} EUR", {"amount": D("12.50")}, "12.50 EUR"),
    ("{@}", "C56", "C56"),
    ("{address.city}", {"address": {"city": "Lyon"}}, "Lyon"),
    ("{join(', ', tags)}", {"tags": ["or", "argent"]}, "or, argent"),
    ("{'}{'} {a}", {"a": 1}, "}{ 1"),  # braces inside a quoted JMESPath literal do not count
    ("no placeholder", {"a": 1}, "no placeholder"),
    ("{active}", {"active": False}, "false"),
])
def test_template(template, value, expected):
    assert make("template", template)(value) == expected


@pytest.mark.parametrize(("template", "offset", "message"), [
    ("Commande {id", 9, "unclosed '{'"),
    ("Commande id}", 11, "single '}'"),
    ("{firstname} {last name}", 18, "in placeholder {last name}"),
    ("a {}", 3, "empty expression"),
    ("{foo(x)}", 1, "unknown function"),
])
def test_template_syntax_errors(template, offset, message):
    with pytest.raises(ArgError) as info:
        make("template", template)
    assert message in info.value.message
    assert info.value.offset == offset


def test_template_rejects_list_placeholder():
    with pytest.raises(TransformError, match=r"placeholder \{tags\} gave"):
        make("template", "{tags}")({"tags": ["a"]})


# --- nulls --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("arg", "value", "expected"), [
    ("DIVERS", None, "DIVERS"),
    ("DIVERS", "", "DIVERS"),
    ("DIVERS", 0, 0),
    ("DIVERS", False, False),
    (D("0.00"), None, D("0.00")),
    (None, "", None),
])
def test_default(arg, value, expected):
    result = make("default", arg)(value)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(("value", "expected"), [
    ([None, "", "x", "y"], "x"),
    ([0, "x"], 0),
    ([False], False),
    ([], None),
    ([None, ""], None),
    (None, None),
])
def test_coalesce(value, expected):
    result = make("coalesce")(value)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(("arg", "value", "expected"), [
    (0, D("0.0"), None),
    (0, 0, None),
    (0, "0.000000", None),       # numeric text compared as a number against a number argument
    (D("0.00"), 0, None),
    (0, D("0.01"), D("0.01")),
    (0, False, False),           # booleans are not numbers
    (False, 0, 0),
    ("0", "0", None),
    ("0", "0.0", "0.0"),         # text against text: exact
    ("0", 0, None),              # numeric text argument against a number
    ("", "", None),
    ("", None, None),
    (["", "0000-00-00"], "0000-00-00", None),
    (["", "0000-00-00"], "2024-05-14", "2024-05-14"),
    ([0, "N/A"], D("0.000"), None),
    ("N/A", "n/a", "n/a"),
])
def test_null_if(arg, value, expected):
    assert make("null_if", arg)(value) == expected


# --- cast ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("arg", "value", "expected"), [
    ("int", 12, 12),
    ("int", "12", 12),
    ("int", "12.000", 12),
    ("int", D("12.0"), 12),
    ("int", " -3 ", -3),
    ("decimal", 3, D("3")),
    ("decimal", "12.500000", D("12.500000")),
    ("decimal", 0.1, D("0.1")),
    ("string", D("4.90"), "4.90"),
    ("string", 1042, "1042"),
    ("string", True, "true"),
    ("bool", True, True),
    ("bool", 0, False),
    ("bool", D("1.0"), True),
    ("bool", "1", True),
    ("bool", " TRUE ", True),
    ("bool", "false", False),
    ("bool", "0", False),
])
def test_cast(arg, value, expected):
    result = make("cast", arg)(value)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(("arg", "value", "message"), [
    ("int", "12.5", "not a whole number"),
    ("int", True, "expected a number for cast int, got true"),
    ("int", "douze", "got 'douze'"),
    ("decimal", "1,5", "decimal comma"),
    ("decimal", "NaN", "expected a number"),
    ("bool", "oui", "cannot cast 'oui' to bool"),
    ("bool", 2, "cannot cast 2 to bool"),
    ("string", ["a"], "expected text"),
])
def test_cast_errors(arg, value, message):
    with pytest.raises(TransformError, match=message):
        make("cast", arg)(value)


def test_long_values_are_truncated_in_messages():
    with pytest.raises(TransformError) as info:
        make("cast", "int")("x" * 200)
    assert len(str(info.value)) < 120
    assert "…" in str(info.value)
