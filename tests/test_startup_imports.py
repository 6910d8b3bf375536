"""``passerelle validate`` loads only what validation needs (issue 10, fast start-up): editors and CI
start it constantly, so the HTTP client, the run state's SQLite, the file watcher, the runtime and
python-jsonschema (only needed to explain a refused document; jsonschema-rs says "valid") must stay
out of its process, and so must lxml (the XML connectors import it when they parse or write XML,
not when they are compiled). Not a timing test: ``bench/startup.py`` times it."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import ROOT

# never imported by `validate` of valid specs (prefixes: a package and all its modules)
NOT_FOR_VALIDATE = ("httpx", "httpcore", "h11", "sqlite3", "_sqlite3", "watchfiles", "jsonschema",
                    "referencing", "engine.runtime", "pyodbc", "ssl", "engine.connectors.odbc_endpoint",
                    "lxml", "rich", "engine.util.progress",
                    "engine.plan.model",  # the Plan's classes: validate builds no Plan
                    "argparse", "tempfile")  # ordinary command lines (cli/quickargs.py); nothing is written
# nor by a `validate` whose files were all parsed before (the cache of parsed files)
WARM_NOT_FOR_VALIDATE = ("yaml", "_yaml", "engine.spec.yamlbuild", "engine.spec.yamldepth",
                         "regex",  # its patterns checked before too (engine/lang/patterns.py)
                         "jsonschema_rs")  # what it accepted before is remembered (engine/spec/fastcheck.py)
# nor by one whose every project's outcome is known (engine/plan/resultcache.py)
KNOWN_NOT_FOR_VALIDATE = ("engine.plan.compile", "engine.project.load", "engine.checks", "engine.connectors",
                          "engine.lang", "engine.schema", "engine.spec.yamlsrc", "engine.plan.forked", "jmespath",
                          "engine.util.records", "engine.spec.yamldoc")


def _imported(argv: list[str], cwd=ROOT, cache: Path | None = None) -> tuple[set[str], subprocess.CompletedProcess]:
    """The modules a ``python -X importtime ARGV`` process imported, and the finished process
    (``cache``: the folder of parsed spec files it uses)."""
    env = dict(os.environ, **({"PASSERELLE_CACHE_DIR": str(cache)} if cache is not None else {}))
    done = subprocess.run([sys.executable, "-X", "importtime", *argv], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env=env)
    names = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
             if line.startswith("import time:") and "self [us]" not in line}
    return names, done


def _forbidden(names: set[str], forbidden: tuple[str, ...] = NOT_FOR_VALIDATE) -> list[str]:
    return sorted(n for n in names if any(n == p or n.startswith(p + ".") for p in forbidden))


def test_validate_of_the_shipped_specs_imports_nothing_it_does_not_need(tmp_path):
    names, done = _imported(["-m", "engine", "validate", "specs/"], cache=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert " 0 error(s)" in done.stderr
    assert "engine.plan.compile" in names and "yaml" in names  # the measure did see the imports
    assert _forbidden(names) == []
    # again without the projects' known outcomes, every file's parse now in the cache
    # (engine/spec/yamlcache.py): PyYAML and the YAML builder are not even imported, nor `regex`
    # (its one pattern was checked in the first run)
    shutil.rmtree(tmp_path / "results-1")
    names, done = _imported(["-m", "engine", "validate", "specs/"], cache=tmp_path)
    assert done.returncode == 0 and " 0 error(s)" in done.stderr, done.stderr[-2000:]
    assert "engine.plan.compile" in names
    assert _forbidden(names, NOT_FOR_VALIDATE + WARM_NOT_FOR_VALIDATE) == []
    # and again: every project's outcome is known (engine/plan/resultcache.py), nothing is loaded,
    # checked or compiled
    names, done = _imported(["-m", "engine", "validate", "specs/"], cache=tmp_path)
    assert done.returncode == 0 and " 0 error(s)" in done.stderr, done.stderr[-2000:]
    assert "engine.plan.resultcache" in names
    assert _forbidden(names, NOT_FOR_VALIDATE + WARM_NOT_FOR_VALIDATE + KNOWN_NOT_FOR_VALIDATE) == []


def test_the_console_script_entry_point_imports_nothing_more(tmp_path):
    code = ("import sys; from engine.cli.console import run; sys.argv = ['passerelle', 'validate', 'specs/']; "
            "run()")
    names, done = _imported(["-c", code], cache=tmp_path)  # (a cache of its own: nothing known yet)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "engine.plan.compile" in names
    assert _forbidden(names) == []


def test_importing_the_package_imports_nothing():
    names, done = _imported(["-c", "import engine"])
    assert done.returncode == 0, done.stderr
    assert sorted(n for n in names if n.startswith("engine.")) == []


@pytest.mark.parametrize("project", ["prestashop-sage100", "sage100-shopify"])
def test_validate_json_and_strict_stay_lean(project):
    names, done = _imported(["-m", "engine", "validate", "--strict", "--format", "json",
                             f"specs/examples/{project}"])
    assert done.returncode == 0, done.stderr[-2000:]
    assert _forbidden(names) == []


def test_an_invalid_spec_is_still_explained_in_full(tmp_path):
    """The refusal path loads python-jsonschema for its rich errors: located, every error, no traceback."""
    (tmp_path / "project.yaml").write_text("project: {name: x}\nflows:\n  f: {sourc: 1}\n", encoding="utf-8")
    names, done = _imported(["-m", "engine", "validate", str(tmp_path)])
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "error[" in done.stdout + done.stderr
    assert "unknown key 'sourc'" in done.stdout + done.stderr
    assert "jsonschema" in names


def test_shipped_data_is_where_importlib_resources_finds_it():
    """The package's data folders are taken from disk without importing importlib.resources: the
    very paths it gives (the wheel tests prove an installed package finds them too)."""
    from importlib.resources import as_file, files
    from pathlib import Path

    from engine.util import resources

    for found, parts in ((resources.schemas_dir(), ("schemas",)),
                         (resources.shipped_connectors_dir(), ("specs", "connectors")),
                         (resources.examples_dir(), ("specs", "examples"))):
        node = files("engine") / "_data"
        for part in parts:
            node = node / part
        with as_file(node) as path:
            assert str(found) == str(Path(path)) and found.is_dir()
