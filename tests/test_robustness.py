"""Robustness: ``passerelle validate`` and ``passerelle dry-run`` never end in a Python traceback.

Property-based tests (Hypothesis) feed the CLI malformed YAML, wrong types and hostile values —
random bytes, control characters, BOMs, UTF-16, invalid UTF-8, NUL bytes, alias bombs, deep
nesting, huge numbers, enormous strings, unknown tags, non-string keys, tabs, very long lines — and
check, for every example:

1. no exception escapes ``engine.cli.main.main``; the exit code is one the CLI documents
   (validate: 0/1; dry-run: 0/1, plus ``EXIT_RECORDS`` when some records failed);
2. a failed ``validate`` prints at least one located diagnostic
   ``<file>:<line>:<col>: error[code] ...`` pointing into a file the test wrote, with
   ``line >= 1``, ``col >= 1`` and ``line <= number of lines + 1``;
   a failed ``dry-run`` prints at least one ``error[...]`` line (located, or ``error[input] ...``);
3. the output never contains a traceback nor any "internal error" marker (the CLI's
   ``internal error in `passerelle ...```, a record's ``internal error: ...`` and the compiler's
   ``error[internal-error]``): each of those is a bug in the engine, not in the spec.

The CLI runs in-process (stdout/stderr redirected) on a fresh temporary folder per example. All
property tests are derandomized (reproducible in CI) and sized so the whole file runs well under a
minute; set ``PASSERELLE_FUZZ_SCALE=10`` for a ten times longer local hunt.

Layout: 1. paths and exit codes; 2. running the CLI, the property, the known bugs; 3. strategies;
4. property tests; 5. regression tests with exact expectations for hostile inputs; 6. the bugs this
suite found (all fixed since), each kept as a regression test with its reproduction.

Known bugs: should a property find a bug that cannot be fixed at once, give it a signature in
``KNOWN_BUGS`` (or ``OVERRIDE_BUGS`` when only an endpoint ``override:`` can trigger it) and a
strict ``xfail`` reproduction in section 6. A property tolerates a bug marker only when one of those
signatures explains that very line, so the suite stays green while every *other* failure still fails
it (tolerated ones are counted as Hypothesis events: ``--hypothesis-show-statistics``). Once the bug
is fixed the strict xfail passes and turns the run red: drop the signature and the xfail mark.
"""
from __future__ import annotations

import atexit
import copy
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from engine.cli import main as cli

# Hypothesis warns when a falsifying example is huge (100 kB strings are part of the alphabet).
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

# =============================================================================================
# 1. The reference example, its fixtures, and the exit codes the CLI documents
# =============================================================================================

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "specs" / "examples" / "prestashop-sage100"
FIXTURES = ROOT / "tests" / "fixtures" / "prestashop"
FLOW = "orders_to_sage"
FIXTURE_NAMES = ("orders.xml", "order_details.xml", "carriers.xml", "customers.xml", "taxes.xml")
FIXTURE_BYTES = {name: (FIXTURES / name).read_bytes() for name in FIXTURE_NAMES}
FIXTURE_INPUTS = tuple(str(FIXTURES / name) for name in FIXTURE_NAMES)

EXAMPLE_FILES = {p.name: p.read_bytes() for p in sorted(EXAMPLE.iterdir()) if p.is_file()}
EXAMPLE_YAML = tuple(name for name in EXAMPLE_FILES if name.endswith(".yaml"))
assert {"endpoints.yaml", "lookups.yaml", "orders_to_sage.yaml", "payments.csv"} <= set(EXAMPLE_FILES)

_SNAPSHOT: list[Path] = []


