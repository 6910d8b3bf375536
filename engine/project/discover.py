"""Where ``passerelle validate`` finds projects and connector files, and how it names files.

Light on purpose (paths and the file system only): a ``validate`` whose results all come from its
cache (engine/plan/resultcache.py) walks the folders as an uncached one does without importing the
loader, the schemas or the compiler.
"""
from __future__ import annotations

import errno
import os
from functools import lru_cache
from pathlib import Path

from engine.util.fileio import OutsideFolder, confine

_SKIP_DIRS = {".git", ".venv", "node_modules", "__pycache__", ".passerelle", ".hypothesis"}


def display(path: Path) -> str:
    """A path as shown in messages: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(_real_cwd(os.getcwd())))
    except ValueError:
        return str(path)


@lru_cache(maxsize=4)
def _real_cwd(cwd: str) -> Path:
    """The working directory, links resolved once per directory (not once per file shown)."""
    return Path(cwd).resolve()


def project_files(root: Path) -> list[Path]:
    return _listed(root)[0]


def _listed(folder: Path) -> tuple[list[Path], list[Path]]:
    """The spec files (``*.yaml``, ``*.yml``) and the sub-folders of ``folder``, sorted, from one
    listing (links followed; the kind of the others comes with their names)."""
    files: list[Path] = []
    folders: list[Path] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            path = folder / entry.name
            if path.suffix in (".yaml", ".yml") and _is(entry.is_file):
                files.append(path)
            elif _is(entry.is_dir):
                folders.append(path)
    return sorted(files), sorted(folders)


def _is(test) -> bool:
    """``entry.is_file()`` or ``entry.is_dir()`` as ``Path.is_file()``/``is_dir()`` answer: no for a
    link that leads nowhere or round in a loop."""
    try:
        return test()
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP):
            return False
        raise


def confined(root: Path, path: Path) -> bool:
    """Whether ``path`` (joined to ``root``) is really in ``root`` once symbolic links are followed."""
    try:
        confine(root, path.relative_to(root) if path.is_relative_to(root) else path)
    except (OutsideFolder, OSError):
        return False
    return True


def extra_connector_dirs(given: list[Path] | None = None) -> list[Path]:
    """The folders of connector definitions besides a project's own and the shipped ones:
    ``--connectors`` then ``PASSERELLE_CONNECTORS``, in the order ``use:`` searches them."""
    env = os.environ.get("PASSERELLE_CONNECTORS", "")
    return list(given or []) + [Path(p) for p in env.split(os.pathsep) if p]


def discover(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """Split the given paths into project folders and standalone connector files."""
    projects: list[Path] = []
    connectors: list[Path] = []
    seen: set[Path] = set()

    def visit_dir(folder: Path) -> None:
        yaml_files, sub_folders = _listed(folder)
        if yaml_files:
            is_connector_dir = folder.name == "connectors"
            if is_connector_dir:  # a project's definitions; one linked from outside it is not read
                # (a `use:` naming it is refused, with the reason)
                connectors.extend(p for p in yaml_files if confined(folder.parent, p))
            elif folder.resolve() not in seen:
                seen.add(folder.resolve())
                projects.append(folder)
        for sub in sub_folders:
            if sub.name not in _SKIP_DIRS and not sub.name.startswith(".") and not (yaml_files and sub.name == "tests"):
                visit_dir(sub)  # a project's tests/ holds `passerelle test` files (spectest.schema.json), not specs

    for path in paths:
        if path.is_dir():
            visit_dir(path)
        elif path.parent.name == "connectors":
            connectors.append(path)
        elif path.parent.name == "tests" and project_files(path.parent.parent):
            continue  # a test file of a project (`passerelle test` checks it)
        elif path.resolve().parent not in seen:
            seen.add(path.resolve().parent)
            projects.append(path.parent)
    return projects, connectors
