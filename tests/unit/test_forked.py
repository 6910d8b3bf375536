"""Half of a one-shot validate in a forked child (engine/plan/forked.py): the same report as one
process gives, and the work done here whenever the child cannot give its result."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from engine.plan import forked
from support import ROOT

pytestmark = pytest.mark.skipif(not forked.can_fork(), reason="needs fork and two cores")


def test_the_result_comes_from_the_child():
    parent = os.getpid()
    assert forked.in_child(lambda: os.getpid())() != parent


def test_a_failing_child_leaves_the_work_to_this_process():
    parent = os.getpid()

    def work():
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return "done here"

    assert forked.in_child(work)() == "done here"


def test_a_child_that_does_not_answer_is_killed(monkeypatch):
    parent = os.getpid()
    monkeypatch.setattr(forked, "WAIT_SECONDS", 0.5)

    def work():
        if os.getpid() != parent:
            import time
            time.sleep(30)
        return "done here"

    assert forked.in_child(work)() == "done here"


def test_a_large_result_crosses_the_pipe():
    assert forked.in_child(lambda: ["x" * 1000] * 500)() == ["x" * 1000] * 500


@pytest.mark.parametrize("argv", [["specs/"], ["--format", "json", "specs/", "tests/cases/invalid"],
                                  ["tests/cases/invalid"], ["--strict", "--format", "github", "tests/cases/invalid"]])
def test_the_console_validate_reports_what_one_process_reports(argv):
    forked_run = subprocess.run([sys.executable, "-m", "engine", "validate", "--no-cache", *argv], cwd=ROOT,
                                capture_output=True, text=True, timeout=300)
    code = f"import sys; sys.argv = ['passerelle', 'validate', *{argv!r}]; from engine.cli.main import main; " \
           "sys.exit(main())"  # main() itself: no one-shot process, no fork
    one = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert (forked_run.returncode, forked_run.stdout, forked_run.stderr) == (one.returncode, one.stdout, one.stderr)
