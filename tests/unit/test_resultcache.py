"""The cache of validate's outcomes (engine/plan/resultcache.py, engine/util/readlog.py): a known
outcome is replayed exactly as a fresh run reports it, and anything it depends on, changed, makes
it unknown again; a damaged entry is never believed, ``--no-cache`` neither reads nor writes."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.errors import Diagnostic, Loc
from engine.plan import resultcache
from engine.plan.resultcache import ResultCache
from engine.plan.validate import validate_paths
from engine.project.discover import extra_connector_dirs
from engine.spec.yamlcache import read_entry, write_entry

from support import ROOT

EXAMPLE = ROOT / "specs" / "examples" / "prestashop-sage100"
SHIPPED = ROOT / "specs" / "connectors"


# -- the console: a known outcome prints what a fresh run prints ----------------------------------------
def _console(args: list[str], cache: Path, *flags: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PASSERELLE_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, *flags, "-m", "engine", "validate", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def _without_import_times(stderr: str) -> tuple[str, set[str]]:
    lines = stderr.splitlines(keepends=True)
    names = {line.rsplit("|", 1)[1].strip() for line in lines if line.startswith("import time:")}
    return "".join(line for line in lines if not line.startswith("import time:")), names


@pytest.mark.parametrize("options", [[], ["--format", "json"], ["--strict", "--format", "github"]])
def test_a_known_outcome_prints_exactly_what_a_fresh_run_prints(options, tmp_path):
    paths = ["tests/cases/invalid", "specs/"]  # errors, warnings, connector files, 42 projects
    fresh = _console([*options, "--no-cache", *paths], tmp_path / "unused")
    assert fresh.returncode == 1 and "error" in fresh.stdout + fresh.stderr
    first = _console([*options, *paths], tmp_path / "cache")  # validated, stored
    known = _console([*options, *paths], tmp_path / "cache", "-X", "importtime")
    stderr, names = _without_import_times(known.stderr)
    assert "engine.plan.resultcache" in names and "engine.plan.compile" not in names  # replayed
    assert (fresh.returncode, fresh.stdout, fresh.stderr) == (first.returncode, first.stdout, first.stderr)
    assert (fresh.returncode, fresh.stdout, fresh.stderr) == (known.returncode, known.stdout, stderr)
    assert not (tmp_path / "unused").exists()


def test_no_cache_neither_reads_nor_writes_outcomes(tmp_path):
    cache = tmp_path / "cache"
    project = _copy(tmp_path)
    _console([str(project)], cache)
    [entry] = (cache / "results-1").iterdir()
    planted = Diagnostic("planted", "a stored outcome, not a fresh one", Loc("x.yaml", 1, 1))
    write_entry(entry, {key: ([planted], 1, 0, {}, {}, {}) for key in read_entry(entry)})  # other news
    assert "planted" in _console([str(project)], cache).stdout  # replayed as stored
    before = {path: path.read_bytes() for path in cache.rglob("*") if path.is_file()}
    off = _console(["--no-cache", str(project)], cache)
    assert "planted" not in off.stdout and off.returncode == 0, off.stdout + off.stderr
    assert {path: path.read_bytes() for path in cache.rglob("*") if path.is_file()} == before


# -- in one process: what the key and the noted reads cover -------------------------------------------
def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("samples", ".passerelle", "tests"))
    return target


def _validate(paths: list[Path], cache: Path, extra: list[Path] | None = None):
    """The report with the cache, the one without it, and the cache's counts."""
    results = ResultCache(cache, extra_connector_dirs(extra))
    report = validate_paths(paths, results=results, connector_dirs=extra)
    fresh = validate_paths(paths, connector_dirs=extra)
    assert report.diagnostics == fresh.diagnostics
    assert (report.projects, report.connectors) == (fresh.projects, fresh.connectors)
    return report, results.hits, results.misses


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PASSERELLE_CONNECTORS", raising=False)
    return _copy(tmp_path)


