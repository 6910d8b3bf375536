"""The disk cache of parsed spec files (engine/spec/yamlcache.py): a warm read gives the very document
a parse gives — values, types, every location, styles, warnings and errors — and a stale, corrupted
or foreign entry is never believed."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from engine.spec import yamlcache
from engine.spec.yamlsrc import load_bytes

from support import ROOT

SPEC_FILES = sorted((ROOT / "specs").rglob("*.yaml"))
TRICKY = {
    "traps.yaml": b"country: NO\nzip: 0123\nwhen: 1:30\nday: 2024-05-14\nprice: 12.50\nq: 'x'\nb: |\n  two\n  lines\n",
    "duplicate.yaml": b"a: 1\nb: 2\na: 3\n",
    "syntax.yaml": b"flows:\n  f: {source: x\n  g: 1\n",
    "tabs.yaml": b"a:\n\tb: 1\n",
    "latin1.yaml": b"name: caf\xe9\n",
    "anchors.yaml": b"base: &b {x: 1, y: [1, 2.5]}\ncopy: *b\nmerged:\n  <<: *b\n  z: 3\n",
    "tagged.yaml": b"a: !!str 12\nb: !custom x\n",
    "empty.yaml": b"",
    "control.yaml": b"a: \x01\n",
}


def _state(doc):
    """Everything a parsed document is, with each value's type and every location as a ``Loc``."""
    def typed(value):
        if isinstance(value, dict):
            return {k: typed(v) for k, v in value.items()}
        if isinstance(value, list):
            return [typed(v) for v in value]
        return (type(value).__name__, value)

    return (doc.file, typed(doc.data), {p: doc.loc(p) for p in doc.locs}, {p: doc.key_loc(p) for p in doc.key_locs},
            doc.styles, doc.diagnostics, doc.ok)


def _cold_and_warm(raw: bytes, name: str, cache: yamlcache.DocCache):
    cold = load_bytes(raw, name)
    with yamlcache.using(cache):
        first = load_bytes(raw, name)  # parsed, then stored
        hits = cache.hits
        warm = load_bytes(raw, name)
    assert cache.hits == hits + 1, "the second read did not come from the cache"
    return cold, first, warm


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_spec_file_reads_back_as_it_parses(path, tmp_path):
    cold, first, warm = _cold_and_warm(path.read_bytes(), str(path.relative_to(ROOT)), yamlcache.DocCache(tmp_path))
    assert _state(first) == _state(cold)
    assert _state(warm) == _state(cold)


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_warnings_errors_and_odd_values_read_back_as_they_parse(name, tmp_path):
    cold, _, warm = _cold_and_warm(TRICKY[name], name, yamlcache.DocCache(tmp_path))
    assert _state(warm) == _state(cold)


def test_a_cached_document_is_a_copy_of_its_own(tmp_path):
    cache, raw = yamlcache.DocCache(tmp_path), TRICKY["anchors.yaml"]
    with yamlcache.using(cache):
        load_bytes(raw, "a.yaml").data["base"]["x"] = 99  # whoever changes what it got
        assert load_bytes(raw, "a.yaml").data["base"]["x"] == 1


def test_other_bytes_or_another_name_are_parsed_again(tmp_path):
    cache = yamlcache.DocCache(tmp_path)
    with yamlcache.using(cache):
        load_bytes(b"a: 1\n", "a.yaml")
        assert load_bytes(b"a: 2\n", "a.yaml").data == {"a": 2}
        bad = load_bytes(b"a: 1\na: 1\n", "b.yaml")
        assert bad.diagnostics[0].loc.file == "b.yaml"
        assert load_bytes(b"a: 1\na: 1\n", "c.yaml").diagnostics[0].loc.file == "c.yaml"
    assert cache.hits == 0 and cache.misses == 4


def test_a_changed_parser_makes_every_entry_stale(tmp_path, monkeypatch):
    with yamlcache.using(yamlcache.DocCache(tmp_path)):
        load_bytes(b"a: 1\n", "a.yaml")
    monkeypatch.setattr(yamlcache, "_PARSER_SOURCES", yamlcache._PARSER_SOURCES + ("spec/env.py",))
    other = yamlcache.DocCache(tmp_path)
    with yamlcache.using(other):
        assert load_bytes(b"a: 1\n", "a.yaml").data == {"a": 1}
    assert other.hits == 0 and other.misses == 1


