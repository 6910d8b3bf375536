"""``passerelle validate``'s ordinary command lines read without argparse.

Editors and CI start ``validate`` constantly; argparse and what building its parser loads (gettext,
locale, shutil for the terminal width) are ~4 ms of each start (issue 10, start-up). A command line
made only of the exact words ``validate``, paths, ``--strict``, ``--format text|json|github`` and
``--connectors DIR``, ``--no-cache`` is read here into the same values argparse gives; anything else — ``--help``,
an abbreviation, ``--format=json``, an unknown option, a value starting with ``-``, a path after an
option that follows the paths, no path — returns None, and argparse reads it (and says what is
wrong, as before). ``tests/unit/test_quickargs.py`` compares both on many command lines.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

FORMATS = ("text", "json", "github")  # as `validate --format` declares them (engine/cli/main.py)


def validate_args(argv: list[str]) -> SimpleNamespace | None:
    """The parsed arguments of ``validate ...`` (``argv`` without the program name), or None."""
    if argv[:1] != ["validate"]:
        return None
    paths: list[Path] = []
    connectors: list[Path] = []
    found = SimpleNamespace(command="validate", paths=paths, format="text", strict=False, connectors=connectors,
                            no_cache=False)
    closed = False  # an option came after the paths: argparse takes no more paths
    index = 1
    while index < len(argv):
        token = argv[index]
        if token in ("--strict", "--no-cache"):
            setattr(found, token[2:].replace("-", "_"), True)
            closed = bool(paths)
        elif token in ("--format", "--connectors"):
            value = argv[index + 1] if index + 1 < len(argv) else None
            if value is None or value.startswith("-") or (token == "--format" and value not in FORMATS):
                return None
            if token == "--format":
                found.format = value
            else:
                connectors.append(Path(value))
            closed, index = bool(paths), index + 1
        elif token.startswith("-") or (closed and paths) or not token:
            return None
        else:
            paths.append(Path(token))
        index += 1
    return found if paths else None
