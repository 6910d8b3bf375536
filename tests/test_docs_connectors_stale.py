"""The statements of the docs that go stale as connectors, simulators and options are added (issue 12
item 5: the docs listed 2 of the shipped connectors, said the sandbox starts PrestaShop and Sage 100
while it offers 7 systems, and did not document `--state` for `failures`/`replay`): each is checked
against what is shipped, so the next connector, simulator or option added makes a test fail."""
from __future__ import annotations

import re

import pytest

from support import ROOT

from engine.cli.main import _parser
from engine.schema.connectors_doc import shipped_plans

NUMBERS = {2: "Two", 3: "Three", 4: "Four", 5: "Five", 6: "Six", 7: "Seven", 8: "Eight", 9: "Nine", 10: "Ten",
           11: "Eleven", 12: "Twelve"}
SPEC = (ROOT / "docs" / "spec-language.md").read_text(encoding="utf-8")
RUNTIME = (ROOT / "docs" / "runtime.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
SHIPPED = sorted(plan.name for plan in shipped_plans())


def _paragraph(text: str, start: str) -> str:
    at = text.index(start)
    return text[at:text.find("\n\n", at)]


def test_the_spec_language_names_every_shipped_connector():
    found = re.search(r"^\w+ connectors are shipped:", SPEC, re.M)
    assert found, "docs/spec-language.md no longer says which connectors are shipped"
    paragraph = _paragraph(SPEC, found[0])
    assert paragraph.startswith(f"{NUMBERS[len(SHIPPED)]} connectors are shipped:"), paragraph
    named = set(re.findall(r"`([a-z0-9-]+)`", paragraph.split("[connectors.md]")[0]))
    assert named == set(SHIPPED), sorted(set(SHIPPED) ^ named)


def test_the_readme_counts_the_shipped_connectors():
    assert f"the {len(SHIPPED)} shipped connectors" in README


def test_the_sandbox_is_described_with_every_system_it_offers():
    from passerelle_sandbox import SIMULATORS, SYSTEMS

    bullet = _paragraph(SPEC, "* `passerelle sandbox")
    assert f"{NUMBERS[len(SIMULATORS)]} systems are offered" in bullet
    assert all(f"`{name}`" in bullet for name in SIMULATORS), bullet
    assert " and ".join(f"`{s}`" for s in SYSTEMS) in bullet  # the default
    assert "sage100-sql" in bullet
    row = next(line for line in README.splitlines() if line.startswith("| `passerelle sandbox"))
    assert f"{len(SIMULATORS)} systems offered: {', '.join(SIMULATORS)}" in row


def _options(command: str) -> set[str]:
    parser = _parser(command)
    sub = next(a for a in parser._actions if a.dest == "command")
    return {option for action in sub.choices[command]._actions for option in action.option_strings
            if option not in ("-h", "--help")}


@pytest.mark.parametrize("command", ("run", "serve", "reload", "failures", "replay", "check"))
def test_the_runtime_table_documents_every_option(command):
    row = next(line for line in RUNTIME.splitlines() if line.startswith(f"| `passerelle {command} PROJECT"))
    usage = row.split("` |")[0]
    missing = sorted(option for option in _options(command) if f"[{option}" not in usage)
    assert not missing, f"docs/runtime.md, `passerelle {command}`: undocumented {missing}"


def test_state_is_documented_for_failures_and_replay():
    for command in ("failures", "replay"):
        assert "--state" in _options(command)
        row = next(line for line in README.splitlines() if f"`passerelle {command} PROJECT" in line)
        assert f"`passerelle {command} PROJECT" in row and "--state DIR" in row.split(f"passerelle {command}")[1]
    assert "**`--state DIR`**" in RUNTIME and "give them the same `--state`" in RUNTIME
