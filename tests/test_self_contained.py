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


SECTION = "\u00a7"  # the section sign, spelt so that this file's examples do not trip its own check
# A section number is only meaningful after the name of what it numbers: a public standard (RFC 5849 ...)
# or one of the repository's own documents (docs/spec-language.md, spec-language, docs). Files under
# docs/ may number their own sections.
SECTION_NUMBER = re.compile(SECTION + r"\d[\w.]*")
SECTION_OWNER = re.compile(r"\b(?:RFC|BCP|STD|ISO|IEC|ECMA)[ -]?\d+|(?<![\w.-])(?:docs|spec-language)\b")


def _dangling_sections(line: str) -> list[str]:
    """The section numbers of ``line`` that follow neither a standard's name nor an in-repo document."""
    return [match.group(0).rstrip(".") for match in SECTION_NUMBER.finditer(line)
            if not SECTION_OWNER.search(line, 0, match.start())]


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
    assert _citations(f"amounts follow {sage} {SECTION}1b", set()) == [sage]
    assert _citations(f"({catalogue} {SECTION}3.1), ../notes/{sage}", set()) == [catalogue, sage]
    assert _citations(f"see /work/{folder}/x", set()) == [folder]
    design = "design" + ".md"
    assert _citations(f"docs/spec-language.md §9.12, sage100.md, re{design}", set()) == []
    assert _citations(f"see docs/{design}", {design}) == []


def test_the_section_pattern_wants_an_owner():
    s = SECTION
    assert _dangling_sections(f"answers 404 ({s}4.5).") == [f"{s}4.5"]
    assert _dangling_sections(f"REST ({s}3.2, {s}3.7), paging ({s}2b)") == [f"{s}3.2", f"{s}3.7", f"{s}2b"]
    assert _dangling_sections(f"base string (RFC 5849 {s}3.4.1): see also {s}3.6") == []
    assert _dangling_sections(f"see `docs/spec-language.md` {s}7 and {s}10, spec-language {s}9, docs {s}7") == []
    assert _dangling_sections(f"[spec-language.md {s}9.12], ISO 8601 {s}4.1") == []
    assert _dangling_sections(f"{s}4.2 as in RFC 5849") == [f"{s}4.2"]
    assert _dangling_sections(f"mydocs {s}1, x.docs {s}2, {s}x") == [f"{s}1", f"{s}2"]


def _text_lines(files: list[str]):
    """(name, line number, line) of every tracked text file present in the working tree."""
    for name in files:
        path = ROOT / name
        if not path.is_file():  # deleted in the working tree, or a submodule
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:  # binary
            continue
        for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
            yield name, number, line


def test_no_tracked_file_cites_notes_outside_the_repository():
    files = _tracked_files()
    tracked_names = {name.rsplit("/", 1)[-1] for name in files}
    offending = [f"{name}:{number}: {cited}: {line.strip()[:100]}" for name, number, line in _text_lines(files)
                 for cited in _citations(line, tracked_names)]
    assert not offending, ("state the fact or name its public source instead of citing an outside note:\n"
                           + "\n".join(offending))


def test_every_section_number_names_what_it_numbers():
    offending = [f"{name}:{number}: {line.strip()[:100]}" for name, number, line in _text_lines(_tracked_files())
                 if not name.startswith("docs/") and _dangling_sections(line)]
    assert not offending, ("a section number must follow the standard (RFC 5849 ...) or the in-repo document "
                           "(docs/spec-language.md ...) it numbers:\n" + "\n".join(offending))
