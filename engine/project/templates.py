"""The templates ``passerelle init`` starts a client project from: each shipped example project
(``specs/examples/<name>/``, in the wheel ``engine/_data/specs/examples``) is one.

A template is described from its loaded project (nothing is compiled): the systems it connects (its
endpoints and the connectors they use) and its flows (name and the first sentence of the description).
"""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from engine.errors import OperatorError
from engine.project.load import load_project

# never copied into a client project: run state, caches, editor and build leftovers
IGNORED = (".passerelle", "__pycache__", "*.pyc", ".pytest_cache", ".hypothesis", ".mypy_cache", "state",
           "*.sqlite", "*.db")


class TemplateError(OperatorError):
    """An unknown template, or a folder ``init`` may not write into."""

    code = "init"


@dataclass(frozen=True)
class Template:
    name: str
    path: Path
    title: str  # the project's name
    systems: tuple[tuple[str, str], ...]  # (endpoint, connector used)
    flows: tuple[tuple[str, str], ...]  # (flow, first sentence of its description)


def first_sentence(text: object) -> str:
    """The description's first sentence, on one line."""
    if not isinstance(text, str):
        return ""
    flat = " ".join(text.split())
    match = re.match(r"(.+?[.!?])(\s|$)", flat)
    return match.group(1) if match else flat


def template_names(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and not p.name.startswith((".", "_")) and any(p.glob("*.yaml")))


def describe(path: Path) -> Template:
    project = load_project(path)
    name = project.settings.get("name")
    title = name if isinstance(name, str) else path.name
    systems = tuple((name, str(item.data.get("use", "?")) if isinstance(item.data, dict) else "?")
                    for name, item in project.endpoints.items())
    flows = tuple((name, first_sentence(item.data.get("description") if isinstance(item.data, dict) else None))
                  for name, item in project.flows.items())
    return Template(path.name, path, title, systems, flows)


def find_template(name: str, root: Path) -> Template:
    """The template called ``name``; an unknown name is an error with the likely one and the list."""
    names = template_names(root)
    if name not in names:
        from engine.util.suggest import did_you_mean

        raise TemplateError(f"unknown template '{name}'{did_you_mean(name, names)}\n"
                            f"  templates: {', '.join(names)}\n"
                            "  hint: `passerelle init --list` shows each with its systems and flows")
    return describe(root / name)


def check_target(target: Path, force: bool) -> None:
    """``init`` writes into a new or empty folder; a folder holding anything only with ``--force``."""
    if target.exists() and not target.is_dir():
        raise TemplateError(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        count = sum(1 for _ in target.iterdir())
        raise TemplateError(f"{target} is not empty ({count} entr{'y' if count == 1 else 'ies'}): nothing "
                            "was written\n  hint: choose a new folder, or add --force to write the template's "
                            "files over it (files of the same name are replaced, the others kept)")


def copy_template(template: Template, target: Path) -> list[Path]:
    """The template's files copied into ``target`` (without run state or caches); the files written."""
    try:
        shutil.copytree(template.path, target, ignore=shutil.ignore_patterns(*IGNORED), dirs_exist_ok=True,
                        symlinks=False)
    except OSError as exc:  # a path under a file, a folder one may not write into, a full disk
        why = exc.strerror or str(exc)
        raise TemplateError(f"cannot create the project in {target}: {why}"
                            + (f" ({exc.filename})" if exc.filename and str(exc.filename) != str(target) else "")
                            + "\n  hint: choose a folder you can write into (its parent must be a folder)") from None
    files = sorted(p for p in target.rglob("*") if p.is_file())
    _point_modelines(files, target)
    return sorted(p for p in target.rglob("*") if p.is_file())


_MODELINE = re.compile(r"^(# yaml-language-server: \$schema=)\S*?(?P<name>[\w.-]+\.schema\.json)[ \t]*$", re.M)
SCHEMA_COPY = ".schemas"  # the project's copy of the schemas its files' modelines point at


def _point_modelines(files: list[Path], target: Path) -> None:
    """The editor's ``# yaml-language-server: $schema=`` line of each copied spec pointed at the project's
    own copy of the schemas (``.schemas/``, copied from the installed package), by a path relative to the
    file: the template's relative path leads nowhere from the client's folder, and a path into one
    machine's installation leads nowhere on a colleague's machine or in CI once the project is in git."""
    from engine.util.resources import schemas_dir

    copy = target / SCHEMA_COPY
    pointed = False
    for path in files:
        if path.suffix not in (".yaml", ".yml"):
            continue
        text = path.read_text(encoding="utf-8")
        where = Path(os.path.relpath(copy, path.parent)).as_posix()
        fixed = _MODELINE.sub(lambda m: f"{m.group(1)}{where}/{m.group('name')}", text)
        if fixed != text:
            path.write_text(fixed, encoding="utf-8")
            pointed = True
    if pointed:  # every schema: they refer to each other (transforms, protocols)
        shutil.copytree(schemas_dir(), copy, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.md", "__pycache__"))


_NAME_LINE = re.compile(r"^(?P<indent>[ \t]+)name:[ \t]*(?P<value>[^#\n]*?)(?P<comment>[ \t]+#.*)?$", re.M)


def set_project_name(target: Path, name: str) -> Path:
    """Write ``project.name`` in the file holding the ``project:`` block (comments kept), or add the
    block at the top of ``endpoints.yaml``; the file changed."""
    value = _quoted(name)
    for path in sorted(target.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        block = re.search(r"^project:[ \t]*(#.*)?\n((?:[ \t]+.*\n|[ \t]*\n)*)", text, re.M)
        if not block:
            continue
        body = block.group(2)
        line = _NAME_LINE.search(body)
        if line:
            body = body[:line.start()] + f"{line.group('indent')}name: {value}{line.group('comment') or ''}" \
                + body[line.end():]
        else:
            body = f"  name: {value}\n" + body
        path.write_text(text[:block.start(2)] + body + text[block.end(2):], encoding="utf-8")
        return path
    path = target / "endpoints.yaml"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = text.splitlines(keepends=True)
    head = 0
    while head < len(lines) and lines[head].startswith("#"):  # after the $schema and header comments
        head += 1
    lines[head:head] = [f"project:\n  name: {value}\n"]
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _quoted(text: str) -> str:
    """``text`` as a YAML double-quoted scalar (always: a name like ``yes`` or ``Client: X`` stays text)."""
    import json

    return json.dumps(" ".join(text.split()), ensure_ascii=False)
