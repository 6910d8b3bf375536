"""docs/testing.md is tested: its complete example is written into an empty folder and run.

Markers (HTML comments, invisible once rendered) on the line before a fenced block:

* ``<!-- testing: project PATH -->`` / ``<!-- testing: file PATH -->``: the block is written at ``PATH``
  in the example's folder (a project file, a test file, a data file beside it);
* ``<!-- testing: file PATH replace "OLD" "NEW" -->`` (no block of its own): ``OLD`` is replaced once
  by ``NEW`` in that file, as a consultant would change an expectation;
* ``<!-- testing: output exit N -->`` before a ```text block: ``passerelle test .`` run in the folder
  exits ``N`` and prints every line of the block (the timing ``(N ms)`` of a passing test left out).
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

from support import ROOT, run_cli

DOC = ROOT / "docs" / "testing.md"
_MARKER = re.compile(r"<!--\s*testing:\s*(.*?)\s*-->\s*\Z")


def _blocks(text: str):
    lines = text.splitlines()
    for index, line in enumerate(lines):
        found = _MARKER.match(line)
        if found is None:
            continue
        words = shlex.split(found.group(1))
        body = None
        if index + 1 < len(lines) and lines[index + 1].startswith("```"):
            end = next(i for i in range(index + 2, len(lines)) if lines[i].startswith("```"))
            body = "\n".join(lines[index + 2:end]) + "\n"
        yield index + 1, words, body


def test_the_complete_example_of_docs_testing_runs(tmp_path):
    runs = 0
    for line, words, body in _blocks(DOC.read_text(encoding="utf-8")):
        if words[0] in ("project", "file") and len(words) == 2:
            target = tmp_path / words[1]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body, encoding="utf-8")
        elif words[0] == "file" and words[2] == "replace":
            target = tmp_path / words[1]
            text = target.read_text(encoding="utf-8")
            assert words[3] in text, f"docs/testing.md:{line}: {words[3]!r} is not in {words[1]}"
            target.write_text(text.replace(words[3], words[4], 1), encoding="utf-8")
        elif words[0] == "output":
            code, out, err = run_cli(["test", "."], tmp_path)
            printed = [re.sub(r" \(\d+ ms\)$", "", text) for text in out.splitlines()]
            assert code == int(words[2]), f"docs/testing.md:{line}: exit {code}\n{out}{err}"
            for expected in filter(None, body.splitlines()):
                assert expected in printed, f"docs/testing.md:{line}: not printed: {expected}\n{out}{err}"
            runs += 1
        else:
            raise AssertionError(f"docs/testing.md:{line}: unknown marker {words}")
    assert runs == 2
    assert not (tmp_path / ".passerelle").exists()


def test_the_schema_describes_every_key():
    import json

    schema = json.loads((ROOT / "schemas" / "spectest.schema.json").read_text(encoding="utf-8"))
    missing = []

    def visit(node, path):
        if isinstance(node, dict):
            for key, value in node.get("properties", {}).items():
                if isinstance(value, dict) and "description" not in value and "$ref" not in value:
                    missing.append(f"{path}.{key}")
            for key, value in node.items():
                visit(value, f"{path}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                visit(value, f"{path}[{index}]")

    visit(schema, "")
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema" and missing == []


def test_the_command_is_in_the_readme():
    assert "passerelle test" in (ROOT / "README.md").read_text(encoding="utf-8")
