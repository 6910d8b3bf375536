"""Lookup tables (inline maps and CSV files), the lookup transform and SimpleContext."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from engine.lang.context import SimpleContext
from engine.errors import TransformError
from engine.lang.lookups import LookupTable, build_lookup
from engine.lang.registry import ArgError, Registry
from engine.lang.transforms import register_all

REG = Registry()
register_all(REG)
D = Decimal
HERE = Path(".")
CARRIERS = {"map": {"UPS Ground": "UPS_GND", "Colissimo": "COLI", "DHL Express": "DHL_EXP"}, "default": "DIVERS"}
TAX_CODES = {"match": "number", "map": {"20": "S_20", "5.5": "S_5", "10": "S_10", "2.1": "S_2", "0": "EXO"}}


def table(spec, name="t", base_dir=HERE) -> LookupTable:
    return build_lookup(name, spec, base_dir)


# --- matching ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("keys", "mode"), [
    (["20", "5.5", "0", "2.1"], "number"),
    (["-1", "10"], "number"),
    (["0.5"], "number"),
    (["007", "20"], "text"),        # a leading zero is a code, not a number
    (["20", "UPS"], "text"),
    (["1e3"], "text"),
    (["20."], "text"),
    ([], "text"),
])
def test_auto_match_mode(keys, mode):
    assert table({"map": {k: "x" for k in keys}}).match == mode


@pytest.mark.parametrize("value", [20, "20", "20.000", D("20.0"), D("2E+1"), 20.0, " 20 ", "+20"])
def test_numeric_keys_match_every_spelling_of_the_number(value):
    assert table(TAX_CODES).get(value) == (True, "S_20")


@pytest.mark.parametrize(("value", "expected"), [
    (D("5.50"), "S_5"), ("5.5", "S_5"), (0, "EXO"), (D("-0.00"), "EXO"), ("0.000000", "EXO"), (D("2.10"), "S_2"),
])
def test_numeric_lookup(value, expected):
    assert table(TAX_CODES).resolve(value) == expected


@pytest.mark.parametrize("value", ["vingt", True, False, "", [20], {"a": 20}, D("19.6"), "1,5"])
def test_non_numbers_never_match_a_numeric_table(value):
    assert table(TAX_CODES).get(value) == (False, None)
    assert table({**TAX_CODES, "default": "S_X"}).resolve(value) == "S_X"


@pytest.mark.parametrize(("spec", "value", "found"), [
    ({"map": {"20": "a"}, "match": "text"}, "20", (True, "a")),
    ({"map": {"20": "a"}, "match": "text"}, 20, (True, "a")),
    ({"map": {"20": "a"}, "match": "text"}, D("20.0"), (False, None)),  # text: written as "20.0"
    ({"map": {"0.10": "a"}, "match": "text"}, D("0.10"), (True, "a")),
    ({"map": {"true": "a"}, "match": "text"}, True, (True, "a")),
    ({"map": {"UPS Ground": "a"}}, "ups ground", (False, None)),
    ({"map": {"UPS Ground": "a"}}, "UPS Ground ", (False, None)),
    ({"map": {"UPS Ground": "a"}, "match": "text_ci"}, " ups GROUND ", (True, "a")),
    ({"map": {"Straße": "a"}, "match": "text_ci"}, "STRASSE", (True, "a")),
    ({"map": {"UPS": "a"}, "match": "text"}, ["UPS"], (False, None)),
])
def test_text_lookup(spec, value, found):
    assert table(spec).get(value) == found


def test_values_may_be_any_scalar():
    t = table({"map": {"a": 1, "b": D("2.5"), "c": None, "d": True}})
    assert [t.resolve(k) for k in "abcd"] == [1, D("2.5"), None, True]


# --- defaults and strictness -----------------------------------------------------------------------

def test_default_applies_on_miss_and_on_null():
    t = table(CARRIERS, "carriers")
    assert t.has_default and t.default == "DIVERS"
    assert t.resolve("Chronopost") == "DIVERS"
    assert t.resolve(None) == "DIVERS"
    assert t.get("Chronopost") == (False, None)


def test_default_null_is_a_real_default():
    t = table({"map": {"a": "b"}, "default": None})
    assert t.has_default and t.resolve("zzz") is None


def test_strict_miss_lists_the_known_keys():
    strict = table({"map": CARRIERS["map"]}, "carriers")
    with pytest.raises(TransformError) as info:
        strict.resolve("XYZ")
    assert str(info.value) == ("no entry for 'XYZ' in lookup 'carriers' "
                               "(known keys: Colissimo, DHL Express, UPS Ground)")


def test_strict_miss_on_null_and_on_a_long_table():
    strict = table({"map": {f"k{i:02d}": i for i in range(30)}}, "big")
    with pytest.raises(TransformError) as info:
        strict.resolve(None)
    message = str(info.value)
    assert message.startswith("no entry for null in lookup 'big' (known keys: k00, k01")
    assert "k09, … (30 in all)" in message and "k10" not in message


def test_strict_miss_in_a_numeric_table_says_it_matches_numbers():
    with pytest.raises(TransformError, match="no entry for 'vingt' .*the table matches numbers"):
        table(TAX_CODES, "tax_codes").resolve("vingt")
    expected = r"^no entry for 19.6 in lookup 'tax_codes' \(known keys: 0, 10, 2.1, 20, 5.5\)$"
    with pytest.raises(TransformError, match=expected):
        table(TAX_CODES, "tax_codes").resolve(D("19.6"))


def test_a_null_key_can_be_mapped_programmatically():
    t = LookupTable("t", {None: "NONE", "a": "A"})
    assert t.resolve(None) == "NONE" and t.keys() == [None, "a"]


# --- bad specs ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("spec", "at", "message"), [
    ("UPS", (), "must be a mapping"),
    ({"map": {"a": 1}, "defualt": 2}, ("defualt",), "unknown key 'defualt' in lookup 't'; did you mean 'default'?"),
    ({"map": {"a": 1}, "match": "numeric"}, ("match",), "unknown match mode 'numeric'"),
    ({"default": 1}, (), "needs exactly one of 'map' or 'file'"),
    ({"map": {}, "file": "x.csv"}, (), "needs exactly one"),
    ({"map": ["a"]}, ("map",), "must be a mapping of keys to values"),
    ({"map": {"a": ["x"]}}, ("map", "a"), "must be a scalar"),
    ({"map": {"a": 1}, "key_column": "k"}, ("key_column",), "only applies to a lookup read from a file"),
    ({"map": {"20": 1, "UPS": 2}, "match": "number"}, ("map", "UPS"), "key 'UPS' of lookup 't' is not a number"),
    ({"map": {"20": 1, "20.0": 2}, "match": "number"}, ("map", "20.0"), "keys '20' and '20.0'"),
    ({"map": {"UPS": 1, "ups ": 2}, "match": "text_ci"}, ("map", "ups "), "are the same with match: text_ci"),
])
def test_bad_specs(spec, at, message):
    with pytest.raises(ArgError) as info:
        table(spec)
    assert info.value.at == at
    assert message in info.value.message


# --- CSV files --------------------------------------------------------------------------------------

def write(tmp_path: Path, content: str | bytes, name: str = "payments.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return tmp_path


@pytest.mark.parametrize("content", [
    "module,mode\nps_checkout,CB\nps_wirepayment,Virement\n",
    "module;mode\r\nps_checkout;CB\r\nps_wirepayment;Virement\r\n",
    "module\tmode\nps_checkout\tCB\nps_wirepayment\tVirement",
    "\ufeffmodule;mode\nps_checkout;CB\n\nps_wirepayment;Virement\n",   # BOM (Excel "CSV UTF-8"), blank line
    '"module";"mode"\n"ps_checkout";"CB"\n "ps_wirepayment" ; Virement \n',
])
def test_csv_first_two_columns(tmp_path, content):
    t = table({"file": "payments.csv", "default": "Autre"}, "payments", write(tmp_path, content))
    assert t.resolve("ps_checkout") == "CB"
    assert t.resolve("ps_wirepayment") == "Virement"
    assert t.resolve("paypal") == "Autre"
    assert t.source == "payments.csv"


def test_csv_named_columns_and_numeric_keys(tmp_path):
    base = write(tmp_path, "label;rate;code\nNormal;20;S_20\nRéduit;5.5;S_5\n", "taxes.csv")
    t = table({"file": "taxes.csv", "key_column": "rate", "value_column": "code"}, "taxes", base)
    assert t.match == "number"
    assert t.resolve(D("20.000")) == "S_20" and t.resolve("5.50") == "S_5"
    by_label = table({"file": "taxes.csv", "key_column": "label", "value_column": "code", "match": "text_ci"},
                     "taxes", base)
    assert by_label.resolve("réduit") == "S_5"


@pytest.mark.parametrize(("content", "spec", "at", "message", "hint"), [
    (None, {}, ("file",), "lookup file 'payments.csv' not found", "relative to the spec directory"),
    ("module;mode\n", {"key_column": "modul"}, ("key_column",),
     "column 'modul' not found in lookup file 'payments.csv'; did you mean 'module'?", "columns present: module, mode"),
    ("module;mode\n", {"value_column": "code"}, ("value_column",), "column 'code' not found",
     "columns present: module, mode"),
    ("module;mode\na;1\nb;2\na;3\n", {}, ("file",), "rows 2 and 4 of lookup file 'payments.csv' have the same key",
     "one row per key"),
    ("module;mode\na;1\n;2\n", {}, ("file",), "empty key in row 3 of lookup file 'payments.csv'", None),
    ("module;mode\na;1\nb\n", {}, ("file",), "row 3 of lookup file 'payments.csv' has 1 column(s)", "delimiter"),
    ("module\na\n", {}, ("file",), "has 1 column(s); a key and a value column are needed", "columns present: module"),
    ("", {}, ("file",), "lookup file 'payments.csv' is empty", "header row"),
    ("module;mode\nCaf\xe9;1\n".encode("latin-1"), {}, ("file",), "is not UTF-8", "CSV UTF-8"),
])
def test_csv_errors(tmp_path, content, spec, at, message, hint):
    base = tmp_path if content is None else write(tmp_path, content)
    with pytest.raises(ArgError) as info:
        table({"file": "payments.csv", **spec}, "payments", base)
    assert info.value.at == at
    assert message in info.value.message
    if hint:
        assert hint in info.value.hint


def test_csv_duplicate_after_numeric_normalisation(tmp_path):
    base = write(tmp_path, "rate,code\n20,A\n20.0,B\n")
    with pytest.raises(ArgError, match=r"the keys in rows 2 and 3 of lookup file 'payments.csv' are the same "
                                       r"with match: number") as info:
        table({"file": "payments.csv"}, "t", base)
    assert info.value.at == ("file",)


# --- the lookup transform and the context -----------------------------------------------------------

def lookup(arg, **tables):
    ctx = SimpleContext({name: build_lookup(name, spec, HERE) for name, spec in tables.items()})
    return REG.get("transform", "lookup").factory(arg, ctx)


def test_lookup_by_name():
    fn = lookup("carriers", carriers=CARRIERS)
    assert [fn(v) for v in ("UPS Ground", "Colissimo", "Chronopost", None)] == ["UPS_GND", "COLI", "DIVERS", "DIVERS"]


def test_lookup_with_its_own_default():
    fn = lookup({"table": "tax_codes", "default": None}, tax_codes=TAX_CODES)
    assert fn("20") == "S_20" and fn("19.6") is None
    strict = lookup({"table": "tax_codes"}, tax_codes=TAX_CODES)
    with pytest.raises(TransformError, match="no entry for '19.6'"):
        strict("19.6")


def test_inline_lookup():
    fn = lookup({"map": {"1": "Oui", "0": "Non"}, "default": "?"})
    assert (fn(1), fn("0"), fn(D("1.0")), fn(7)) == ("Oui", "Non", "Oui", "?")
    with pytest.raises(TransformError, match=r"in lookup '\(inline\)'"):
        lookup({"map": {"a": "b"}})("c")


@pytest.mark.parametrize(("arg", "at"), [("carrier", ()), ({"table": "carrier"}, ("table",))])
def test_unknown_table(arg, at):
    with pytest.raises(ArgError) as info:
        lookup(arg, carriers=CARRIERS, payments=CARRIERS)
    assert info.value.message == "unknown lookup 'carrier'"
    assert info.value.hint == "did you mean 'carriers'?"
    assert info.value.at == at


def test_context_hints():
    with pytest.raises(ArgError) as info:
        SimpleContext({"carriers": None, "payments": None}).lookup("zzz")
    assert info.value.hint == "known lookups: carriers, payments"
    with pytest.raises(ArgError) as info:
        SimpleContext().lookup("carriers")
    assert info.value.hint == "no lookups are defined"


def test_context_expression():
    ctx = SimpleContext(base_dir=Path("/specs"))
    assert ctx.base_dir == Path("/specs")
    assert ctx.expression("customer.lastname")({"customer": {"lastname": "Martin"}}) == "Martin"
    assert ctx.expression("sum(lines[].qty)")({"lines": [{"qty": D("1.5")}, {"qty": 2}]}) == D("3.5")
    with pytest.raises(ArgError) as info:
        ctx.expression("lines[?qty >")
    assert info.value.offset > 0 and info.value.at == ()
    with pytest.raises(ArgError, match="empty expression"):
        ctx.expression("  ")