def _known(project: Path, cache: Path, extra: list[Path] | None = None):
    """Validate twice: the second run replays every outcome."""
    _validate([project], cache, extra)
    report, hits, misses = _validate([project], cache, extra)
    assert hits >= 1 and misses == 0
    return report


def _changed(project: Path, cache: Path, extra: list[Path] | None = None):
    report, hits, misses = _validate([project], cache, extra)
    assert hits == 0 and misses >= 1, "a stale outcome was replayed"
    return report


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_byte_of_a_spec_file(project, tmp_path):
    _known(project, tmp_path / "c")
    _edit(project / "orders_to_sage.yaml", "map:", "mapp:")
    assert _changed(project, tmp_path / "c").errors


def test_a_new_spec_file(project, tmp_path):
    _known(project, tmp_path / "c")
    (project / "more.yaml").write_text("flows:\n  f: {sourc: 1}\n", encoding="utf-8")
    assert _changed(project, tmp_path / "c").errors


def test_the_lookup_table_a_spec_names(project, tmp_path):
    assert not _known(project, tmp_path / "c").errors
    with open(project / "payments.csv", "a", encoding="utf-8") as out:
        out.write("ps_checkout,CB\nps_checkout,CB\n")  # a key twice
    assert any("same key" in d.message for d in _changed(project, tmp_path / "c").diagnostics)