def example_dir() -> Path:
    """A private copy of the example (files read at import): the tests that run the unmodified
    example do not see edits made to the repository while they run."""
    if not _SNAPSHOT:
        folder = Path(tempfile.mkdtemp(prefix="passerelle-example-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        for name, raw in EXAMPLE_FILES.items():
            (folder / name).write_bytes(raw)
        _SNAPSHOT.append(folder)
    return _SNAPSHOT[0]


EXIT_OK = getattr(cli, "EXIT_OK", 0)
EXIT_FAIL = getattr(cli, "EXIT_FAIL", 1)
# `dry-run` may have a dedicated code for "some records failed, the others were mapped".
EXIT_RECORDS = getattr(cli, "EXIT_RECORDS", EXIT_FAIL)
VALIDATE_CODES = frozenset({EXIT_OK, EXIT_FAIL})
DRY_RUN_CODES = frozenset({EXIT_OK, EXIT_FAIL, EXIT_RECORDS})

# =============================================================================================
# 2. Running the CLI in-process, and the robustness property itself
# =============================================================================================

# `file:line:col: error[code] ` (or warning) at the start of a line.
LOCATED = re.compile(r"^(?P<file>[^\n]+?):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning)"
                     r"\[(?P<code>[a-z0-9-]+)\] ", re.MULTILINE)
# a dry-run failure line: located, or a bare `error[input] ...`
DRY_RUN_ERROR = re.compile(r"^(?:[^\n]+?:\d+:\d+: )?error\[[a-z0-9-]+\] ", re.MULTILINE)
# Everything that means "an unexpected exception was caught": always a bug.
BUG_MARKERS = re.compile(r"Traceback \(most recent call last\)|internal[ -]error")

SCALE = float(os.environ.get("PASSERELLE_FUZZ_SCALE", "1"))


def fuzz(max_examples: int):
    """Settings for one property: reproducible, no deadline, no example database."""
    return settings(max_examples=max(1, int(max_examples * SCALE)), deadline=None,
                    derandomize=True, database=None, print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.large_base_example,
                                           HealthCheck.function_scoped_fixture])


@dataclass
class Outcome:
    argv: list
    code: object
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + "\n" + self.err

    def __str__(self) -> str:  # shown by pytest when an assertion fails
        return (f"argv={self.argv}\nexit={self.code!r}\n--- stdout ---\n{self.out[:3000]}\n"
                f"--- stderr ---\n{self.err[:3000]}")


def run_cli(*argv) -> Outcome:
    """``main(argv)`` with stdout/stderr captured; an exception escaping ``main`` fails the test."""
    args = [str(a) for a in argv]
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(args)
    return Outcome(args, code, out.getvalue(), err.getvalue())


def line_bound(raw: bytes) -> int:
    """An upper bound of the number of lines of ``raw`` however it is decoded.

    str.splitlines() breaks on a superset of YAML's line breaks (\\n, \\r, \\r\\n, NEL, LS, PS)."""
    texts = [raw.decode("utf-8", "replace"), raw.decode("latin-1")]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        texts.append(raw.decode("utf-16", "replace"))
    return max(len(t.splitlines()) for t in texts)


# -- known bugs ------------------------------------------------------------------------------
#
# A bug that is found but not fixed yet gets (a) a signature below and (b) a strict xfail test in
# section 6 that reproduces it exactly. The properties tolerate an output line that carries a bug
# marker ONLY when a signature (and its condition) explains it, so they stay green and strict for
# every other failure. When the bug is fixed its xfail test passes (strict: the run goes red):
# delete the xfail mark and the signature together. Example of a signature (a bug since fixed):
#
#     KnownBug("compile-malformed-flow",
#              re.compile(r"error\[internal-error\] flows\.(?P<flow>[^:\s]+): could not compile "),
#              lambda match, text: f"] flows.{match['flow']}." in text)  # the schema error is there too


@dataclass(frozen=True)
class KnownBug:
    name: str
    line: re.Pattern  # matches the offending output line
    condition: object = None  # optional (match, whole text) -> bool

    def explains(self, line: str, text: str) -> bool:
        match = self.line.search(line)
        return bool(match) and (self.condition is None or self.condition(match, text))


KNOWN_BUGS: tuple[KnownBug, ...] = ()  # every bug this suite found so far is fixed (section 6)

# Bugs that only an endpoint `override:` can trigger (tolerated in test_endpoint_overrides only).
OVERRIDE_BUGS: tuple[KnownBug, ...] = KNOWN_BUGS + ()


STRICT = {"known": ()}  # sections 5 and 6 check the plain property: no known bug tolerated


def _diagnostic_text(outcome: Outcome, fmt: str) -> str:
    """The diagnostics of ``outcome`` as text lines ``file:line:col: error[code] path: message``
    whatever the output format (so one set of checks applies to text, json and github)."""
    if fmt == "json":
        lines = []
        for d in json.loads(outcome.out):
            where = f"{d['file']}:{d['line']}:{d['col']}: " if d.get("file") else ""
            path = f"{d['path']}: " if d.get("path") else ""
            lines.append(f"{where}{d['severity']}[{d['code']}] {path}{d['message']}")
        return "\n".join(lines) + "\n" + outcome.err
    if fmt == "github":
        lines = [re.sub(r"^::(\w+) file=([^,]*),line=(\d+),col=(\d+),title=([^:]+)::",
                        r"\2:\3:\4: \1[\5] ", line) for line in outcome.out.splitlines()]
        return "\n".join(lines) + "\n" + outcome.err
    return outcome.text


def known_bugs_in(outcome: Outcome, fmt: str = "text", known=KNOWN_BUGS) -> set[str]:
    """Names of the known bugs that explain every bug marker of ``outcome``.

    Fails the test on a traceback or on a bug marker that no known signature explains."""
    text = _diagnostic_text(outcome, fmt)
    assert "Traceback (most recent call last)" not in text, outcome
    found = set()
    for line in text.splitlines():
        if not BUG_MARKERS.search(line):
            continue
        names = [bug.name for bug in known if bug.explains(line, text)]
        assert names, f"new bug (an internal error):\n  {line}\n{outcome}"
        found.update(names)
    return found


def assert_clean(outcome: Outcome, codes: frozenset, fmt: str = "text", known=KNOWN_BUGS) -> set[str]:
    """Properties 1 and 3: a documented exit code, no traceback, no internal error.

    ``known``: the known bugs tolerated (``()``: none). Returns the names of those met."""
    assert isinstance(outcome.code, int) and not isinstance(outcome.code, bool), outcome
    assert outcome.code in codes, outcome
    if not known:
        assert not BUG_MARKERS.search(_diagnostic_text(outcome, fmt)), outcome
        return set()
    bugs = known_bugs_in(outcome, fmt, known)
    for name in bugs:
        _event(f"tolerated known bug: {name}")
    return bugs


def _event(text: str) -> None:
    """``hypothesis.event`` (shown with --hypothesis-show-statistics) when inside a property."""
    try:
        event(text)
    except Exception:  # outside a Hypothesis test
        pass


def located_in(outcome: Outcome, written: dict[Path, bytes], fmt: str = "text") -> list:
    """Diagnostics of ``outcome`` located in one of the ``written`` files, as (file, line, col).

    Every such location is checked: line >= 1, col >= 1, line <= lines in that file + 1."""
    by_path = {p.resolve(): raw for p, raw in written.items()}
    found = []
    for m in LOCATED.finditer(_diagnostic_text(outcome, fmt)):
        path = (Path.cwd() / m["file"]).resolve()
        if path not in by_path:
            continue
        line, col = int(m["line"]), int(m["col"])
        assert line >= 1 and col >= 1, f"{m['file']}:{line}:{col}\n{outcome}"
        assert line <= line_bound(by_path[path]) + 1, \
            f"{m['file']}:{line}:{col} is past the end of the file\n{outcome}"
        found.append((path, line, col))
    return found


def check_validate(project: Path, written: dict[Path, bytes], fmt: str = "text",
                   known=KNOWN_BUGS) -> Outcome:
    """Run `validate` on ``project`` and assert the robustness property."""
    argv = ["validate", project] + (["--format", fmt] if fmt != "text" else [])
    outcome = run_cli(*argv)
    if fmt == "json":
        assert isinstance(json.loads(outcome.out), list), outcome
    met = assert_clean(outcome, VALIDATE_CODES, fmt, known)
    _event(f"validate exit {outcome.code}")
    if outcome.code == EXIT_FAIL and not met:  # (a tolerated crash prints no diagnostic at all)
        assert located_in(outcome, written, fmt), f"no located diagnostic in a written file\n{outcome}"
    return outcome


def check_dry_run(project: Path, inputs, fmt: str = "json", flow: str = FLOW,
                  known=KNOWN_BUGS) -> Outcome:
    """Run `dry-run` and assert the robustness property (and well-formed JSON output)."""
    argv = ["dry-run", project, "--flow", flow, "--format", fmt]
    for item in inputs:
        argv += ["--input", item]
    outcome = run_cli(*argv)
    met = assert_clean(outcome, DRY_RUN_CODES, known=known)
    _event(f"dry-run exit {outcome.code}")
    if outcome.code != EXIT_OK and not met:
        assert DRY_RUN_ERROR.search(outcome.err), f"failure without an error[...] line\n{outcome}"
    if outcome.code == EXIT_RECORDS and EXIT_RECORDS != EXIT_FAIL:
        assert "error[record]" in outcome.err, outcome
    if fmt == "json" and outcome.out.strip() and not met:
        # parse_int: a payload may hold integers longer than Python's default 4300-digit limit
        payloads = json.loads(outcome.out, parse_float=Decimal, parse_int=Decimal)
        assert isinstance(payloads, list), outcome
    return outcome


def write_project(folder: Path, files: dict[str, bytes]) -> dict[Path, bytes]:
    written = {}
    for name, raw in files.items():
        (folder / name).write_bytes(raw)
        written[folder / name] = raw
    return written


# =============================================================================================
# 3. Strategies
# =============================================================================================

# -- 3a. hostile scalars, shared by several strategies ---------------------------------------

DEEP_200 = "[" * 200 + "]" * 200
DEEP_5000 = "[" * 5000 + "]" * 5000
HUGE_STRING = "x" * 100_000

# Values written in place of a YAML scalar. Some are YAML 1.1 traps, some break the syntax,
# some are wrong types for the place they land in, some are invalid JMESPath or transforms.
HOSTILE_VALUES = (
    # YAML 1.1 traps and odd numbers
    "NO", "yes", "On", "0123", "0o17", "0x1F", "1:30", "2024-05-14", "2024-05-14 10:21:07",
    "1e999999", "-1e999999", "1e-999999", "9" * 5000, "1_000", ".inf", "-.inf", ".nan", "-0",
    "12.500000", "99999999999999999999", "null", "~", "true", "''", '""',
    # tags, anchors, aliases, flow and block indicators
    "!!python/object x", "!!python/object/apply:os.system ['true']", "!custom {}", "!!binary aGk=",
    "!!int abc", "!!float x", "!!str 5", "!!map []", "&a [*a]", "*nope", "&a x", "{", "}", "[", "]",
    "'", '"', "|", ">-", "@x", "`x`", "%x", "? x", "- x", "x: y: z", "{a: 1, a: 2}", "<<: *a",
    "{<<: [1, 2]}", "[1, [2, {3: 4}]]", "{? [a]: b}", "# comment",
    # size and nesting
    HUGE_STRING, DEEP_200, DEEP_5000, "a" * 70,
    # JMESPath with syntax errors, unknown functions, type errors at run time
    "a.[b", "foo(", "'a.[b'", "'foo('", "nope(id)", "'`1` >'", "'id > `x`'", "'date_add > `0`'",
    "'length(@) > `0`'", "'sum(associations.order_rows)'", "'[*].x'", "'@'", "'&id'",
    # transforms: unknown names, wrong-typed or out-of-range arguments
    "[no_such_transform]", "[{no_such_transform: 1}]", "[{pad: {width: six}}]",
    "[{pad: {width: 99999999999999999999, char: '0'}}]", "[{pad: {width: 3, char: ab}}]",
    "[{round: -1}]", "[{round: 100000}]", "[{truncate: 1e30}]", "[{truncate: -5}]",
    "[{lookup: nowhere}]", "[{lookup: [1]}]", "[{template: '{foo('}]", "[{template: '{'}]",
    "[{regex_replace: {pattern: '(', replace: x}}]", "[{parse_date: {format: 5, tz: Mars/Olympus}}]",
    "[{parse_date: {format: '%Q', tz: ../../etc/passwd}}]", "[{prefix: [1, 2]}]", "[upper, {upper: 1}]",
    "[{multiply: {from: 'a.[b'}}]", "[{divide: 0}]", "[{cast: complex}]", "[{split: ''}]",
    "[{join: 5}]", "[{null_if: {a: b}}]", "[{from_epoch: {unit: years}}]", "[{to_tz: 5}]",
    "[{default: [1]}]", "[ms_json_date, ms_json_date]", "[sum, abs, negate]", "{}", "[]",
    # environment references and odd text
    "${env:}", "${env:X", "${env:A-B}", "$${env:X}", "ünïcödé", "\u202eevil", "\u00a0", "e\u0301",
    # paths (a lookup `file:` may receive them)
    ".", "..", "/", "/etc", "../../../../etc/passwd", "payments.csv/", "C:\\x", "nul",
)

# Characters inserted at a random place (they often break the YAML; the error must be located).
HOSTILE_CHARS = ("\x00", "\x01", "\x07", "\x1b", "\x7f", "\x85", "\ufeff", "\ufffe", "\u2028",
                 "\u2029", "\t", "\r", "\r\n", "\n", " ", "{", "}", "[", "]", "'", '"', ":", "-",
                 "&", "*", "!", "%", "@", "`", "#", "|", ">", "?", ",", "\\", "é", "😀", "\U0010ffff")

# Keys (or bare words) written in place of an existing one.
KEY_WORDS = ("from", "value", "map", "each", "when", "else", "transform", "required", "omit_null",
             "form", "vale", "transfrom", "source", "target", "endpoint", "read", "write", "related",
             "match", "at", "many", "reference", "key", "filter", "use", "settings", "override",
             "lookups", "flows", "endpoints", "project", "connector", "description", "default",
             "file", "key_column", "value_column", "upper", "lower", "trim", "negate", "lookup",
             "prefix", "pad", "template", "round", "sum", "no_such_transform", "orders", "customers",
             "carriers", "shop", "sage", "insert_document", "orders_to_sage", "tax_codes", "payments",
             "<<", "__proto__", "123", "1.5", "null", "true", "NO", "é", "a b", "-", "_", "x" * 65)


# -- 3b. random bytes and random text -------------------------------------------------------

BOMS = (b"", b"", b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00")

# YAML-ish tokens: random sequences of these reach much deeper into the parser than pure noise.
YAML_TOKENS = tuple(t.encode("utf-8") if isinstance(t, str) else t for t in (
    "endpoints:", "lookups:", "flows:", "project:", "connector:", "map:", "from:", "value:",
    "transform:", "source:", "target:", " ", "  ", "    ", "\n", "\r\n", "\r", "\t", "- ", ": ",
    "? ", "{", "}", "[", "]", ",", "'", '"', "&a ", "*a", "&b ", "*b", "!!str ", "!!int ",
    "!x ", "!!python/object ", "|", ">", "#", "%YAML 1.2\n", "---\n", "...\n", "<<: ", "x", "y",
    "1", "0123", "1e999999", "9" * 50, "NO", "~", "null", "true", "é", "\\", "\\x00", "@", "`",
    b"\x00", b"\xff", b"\xfe", b"\xc3", b"\xa9", b"\xe9", b"\xc2\x85", b"\xe2\x80\xa8", b"\x1b",
    b"\xef\xbb\xbf",
))

random_bytes = st.one_of(
    st.binary(max_size=400),
    st.tuples(st.sampled_from(BOMS), st.binary(max_size=200)).map(b"".join),
    st.tuples(st.sampled_from(BOMS), st.lists(st.sampled_from(YAML_TOKENS), max_size=80)
              .map(b"".join)).map(b"".join),
)

# Text: any Unicode scalar value (no surrogates) including control characters; biased towards
# YAML structure characters so a good share of the examples parse.
any_char = st.characters(codec="utf-8")
yamlish_char = st.sampled_from(list(" \n\t:-{}[]'\"&*!|>#%@`,?abcxyz019é") + ["\x00", "\x85", "\ufeff"])
random_text = st.text(st.one_of(any_char, yamlish_char), max_size=300)
TEXT_ENCODINGS = ("utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be",
                  "utf-32")

# -- 3c. random nested data dumped with yaml.safe_dump ---------------------------------------

SPECIAL_TEXTS = ("NO", "yes", "0123", "1:30", "2024-05-14", "1e999999", "9" * 60, ".inf", "NaN",
                 "-0.0", "1_000", "0x1F", "~", "<<", "${env:X}", "a.[b", "foo(", "!!python/object x",
                 "&a", "*a", "\t", "\x00", "\u2028", "\ufeff", "é", "")
scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(10 ** 6), max_value=10 ** 6),
    st.integers(min_value=-(10 ** 60), max_value=10 ** 60),  # > 40 digits: number-range
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(any_char, max_size=20),
    st.sampled_from(SPECIAL_TEXTS),
    st.sampled_from((1_000, 5_000, 20_000)).map(lambda n: "x" * n),  # long strings / long lines
)
keys = st.one_of(
    st.sampled_from(KEY_WORDS), st.text(any_char, max_size=8),
    st.integers(min_value=-(10 ** 50), max_value=10 ** 50), st.booleans(), st.none(),
    st.floats(allow_nan=False),
)
nested_data = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(keys, children, max_size=4)),
    max_leaves=25,
)
SECTIONS = ("endpoints", "lookups", "flows")
# with the top-level sections, each holding named entries of random data
sectioned_data = st.dictionaries(
    st.sampled_from(SECTIONS + ("project", "connector")),
    st.one_of(st.dictionaries(st.one_of(st.sampled_from(("shop", "sage", "orders_to_sage", "x")),
                                        keys), nested_data, max_size=3), nested_data),
    min_size=1, max_size=4,
)
dump_options = st.fixed_dictionaries({
    "default_flow_style": st.sampled_from((None, True, False)),
    "allow_unicode": st.booleans(),
    "width": st.sampled_from((80, 20, 10 ** 6)),
    "indent": st.sampled_from((2, 4, 9)),
    "explicit_start": st.booleans(),
})

