"""Where the data shipped inside the package lives: JSON Schemas, connector definitions, examples.

Everything is read through :mod:`importlib.resources`, so an installed wheel works exactly as a
checkout does; when the package is a folder on disk (a checkout, a wheel installed as usual) the
folder is taken as it is, the path ``importlib.resources`` would give, without importing it (and
zipfile: a few ms of every command's start-up). In the repository, ``engine/_data/schemas`` and ``engine/_data/specs`` are links to the
top-level ``schemas/`` and ``specs/`` folders (one copy in git); the wheel build copies the files.
"""
from __future__ import annotations

from pathlib import Path

TYPE_CHECKING = False  # (as typing's, without importing it: every command's start-up)

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

_ON_DISK = Path(__file__).parent.parent / "_data"  # engine/_data beside engine/util/


def _data() -> Traversable | Path:
    if _ON_DISK.is_dir():  # what files("engine") gives a package on disk: its folder, unresolved
        return _ON_DISK
    from importlib.resources import files

    return files("engine") / "_data"


def _path(node: Traversable | Path) -> Path:
    if isinstance(node, Path):
        return node
    # Installed from a wheel or run from a checkout, the package is a folder on disk: as_file gives
    # its path without copying. (A zipped install would get a temporary copy.)
    from importlib.resources import as_file

    with as_file(node) as path:
        return Path(path)


def schemas_dir() -> Path:
    """The JSON Schemas of the spec language (``project``, ``connector``, generated fragments)."""
    return _path(_data() / "schemas")


def shipped_connectors_dir() -> Path:
    """The connector definitions a project can ``use:`` without providing its own."""
    return _path(_data() / "specs" / "connectors")


def examples_dir() -> Path:
    """The example client projects (templates)."""
    return _path(_data() / "specs" / "examples")
