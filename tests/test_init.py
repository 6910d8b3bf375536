"""``passerelle init``: every shipped template gives a project that validates and whose tests pass at
once; ``.env.example`` names exactly the variables the project needs; the CI workflow parses and runs
both commands; the errors (unknown template, folder not empty, usage)."""
from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from support import ROOT, run_cli

EXAMPLES = ROOT / "specs" / "examples"
TEMPLATES = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())


def test_the_templates_are_the_shipped_examples():
    from engine.project.templates import template_names
    from engine.util.resources import examples_dir

    assert template_names(examples_dir()) == TEMPLATES and len(TEMPLATES) >= 4


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_inits_validates_and_passes_its_tests(tmp_path, name):
    target = tmp_path / "client"
    code, out, err = run_cli(["init", str(target), "--template", name, "--name", "Client X"], tmp_path)
    assert code == 0, err
    assert f"from the template {name}" in out
    assert not (target / ".passerelle").exists()
    assert not list(target.rglob("__pycache__"))
    code, out, err = run_cli(["validate", "--strict", str(target)], tmp_path)
    assert code == 0, out + err
    code, out, err = run_cli(["test", "--format", "junit", str(target)], tmp_path)
    assert code == 0, out + err
    suites = ET.fromstring(out)
    cases = suites.findall(".//testcase")
    assert cases and not suites.findall(".//failure") and not suites.findall(".//error")
    # the project's own files are the template's, its name set
    for spec in (EXAMPLES / name).glob("*.yaml"):
        assert (target / spec.name).is_file()
    from engine.project.load import load_project

    assert load_project(target).settings["name"] == "Client X"


