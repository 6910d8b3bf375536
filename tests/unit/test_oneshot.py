"""``passerelle validate`` and a file dry-run as one-shot processes (engine/cli/oneshot.py): a lazier
garbage collector while they run and an immediate exit after their output is flushed — the same exit
code, every line of their output, whether a terminal, a file or a closed pipe reads it. Other commands
are untouched."""
from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from engine.cli import oneshot
from engine.runtime import heap
from support import ROOT


def test_only_validate_and_a_file_dry_run_are_one_shot():
    assert oneshot.is_one_shot(["validate", "specs/"])
    assert oneshot.is_one_shot(["dry-run", "p", "--flow", "f", "--input", "orders.xml"])
    assert oneshot.is_one_shot(["dry-run", "p", "--flow", "f", "--input=orders.xml"])
    for argv in ([], ["run", "x"], ["dry-run", "validate"], ["dry-run", "p", "--flow", "f", "--limit", "5"],
                 ["dry-run", "p", "--input-format", "csv"], ["serve"], ["--help"], ["run", "--input", "x"]):
        assert not oneshot.is_one_shot(argv)


def test_start_raises_the_young_threshold_for_validate_and_for_a_file_dry_run_until_compiled():
    before = gc.get_threshold()
    try:
        oneshot.start(["run", "p"])
        oneshot.compiled()
        assert gc.get_threshold() == before and gc.get_freeze_count() == 0
        oneshot.start(["dry-run", "p", "--flow", "f", "--input", "orders.xml"])  # its plan: all alive
        assert gc.get_threshold() == (oneshot.YOUNG_THRESHOLD, before[1], before[2])
        oneshot.compiled()  # its records come and go: the default again, the plan left out of collections
        assert gc.get_threshold() == before and gc.get_freeze_count() > 0
        assert heap._for_good == [True]  # (a mapper forked later leaves them frozen: tests/unit/test_split_map.py)
        gc.unfreeze()
        heap._for_good[0] = False
        oneshot.start(["validate", "p"])
        oneshot.compiled()  # (validate's objects all stay alive to the end)
        assert gc.get_threshold() == (oneshot.YOUNG_THRESHOLD, before[1], before[2]) and gc.get_freeze_count() == 0
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
        heap._for_good[0] = False


def test_finish_of_another_command_exits_as_python_does():
    with pytest.raises(SystemExit) as exc:
        oneshot.finish(["run", "p"], 3)
    assert exc.value.code == 3


def _passerelle(*argv: str, entry: str = "module") -> subprocess.CompletedProcess:
    if entry == "module":
        command = [sys.executable, "-m", "engine", *argv]
    else:  # the console script `passerelle` (engine.cli.console:run)
        command = [sys.executable, "-c", f"import sys; sys.argv = ['passerelle', *{list(argv)!r}]; "
                   "from engine.cli.console import run; run()"]
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


DRY_RUN = ["dry-run", "specs/examples/prestashop-sage100", "--flow", "orders_to_sage", "--format", "json",
           *[arg for name in ("orders", "order_details", "carriers", "customers", "taxes")
             for arg in ("--input", f"specs/examples/prestashop-sage100/samples/{name}.xml")]]
GOLDEN = ROOT / "tests" / "cases" / "dry_run" / "reference_example" / "expected"


@pytest.mark.parametrize("entry", ["module", "console"])
def test_a_file_dry_run_keeps_its_exit_code_and_all_of_its_output(entry, tmp_path):
    done = _passerelle(*DRY_RUN, entry=entry)
    assert done.returncode == 3  # one record fails, the others are printed
    assert done.stdout == (GOLDEN / "stdout.json").read_text(encoding="utf-8")
    assert done.stderr == (GOLDEN / "stderr.txt").read_text(encoding="utf-8")
    orders = (ROOT / DRY_RUN[7]).read_text(encoding="utf-8")
    (tmp_path / "orders.xml").write_text(orders[:len(orders) // 2], encoding="utf-8")  # cut in the middle
    argv = [*DRY_RUN]
    argv[7] = str(tmp_path / "orders.xml")
    unreadable = _passerelle(*argv, entry=entry)  # not completed: ends as Python ends
    assert unreadable.returncode == 1 and "error[input]" in unreadable.stderr and "Traceback" not in unreadable.stderr
    assert unreadable.stdout.rstrip().endswith("]")


def test_a_file_dry_run_into_a_closed_pipe_ends_quietly():
    command = " ".join([sys.executable, "-m", "engine", *DRY_RUN, "| head -c 10"])
    done = subprocess.run(command, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr and len(done.stdout) == 10


def test_compiled_freezes_before_it_lowers_the_threshold():
    """Lowered first, the next allocation would walk every object made since the last collection (the
    whole compile and related index of a dry-run, all alive: ~25 ms at 1,000 orders) for nothing."""
    before, collections = gc.get_threshold(), []

    def seen(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    gc.collect()
    try:
        oneshot.start(["dry-run", "p", "--flow", "f", "--input", "orders.xml"])
        alive = [{"n": n} for n in range(20_000)]  # young objects, under the raised threshold
        assert gc.get_count()[0] > 700
        gc.callbacks.append(seen)
        oneshot.compiled()
        gc.callbacks.remove(seen)
        assert collections == [] and gc.get_threshold() == before and len(alive) == 20_000
    finally:
        if seen in gc.callbacks:
            gc.callbacks.remove(seen)
        oneshot._started.clear()
        gc.set_threshold(*before)
        gc.unfreeze()
        heap._for_good[0] = False
