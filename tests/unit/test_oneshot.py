"""``passerelle validate`` as a one-shot process (engine/cli/oneshot.py): a lazier garbage collector
while it runs and an immediate exit after its output is flushed — the same exit code, every line of
its output, whether a terminal, a file or a closed pipe reads it. Other commands are untouched."""
from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from engine.cli import oneshot
from support import ROOT


def test_only_validate_is_one_shot():
    assert oneshot.is_one_shot(["validate", "specs/"])
    for argv in ([], ["run", "x"], ["dry-run", "validate"], ["serve"], ["--help"]):
        assert not oneshot.is_one_shot(argv)


def test_start_raises_the_young_threshold_for_validate_only():
    before = gc.get_threshold()
    try:
        oneshot.start(["run", "p"])
        assert gc.get_threshold() == before
        oneshot.start(["validate", "p"])
        assert gc.get_threshold() == (oneshot.YOUNG_THRESHOLD, before[1], before[2])
    finally:
        gc.set_threshold(*before)


def test_finish_of_another_command_exits_as_python_does():
    with pytest.raises(SystemExit) as exc:
        oneshot.finish(["run", "p"], 3)
    assert exc.value.code == 3


def _passerelle(*argv: str, entry: str = "module") -> subprocess.CompletedProcess:
    if entry == "module":
        command = [sys.executable, "-m", "engine", *argv]
    else:  # the console script `passerelle` (engine.cli.main:run)
        command = [sys.executable, "-c", f"import sys; sys.argv = ['passerelle', *{list(argv)!r}]; "
                   "from engine.cli.main import run; run()"]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("entry", ["module", "console"])
def test_validate_keeps_its_exit_code_and_all_of_its_output(entry, tmp_path):
    good = _passerelle("validate", "specs/", entry=entry)
    assert good.returncode == 0 and " 0 error(s)" in good.stderr
    (tmp_path / "project.yaml").write_text("project: {name: x}\nflows:\n  f: {sourc: 1}\n", encoding="utf-8")
    bad = _passerelle("validate", str(tmp_path), entry=entry)
    assert bad.returncode == 1
    assert "unknown key 'sourc'" in bad.stdout and "FAILED" in bad.stderr
    listing = _passerelle("validate", "--format", "json", "tests/cases/invalid", entry=entry)
    assert listing.returncode == 1 and listing.stdout.rstrip().endswith("]")  # flushed whole


def test_validate_into_a_closed_pipe_ends_quietly():
    done = subprocess.run(f"{sys.executable} -m engine validate tests/cases/invalid | head -c 10",
                          shell=True, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr and len(done.stdout) == 10
