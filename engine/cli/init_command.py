"""``passerelle init DIR --template NAME [--name "Client X"] [--force]`` creates a client project from a
shipped template (each example of ``specs/examples/`` is one); ``passerelle init --list`` lists them with
their systems and flows.

The project gets the template's files (no run state, no caches), ``.env.example`` naming every
``${env:…}`` the compiled project needs (with the setting's description, never a value), ``tests/`` with
the template's spec tests (or a first passing one), ``.github/workflows/passerelle.yml`` running
``validate --format github`` and ``test --format junit``, ``.schemas/`` (the installed JSON Schemas,
which each file's editor modeline points at by a relative path), and a short README. Exit 0; 1 when the
template is unknown, the folder is not empty (without ``--force``) or the result does not validate.
"""
from __future__ import annotations

import sys
from pathlib import Path

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def add_parser(sub) -> None:
    p = sub.add_parser("init", help="create a client project from a shipped template (--list shows them)")
    p.add_argument("dir", type=Path, nargs="?", metavar="DIR", help="the new project's folder (new or empty)")
    p.add_argument("--template", "-t", metavar="NAME", help="the template (see --list)")
    p.add_argument("--list", action="store_true", help="list the templates with their systems and flows")
    p.add_argument("--name", metavar="TEXT", help="the project's name (project.name), e.g. \"Client X\"")
    p.add_argument("--force", action="store_true",
                   help="write into a folder that is not empty (files of the same name are replaced)")


def cmd_init(args) -> int:
    from engine.util.resources import examples_dir

    root = examples_dir()
    if args.list:
        print(list_text(root))
        return EXIT_OK
    if args.dir is None or not args.template:
        from engine.project.templates import template_names

        print("usage: passerelle init DIR --template NAME [--name TEXT] [--force]  (or: passerelle init "
              f"--list)\n  templates: {', '.join(template_names(root))}", file=sys.stderr)
        return EXIT_USAGE
    created = create_project(args.dir, args.template, root, name=args.name, force=args.force)
    print(created.summary())
    return EXIT_OK


def list_text(root: Path) -> str:
    from engine.project.templates import describe, template_names

    blocks = []
    for name in template_names(root):
        template = describe(root / name)
        systems = ", ".join(f"{endpoint} ({use})" for endpoint, use in template.systems)
        lines = [f"{name} — {template.title}", f"  systems: {systems}", "  flows:"]
        width = max((len(flow) for flow, _ in template.flows), default=0)
        lines += [f"    {flow.ljust(width)}  {sentence}".rstrip() for flow, sentence in template.flows]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n\nCreate a project: passerelle init DIR --template NAME [--name \"Client X\"]"


class Created:
    def __init__(self, target: Path, template, variables, first_test: bool):
        self.target, self.template, self.variables, self.first_test = target, template, variables, first_test

    def summary(self) -> str:
        from shlex import quote  # the next step as a command that works pasted, whatever the folder's name

        t = self.target
        names = ", ".join(v.name for v in self.variables) or "none"
        tests = "a first test (tests/first_test.yaml)" if self.first_test else "the template's spec tests"
        return (f"created {t} from the template {self.template.name} ({len(self.template.flows)} flow(s))\n"
                f"  .env.example   the environment variables to set: {names}\n"
                f"  tests/         {tests}\n"
                f"  .schemas/      the spec language's JSON Schemas, for your editor's completion (see docs)\n"
                f"  .github/workflows/passerelle.yml  CI: validate --format github, test --format junit\n"
                f"next: passerelle validate {quote(str(t))} && passerelle test {quote(str(t))}")


def create_project(target: Path, template_name: str, root: Path, name: str | None = None,
                   force: bool = False) -> Created:
    from engine import __version__
    from engine.cli import init_files
    from engine.plan.envvars import env_variables
    from engine.plan.load import load_plan
    from engine.project.templates import check_target, copy_template, find_template, set_project_name

    template = find_template(template_name, root)
    check_target(target, force)
    copy_template(template, target)
    readme = target / "README.md"
    if readme.is_file():  # the template's own notes stay, beside the client project's README
        readme.replace(target / "TEMPLATE.md")
    if name:
        set_project_name(target, name)
    plan = load_plan(target)  # the copy as compiled: what the project really names
    variables = env_variables(plan)
    title = str(plan.settings.get("name") or target.name)
    (target / ".env.example").write_text(init_files.env_example(variables, title), encoding="utf-8")
    ci = target / init_files.CI_PATH
    ci.parent.mkdir(parents=True, exist_ok=True)
    ci.write_text(init_files.ci_workflow(__version__), encoding="utf-8")
    text = init_files.readme(template, title, variables)
    if (target / "TEMPLATE.md").is_file():
        text += "\nThe template's own notes: [TEMPLATE.md](TEMPLATE.md).\n"
    readme.write_text(text, encoding="utf-8")
    ignore = target / ".gitignore"
    if not ignore.exists():
        ignore.write_text(".env\n.passerelle/\nreport.xml\nmapping/\n", encoding="utf-8")
    first = not any((target / "tests").glob("*.yaml"))
    if first:
        _first_test(target, plan)
    return Created(target, template, variables, first)


def _first_test(target: Path, plan) -> None:
    """tests/first_test.yaml for the first flow, its expectation written from what the record gives."""
    from engine.cli import init_files
    from engine.project.load import ConnectorStore
    from engine.runtime.spectests import run_suite
    from engine.runtime.spectests_update import update_file

    if not plan.flows:
        return
    flow_name = sorted(plan.flows)[0]
    item = plan.project.flows.get(flow_name)
    key = item.data.get("key") if item is not None and isinstance(item.data, dict) else None
    path = target / init_files.FIRST_TEST
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(init_files.first_test(flow_name, key), encoding="utf-8")
    report = run_suite(target, ConnectorStore(), flow_name)
    for found in report.files:
        text, _notes = update_file(found)
        if text is not None:
            Path(found.file.doc.file).write_text(text, encoding="utf-8")


COMMANDS = {"init": cmd_init}