# -- 3d. mutations of the reference example --------------------------------------------------

_VALUE_SPAN = re.compile(r"(?<=:)[ ]+([^,{}\[\]\n#]*)")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
INDENTS = ("", " ", "  ", "   ", "    ", "      ", "        ", "\t", "  \t", "\t  ", " " * 40)
HOSTILE_LINES = ("bogus: 1", "  bogus: 1", "flows:", "lookups: []", "endpoints: 5", "- item",
                 "  - item", "---", "...", "%YAML 1.1", "? complex", ": value", "&anchor", "*alias",
                 "x: &a [*a]", "<<: {a: 1}", "  <<: *nope", "\t", "#", "'unterminated",
                 "map: " + DEEP_200, "key: " + HUGE_STRING[:5000], "dup: 1", "project: {name: 1}")
CSV_LINES = ("", ",", ";", "\t", "a;b;c", "module;mode_reglement", "paypal,Double", ",empty_key",
             '"unterminated,x', '"quoted ""x""",y', "only_one_column", "é,è", "x" * 5000 + ",y",
             "\x00,\x00", "k,v,extra,extra")


@st.composite
def edited_text(draw, text: str, csv: bool = False) -> str:
    """One random edit of ``text`` (a YAML file of the example, or its CSV)."""
    lines = text.split("\n")
    ops = ["delete", "duplicate", "swap", "reindent", "replace_value", "replace_word",
           "insert_line", "truncate", "insert_char"]
    op = draw(st.sampled_from(ops))
    index = draw(st.integers(0, len(lines) - 1))
    if op == "delete":
        del lines[index]
    elif op == "duplicate":
        lines.insert(index, lines[index])
    elif op == "swap":
        other = draw(st.integers(0, len(lines) - 1))
        lines[index], lines[other] = lines[other], lines[index]
    elif op == "reindent":
        lines[index] = draw(st.sampled_from(INDENTS)) + lines[index].lstrip(" ")
    elif op == "insert_line":
        lines.insert(index, draw(st.sampled_from(CSV_LINES if csv else HOSTILE_LINES)))
    elif op == "truncate":
        return text[:draw(st.integers(0, len(text)))]
    elif op == "insert_char":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.sampled_from(HOSTILE_CHARS)) + text[at:]
    else:
        # replace a scalar value (after `key: `) or a bare word (a key, a transform name...)
        pattern = _WORD if op == "replace_word" or csv else _VALUE_SPAN
        spans = [(n, m.span(m.lastindex or 0)) for n, line in enumerate(lines)
                 for m in pattern.finditer(line)]
        if not spans:
            return text
        n, (start, end) = draw(st.sampled_from(spans))
        if op == "replace_word" or csv:
            new = draw(st.one_of(st.sampled_from(KEY_WORDS), st.sampled_from(HOSTILE_VALUES)))
        else:
            new = draw(st.sampled_from(HOSTILE_VALUES))
        line = lines[n]
        if op == "replace_value" and "{" not in line and draw(st.booleans()):
            end = len(line)  # a block value: replace the rest of the line
        lines[n] = line[:start] + new + line[end:]
    return "\n".join(lines)


@st.composite
def mutated_example(draw) -> dict[str, bytes]:
    """The files of the reference example after 1 to 3 random edits."""
    files = dict(EXAMPLE_FILES)
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(EXAMPLE_YAML * 3 + ("payments.csv",)))
        text = files[name].decode("utf-8", "surrogateescape")
        text = draw(edited_text(text, csv=name.endswith(".csv")))
        files[name] = text.encode("utf-8", "surrogateescape")
    return files


# -- 3e. spec-shaped flows: random field specs and transform pipelines on the real endpoints --

