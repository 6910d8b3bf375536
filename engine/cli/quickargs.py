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


_DRY_RUN_FLAGS = {"--no-cache": ("no_cache", True), "--parallel-read": ("workers", True),
                  "--no-parallel-read": ("workers", False)}
_DRY_RUN_VALUES = ("--flow", "--input", "--format", "--connectors")


def input_pairs(texts: list[str]) -> list[tuple[str | None, Path]]:
    """``--input [RESOURCE=]FILE`` values as ``(resource or None, file)``: ``NAME=`` names the records
    unless the whole text is an existing file's name."""
    pairs: list[tuple[str | None, Path]] = []
    for text in texts:
        name, sep, file = text.partition("=")
        pairs.append((name, Path(file)) if sep and name and not Path(text).exists() else (None, Path(text)))
    return pairs


def dry_run_files(argv: list[str]) -> SimpleNamespace | None:
    """``dry-run PROJECT --flow NAME --input FILE ...`` read for its input files' early readers
    (engine/runtime/earlyread.py): ``project``, ``flow``, ``inputs`` (texts), ``workers`` (None, True,
    False) and ``no_cache``; None for any other command line (an option not listed above, a value
    starting with ``-``, ``--option=value``). What argparse reads later is what counts: readers started
    for arguments it reads otherwise are stopped."""
    if argv[:1] != ["dry-run"]:
        return None
    found = SimpleNamespace(project=None, flow=None, inputs=[], workers=None, no_cache=False)
    index = 1
    while index < len(argv):
        token = argv[index]
        if token in _DRY_RUN_FLAGS:
            setattr(found, *_DRY_RUN_FLAGS[token])
        elif token in _DRY_RUN_VALUES:
            value = argv[index + 1] if index + 1 < len(argv) else ""
            if not value or value.startswith("-"):
                return None
            if token == "--flow":
                found.flow = value
            elif token == "--input":
                found.inputs.append(value)
            index += 1
        elif token.startswith("-") or not token or found.project is not None:
            return None
        else:
            found.project = Path(token)
        index += 1
    return found if found.project is not None and found.flow and found.inputs else None


def start_dry_run_readers(argv: list[str]) -> None:
    """A console entry point's first step: a file dry-run's large inputs start being read now, while the
    CLI's modules load and the plan compiles (earlyread.prestart), when its command line is plain."""
    found = dry_run_files(argv)
    if found is None:
        return
    from engine.runtime.earlyread import prestart
    from engine.spec.yamlcache import default_dir

    prestart(found.project, found.flow, input_pairs(found.inputs), found.workers,
             None if found.no_cache else default_dir())