def test_a_connector_definition_shipped_or_the_project_s_own(project, tmp_path):
    _known(project, tmp_path / "c")
    (project / "connectors").mkdir()
    own = project / "connectors" / "prestashop.yaml"
    own.write_text((SHIPPED / "prestashop.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    _changed(project, tmp_path / "c")  # another definition found by `use:`
    _known(project, tmp_path / "c")
    _edit(own, "name: prestashop", "name: prestashop2")
    assert any(d.code == "connector-name" for d in _changed(project, tmp_path / "c").diagnostics)


def test_a_connector_folder_named_by_option_or_by_the_environment(project, tmp_path, monkeypatch):
    extra = tmp_path / "extra"
    extra.mkdir()
    _known(project, tmp_path / "c")
    _changed(project, tmp_path / "c", [extra])  # --connectors DIR: another place `use:` looks
    (extra / "prestashop.yaml").write_text((SHIPPED / "prestashop.yaml").read_text(encoding="utf-8"),
                                           encoding="utf-8")
    _changed(project, tmp_path / "c", [extra])  # a definition there now
    _known(project, tmp_path / "c", [extra])
    _edit(extra / "prestashop.yaml", "name: prestashop", "name: other")
    _changed(project, tmp_path / "c", [extra])  # its bytes
    _known(project, tmp_path / "c")
    (tmp_path / "other").mkdir()
    monkeypatch.setenv("PASSERELLE_CONNECTORS", str(tmp_path / "other"))
    _changed(project, tmp_path / "c")  # PASSERELLE_CONNECTORS's value


def test_the_schemas_the_engine_the_libraries_and_the_working_directory(project, tmp_path, monkeypatch):
    schemas = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", schemas)
    engine = tmp_path / "engine"
    engine.mkdir()
    (engine / "module.py").write_text("x = 1\n")
    monkeypatch.setattr(resultcache, "schemas_dir", lambda: schemas)
    monkeypatch.setattr(resultcache, "_ENGINE", engine)
    _known(project, tmp_path / "c")
    with open(schemas / "project.schema.json", "a") as out:
        out.write(" ")
    _changed(project, tmp_path / "c")
    _known(project, tmp_path / "c")
    os.utime(engine / "module.py", ns=(1, 1))  # an engine module's date
    _changed(project, tmp_path / "c")
    _known(project, tmp_path / "c")
    monkeypatch.setattr(resultcache, "package_stamp", lambda name: f"{name} another version")
    _changed(project, tmp_path / "c")
    _known(project, tmp_path / "c")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # messages name files relative to it
    report = _changed(project, tmp_path / "c")
    assert all(not d.loc.file.startswith("project/") for d in report.diagnostics)


def test_where_a_link_leads(project, tmp_path):
    inside = project / "state"
    inside.mkdir()
    (project / "link").symlink_to(inside, target_is_directory=True)
    _edit(project / "endpoints.yaml", "project:\n", "project:\n  state_dir: link/here\n")
    assert not _known(project, tmp_path / "c").errors
    (project / "link").unlink()
    (project / "link").symlink_to(tmp_path, target_is_directory=True)  # now out of the project
    assert any(d.code == "outside-project" for d in _changed(project, tmp_path / "c").diagnostics)


def test_a_file_changed_while_it_was_validated_is_not_stored(project, tmp_path, monkeypatch):
    from engine.plan import compile as compiler

    real = compiler.compile_project

    def editing(*args, **kwargs):
        with open(project / "lookups.yaml", "a", encoding="utf-8") as out:
            out.write("# saved meanwhile\n")
        return real(*args, **kwargs)

    monkeypatch.setattr(compiler, "compile_project", editing)
    _validate([project], tmp_path / "c")
    assert not (tmp_path / "c" / "results-1").exists() or not list((tmp_path / "c" / "results-1").iterdir())


@pytest.mark.parametrize("damage", ["truncated", "flipped", "garbage", "empty", "other shape", "not a mapping"])
def test_a_damaged_entry_is_ignored_and_written_again(project, tmp_path, damage):
    _known(project, tmp_path / "c")
    [entry] = (tmp_path / "c" / "results-1").iterdir()
    blob = entry.read_bytes()
    if damage == "other shape":
        write_entry(entry, {key: ("diagnostics", 1, 0) for key in read_entry(entry)})
    elif damage == "not a mapping":
        write_entry(entry, [("diagnostics", 1, 0)])
    else:
        entry.write_bytes({"truncated": blob[: len(blob) // 2], "flipped": blob[:-1] + bytes([blob[-1] ^ 1]),
                           "garbage": b"\x00" * 100, "empty": b""}[damage])
    _changed(project, tmp_path / "c")
    assert entry.read_bytes() == blob  # written again, whole
    _known(project, tmp_path / "c")


def test_connector_files_given_on_their_own_are_units_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "defs" / "connectors"
    folder.mkdir(parents=True)
    shutil.copy(SHIPPED / "shopify.yaml", folder)
    assert _validate([tmp_path / "defs"], tmp_path / "c")[1:] == (0, 1)
    assert _validate([tmp_path / "defs"], tmp_path / "c")[1:] == (1, 0)
    _edit(folder / "shopify.yaml", "name: shopify", "name: shop")
    report, hits, misses = _validate([tmp_path / "defs"], tmp_path / "c")
    assert (hits, misses) == (0, 1) and any(d.code == "connector-name" for d in report.diagnostics)


def test_validate_reads_no_environment_value_but_the_one_in_the_key(monkeypatch):
    """The key holds PASSERELLE_CONNECTORS's value (and PYTHONTZPATH's, which zoneinfo reads); any
    other variable the engine read while validating could make a stored outcome stale: none is
    (``${env:NAME}`` references are checked as names)."""
    engine = str(ROOT / "engine")
    read: set[str] = set()

    class Watched(dict):
        def _note(self, name):
            caller = sys._getframe(2)
            if caller.f_code.co_filename.endswith(("os.py", "<frozen os>")) and caller.f_back:
                caller = caller.f_back  # os.getenv(NAME)
            if caller.f_code.co_filename.startswith(engine):  # the engine's reads only
                read.add(name)

        def __getitem__(self, name):
            self._note(name)
            return super().__getitem__(name)

        def get(self, name, default=None):
            self._note(name)
            return super().get(name, default)

        def __contains__(self, name):
            self._note(name)
            return super().__contains__(name)

    monkeypatch.setattr(os, "environ", Watched(os.environ))
    report = validate_paths([ROOT / "specs", ROOT / "tests" / "cases" / "invalid"])
    monkeypatch.undo()
    assert report.errors and report.projects > 20
    assert read == {"PASSERELLE_CONNECTORS"}, read
