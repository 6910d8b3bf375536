"""A file dry-run loads only what it needs (issue 10: at 1,000 orders its start-up was a third of its
time). It opens no connection and keeps no run state, so neither the HTTP client, the run state's
modules (SQLite, the lease, the ledger) nor the modules of the other commands (run, serve, webhooks,
the dashboard) belong in its process; a project of HTTP connectors loads neither the ODBC nor the file
protocol; related files small enough for memory load no SQLite index; and the spec files are read
through the cache ``validate`` fills (engine/spec/yamlcache.py): warm, PyYAML is not imported.
Not a timing test: ``bench/dryrun_scale.py`` times it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support import ROOT

EXAMPLE = ROOT / "specs" / "examples" / "prestashop-sage100"
SAMPLES = [EXAMPLE / "samples" / f"{n}.xml" for n in ("orders", "order_details", "carriers", "customers", "taxes")]
GOLDEN = ROOT / "tests" / "cases" / "dry_run" / "reference_example" / "expected"

# never imported by a file dry-run of the reference project (prefixes: a package and all its modules)
NOT_FOR_FILE_DRY_RUN = (
    "httpx", "httpcore", "h11", "ssl", "watchfiles", "pyodbc", "jsonschema", "referencing",  # no request, no refusal
    "sqlite3", "_sqlite3", "tempfile",  # no state read (none exists), related files indexed in memory
    "engine.runtime.state", "engine.runtime.acks", "engine.runtime.reserve", "engine.runtime.lease",
    "engine.runtime.runner", "engine.runtime.session", "engine.runtime.endpoints", "engine.runtime.relspill",
    "engine.runtime.webhook_run", "engine.web",
    "engine.cli.runtime", "engine.cli.reload", "engine.cli.xref", "engine.cli.db", "engine.cli.cluster",
    "engine.cli.docs_command", "engine.cli.spectest", "engine.cli.init_command",
    "engine.connectors.odbc", "engine.connectors.file",  # the project's connectors are HTTP ones
    "engine.runtime.inputformat", "engine.connectors.codecs.csvfile",  # no --input-format given
)
# nor once its spec files were parsed before (by validate or another dry-run)
WARM_NOT_FOR_FILE_DRY_RUN = ("yaml", "_yaml", "engine.spec.yamlbuild", "engine.spec.yamldepth", "regex")


def _dry_run(cache: Path, state: Path, *extra: str) -> tuple[set[str], subprocess.CompletedProcess]:
    """The modules a ``python -X importtime -m engine dry-run`` of the reference project imported, and
    the finished process."""
    argv = [sys.executable, "-X", "importtime", "-m", "engine", "dry-run", str(EXAMPLE), "--flow", "orders_to_sage",
            "--format", "json", "--state", str(state), *extra]
    for path in SAMPLES:
        argv += ["--input", str(path)]
    env = dict(os.environ, PASSERELLE_CACHE_DIR=str(cache))
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    names = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
             if line.startswith("import time:") and "self [us]" not in line}
    return names, done


def _forbidden(names: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == p or n.startswith(p + ".") for p in forbidden))


def _messages(done: subprocess.CompletedProcess) -> str:
    return "".join(line + "\n" for line in done.stderr.splitlines() if not line.startswith("import time:"))


def test_a_file_dry_run_imports_nothing_it_does_not_need(tmp_path):
    state = tmp_path / "state"  # no state database: nothing to read
    names, done = _dry_run(tmp_path / "cache", state)  # cold: every spec file parsed (and kept)
    assert done.returncode == 3, _messages(done)  # one record of the samples fails, as the golden files say
    assert done.stdout == (GOLDEN / "stdout.json").read_text(encoding="utf-8")
    assert _messages(done) == (GOLDEN / "stderr.txt").read_text(encoding="utf-8")
    assert "engine.plan.compile" in names and "yaml" in names and "lxml.etree" in names  # the measure saw them
    assert _forbidden(names, NOT_FOR_FILE_DRY_RUN) == []
    warm, again = _dry_run(tmp_path / "cache", state)  # warm: parsed and checked before
    assert (again.returncode, again.stdout, _messages(again)) == (done.returncode, done.stdout, _messages(done))
    assert "engine.plan.compile" in warm
    assert _forbidden(warm, NOT_FOR_FILE_DRY_RUN + WARM_NOT_FOR_FILE_DRY_RUN) == []
    assert not state.exists()  # nothing written there


def test_no_cache_parses_again_and_prints_the_same(tmp_path):
    _, first = _dry_run(tmp_path / "cache", tmp_path / "state")
    names, done = _dry_run(tmp_path / "cache", tmp_path / "state", "--no-cache")
    assert "yaml" in names  # neither read from the cache...
    assert (done.returncode, done.stdout, _messages(done)) == (first.returncode, first.stdout, _messages(first))
    entries = sorted(p.name for p in (tmp_path / "cache").rglob("*") if p.is_file())
    _, done = _dry_run(tmp_path / "other", tmp_path / "state", "--no-cache")
    assert not (tmp_path / "other").exists() and entries  # ...nor written


def test_related_files_over_the_memory_budget_still_load_the_disk_index(tmp_path):
    """The index on disk is imported when it is needed (the check above is not vacuous)."""
    names, done = _dry_run(tmp_path / "cache", tmp_path / "state", "--related-memory", "0")
    assert done.stdout == (GOLDEN / "stdout.json").read_text(encoding="utf-8")
    assert "engine.runtime.relspill" in names and "sqlite3" in names
