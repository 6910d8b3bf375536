"""The benchmark scripts still run against the engine as it is (tiny sizes, no timing judged): a plan
change that breaks a script is caught here, not at the next `make bench`."""
from __future__ import annotations

import subprocess
import sys

import pytest

from support import ROOT

SCRIPTS = [
    ("mapping.py", ["--records", "30", "--rounds", "1"]),
    ("expand.py", ["--records", "30", "--rounds", "1"]),
    ("validate.py", ["--projects", "3", "--runs", "1"]),
    ("sync.py", ["--orders", "12", "--rounds", "1", "--in-process"]),
    ("sync_concurrency.py", ["--orders", "12", "--rounds", "1", "--latency", "5"]),
    ("startup.py", ["--runs", "1", "--imports", "3"]),
    ("decode.py", ["--orders", "30", "--rounds", "1"]),
    ("xmlwrite.py", ["--calls", "20", "--rounds", "1"]),
    ("dryrun_scale.py", ["--sizes", "30,60", "--rounds", "1"]),
    ("run_scale.py", ["--sizes", "12,40"]),
    ("odbc.py", ["--rows", "60", "--rounds", "1"]),
    ("files.py", ["--lines", "50", "--rounds", "1"]),
    ("catalogue.py", ["--articles", "20", "--rounds", "1"]),
    ("webhooks.py", ["--seconds", "2", "--rate", "10", "--intake-seconds", "1", "--rounds", "1"]),
    ("state_store.py", ["--records", "20", "--rounds", "1", "--writers", "2"]),
    ("cluster.py", ["--orders", "3", "--projects", "2", "--farms", "1", "--rounds", "1", "--workers", "1,2"]),
]


@pytest.mark.slow
@pytest.mark.parametrize("script, args", SCRIPTS, ids=[s for s, _ in SCRIPTS])
def test_the_benchmark_runs_and_compares_identical_outputs(script, args):
    done = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr  # without --strict: 0 unless it broke
    assert "Traceback" not in done.stderr and "target" in done.stdout, done.stdout + done.stderr
