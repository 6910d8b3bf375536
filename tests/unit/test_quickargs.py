"""``validate``'s ordinary command lines are read without argparse (engine/cli/quickargs.py): for any
command line, the quick reader gives exactly argparse's values, or None and argparse reads it."""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from engine.cli.main import _parser
from engine.cli.quickargs import dry_run_args, input_pairs, validate_args


def _argparse(argv: list[str]) -> dict | None:
    """argparse's values for ``argv``, or None when it refuses it (or prints help)."""
    try:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            return vars(_parser(argv[0] if argv else None).parse_args(argv))
    except SystemExit:
        return None


CASES = [
    ["validate", "specs/"],
    ["validate", "a", "b", "c"],
    ["validate", "--strict", "a"],
    ["validate", "a", "--strict"],
    ["validate", "--format", "json", "a"],
    ["validate", "a", "--format", "github", "--strict", "--connectors", "x", "--connectors", "y"],
    ["validate", "--connectors", "x", "a", "b"],
    ["validate", "--no-cache", "a"],
    ["validate", "a", "--strict", "--no-cache", "--format", "json"],
    ["validate", "--format", "text", "--format", "json", "a"],
]


OTHERS = [
    ["validate"], ["validate", "--strict"], ["validate", "-h", "a"], ["validate", "--help"],
    ["validate", "--str", "a"], ["validate", "--format=json", "a"], ["validate", "--format", "xml", "a"],
    ["validate", "--format"], ["validate", "a", "--strict", "b"], ["validate", "--connectors", "-x", "a"],
    ["validate", "--", "a"], ["validate", "-"], ["dry-run", "a"], [], ["validate", "a", "--unknown"],
]


def _quick(argv: list[str]):
    """What engine/cli/main.py reads without argparse."""
    return validate_args(argv) or dry_run_args(argv)


def _agrees(argv: list[str]) -> None:
    quick = _quick(argv)
    if quick is not None:  # when it reads one, it reads it as argparse does
        assert vars(quick) == _argparse(argv)


WORDS = st.sampled_from(["a", "b/c", "--strict", "--no-cache", "--format", "json", "text", "github", "xml", "--connectors",
                         "-x", "--", "-", "--str", "--format=json", "-h", "validate", ""])


@settings(max_examples=400, derandomize=True, deadline=None)
@given(rest=st.lists(WORDS, max_size=7))
def test_random_command_lines_agree_with_argparse(rest):
    _agrees(["validate", *rest])


def test_paths_are_paths():
    assert validate_args(["validate", "x/y"]).paths == [Path("x/y")]


# -- dry-run: a plain file dry-run (its input files' readers start before the CLI's modules load)

DRY_RUNS = [
    ["dry-run", "p", "--flow", "f", "--input", "a.xml"],
    ["dry-run", "--flow", "f", "p", "--input", "a.xml", "--input", "orders=b.json", "--format", "json"],
    ["dry-run", "p", "--input", "a", "--flow", "f", "--no-cache", "--parallel-read", "--connectors", "c"],
    ["dry-run", "p", "--flow", "f", "--flow", "g", "--input", "a", "--parallel-read", "--no-parallel-read"],
    ["dry-run", "p", "--flow", "f", "--input", "a", "--format", "text"],
]


@pytest.mark.parametrize("argv", CASES + DRY_RUNS)
def test_ordinary_command_lines_are_read_as_argparse_reads_them(argv):
    quick = _quick(argv)
    assert quick is not None
    assert vars(quick) == _argparse(argv)


@pytest.mark.parametrize("argv", OTHERS + [
    ["dry-run", "p", "--flow", "f"],  # live: nothing to read early
    ["dry-run", "--flow", "f", "--input", "a"], ["dry-run", "p", "--input", "a"],
    ["dry-run", "p", "--flow", "f", "--input", "a", "--max-input-bytes", "1GB"],  # any other option: argparse's
    ["dry-run", "p", "--flow", "f", "--input=a"], ["dry-run", "p", "--flow", "f", "--inp", "a"],
    ["dry-run", "p", "--flow", "f", "--input", "-a"], ["dry-run", "p", "--flow", "f", "--input"],
    ["dry-run", "p", "q", "--flow", "f", "--input", "a"], ["dry-run", "-h"],
    ["dry-run", "p", "--flow", "f", "--input", "a", "--format", "yaml"], ["dry-run", "p", "--flow", "f", "--input", "a", "--limit", "5"],
])
def test_anything_else_is_left_to_argparse(argv):
    assert _quick(argv) is None


DRY_WORDS = st.sampled_from(["p", "q", "--flow", "f", "--input", "a.xml", "k=v", "--no-cache", "--parallel-read",
                             "--no-parallel-read", "--format", "json", "text", "xml", "--connectors", "-x", "--", "--inp",
                             "-h", "", "--limit", "3"])


@settings(max_examples=400, derandomize=True, deadline=None)
@given(rest=st.lists(DRY_WORDS, max_size=9))
def test_random_dry_run_command_lines_agree_with_argparse(rest):
    _agrees(["dry-run", *rest])


def test_input_pairs_name_the_records_unless_the_file_exists(tmp_path):
    odd = tmp_path / "a=b.xml"
    odd.write_text("<x/>", encoding="utf-8")
    assert input_pairs(["orders=o.xml", "o.xml", str(odd), "=o.xml"]) == [
        ("orders", Path("o.xml")), (None, Path("o.xml")), (None, odd), (None, Path("=o.xml"))]
