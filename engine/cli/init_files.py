"""The files ``passerelle init`` writes beside a template's own: ``.env.example``, the CI workflow, the
client project's README, and a first spec test when the template has none."""
from __future__ import annotations

from pathlib import Path

CI_PATH = Path(".github") / "workflows" / "passerelle.yml"
FIRST_TEST = Path("tests") / "first_test.yaml"


def env_example(variables, project_name: str) -> str:
    """Every variable the project needs, with what it is for as a comment, never a value."""
    lines = [f"# Environment of the Passerelle project {project_name!s}: every ${{env:…}} its specs name.",
             "# Copy to .env (never commit it), fill in the values, then export them before run, serve,",
             "# check or a live dry-run:  set -a; . ./.env; set +a",
             "# The shell reads this file: put a value holding ; & $ ` ( ) spaces or quotes between single quotes",
             "# (NAME='DRIVER={SQLite3};Database=/srv/sage.db'): unquoted, it stops at the first ; or space.",
             "# validate, test, docs and a dry-run from files need none of them."]
    if not variables:
        lines.append("# (this project names no environment variable)")
    for var in variables:
        lines.append("")
        for description in var.descriptions:
            lines.append(f"# {description}")
        lines.append(f"# used by {'; '.join(var.uses)}" + (" — a secret" if var.secret else ""))
        lines.append(f"{var.name}=")
    return "\n".join(lines) + "\n"


def ci_workflow(version: str) -> str:
    return f"""# GitHub Actions: every push and pull request validates the specs (errors shown as annotations on
# the lines at fault) and runs the spec unit tests (JUnit report kept as an artefact). Offline: no
# secret and no endpoint is needed.
name: passerelle
on:
  push:
  pull_request:
jobs:
  specs:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      # the version this project was made with; from your package index (or a wheel you publish)
      - name: install passerelle
        run: pip install "passerelle=={version}"
      - name: validate
        run: passerelle validate --format github .
      - name: spec tests
        run: passerelle test --format junit --output report.xml .
      - name: keep the test report
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: passerelle-tests
          path: report.xml
"""


def readme(template, project_name: str, variables) -> str:
    systems = ", ".join(f"`{endpoint}` ({use})" for endpoint, use in template.systems)
    flows = "\n".join(f"- **`{name}`** — {sentence or '(no description)'}" for name, sentence in template.flows)
    names = ", ".join(f"`{v.name}`" for v in variables) or "none"
    return f"""# {project_name}

A Passerelle client project, created with `passerelle init --template {template.name}`.

Systems: {systems}.

Flows:

{flows}

## Working on it

```sh
passerelle validate .            # every spec error at once, located
passerelle test .                # the spec unit tests in tests/ (offline)
passerelle docs . --out mapping  # the mapping document for the client (HTML and Markdown)
```

The endpoints take their addresses and credentials from the environment ({names}): copy
`.env.example` to `.env`, fill it in (never commit it) and export it (`set -a; . ./.env; set +a`)
before `passerelle check .`, `passerelle run .` or `passerelle serve .`. The run state is kept in
`.passerelle/` (not to be committed). CI: `.github/workflows/passerelle.yml` runs `validate` and
`test` on every push.
"""


def first_test(flow: str, key: object) -> str:
    """A test with one record and no expectation yet; ``init`` fills it with what the record gives
    (as ``passerelle test --update`` does): a first passing test to grow from."""
    field = key if isinstance(key, str) and key.replace("_", "").isalnum() else "id"
    return f"""# The first spec test of this project (docs: `passerelle test --help`, docs/testing.md in Passerelle).
# Its expectation was written by `passerelle init` from what the flow gives today: replace the record
# with a real one from the source system and check the payload by hand.
tests:
  - name: a first record through {flow}
    flow: {flow}
    input:
      - {{ {field}: 1 }}
"""
