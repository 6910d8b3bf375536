"""The shape of the code, checked like behaviour: import contracts (.importlinter), small modules, no
side effect when the package is imported, simulators kept apart from the product, types checked by mypy."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from support import ROOT

MAX_LINES = 400


def test_import_contracts_are_kept():
    """Layers import downwards only, no cycle anywhere, simulators import nothing from the engine."""
    from importlinter.api import read_configuration  # noqa: F401  (the tool is installed)

    # the project's venv, else the one running the tests (a worktree without its own .venv); the
    # module has no __main__ guard, so `python -m importlinter.cli` would print nothing
    lints = [ROOT / ".venv" / "bin" / "lint-imports", Path(sys.executable).parent / "lint-imports"]
    lint = next((path for path in lints if path.exists()), None)
    command = [str(lint)] if lint is not None else [
        sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())"]
    result = subprocess.run(command + ["--no-cache"], cwd=ROOT, capture_output=True, text=True,
                            env={"PYTHONPATH": f"{ROOT}:{ROOT / 'sandbox'}", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout, result.stdout


def test_no_module_is_over_400_lines():
    too_long = []
    for folder in (ROOT / "engine", ROOT / "sandbox" / "passerelle_sandbox"):
        for path in sorted(folder.rglob("*.py")):
            lines = path.read_text(encoding="utf-8").count("\n")
            if lines > MAX_LINES:
                too_long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not too_long, "split these modules:\n" + "\n".join(too_long)


def test_importing_the_package_loads_nothing_else():
    """`import engine` is cheap and has no side effect: the CLI, httpx and the simulators stay unloaded."""
    code = ("import sys, engine; print(sorted(m for m in sys.modules if m.startswith(('engine.', 'httpx', "
            "'passerelle_sandbox'))))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stdout


def test_validating_never_loads_the_transport_or_the_simulators():
    code = ("import sys; from pathlib import Path; from engine.plan.validate import validate_paths; "
            "report = validate_paths([Path('specs')]); assert report.errors == 0; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'httpx', 'pyodbc', 'passerelle_sandbox', "
            "'cryptography'}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", result.stdout


def test_the_product_package_holds_no_simulator():
    assert not (ROOT / "engine" / "sandbox").exists()
    hits = subprocess.run(["git", "grep", "-l", "passerelle_sandbox", "--", "engine"], cwd=ROOT,
                          capture_output=True, text=True).stdout.split()
    # only the two places that start the optional simulators (and say how to install them) name them
    assert sorted(hits) == ["engine/cli/demo.py", "engine/cli/main.py"], hits


@pytest.mark.slow
def test_the_engine_type_checks():
    """mypy over the engine (settings in pyproject.toml): no error."""
    result = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary", "--cache-dir",
                             str(ROOT / ".mypy_cache")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