def _transform_steps():
    from engine.lang.builtins import default_registry

    steps = []
    for spec in default_registry().all("transform"):
        steps.append(spec.name)  # bare (wrong when an argument is needed)
        steps += [{spec.name: example.args} for example in spec.examples if example.args is not None]
    return tuple(steps)


TRANSFORM_STEPS = _transform_steps()
EXPRESSIONS = ("id", "id_customer", "date_add", "date_upd", "module", "total_paid_tax_incl",
               "total_shipping_tax_excl", "customer", "customer.firstname", "carrier.name",
               "associations.order_rows", "associations.order_rows[0].product_quantity",
               "associations.order_rows[].product_price", "detail.tax.rate", "product_name",
               "_parent.id", "nope.nope", "@", "`1`", "`\"x\"`", "length(associations.order_rows)",
               "sum(associations.order_rows[].product_quantity)", "to_number(id)", "to_string(id)",
               "coalesce(note, module)", "id > `5`", "module == 'ps_wirepayment'", "id > module",
               "date_add > `0`", "!gift", "valid && recyclable", "[id, module]", "{a: id}",
               "associations.order_rows[?product_quantity > `1`]", "decimal(total_paid)",
               "a.[b", "foo(", "nope(id)", "", " ", "&id", "[*]", "*")
names = st.one_of(st.sampled_from(("doc", "lignes", "Ref", "Qte", "__type", "x", "é")),
                  st.sampled_from(KEY_WORDS))
spec_scalars = st.one_of(scalars.filter(lambda v: not (isinstance(v, str) and len(v) > 1000)),
                         st.sampled_from(HOSTILE_VALUES[:30]))
TRANSFORM_NAMES = tuple(sorted({s for s in TRANSFORM_STEPS if isinstance(s, str)})) + ("no_such",)
# a step: a real name with a declared example argument, a bare name, or a name with a random argument
transform_steps = st.one_of(
    st.sampled_from(TRANSFORM_STEPS),
    st.builds(lambda name, arg: {name: arg}, st.sampled_from(TRANSFORM_NAMES),
              st.one_of(spec_scalars, st.dictionaries(st.sampled_from(KEY_WORDS[:20] + (
                  "width", "char", "side", "format", "tz", "unit", "pattern", "old", "new")),
                  spec_scalars, max_size=3))),
)
pipelines = st.one_of(transform_steps, st.lists(transform_steps, max_size=4))
leaf_specs = st.fixed_dictionaries({}, optional={
    "from": st.sampled_from(EXPRESSIONS), "value": spec_scalars, "transform": pipelines,
    "when": st.sampled_from(EXPRESSIONS), "else": st.one_of(spec_scalars, st.fixed_dictionaries(
        {"from": st.sampled_from(EXPRESSIONS)})),
    "required": st.one_of(st.booleans(), spec_scalars), "omit_null": st.booleans(),
})
field_specs = st.recursive(
    st.one_of(leaf_specs, spec_scalars),
    lambda children: st.one_of(
        st.dictionaries(names, children, max_size=3),  # a nested object
        st.fixed_dictionaries({"map": st.dictionaries(names, children, max_size=3)},
                              optional={"when": st.sampled_from(EXPRESSIONS)}),
        st.lists(st.one_of(children, st.fixed_dictionaries(
            {"each": st.sampled_from(EXPRESSIONS)},
            optional={"map": st.dictionaries(names, children, max_size=3),
                      "from": st.sampled_from(EXPRESSIONS), "when": st.sampled_from(EXPRESSIONS)})),
            max_size=3),
    ),
    max_leaves=12,
)
EXAMPLE_FLOW = yaml.safe_load(EXAMPLE_FILES["orders_to_sage.yaml"])["flows"][FLOW]
EXAMPLE_RELATED = EXAMPLE_FLOW["source"]["related"]
generated_flow = st.fixed_dictionaries(
    {"source": st.fixed_dictionaries(
        {"endpoint": st.sampled_from(("shop", "shop", "sage", "nope")),
         "read": st.sampled_from(("orders", "orders", "customers", "nope"))},
        optional={"related": st.dictionaries(st.sampled_from(tuple(EXAMPLE_RELATED)),
                                             st.sampled_from(tuple(EXAMPLE_RELATED.values())),
                                             max_size=4),
                  "where": st.dictionaries(names, spec_scalars, max_size=2)}),
     "target": st.fixed_dictionaries({"endpoint": st.sampled_from(("sage", "sage", "shop")),
                                      "write": st.sampled_from(("insert_document", "nope"))}),
     "map": st.dictionaries(names, field_specs, min_size=1, max_size=5)},
    optional={"key": st.sampled_from(EXPRESSIONS), "filter": st.sampled_from(EXPRESSIONS)},
)


class _SpecDumper(yaml.SafeDumper):
    """safe_dump plus Decimal (the registry's examples hold Decimal arguments)."""


_SpecDumper.add_representer(Decimal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:float", str(v)))


def dump_spec(data) -> bytes:
    return yaml.dump(data, Dumper=_SpecDumper, allow_unicode=True, sort_keys=False).encode("utf-8")


# -- 3f. endpoint overrides: hostile values at real paths of the connector definitions ------

def _dict_paths(data: dict, prefix: tuple = ()):
    for key, value in data.items():
        yield prefix + (key,)
        if isinstance(value, dict):
            yield from _dict_paths(value, prefix + (key,))


EXAMPLE_ENDPOINTS = yaml.safe_load(EXAMPLE_FILES["endpoints.yaml"])
CONNECTORS = {
    endpoint: yaml.safe_load((ROOT / "specs" / "connectors" / f"{spec['use']}.yaml")
                             .read_text(encoding="utf-8"))["connector"]
    for endpoint, spec in EXAMPLE_ENDPOINTS["endpoints"].items()
}
CONNECTOR_PATHS = {endpoint: tuple(_dict_paths(data)) for endpoint, data in CONNECTORS.items()}


def _connector_value(endpoint: str, path: tuple):
    value = CONNECTORS[endpoint]
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


# values of the same type as the one they replace (the override stays schema-valid more often,
# so the merged connector reaches compile and dry-run)
SAME_TYPE = {
    str: st.one_of(st.sampled_from(KEY_WORDS), st.sampled_from(("", " ", "id", "orders", "order",
                                                                "x", "a.[b", "\t", "é", "/"))),
    int: st.sampled_from((0, 1, -1, 2, 1000, 10 ** 30)),
    float: st.sampled_from((0.0, 0.5, -1.0, 1e30)),
    bool: st.booleans(),
    list: st.lists(st.sampled_from(("associations", "order_rows", "x", "", "id")), max_size=3),
    dict: st.dictionaries(st.sampled_from(KEY_WORDS[:30] + ("id", "a..b", "x[0]", "a[]")),
                          st.sampled_from(("int", "decimal", "bool", "string", "date", "x", "")),
                          max_size=3),
}
override_values = st.one_of(
    spec_scalars, nested_data,
    st.sampled_from(("", "int", "decimal", "bool", "string", "date", "xml", "json", "http", [], {},
                     ["associations"], [""], [1], {"id": "int"}, {"id": "date"}, {"a..b": "int"},
                     {"x[0]": "int"}, {"associations.order_rows[].id": "decimal"}, {"": "int"},
                     {"id": None}, "a.[b", "/orders", "{settings.nope}", None)),
)


@st.composite
def endpoint_overrides(draw) -> bytes:
    """The example's endpoints.yaml with 1 or 2 `override:` entries at real connector paths."""
    data = copy.deepcopy(EXAMPLE_ENDPOINTS)
    for _ in range(draw(st.integers(1, 2))):
        endpoint = draw(st.sampled_from(sorted(CONNECTOR_PATHS)))
        if draw(st.integers(0, 9)) == 0:  # the whole override of a wrong type
            data["endpoints"][endpoint]["override"] = draw(st.one_of(spec_scalars, st.lists(scalars)))
            continue
        path = draw(st.sampled_from(CONNECTOR_PATHS[endpoint]))
        if draw(st.integers(0, 4)) == 0:
            path = path[:-1] + (draw(st.sampled_from(KEY_WORDS)),)  # a key the connector lacks
        override = data["endpoints"][endpoint].get("override")
        if not isinstance(override, dict):
            override = data["endpoints"][endpoint]["override"] = {}
        for key in path[:-1]:
            if not isinstance(override.get(key), dict):
                override[key] = {}
            override = override[key]
        original = _connector_value(endpoint, path)
        same = SAME_TYPE.get(type(original))
        use_same = same is not None and draw(st.integers(0, 3)) > 0
        override[path[-1]] = draw(same if use_same else override_values)
    return dump_spec(data)


# -- 3g. hostile input files for dry-run -----------------------------------------------------

# 1e5000, 1e999999, 5000 digits and 600-level nesting all found bugs, fixed since (section 6).
JSON_NUMBERS = ("1e400", "-1e400", "1e5000", "-1e5000", "1e999999", "1e-999999", "9" * 5000,
                "-" + "9" * 5000, "1.5", "-0", "0.1e1", "1E+99", "NaN", "Infinity", "-Infinity", "01",
                "1.", ".5", "0x10")
HOSTILE_FIELD_VALUES = ("", " ", "abc", "-0", "1e400", "1e5000", "1e999999", "9" * 5000, "12.000",
                        "1.5", "-1", "NaN", "Infinity", "0000-00-00 00:00:00", "2024-02-30 25:61:61",
                        "x" * 100_000, "\u202e", "é", "]]>", "&amp;", "1,5", " 42 ", "+7", "true",
                        "0x1F")

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(any_char, max_size=10),
              st.sampled_from(JSON_NUMBERS).map(lambda n: ("__RAW__", n))),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.sampled_from(("id", "orders", "order", "customers",
                                                                "id_customer", "x", "associations")),
                                               children, max_size=4)),
    max_leaves=15,
)