def _declared(text: str) -> list[str]:
    return re.findall(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", text, re.M)


@pytest.mark.parametrize("name", TEMPLATES)
def test_env_example_names_exactly_what_the_endpoints_ask_for(tmp_path, name):
    from engine.plan.load import load_plan
    from engine.runtime.endpoints import ConfigError, resolve_settings

    target = tmp_path / "client"
    assert run_cli(["init", str(target), "--template", name], tmp_path)[0] == 0
    text = (target / ".env.example").read_text(encoding="utf-8")
    declared = _declared(text)
    assert all(value == "" for _, value in declared), "never a value"
    names = [n for n, _ in declared]
    assert len(names) == len(set(names))
    # what opening each endpoint asks for, one missing variable at a time (as run/check would say)
    plan = load_plan(target)
    asked: set[str] = set()
    for endpoint in plan.endpoints:
        environ: dict[str, str] = {}
        while True:
            try:
                resolve_settings(plan, endpoint, environ)
                break
            except ConfigError as exc:
                missing = re.search(r"environment variable (\w+) is not set", str(exc)).group(1)
                asked.add(missing)
                environ[missing] = "x"
    assert set(names) - {"PASSERELLE_STATE_KEY"} == asked
    # and every ${env:} written anywhere in the project's specs (an independent reading)
    written = {m for p in target.glob("*.yaml") for m in re.findall(r"\$\{env:(\w+)\}", _no_comments(p))}
    assert set(names) - {"PASSERELLE_STATE_KEY"} == written
    # the run state's key, where an endpoint rotates refresh tokens (`run` and `check` stop without it)
    rotating = any(e.connector.source.get("http", {}).get("auth", {}).get("style") == "oauth2_refresh"
                   for e in plan.endpoints.values())
    assert ("PASSERELLE_STATE_KEY" in names) == rotating
    # each with what it is for (the connector's description), above it
    for var in names:
        block = text.split(f"\n{var}=")[0].rsplit("\n\n", 1)[-1]
        assert "# used by endpoint" in block and block.count("#") >= 2, block


def _no_comments(path: Path) -> str:
    return "\n".join(line.split(" #")[0] for line in path.read_text(encoding="utf-8").splitlines()
                     if not line.lstrip().startswith("#"))


def test_the_ci_workflow_parses_and_runs_validate_and_test(tmp_path):
    target = tmp_path / "client"
    assert run_cli(["init", str(target), "--template", "prestashop-sage100"], tmp_path)[0] == 0
    workflow = yaml.safe_load((target / ".github" / "workflows" / "passerelle.yml").read_text(encoding="utf-8"))
    assert {"push", "pull_request"} <= set(workflow[True] if True in workflow else workflow["on"])
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    runs = [step["run"] for step in steps if "run" in step]
    assert any(r.startswith("pip install") and "passerelle" in r for r in runs)
    assert "passerelle validate --format github ." in runs
    assert "passerelle test --format junit --output report.xml ." in runs
    assert runs.index("passerelle validate --format github .") < runs.index(
        "passerelle test --format junit --output report.xml .")
    # the commands it names work as written, from the project's folder
    assert run_cli(["validate", "--format", "github", "."], target)[0] == 0
    code, _, err = run_cli(["test", "--format", "junit", "--output", "report.xml", "."], target)
    assert code == 0, err
    assert ET.parse(target / "report.xml").getroot().findall(".//testcase")
    readme = (target / "README.md").read_text(encoding="utf-8")
    assert "prestashop-sage100" in readme and "orders_to_sage" in readme and ".env.example" in readme
    assert ".env" in (target / ".gitignore").read_text(encoding="utf-8").split()


def test_list_shows_each_template_with_its_systems_and_flows(tmp_path):
    code, out, _ = run_cli(["init", "--list"], tmp_path)
    assert code == 0
    for name in TEMPLATES:
        assert re.search(rf"^{re.escape(name)} — ", out, re.M)
    assert "shop (prestashop), sage (sage100-ws)" in out
    assert re.search(r"^    orders_to_sage +Paid PrestaShop orders become Sage 100 sales orders", out, re.M)
    assert "erp (gs-auftrag)" in out


def test_unknown_template_says_did_you_mean_and_lists_them(tmp_path):
    code, out, err = run_cli(["init", str(tmp_path / "c"), "--template", "prestashop-sage10"], tmp_path)
    assert code == 1 and out == ""
    assert "unknown template 'prestashop-sage10'; did you mean 'prestashop-sage100'?" in err
    assert all(name in err for name in TEMPLATES) and "Traceback" not in err
    assert not (tmp_path / "c").exists()


def test_a_folder_not_empty_is_refused_unless_force(tmp_path):
    target = tmp_path / "c"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    code, _, err = run_cli(["init", str(target), "--template", "shop-gsauftrag"], tmp_path)
    assert code == 1 and "is not empty" in err and "--force" in err
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    code, _, err = run_cli(["init", str(target), "--template", "shop-gsauftrag", "--force"], tmp_path)
    assert code == 0, err
    assert (target / "notes.txt").read_text(encoding="utf-8") == "mine" and (target / "endpoints.yaml").is_file()
    # an empty folder is fine
    (tmp_path / "empty").mkdir()
    assert run_cli(["init", str(tmp_path / "empty"), "--template", "shop-gsauftrag"], tmp_path)[0] == 0


def test_usage_errors(tmp_path):
    code, _, err = run_cli(["init", str(tmp_path / "c")], tmp_path)
    assert code == 2 and "--template" in err and "prestashop-sage100" in err
    (tmp_path / "file").write_text("x", encoding="utf-8")
    code, _, err = run_cli(["init", str(tmp_path / "file"), "--template", "shop-gsauftrag"], tmp_path)
    assert code == 1 and "not a folder" in err


def test_a_template_without_tests_gets_a_first_passing_test(tmp_path):
    from engine.cli.init_command import create_project

    root = tmp_path / "templates"
    shutil.copytree(EXAMPLES / "prestashop-sage100", root / "bare", ignore=shutil.ignore_patterns("tests"))
    created = create_project(tmp_path / "client", "bare", root)
    assert created.first_test
    text = (tmp_path / "client" / "tests" / "first_test.yaml").read_text(encoding="utf-8")
    assert "flow: orders_to_sage" in text and "expect:" in text
    code, _, err = run_cli(["test", str(tmp_path / "client")], tmp_path)
    assert code == 0, err


def test_name_is_set_keeping_comments_or_added(tmp_path):
    from engine.project.templates import set_project_name

    (tmp_path / "endpoints.yaml").write_text(
        "# head\nproject:\n  name: Old  # the client\n  state_dir: st\nendpoints: {}\n", encoding="utf-8")
    set_project_name(tmp_path, "Client: yes")
    text = (tmp_path / "endpoints.yaml").read_text(encoding="utf-8")
    assert text == '# head\nproject:\n  name: "Client: yes"  # the client\n  state_dir: st\nendpoints: {}\n'
    (tmp_path / "endpoints.yaml").write_text("# head\nendpoints: {}\n", encoding="utf-8")
    set_project_name(tmp_path, "X")
    assert yaml.safe_load((tmp_path / "endpoints.yaml").read_text(encoding="utf-8"))["project"] == {"name": "X"}


def test_the_editor_modelines_point_at_the_projects_copy_of_the_schemas(tmp_path):
    """A template's `# yaml-language-server: $schema=../../../schemas/…` leads nowhere from the client's
    folder, and a path into one machine's installation leads nowhere on a colleague's machine or in CI:
    init copies the installed schemas into the project (`.schemas/`) and points each modeline at them by
    a path relative to the file, so the project works for the editor wherever it is cloned."""
    from engine.util.resources import schemas_dir

    target = tmp_path / "client"
    code, _, err = run_cli(["init", str(target), "--template", "prestashop-sage100"], tmp_path)
    assert code == 0, err
    moved = tmp_path / "elsewhere" / "clone"
    shutil.copytree(target, moved)  # as a colleague's clone would be
    shutil.rmtree(target)
    files = sorted(p for p in moved.rglob("*.yaml") if ".github" not in p.parts)
    lines = {p: p.read_text(encoding="utf-8").splitlines()[0] for p in files}
    assert any(p.parent.name == "tests" for p in lines)  # spec tests too, one folder down
    for path, line in lines.items():
        assert line.startswith("# yaml-language-server: $schema="), path
        pointed = line.split("$schema=", 1)[1]
        assert not Path(pointed).is_absolute(), line
        schema = (path.parent / pointed).resolve()
        assert schema.parent == (moved / ".schemas").resolve(), line
        assert schema.read_bytes() == (schemas_dir() / schema.name).read_bytes(), line
    copied = sorted(p.name for p in (moved / ".schemas").iterdir())
    assert copied == sorted(p.name for p in schemas_dir().glob("*.schema.json"))  # they refer to each other
    code, out, err = run_cli(["validate", str(moved)], tmp_path)
    assert code == 0, out + err


def test_env_example_says_to_quote_a_connection_string_the_shell_would_cut(tmp_path):
    """sage100sql templates: `ACME_SAGE_ODBC=DRIVER={SQLite3};Database=…` unquoted in .env, exported with
    the `set -a; . ./.env; set +a` the file tells to use, gave the connector `DRIVER={SQLite3}` alone: SQLite
    opened an empty database and `check` said "no such table: F_FAMILLE". The file now says to quote."""
    import subprocess

    target = tmp_path / "client"
    assert run_cli(["init", str(target), "--template", "sage100sql-prestashop"], tmp_path)[0] == 0
    text = (target / ".env.example").read_text(encoding="utf-8")
    (advice,) = [line for line in text.splitlines() if "single quotes" in line]
    example = re.search(r"\((NAME='[^']*')\)", text)[1]
    assert ";" in advice and ";" in example
    value = example.split("=", 1)[1].strip("'")
    for line, expected in ((example, value), (example.replace("'", ""), value.split(";")[0])):
        (target / ".env").write_text(line + "\n", encoding="utf-8")
        shell = subprocess.run(["sh", "-c", 'set -a; . ./.env; set +a; printf %s "$NAME"'], cwd=target,
                               capture_output=True, text=True)
        assert shell.stdout == expected, (line, shell.stdout, shell.stderr)
