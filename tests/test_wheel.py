"""The product and the simulators as users get them: wheels built from the checkout, installed in a
new virtualenv outside it, with the locked versions of their dependencies (checked against their
hashes), run from a folder that is not the checkout.

The shipped data (JSON Schemas, connector definitions, the example project) is read through
``importlib.resources``; in git it lives once, in the top-level ``schemas/`` and ``specs/`` that
``engine/_data`` links to, so these tests are what proves the wheel carries it.
"""
from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from support import ROOT

pytestmark = pytest.mark.slow

LOCK = ROOT / "requirements" / "lock.txt"
EXAMPLE = "prestashop-sage100"
GOLDEN = ROOT / "tests" / "cases" / "dry_run" / "reference_example" / "expected" / "stdout.json"
# what a wheel is built from (the build writes build/ and *.egg-info next to it: not in the checkout)
SOURCES = ("engine", "schemas", "specs", "pyproject.toml", "README.md", "sandbox")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".pytest_cache")


def _run(argv, cwd: Path, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in argv], cwd=cwd, env=env or _clean_env(), capture_output=True,
                            text=True, timeout=600)
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, argv))} exited {result.returncode}\n--- stdout ---\n"
                    f"{result.stdout[-3000:]}\n--- stderr ---\n{result.stderr[-3000:]}")
    return result


def _clean_env() -> dict:
    """No trace of the checkout or of the venv running the tests."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "PYTHONSAFEPATH")
           and not k.startswith("PYTEST")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _build_wheels(tmp: Path) -> tuple[Path, Path]:
    """Build the product wheel and the sandbox wheel from a copy of the checkout's sources."""
    src, dist = tmp / "src", tmp / "dist"
    src.mkdir()
    for name in SOURCES:  # symlinks stay links (engine/_data -> ../../schemas, ../../specs)
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, src / name, symlinks=True, ignore=IGNORED)
        else:
            shutil.copy2(source, src / name)
    for project in (src, src / "sandbox"):
        _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", dist, project], cwd=tmp)
    product, = dist.glob("passerelle-*.whl")
    sandbox, = dist.glob("passerelle_sandbox-*.whl")
    return product, sandbox


def _requires(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(name).decode("utf-8"))
    return metadata.get_all("Requires-Dist") or []


def _runtime_closure(requirements: list[str]) -> set[str]:
    """Names of the distributions these requirements need at run time (no extras), following the
    dependencies of what the running environment has installed."""
    seen: set[str] = set()
    todo = list(requirements)
    while todo:
        requirement = Requirement(todo.pop())
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        try:
            todo.extend(importlib.metadata.distribution(name).requires or [])
        except importlib.metadata.PackageNotFoundError:
            pass
    return seen


