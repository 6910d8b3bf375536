"""``validate``'s ordinary command lines are read without argparse (engine/cli/quickargs.py): for any
command line, the quick reader gives exactly argparse's values, or None and argparse reads it."""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from engine.cli.main import _parser
from engine.cli.quickargs import validate_args


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


@pytest.mark.parametrize("argv", CASES)
def test_ordinary_command_lines_are_read_as_argparse_reads_them(argv):
    quick = validate_args(argv)
    assert quick is not None
    assert vars(quick) == _argparse(argv)


@pytest.mark.parametrize("argv", [
    ["validate"], ["validate", "--strict"], ["validate", "-h", "a"], ["validate", "--help"],
    ["validate", "--str", "a"], ["validate", "--format=json", "a"], ["validate", "--format", "xml", "a"],
    ["validate", "--format"], ["validate", "a", "--strict", "b"], ["validate", "--connectors", "-x", "a"],
    ["validate", "--", "a"], ["validate", "-"], ["dry-run", "a"], [], ["validate", "a", "--unknown"],
])
def test_anything_else_is_left_to_argparse(argv):
    assert validate_args(argv) is None


WORDS = st.sampled_from(["a", "b/c", "--strict", "--no-cache", "--format", "json", "text", "github", "xml", "--connectors",
                         "-x", "--", "-", "--str", "--format=json", "-h", "validate", ""])


@settings(max_examples=400, derandomize=True, deadline=None)
@given(rest=st.lists(WORDS, max_size=7))
def test_random_command_lines_agree_with_argparse(rest):
    argv = ["validate", *rest]
    quick = validate_args(argv)
    if quick is not None:  # when it reads one, it reads it as argparse does
        assert vars(quick) == _argparse(argv)


def test_paths_are_paths():
    assert validate_args(["validate", "x/y"]).paths == [Path("x/y")]
