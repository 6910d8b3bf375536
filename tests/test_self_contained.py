"""Nothing in the repository points at files outside it: no tracked text file cites the working notes
that were kept next to the repository (vendor research, design notes). A fact taken from them is stated
where it is used, or credited to its public source (vendor documentation, RFC, product sources)."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from support import ROOT

# Names of the outside notes, spelt in pieces so that this file does not cite them itself.
OUTSIDE_NOTES = ("sage", "sage-catalogue-payments", "shops", "shops-catalogue", "shops-orders-webhooks",
                 "engines", "design")
CITATION = re.compile(r"(?<![\w.-])(" + "|".join(re.escape(n) for n in OUTSIDE_NOTES) + r")\.md\b"
                      r"|shared/" r"reference")


def _tracked_files() -> list[str]:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    result = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True)
    if result.returncode != 0:
        pytest.skip("not a git checkout")
    return [name for name in result.stdout.decode("utf-8").split("\0") if name]


def _citations(text: str, tracked_names: set[str]) -> list[str]:
    """The outside notes ``text`` cites; a note the repository holds itself is not outside."""
    found = []
    for match in CITATION.finditer(text):
        if match.group(1) is None or match.group(0) not in tracked_names:
            found.append(match.group(0))
    return found


def test_the_citation_pattern_catches_the_outside_notes():
    sage, catalogue, folder = "sage" + ".md", "shops-catalogue" + ".md", "shared/" + "reference"
    assert _citations(f"amounts follow {sage} §1b", set()) == [sage]
    assert _citations(f"({catalogue} §3.1), ../notes/{sage}", set()) == [catalogue, sage]
    assert _citations(f"see /work/{folder}/x", set()) == [folder]
    design = "design" + ".md"
    assert _citations(f"docs/spec-language.md §9.12, sage100.md, re{design}", set()) == []
    assert _citations(f"see docs/{design}", {design}) == []


def test_no_tracked_file_cites_notes_outside_the_repository():
    files = _tracked_files()
    tracked_names = {name.rsplit("/", 1)[-1] for name in files}
    offending = []
    for name in files:
        path = ROOT / name
        if not path.is_file():  # deleted in the working tree, or a submodule
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:  # binary
            continue
        text = data.decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            for cited in _citations(line, tracked_names):
                offending.append(f"{name}:{number}: {cited}: {line.strip()[:100]}")
    assert not offending, ("state the fact or name its public source instead of citing an outside note:\n"
                           + "\n".join(offending))