def _lock_subset(names: set[str], direct: set[str], target: Path) -> Path:
    """The lock's entries (version and hashes) for ``names``. A direct requirement must be locked;
    a transitive one the running environment's newer versions need may not be (`make test-latest`):
    `pip check` in the new venv then tells whether the locked versions have all they need."""
    blocks: dict[str, str] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", LOCK.read_text(encoding="utf-8")):
        found = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==", block)
        if found:
            blocks[canonicalize_name(found.group(1))] = block.rstrip("\n")
    missing = sorted(direct - blocks.keys())
    assert not missing, f"dependencies missing from {LOCK.name}: {missing} (run `make lock`)"
    target.write_text("\n".join(blocks[name] for name in sorted(names & blocks.keys())) + "\n",
                      encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> tuple[Path, Path]:
    return _build_wheels(tmp_path_factory.mktemp("wheels"))


def test_the_product_wheel_carries_the_data_and_not_the_simulators(wheels):
    product, sandbox = wheels
    with zipfile.ZipFile(product) as archive:
        names = set(archive.namelist())
    data = "engine/_data/"
    expected = {data + "schemas/" + p.name for p in (ROOT / "schemas").glob("*.json")}
    expected |= {data + "specs/connectors/" + p.name for p in (ROOT / "specs" / "connectors").glob("*.yaml")}
    expected |= {data + "specs/examples/" + p.relative_to(ROOT / "specs" / "examples").as_posix()
                 for p in (ROOT / "specs" / "examples").rglob("*") if p.is_file()}
    assert len(expected) > 20 and "engine/_data/schemas/project.schema.json" in expected
    assert expected <= names, sorted(expected - names)
    assert "engine/cli/main.py" in names and "engine/util/resources.py" in names
    assert "engine/mapdoc/style.css" in names  # inlined in the HTML mapping document (passerelle docs)
    assert {"engine/web/dashboard.css", "engine/web/dashboard.js"} <= names  # served by the operator dashboard
    assert not [n for n in names if n.startswith("passerelle_sandbox")]
    with zipfile.ZipFile(sandbox) as archive:
        assert "passerelle_sandbox/cli.py" in archive.namelist()
        assert not [n for n in archive.namelist() if n.startswith("engine/")]


def test_installed_wheels_work_outside_the_checkout(wheels, tmp_path):
    product, sandbox = wheels
    venv, elsewhere = tmp_path / "venv", tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert ROOT not in tmp_path.parents
    _run([sys.executable, "-m", "venv", venv], cwd=elsewhere)
    py, bin_ = venv / "bin" / "python", venv / "bin"

    # the locked versions of what the two wheels need at run time, nothing else, hashes checked
    requires = _requires(product) + _requires(sandbox)
    needed = _runtime_closure(requires)
    assert {"pyyaml", "jsonschema", "lxml", "httpx", "tzdata"} <= needed
    direct = {canonicalize_name(Requirement(r).name) for r in requires if "extra ==" not in r}
    subset = _lock_subset(needed, direct, tmp_path / "runtime-lock.txt")
    _run([py, "-m", "pip", "install", "--quiet", "--require-hashes", "--no-deps", "-r", subset], cwd=elsewhere)

    # the product alone: the sandbox command says how to get the simulators
    _run([py, "-m", "pip", "install", "--quiet", "--no-deps", product], cwd=elsewhere)
    _run([py, "-m", "pip", "check"], cwd=elsewhere)
    alone = _run([bin_ / "passerelle", "sandbox", "--help"], cwd=elsewhere, check=False)
    assert alone.returncode == 1, alone
    assert "pip install" in alone.stderr and "sandbox" in alone.stderr
    assert "Traceback" not in alone.stderr + alone.stdout

    # then the simulators too
    _run([py, "-m", "pip", "install", "--quiet", "--no-deps", sandbox], cwd=elsewhere)
    _run([py, "-m", "pip", "check"], cwd=elsewhere)
    where = _run([py, "-c", "import engine, passerelle_sandbox; from engine.util.resources import examples_dir; "
                  "print(engine.__file__); print(passerelle_sandbox.__file__); print(examples_dir())"],
                 cwd=elsewhere).stdout.splitlines()
    for path in where:
        assert Path(path).is_relative_to(venv) and not Path(path).is_relative_to(ROOT), where
    example = Path(where[2]) / EXAMPLE
    assert (example / "orders_to_sage.yaml").is_file()

    validated = _run([bin_ / "passerelle", "validate", example], cwd=elsewhere)
    assert "error" not in validated.stdout.lower(), validated.stdout

    inputs = sorted((example / "samples").glob("*.xml"))
    assert len(inputs) == 5
    argv = [bin_ / "passerelle", "dry-run", example, "--flow", "orders_to_sage", "--format", "json"]
    for item in inputs:
        argv += ["--input", item]
    dry = _run(argv, cwd=elsewhere, check=False)
    assert dry.returncode == 3, dry  # order 1047: a tax rate missing from the strict table
    assert "record 1047" in dry.stderr and "5 mapped" in dry.stderr and "1 failed" in dry.stderr, dry.stderr
    payloads = json.loads(dry.stdout)
    assert [p["doc"]["Reference"] for p in payloads] == ["PS_1042", "PS_1043", "PS_1044", "PS_1045", "PS_1046"]
    assert payloads == json.loads(GOLDEN.read_text(encoding="utf-8"))  # what the checkout gives

    helped = _run([bin_ / "passerelle", "sandbox", "--help"], cwd=elsewhere)
    assert "--systems" in helped.stdout