def json_text(value) -> str:
    """json.dumps, with ("__RAW__", text) leaves written verbatim (numbers JSON cannot produce)."""
    if isinstance(value, tuple) and value[:1] == ("__RAW__",):
        return value[1]
    if isinstance(value, list):
        return "[" + ",".join(json_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(k) + ":" + json_text(v) for k, v in value.items()) + "}"
    return json.dumps(value)


_CDATA = re.compile(rb"<!\[CDATA\[(.*?)\]\]>")


@st.composite
def hostile_input(draw) -> tuple[str, bytes | None]:
    """(kind, content): content None for "a directory" / "a missing file" (see ``place_input``)."""
    kind = draw(st.sampled_from((
        "bytes", "truncated_xml", "xml_value", "doctype", "json", "json_huge", "json_deep",
        "jsonl_bad", "empty", "utf16", "directory", "missing", "fixture_json")))
    fixture = FIXTURE_BYTES[draw(st.sampled_from(FIXTURE_NAMES))]
    if kind == "bytes":
        return kind, draw(st.one_of(st.binary(max_size=300),
                                    st.lists(st.sampled_from(YAML_TOKENS + (b"<", b">", b"</", b"/>",
                                                                            b"<a>", b"</a>")),
                                             max_size=50).map(b"".join)))
    if kind == "truncated_xml":
        return kind, fixture[:draw(st.integers(0, len(fixture)))]
    if kind == "xml_value":  # a CDATA value of a fixture replaced by a hostile text
        spans = [m.span(1) for m in _CDATA.finditer(fixture)]
        start, end = draw(st.sampled_from(spans))
        value = draw(st.sampled_from(HOSTILE_FIELD_VALUES)).encode("utf-8").replace(b"]]>", b"]]")
        return kind, fixture[:start] + value + fixture[end:]
    if kind == "doctype":
        return kind, draw(st.sampled_from((
            (FIXTURES / "billion_laughs.xml").read_bytes(), (FIXTURES / "xxe.xml").read_bytes(),
            b'<?xml version="1.0"?>\n<!DOCTYPE x SYSTEM "file:///etc/passwd">\n<x/>',
            b'<!-- c -->\n<!DOCTYPE x [<!ENTITY e "v">]>\n<x>&e;</x>',
            b'\xef\xbb\xbf<!DOCTYPE x><x/>',
            '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE x><x/>'.encode("utf-16"),
            b'<prestashop><orders><order><id>&undefined;</id></order></orders></prestashop>',
        )))
    if kind == "json":
        return kind, json_text(draw(json_values)).encode("utf-8")
    if kind == "json_huge":
        number = draw(st.sampled_from(JSON_NUMBERS))
        record = f'{{"id": {number}, "id_customer": {number}, "total_paid_tax_incl": {number}}}'
        return kind, f"[{record}]".encode()
    if kind == "json_deep":
        depth = draw(st.sampled_from((10, 100, 600, 2_000, 100_000)))
        opener, closer = draw(st.sampled_from((("[", "]"), ('{"a":', "}"))))
        return kind, f'[{{"id": 1, "x": {opener * depth}1{closer * depth}}}]'.encode()
    if kind == "jsonl_bad":
        good = '{"id": 1, "id_customer": 56}'
        bad = draw(st.sampled_from(("{", "[1]", "1", "null", '"x"', '{"id": NaN}', '{"a":1,"a":2}',
                                    "{'id': 1}", "\x00", "garbage")))
        lines = [good, good]
        lines.insert(draw(st.integers(0, 2)), bad)
        return kind, "\n".join(lines).encode("utf-8")
    if kind == "empty":
        return kind, draw(st.sampled_from((b"", b" ", b"\n\n", b"\t\r\n", b"\xef\xbb\xbf",
                                           b"\xef\xbb\xbf  \n")))
    if kind == "utf16":
        return kind, fixture.decode("utf-8").encode(draw(st.sampled_from(("utf-16", "utf-16-le",
                                                                            "utf-16-be", "utf-32"))))
    if kind == "fixture_json":
        name = draw(st.sampled_from(("orders.json", "order_1042.json", "orders_empty.json",
                                     "orders_empty.xml", "orders_ids.xml", "error_filter.xml",
                                     "order_1042.xml")))
        return kind, (FIXTURES / name).read_bytes()
    return kind, None  # directory, missing


# kinds that can never be read as records: dry-run must stop with `error[input]` naming the file
UNREADABLE = frozenset({"doctype", "empty", "directory", "missing", "jsonl_bad"})


def place_input(folder: Path, kind: str, content: bytes | None) -> Path:
    path = folder / "hostile_input"
    if kind == "directory":
        path.mkdir()
    elif kind != "missing":
        path.write_bytes(content)
    return path


# =============================================================================================
# 4. Property tests
# =============================================================================================

# -- 4a. one project file of random bytes / random text ---------------------------------------

@fuzz(300)
@given(raw=random_bytes)
def test_validate_random_bytes(raw: bytes):
    with tempfile.TemporaryDirectory() as tmp:
        written = write_project(Path(tmp), {"p.yaml": raw})
        check_validate(Path(tmp), written)


@fuzz(250)
@given(text=random_text, encoding=st.sampled_from(TEXT_ENCODINGS),
       fmt=st.sampled_from(("text", "text", "json", "github")))
def test_validate_random_text(text: str, encoding: str, fmt: str):
    raw = text.encode(encoding)
    with tempfile.TemporaryDirectory() as tmp:
        written = write_project(Path(tmp), {"p.yaml": raw})
        check_validate(Path(tmp), written, fmt)


# -- 4b. structurally valid YAML from random data (with and without the sections) ------------

@pytest.mark.slow
@fuzz(250)
@given(data=st.one_of(nested_data, sectioned_data), options=dump_options)
def test_validate_and_dry_run_random_data(data, options):
    text = yaml.safe_dump(data, sort_keys=False, **options)
    with tempfile.TemporaryDirectory() as tmp:
        written = write_project(Path(tmp), {"p.yaml": text.encode("utf-8")})
        check_validate(Path(tmp), written)
        check_dry_run(Path(tmp), FIXTURE_INPUTS)


# -- 4c. mutations of the reference example: validate AND dry-run with the fixtures ----------

@pytest.mark.slow
@fuzz(400)
@given(files=mutated_example())
def test_mutated_example(files: dict[str, bytes]):
    with tempfile.TemporaryDirectory() as tmp:
        written = write_project(Path(tmp), files)
        check_validate(Path(tmp), written)
        check_dry_run(Path(tmp), FIXTURE_INPUTS, fmt="json")


# -- 4d. random flows (field specs, transform pipelines) on the example's endpoints ----------

@pytest.mark.slow
@fuzz(250)
@given(flow=generated_flow, fmt=st.sampled_from(("json", "text")))
def test_generated_flows(flow: dict, fmt: str):
    files = dict(EXAMPLE_FILES)
    files["orders_to_sage.yaml"] = dump_spec({"flows": {FLOW: flow}})
    with tempfile.TemporaryDirectory() as tmp:
        written = write_project(Path(tmp), files)
        check_validate(Path(tmp), written)
        check_dry_run(Path(tmp), FIXTURE_INPUTS, fmt=fmt)


# -- 4e. endpoint overrides (deep-merged onto the shipped connectors) ------------------------

