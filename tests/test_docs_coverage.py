"""docs/coverage.md stays true: every shipped template is listed with every one of its flows, and every
test it names (a file of tests/runtime/, with `::test_…` where given) exists."""
from __future__ import annotations

import re

import yaml

from support import ROOT

DOC = (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8")
EXAMPLES = ROOT / "specs" / "examples"


def _flows(project) -> set[str]:
    names: set[str] = set()
    for path in project.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names |= set((data.get("flows") or {}).keys())
    return names


def test_every_template_is_listed_with_all_its_flows():
    rows = {m[1]: m[2] for m in re.finditer(r"^\| \[`([\w-]+)`\]\([^)]*\)[^|]*\|[^|]*\| (.*) \|$", DOC, re.M)}
    for project in sorted(p for p in EXAMPLES.iterdir() if p.is_dir()):
        assert project.name in rows, f"{project.name} is missing from docs/coverage.md"
        listed = set(re.findall(r"`(\w+)`", rows[project.name]))
        assert _flows(project) <= listed, (project.name, _flows(project) - listed)


def test_every_test_named_exists():
    named = re.findall(r"`?(test_\w+\.py)((?:::test_\w+)?)", DOC)
    assert len(named) > 10
    for file, test in named:
        path = ROOT / "tests" / "runtime" / file
        if not path.exists():
            path = ROOT / "tests" / "probes" / file
        assert path.exists(), file
        if test:
            assert f"def {test[2:]}(" in path.read_text(encoding="utf-8"), file + test
    for test in re.findall(r"`::(test_\w+)`", DOC):
        assert any(f"def {test}(" in p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("test_*.py")), test