def _entries(folder: Path) -> list[Path]:
    """The parsed documents stored under ``folder``."""
    return sorted(p for p in (folder / "yaml-1").rglob("*.pickle"))


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty", "other-format"])
def test_a_damaged_entry_is_ignored_and_written_again(damage, tmp_path):
    raw = TRICKY["traps.yaml"]
    cold = load_bytes(raw, "t.yaml")
    with yamlcache.using(yamlcache.DocCache(tmp_path)):
        load_bytes(raw, "t.yaml")
    [entry] = _entries(tmp_path)
    blob = entry.read_bytes()
    damaged = {"truncate": blob[:len(blob) // 2], "flip": blob[:-5] + bytes([blob[-5] ^ 1]) + blob[-4:],
               "garbage": os.urandom(len(blob)), "empty": b"",
               "other-format": b"passerelle-yaml-cache 0\n" + blob[len(yamlcache.FORMAT):]}[damage]
    entry.write_bytes(damaged)
    cache = yamlcache.DocCache(tmp_path)
    with yamlcache.using(cache):
        assert _state(load_bytes(raw, "t.yaml")) == _state(cold)
        assert cache.misses == 1
        assert entry.read_bytes() == blob  # written again, whole
        assert _state(load_bytes(raw, "t.yaml")) == _state(cold) and cache.hits == 1


class _Boom:
    def __reduce__(self):
        return (os.system, ("echo should-not-run",))


def test_an_entry_naming_any_other_class_is_not_unpickled(tmp_path):
    import hashlib

    cache = yamlcache.DocCache(tmp_path)
    raw, name = b"a: 1\n", "a.yaml"
    payload = pickle.dumps(("a.yaml", {"a": _Boom()}, {}, {}, {}, []))
    target = cache._path(cache.key(raw, name))
    target.parent.mkdir(parents=True)
    target.write_bytes(yamlcache.FORMAT + hashlib.blake2b(payload, digest_size=32).digest() + payload)
    with yamlcache.using(cache):
        assert load_bytes(raw, name).data == {"a": 1}
    assert cache.hits == 0


def test_a_cache_folder_that_cannot_be_written_costs_only_the_parse(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with yamlcache.using(yamlcache.DocCache(blocker)):
        assert load_bytes(b"a: 1\n", "a.yaml").data == {"a": 1}
    assert blocker.read_text() == "not a folder"


def test_where_the_cache_lives(monkeypatch, tmp_path):
    monkeypatch.delenv("PASSERELLE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert yamlcache.default_dir() == tmp_path / "xdg" / "passerelle"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")  # the XDG rule: only an absolute path counts
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert yamlcache.default_dir() == tmp_path / "home" / ".cache" / "passerelle"
    monkeypatch.setenv("PASSERELLE_CACHE_DIR", str(tmp_path / "own"))
    assert yamlcache.default_dir() == tmp_path / "own"


def _validate(args: list[str], cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PASSERELLE_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, "-m", "engine", "validate", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_validate_fills_the_cache_reports_the_same_warm_and_no_cache_leaves_it_alone(tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    (project / "project.yaml").write_text(
        "project: {name: x}\nlookups:\n  pays: {FR: 'FRA', NO: 'NOR'}\nflows:\n  f: {sourc: 1}\n", encoding="utf-8")
    untouched = tmp_path / "untouched"
    off = _validate(["--no-cache", str(project)], untouched)
    assert not untouched.exists()
    cold = _validate([str(project)], tmp_path / "cache")
    assert len(_entries(tmp_path / "cache")) == 1
    warm = _validate([str(project)], tmp_path / "cache")
    assert off.returncode == cold.returncode == warm.returncode == 1
    assert "project.yaml:3:" in cold.stdout + cold.stderr  # the YAML warning on NO, located
    assert "unknown key 'sourc'" in cold.stdout + cold.stderr
    assert (off.stdout, off.stderr) == (cold.stdout, cold.stderr) == (warm.stdout, warm.stderr)


# -- patterns checked in an earlier run (engine/lang/patterns.py) ----------------------------------------
def test_a_pattern_that_passed_its_checks_is_compiled_on_first_use(tmp_path):
    from engine.lang.patterns import BoundedPattern

    with yamlcache.using(yamlcache.DocCache(tmp_path)):
        first = BoundedPattern(r"^(\d{2})/(\d{2})$", replacement=r"\2-\1")
        again = BoundedPattern(r"^(\d{2})/(\d{2})$", replacement=r"\2-\1")
    assert first._compiled is not None and again._compiled is None  # remembered: not compiled yet
    assert again.sub(r"\2-\1", "14/05") == first.sub(r"\2-\1", "14/05") == "05-14"
    with yamlcache.using(yamlcache.DocCache(tmp_path)):
        other = BoundedPattern(r"^(\d{2})/(\d{2})$", replacement=r"\1")  # another replacement: checked
    assert other._compiled is not None


@pytest.mark.parametrize("pattern, replacement, message", [
    ("a{d", "", "invalid regular expression"),  # re takes it, regex (fuzzy syntax) refuses it
    ("(unclosed", "", "invalid regular expression"),
    ("(a)", r"\2", "invalid replacement"),
])
def test_a_refused_pattern_is_refused_every_time(pattern, replacement, message, tmp_path):
    from engine.lang.patterns import BoundedPattern
    from engine.lang.registry import ArgError

    for _ in range(2):
        with yamlcache.using(yamlcache.DocCache(tmp_path)), pytest.raises(ArgError, match=message):
            BoundedPattern(pattern, replacement=replacement)
    assert not list(tmp_path.glob("memo-1/valid-*"))


# -- schema checks passed in an earlier run (engine/schema/validate.py) ---------------------------------
PROJECT = (ROOT / "specs" / "examples" / "prestashop-sage100" / "orders_to_sage.yaml").read_bytes()


def test_a_document_that_passed_its_schema_check_is_not_checked_again(tmp_path, monkeypatch):
    from engine.schema import validate

    with yamlcache.using(yamlcache.DocCache(tmp_path)):
        doc = load_bytes(PROJECT, "p.yaml")
        assert validate.validate_doc(doc, "project.schema.json") == []
        monkeypatch.setattr(validate, "_fast_validator", lambda name: pytest.fail("checked again"))
        assert validate.validate_doc(load_bytes(PROJECT, "p.yaml"), "project.schema.json") == []
        monkeypatch.setattr(validate, "_check_stamp", lambda name: b"another schema")  # schemas changed
        with pytest.raises(pytest.fail.Exception):
            validate.validate_doc(load_bytes(PROJECT, "p.yaml"), "project.schema.json")


def test_a_refused_document_is_explained_every_time(tmp_path):
    from engine.schema.validate import validate_doc

    raw = b"project: {name: x}\nflows:\n  f: {sourc: 1}\n"
    plain = validate_doc(load_bytes(raw, "p.yaml"), "project.schema.json")
    assert plain and any("sourc" in d.message for d in plain)
    for _ in range(2):
        with yamlcache.using(yamlcache.DocCache(tmp_path)):
            assert validate_doc(load_bytes(raw, "p.yaml"), "project.schema.json") == plain
    assert not list(tmp_path.glob("memo-1/valid-*"))


# -- JMESPath parses remembered (engine/lang/exprmemo.py, engine/lang/exprnames.py) -----------------------------
EXPRESSIONS = ["a.b", "items[?qty > `2.5`].sku", "join(', ', [a, b])", "to_number(x) || `0`", "!(c.d[0])",
               "customer.{n: name, m: email}", "lines[*].price | sum(@)", "`{\"k\": [1, 2.5]}`"]


def _fresh_parses(monkeypatch):
    from engine.lang import expr, exprnames

    monkeypatch.setattr(expr, "_COMPILED", {})
    monkeypatch.setattr(exprnames, "_TREES", {})


def test_expressions_parsed_in_an_earlier_run_read_back_as_they_parse(tmp_path, monkeypatch):
    from decimal import Decimal

    from engine.lang import expr, exprnames

    scope = {"a": {"b": 1}, "items": [{"qty": Decimal("3"), "sku": "X"}], "x": "7", "c": {"d": []},
             "customer": {"name": "N", "email": "E"}, "lines": [{"price": 1}, {"price": 2}]}
    _fresh_parses(monkeypatch)
    cold = {t: (expr.compile_expression(t).tree, exprnames.spanned_tree(t)) for t in EXPRESSIONS}
    results = {t: expr.compile_expression(t).search(scope) for t in EXPRESSIONS if "join" not in t}
    for _ in range(2):  # the first run learns and writes, the second reads
        _fresh_parses(monkeypatch)
        cache = yamlcache.DocCache(tmp_path)
        with yamlcache.using(cache):
            warm = {t: (expr.compile_expression(t).tree, exprnames.spanned_tree(t)) for t in EXPRESSIONS}
            assert {t: expr.compile_expression(t).search(scope) for t in results} == results
            cache.flush()
        assert warm == cold
    assert len(list((tmp_path / "memo-1").iterdir())) == 2


def test_a_memo_merges_what_another_process_wrote_and_survives_damage(tmp_path):
    first, second = (yamlcache.DocCache(tmp_path).memo("k", b"stamp") for _ in range(2))
    first.put("a", {"x": 1})
    second.put("b", [1, 2])
    first.flush()
    second.flush()  # written after the first: keeps its entries
    again = yamlcache.DocCache(tmp_path).memo("k", b"stamp")
    assert again.get("a") == {"x": 1} and again.get("b") == [1, 2]
    assert yamlcache.DocCache(tmp_path).memo("k", b"other stamp").get("a") is None
    [entry] = (tmp_path / "memo-1").iterdir()
    entry.write_bytes(entry.read_bytes()[:-3])
    damaged = yamlcache.DocCache(tmp_path).memo("k", b"stamp")
    assert damaged.get("a") is None
    damaged.put("c", "v")
    damaged.flush()
    assert yamlcache.DocCache(tmp_path).memo("k", b"stamp").get("c") == "v"


# -- jsonschema-rs's "valid" remembered (engine/spec/fastcheck.py) ------------------------------------------
def test_only_a_check_that_passed_is_remembered(tmp_path):
    from engine.spec.fastcheck import passes

    calls = []

    def check(answer):
        def run():
            calls.append(answer)
            return answer
        return run

    assert passes("k", {"a": 1}, check(True)) and not passes("k", {"a": 2}, check(False))  # no cache: asked
    for _ in range(2):
        with yamlcache.using(yamlcache.DocCache(tmp_path)):
            assert passes("k", {"a": 1}, check(True))
            assert not passes("k", {"a": 2}, check(False))
            assert not passes("k", {"a": 3}, lambda: 1 / 0)  # a value it cannot read: the reference decides
    assert calls == [True, False, True, False, False]  # the second run asked only about the refusal


def test_contract_and_argument_checks_read_back_the_same(tmp_path):
    from engine.connectors.contract import contract_errors
    from engine.plan.args_check import ArgsValidator

    schema = {"type": "object", "properties": {"q": {"type": "integer"}}, "required": ["q"]}
    args = ArgsValidator({"type": "string", "maxLength": 3})
    for _ in range(2):
        with yamlcache.using(yamlcache.DocCache(tmp_path)):
            assert list(contract_errors(schema, {"q": 2})) == []
            assert [e.validator for e in contract_errors(schema, {"q": "x"})] == ["type"]
            assert [e.validator for e in contract_errors(schema, {})] == ["required"]
            assert list(args.iter_errors("abc")) == []
            assert [e.validator for e in args.iter_errors("abcd")] == ["maxLength"]


def test_without_the_parser_s_sources_nothing_is_cached(tmp_path, monkeypatch):
    monkeypatch.setattr(yamlcache, "_PARSER_SOURCES", yamlcache._PARSER_SOURCES + ("spec/not-there.py",))
    cache = yamlcache.DocCache(tmp_path)
    with yamlcache.using(cache):
        for _ in range(2):
            assert load_bytes(b"a: 1\n", "a.yaml").data == {"a": 1}
    assert cache.hits == 0 and not _entries(tmp_path)