@pytest.mark.slow
@fuzz(200)
@given(endpoints=endpoint_overrides(), fmt=st.sampled_from(("json", "text")))
def test_endpoint_overrides(endpoints: bytes, fmt: str):
    files = dict(EXAMPLE_FILES)
    files["endpoints.yaml"] = endpoints
    with tempfile.TemporaryDirectory() as tmp:
        written = write_project(Path(tmp), files)
        check_validate(Path(tmp), written, known=OVERRIDE_BUGS)
        check_dry_run(Path(tmp), FIXTURE_INPUTS, fmt=fmt, known=OVERRIDE_BUGS)


# -- 4f. hostile input files with the unmodified example -------------------------------------

@pytest.mark.slow
@fuzz(250)
@given(hostile=hostile_input(), position=st.integers(0, len(FIXTURE_INPUTS)),
       replace=st.booleans(), prefix=st.sampled_from(("", "", "orders=", "customers=", "x=", "=")),
       fmt=st.sampled_from(("json", "text")))
def test_dry_run_hostile_inputs(hostile, position: int, replace: bool, prefix: str, fmt: str):
    kind, content = hostile
    inputs = list(FIXTURE_INPUTS)
    with tempfile.TemporaryDirectory() as tmp:
        path = place_input(Path(tmp), kind, content)
        if replace and position < len(inputs):
            inputs[position] = prefix + str(path)
        else:
            inputs.insert(position, prefix + str(path))
        outcome = check_dry_run(example_dir(), inputs, fmt=fmt)
        if kind in UNREADABLE:
            assert outcome.code == EXIT_FAIL, outcome
            assert re.search(r"^error\[input\] .*" + re.escape(str(path)), outcome.err, re.M), outcome


# -- 4g. the example re-encoded: UTF-16 / UTF-8 with BOM read the same, Latin-1 is located ----

ACCENTED = ("# Société Générale, café, ça, où\n", "# à ç é è ê ë î ï ô ù û ü ÿ\n")
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le-bom", "utf-16-be-bom", "latin-1", "cp1252")


def encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-16-le-bom":
        return b"\xff\xfe" + text.encode("utf-16-le")
    if encoding == "utf-16-be-bom":
        return b"\xfe\xff" + text.encode("utf-16-be")
    return text.encode(encoding)


def first_non_ascii(text: str) -> tuple[int, int] | None:
    """Line and 1-based column of the first non-ASCII character (one byte each in Latin-1)."""
    for number, line in enumerate(text.split("\n"), start=1):
        for col, char in enumerate(line, start=1):
            if ord(char) > 127:
                return number, col
    return None


_BASELINE: dict = {}


def baseline_dry_run() -> Outcome:
    """The dry-run of an unmodified copy of the example (computed once)."""
    if "outcome" not in _BASELINE:
        with tempfile.TemporaryDirectory() as tmp:
            write_project(Path(tmp), EXAMPLE_FILES)
            outcome = check_dry_run(Path(tmp), FIXTURE_INPUTS)
            outcome.err = outcome.err.replace(tmp, "<project>")
            _BASELINE["outcome"] = outcome
    return _BASELINE["outcome"]


@fuzz(60)
@given(choices=st.fixed_dictionaries({name: st.tuples(st.sampled_from(ENCODINGS),
                                                      st.sampled_from(("",) + ACCENTED))
                                      for name in EXAMPLE_YAML}))
def test_reencoded_example(choices):
    files = dict(EXAMPLE_FILES)
    expected_errors = {}
    for name, (encoding, extra) in choices.items():
        text = extra + EXAMPLE_FILES[name].decode("utf-8")
        files[name] = encode(text, encoding)
        if encoding in ("latin-1", "cp1252") and first_non_ascii(text):
            expected_errors[name] = first_non_ascii(text)
    with tempfile.TemporaryDirectory() as tmp:
        written = write_project(Path(tmp), files)
        outcome = check_validate(Path(tmp), written)
        if not expected_errors:
            assert outcome.code == EXIT_OK, outcome  # UTF-16 and BOMs read exactly like UTF-8
            dry = check_dry_run(Path(tmp), FIXTURE_INPUTS)
            base = baseline_dry_run()
            assert (dry.code, dry.out) == (base.code, base.out), dry
            if not choices["orders_to_sage.yaml"][1]:  # same lines: same record-error locations
                assert dry.err.replace(tmp, "<project>") == base.err, dry
        else:
            assert outcome.code == EXIT_FAIL, outcome
            for name, (line, col) in expected_errors.items():
                want = f"{Path(tmp, name)}:{line}:{col}: error[encoding] "
                assert want in outcome.text, f"expected {want!r}\n{outcome}"


# =============================================================================================
# 5. Regression tests with exact expectations
# =============================================================================================

def validate_text(tmp_path: Path, raw: bytes | str, name: str = "p.yaml") -> tuple[Outcome, Path]:
    raw = raw.encode("utf-8") if isinstance(raw, str) else raw
    written = write_project(tmp_path, {name: raw})
    return check_validate(tmp_path, written, **STRICT), tmp_path / name


def diag_line(path: Path, line: int, col: int, code: str, severity: str = "error") -> str:
    return f"{path}:{line}:{col}: {severity}[{code}] "


def test_nesting_5000_levels_is_too_deep_at_line_1(tmp_path):
    outcome, path = validate_text(tmp_path, "flows: " + DEEP_5000 + "\n")
    assert outcome.code == EXIT_FAIL
    # the mapping is level 1; the 64th '[' (column 7 + 64) is one level too many
    assert diag_line(path, 1, len("flows: ") + 64, "too-deep") in outcome.out, outcome


def test_nesting_200_levels_is_too_deep(tmp_path):
    outcome, path = validate_text(tmp_path, DEEP_200)
    assert diag_line(path, 1, 65, "too-deep") in outcome.out, outcome


def test_alias_bomb_is_too_large(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
    outcome, path = validate_text(tmp_path, bomb)
    assert outcome.code == EXIT_FAIL
    # 10**5 values at `f:` (line 6), the first alias of `f` pushes the count past 200 000
    assert diag_line(path, 6, 8, "too-large") in outcome.out, outcome


def test_self_referencing_alias_is_an_error(tmp_path):
    outcome, path = validate_text(tmp_path, "a: &a [*a]\n")
    assert diag_line(path, 1, 8, "yaml-syntax") in outcome.out and "unknown alias *a" in outcome.out


def test_invalid_utf8_byte_is_located(tmp_path):
    outcome, path = validate_text(tmp_path, b"project:\n  name: caf\xe9 au lait\n")
    assert outcome.code == EXIT_FAIL
    assert diag_line(path, 2, 12, "encoding") + "file is not valid UTF-8 (byte 0xe9)" in outcome.out


@pytest.mark.parametrize("number", ("1e999999", "-1e999999", "1e-999999", "9" * 5000, "1" * 41))
def test_out_of_range_number_is_number_range(tmp_path, number):
    line = "    map: {a: " + number + "}"
    outcome, path = validate_text(tmp_path, "lookups:\n  l:\n" + line + "\n")
    assert outcome.code == EXIT_FAIL
    assert diag_line(path, 3, line.index(number) + 1, "number-range") in outcome.out, outcome


def test_nul_byte_is_a_syntax_error(tmp_path):
    outcome, path = validate_text(tmp_path, b"project:\n  name: a\x00b\n")
    assert outcome.code == EXIT_FAIL
    assert diag_line(path, 2, 10, "yaml-syntax") in outcome.out and "U+0000" in outcome.out, outcome


def test_tab_indentation_has_a_hint(tmp_path):
    outcome, path = validate_text(tmp_path, "project:\n\tname: x\n")
    assert outcome.code == EXIT_FAIL
    assert diag_line(path, 2, 1, "yaml-syntax") in outcome.out, outcome
    assert "hint: indent with spaces, not tabs" in outcome.out


def test_python_tag_is_refused(tmp_path):
    outcome, path = validate_text(tmp_path, "project:\n  name: !!python/object x\n")
    assert diag_line(path, 2, 9, "yaml-tag") in outcome.out, outcome


def test_unknown_local_tag_on_a_mapping_is_refused(tmp_path):
    outcome, path = validate_text(tmp_path, "flows: !custom {}\n")
    assert diag_line(path, 1, 8, "yaml-tag") in outcome.out, outcome


def test_unclosed_flow_mapping(tmp_path):
    outcome, path = validate_text(tmp_path, "{")
    assert diag_line(path, 2, 1, "yaml-syntax") in outcome.out, outcome


def test_yaml11_traps_are_warnings_not_failures(tmp_path):
    outcome, path = validate_text(tmp_path, "project:\n  name: NO\n  description: 0123\n")
    assert outcome.code == EXIT_OK, outcome
    assert diag_line(path, 2, 9, "yaml11-bool", "warning") in outcome.out
    assert diag_line(path, 3, 16, "leading-zero", "warning") in outcome.out


def test_non_string_keys(tmp_path):
    outcome, path = validate_text(tmp_path, "1: a\nnull: b\nflows: {2.5: x}\n")
    assert outcome.code == EXIT_FAIL
    assert diag_line(path, 1, 1, "unknown-key") in outcome.out
    assert diag_line(path, 2, 1, "unknown-key") in outcome.out
    assert diag_line(path, 3, 9, "bad-name") in outcome.out


def test_complex_key(tmp_path):
    outcome, path = validate_text(tmp_path, "project: {}\n[x]: c\n? {a: 1}\n: d\n")
    assert diag_line(path, 2, 1, "complex-key") in outcome.out, outcome
    assert diag_line(path, 3, 3, "complex-key") in outcome.out, outcome


def test_very_long_line(tmp_path):
    outcome, path = validate_text(tmp_path, "project:\n  name: " + "x" * 200_000 + ": y\n")
    assert re.search(rf"^{re.escape(str(path))}:2:\d+: error\[yaml-syntax\] ", outcome.out, re.M)


@pytest.mark.parametrize("encoding", ("utf-16", "utf-8-sig", "utf-16-be-bom"))
def test_example_in_other_unicode_encodings_validates(tmp_path, encoding):
    files = {name: encode(raw.decode("utf-8"), encoding) if name in EXAMPLE_YAML else raw
             for name, raw in EXAMPLE_FILES.items()}
    outcome = check_validate(tmp_path, write_project(tmp_path, files), **STRICT)
    assert outcome.code == EXIT_OK, outcome


def test_example_in_latin1_points_at_the_first_accent(tmp_path):
    files = {name: raw.decode("utf-8").encode("latin-1") if name == "lookups.yaml" else raw
             for name, raw in EXAMPLE_FILES.items()}
    line, col = first_non_ascii(EXAMPLE_FILES["lookups.yaml"].decode("utf-8"))
    outcome = check_validate(tmp_path, write_project(tmp_path, files), **STRICT)
    assert outcome.code == EXIT_FAIL
    assert diag_line(tmp_path / "lookups.yaml", line, col, "encoding") in outcome.out, outcome


@pytest.mark.parametrize("kind, content, message", [
    ("missing", None, "file not found"),
    ("directory", None, "is a directory"),
    ("empty", b"", "the file is empty"),
    ("empty", b"\xef\xbb\xbf \n", "the file is empty"),
    ("doctype", (FIXTURES / "xxe.xml").read_bytes(), "DOCTYPE and ENTITY declarations are not allowed"),
    ("doctype", (FIXTURES / "billion_laughs.xml").read_bytes(), "DOCTYPE and ENTITY"),
    ("xml", FIXTURE_BYTES["orders.xml"][:500], "malformed XML"),
    ("json", b'{"orders": [1, 2]}', "a record must be an object"),
    ("json", b"[" * 100_000, "invalid JSON"),
    ("json", b"[{\"id\": " + b"9" * 5000 + b"}]", "invalid JSON"),
    ("json", b'[{"id": NaN}]', "invalid JSON"),
    ("jsonl", b'{"id": 1}\n{"id": 2\n{"id": 3}\n', "invalid JSON Lines record"),
    ("bytes", b"\xff\xfe\x00garbage", "not valid UTF-8"),
])
def test_dry_run_unreadable_input(tmp_path, kind, content, message):
    path = place_input(tmp_path, kind, content)
    outcome = check_dry_run(example_dir(), (str(path),) + FIXTURE_INPUTS[1:], **STRICT)
    assert outcome.code == EXIT_FAIL, outcome
    assert re.search(r"^error\[input\] " + re.escape(str(path)) + r"(:\d+)*: .*" + re.escape(message),
                     outcome.err, re.M), outcome


@pytest.mark.parametrize("index", range(len(FIXTURE_NAMES)))
def test_dry_run_utf16_xml_input(tmp_path, index):
    """A UTF-16 XML input is read like UTF-8 or refused with a located error (today: refused,
    `engine/connectors/codecs/records.py` sniffs the first byte for '<' and then decodes JSON as UTF-8)."""
    inputs = list(FIXTURE_INPUTS)
    name = FIXTURE_NAMES[index]
    text = FIXTURE_BYTES[name].decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    (tmp_path / name).write_bytes(text.encode("utf-16"))
    inputs[index] = str(tmp_path / name)
    outcome = check_dry_run(example_dir(), inputs, **STRICT)
    if outcome.code == EXIT_FAIL:
        assert re.search(rf"^error\[input\] {re.escape(str(tmp_path / name))}:1:1: ", outcome.err,
                         re.M), outcome
    else:
        assert outcome.out == baseline_dry_run().out, outcome


def test_dry_run_of_unknown_flow_and_missing_project(tmp_path):
    outcome = check_dry_run(example_dir(), FIXTURE_INPUTS, flow="no_such_flow", **STRICT)
    assert outcome.code == EXIT_FAIL and "error[unknown-flow]" in outcome.err
    outcome = check_dry_run(tmp_path / "nowhere", FIXTURE_INPUTS, **STRICT)
    assert outcome.code == EXIT_FAIL and "error[not-found]" in outcome.err


# =============================================================================================
# 6. Bugs this suite found (all fixed since): each kept as a regression test with its reproduction
# =============================================================================================

# -- huge numbers and deep values in input records (engine/plan/coerce.py, engine/util/jsonout.py) -

def _orders_json(**fields) -> bytes:
    """The fixture orders.json with some fields of the first order replaced (raw JSON text)."""
    data = json.loads((FIXTURES / "orders.json").read_text(encoding="utf-8"))
    order = data["orders"][0]
    raw = {}
    for key, text in fields.items():
        if "." in key:  # associations.order_rows.0.product_reference
            *parents, last = key.split(".")
            target = order
            for part in parents:
                target = target[int(part)] if part.isdigit() else target[part]
            target[last] = f"__RAW_{len(raw)}__"
        else:
            order[key] = f"__RAW_{len(raw)}__"
        raw[f'"__RAW_{len(raw)}__"'] = text
    text = json.dumps({"orders": [order]})
    for placeholder, value in raw.items():
        text = text.replace(placeholder, value)
    return text.encode("utf-8")


def _dry_run_orders_json(tmp_path: Path, fmt: str = "json", **fields) -> Outcome:
    (tmp_path / "orders.json").write_bytes(_orders_json(**fields))
    return check_dry_run(example_dir(), (str(tmp_path / "orders.json"),) + FIXTURE_INPUTS[1:], fmt=fmt,
                         **STRICT)


@pytest.mark.parametrize("fmt", ("json", "text"))
def test_huge_exponent_in_an_int_field_is_a_record_error(tmp_path, fmt):
    # was: a 5001-digit int; printing the record key ended in "internal error" (ValueError)
    outcome = _dry_run_orders_json(tmp_path, fmt, id="1e5000")
    assert outcome.code == EXIT_RECORDS, outcome
    assert re.search(r"^\S+:\d+:\d+: error\[record\] .*cannot read 1E\+5000 as int",
                     outcome.err, re.M), outcome


@pytest.mark.parametrize("value", ('"1e5000"', "1e5000", '"' + "9" * 5000 + '"'),
                         ids=("text", "json-number", "digits"))
def test_huge_amount_is_set_aside_with_its_reason(tmp_path, value):
    # was: jsonout.number_text -> str(int(Decimal)) raised ValueError (internal error); then the
    # number reached the payload with thousands of digits. A decimal source field now refuses
    # magnitudes beyond 1e60: the record is set aside, located, the others would go on.
    outcome = _dry_run_orders_json(tmp_path, total_paid_tax_incl=value)
    assert outcome.code == EXIT_RECORDS, outcome
    assert json.loads(outcome.out) == []
    assert re.search(r"error\[record\] flow orders_to_sage record 1042: "
                     r"field total_paid_tax_incl: cannot read .* as decimal, the type its connector declares",
                     outcome.err), outcome


def test_deeply_nested_input_value_is_a_record_error(tmp_path):
    # was: jsonout recursion -> RecursionError (internal error)
    deep = "[" * 600 + '"x"' + "]" * 600
    outcome = _dry_run_orders_json(tmp_path, **{"associations.order_rows.0.product_reference": deep})
    assert outcome.code == EXIT_RECORDS, outcome
    # the Sage 100 contract refuses the list where it accepts text, before the JSON output would
    # refuse its depth: either way a located record error, never a RecursionError
    assert re.search(r"^\S+:\d+:\d+: error\[record\] .*(nested more than \d+ levels deep|RefArticle: a list of 1 "
                     r"is a list, Sage 100 accepts text)", outcome.err, re.M), outcome


# -- lookup CSV (engine/lang/lookups.py) ----------------------------------------------------------

def test_csv_cell_above_the_field_limit(tmp_path):
    # was: csv.Error escaped from lookups._read_csv (internal error)
    files = dict(EXAMPLE_FILES)
    files["payments.csv"] = b"module,mode_reglement\npaypal," + b"x" * 200_000 + b"\n"
    outcome = check_validate(tmp_path, write_project(tmp_path, files), **STRICT)
    line = EXAMPLE_FILES["lookups.yaml"].decode("utf-8").split("\n").index("    file: payments.csv") + 1
    assert diag_line(tmp_path / "lookups.yaml", line, 11, "bad-lookup") in outcome.out, outcome


# -- special files (engine/lang/lookups.py, engine/connectors/codecs/records.py) --------------------------------------
#
# The CLI runs in a subprocess capped in memory and time: a regression (an unbounded read of a
# device, a blocking read of a FIFO) must fail the test, not the machine.

_LIMITED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (800_000_000, 800_000_000))
from engine.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def _run_limited(*argv) -> Outcome:
    proc = subprocess.run([sys.executable, "-c", _LIMITED, *map(str, argv)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    return Outcome(list(argv), proc.returncode, proc.stdout, proc.stderr)


def _special_file(tmp_path: Path, kind: str) -> Path:
    if kind == "fifo":
        path = tmp_path / "fifo"
        os.mkfifo(path)
        return path
    return Path("/dev/zero")


special_files = pytest.mark.parametrize("kind", (
    pytest.param("device", marks=pytest.mark.skipif(not Path("/dev/zero").exists(),
                                                     reason="needs /dev/zero")),
    pytest.param("fifo", marks=pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs mkfifo")),
))
posix_only = pytest.mark.skipif(sys.platform != "linux", reason="needs RLIMIT_AS and special files")


@posix_only
@special_files
def test_lookup_file_that_is_a_device_or_fifo(tmp_path, kind):
    # was: read without a bound (/dev/zero exhausted memory, a FIFO blocked forever); a device is
    # outside the project now (refused before it is opened), a FIFO in the project is not a file
    project = tmp_path / "project"
    project.mkdir()
    path = _special_file(project, kind)
    (project / "p.yaml").write_text(f"lookups:\n  l: {{file: '{path}'}}\n", encoding="utf-8")
    outcome = _run_limited("validate", project)
    assert_clean(outcome, VALIDATE_CODES, **STRICT)
    code = "outside-project" if kind == "device" else "bad-lookup"
    assert diag_line(project / "p.yaml", 2, 13, code) in outcome.out, outcome


@posix_only
@special_files
def test_input_that_is_a_device_or_fifo(tmp_path, kind):
    path = _special_file(tmp_path, kind)
    outcome = _run_limited("dry-run", example_dir(), "--flow", FLOW, "--input", path)
    assert_clean(outcome, DRY_RUN_CODES, **STRICT)
    assert outcome.code == EXIT_FAIL, outcome
    assert re.search(rf"^error\[input\] {re.escape(str(path))}: ", outcome.err, re.M), outcome


# -- malformed flows and overrides (engine/plan/compile.py, engine/project/load.py, engine/checks/references.py) ---

def _example_with_flow(tmp_path: Path, edit) -> dict[Path, bytes]:
    """The example with its flow (parsed, edited by ``edit(flow)``, dumped again) written out."""
    data = yaml.safe_load(EXAMPLE_FILES["orders_to_sage.yaml"])
    edit(data["flows"][FLOW])
    files = dict(EXAMPLE_FILES, **{"orders_to_sage.yaml": dump_spec(data)})
    return write_project(tmp_path, files)


def _example_with_override(tmp_path: Path, endpoint: str, override: dict) -> dict[Path, bytes]:
    data = copy.deepcopy(EXAMPLE_ENDPOINTS)
    data["endpoints"][endpoint]["override"] = override
    return write_project(tmp_path, dict(EXAMPLE_FILES, **{"endpoints.yaml": dump_spec(data)}))


def _set(path: tuple, value):
    def edit(flow):
        for key in path[:-1]:
            flow = flow.setdefault(key, {})
        flow[path[-1]] = value
    return edit


# was: error[internal-error] "could not compile flow" next to the schema error
@pytest.mark.parametrize("path, value", [
    (("source",), "orders"),                                   # AttributeError: str.get
    (("target",), 5),                                          # AttributeError: int.get
    (("source", "related"), ["customer"]),                     # AttributeError: list.items
    (("source", "related", "customer"), True),                 # AttributeError: bool.get
    (("source", "related", "customer", "match"), "id"),        # AttributeError: str.items
    (("source", "related", "detail", "at"), 5),                # AttributeError: int.split
    (("source", "endpoint"), ["shop"]),                        # TypeError: unhashable list
    (("source", "where"), [1]),                                # TypeError: dict([1])
    (("source", "lookback"), "abc"),                           # ValueError: int('abc')
    (("source", "lookback"), "9" * 5000),                      # ValueError: int max str digits
    (("acknowledge",), {"endpoint": "shop"}),                  # KeyError: 'write'
    (("acknowledge",), {"endpoint": "shop", "write": "add_order_history", "with": [1]}),
], ids=lambda v: repr(v)[:30])
def test_fixed_bug_compile_malformed_flow(tmp_path, path, value):
    written = _example_with_flow(tmp_path, _set(path, value))
    outcome = check_validate(tmp_path, written, **STRICT)
    assert outcome.code == EXIT_FAIL


# was: validate ok, then `internal error in passerelle dry-run` (XmlOptions ValueError)
@pytest.mark.parametrize("option", ("root", "list_attribute", "i18n_element"))
def test_fixed_bug_empty_xml_option_in_override(tmp_path, option):
    written = _example_with_override(tmp_path, "shop", {"format": {"xml": {option: ""}}})
    outcome = check_validate(tmp_path, written, **STRICT)
    if outcome.code == EXIT_OK:  # accepted by validate: dry-run must then work
        check_dry_run(tmp_path, FIXTURE_INPUTS, **STRICT)


# was: error[bad-type] located in the shipped specs/connectors/prestashop.yaml, not in the project
def test_fixed_bug_override_types_located_in_shared_connector(tmp_path):
    written = _example_with_override(tmp_path, "shop",
                                     {"resources": {"orders": {"types": {"a..b": "int"}}}})
    outcome = check_validate(tmp_path, written, **STRICT)
    assert outcome.code == EXIT_FAIL


# was: `internal error in passerelle validate` (checks.check_endpoint) or error[internal-error]
@pytest.mark.parametrize("endpoint, override", [
    ("sage", {"settings": "xxx"}),       # AttributeError: 'str' object has no attribute 'items'
    ("sage", {"settings": 5}),           # TypeError: argument of type 'int' is not iterable
    ("shop", {"settings": ["key"]}),     # AttributeError: 'list' object has no attribute 'items'
    ("shop", {"resources": "yes"}),      # compile: AttributeError: 'str' object has no attribute 'get'
    ("shop", {"resources": 5}),          # compile: TypeError: argument of type 'int' is not iterable
], ids=lambda v: repr(v)[:24])
def test_fixed_bug_override_with_non_mapping_section(tmp_path, endpoint, override):
    written = _example_with_override(tmp_path, endpoint, override)
    outcome = check_validate(tmp_path, written, **STRICT)
    assert outcome.code == EXIT_FAIL and "error[bad-override]" in outcome.out, outcome
    check_dry_run(tmp_path, FIXTURE_INPUTS, **STRICT)


# was: validate ok, then `internal error in passerelle dry-run` (lxml: not XML compatible)
def test_fixed_bug_xml_option_with_control_character(tmp_path):
    written = _example_with_override(tmp_path, "shop",
                                     {"format": {"xml": {"list_attribute": "a\x0bz"}}})
    outcome = check_validate(tmp_path, written, **STRICT)
    if outcome.code == EXIT_OK:  # accepted by validate: dry-run must then work
        check_dry_run(tmp_path, FIXTURE_INPUTS, **STRICT)


# -- located YAML reader errors (engine/spec/yamlsrc.py) -------------------------------------------

# was: every control character reported at 1:1
@pytest.mark.parametrize("text, line, col", [
    ("project:\n  name: a\x00b\n", 2, 10),
    ("project:\n  name: x\n  description: \x1b[31m\n", 3, 16),
    ("flows: {}\nlookups: {}\nendpoints: {}\n\x07\n", 4, 1),
], ids=("nul", "escape", "bell"))
def test_fixed_bug_control_character_at_1_1(tmp_path, text, line, col):
    outcome, path = validate_text(tmp_path, text)
    assert diag_line(path, line, col, "yaml-syntax") in outcome.out, outcome
