"""``passerelle validate``'s and a plain file dry-run's command lines read without argparse.

Editors and CI start ``validate`` constantly; argparse and what building its parser loads (gettext,
locale, shutil for the terminal width) are ~4 ms of each start (issue 10, start-up). A command line
made only of the exact words ``validate``, paths, ``--strict``, ``--format text|json|github`` and
``--connectors DIR``, ``--no-cache`` is read here into the same values argparse gives; anything else — ``--help``,
an abbreviation, ``--format=json``, an unknown option, a value starting with ``-``, a path after an
option that follows the paths, no path — returns None, and argparse reads it (and says what is
wrong, as before). The same for a file dry-run, whose start-up is part of its time
(:func:`dry_run_args`): its few everyday options, every other one at argparse's default.
``tests/unit/test_quickargs.py`` compares both on many command lines.
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


# dry-run: the options of a plain file dry-run and argparse's values for every option left out
_DRY_RUN_FLAGS = {"--no-cache": ("no_cache", True), "--parallel-read": ("parallel_read", True),
                  "--no-parallel-read": ("parallel_read", False)}
_DRY_RUN_VALUES = ("--flow", "--input", "--format", "--connectors")
_DRY_RUN_DEFAULTS = {"limit": 20, "max_input_bytes": None, "related_memory": None, "parallel_read": None,
                     "state": None, "format": "text", "input_format": None, "delimiter": None, "quote": None,
                     "encoding": None, "decimal": None, "columns": None, "root": None, "record": None,
                     "no_header": False, "no_cache": False}
DRY_RUN_FORMATS = ("text", "json")  # as `dry-run --format` declares them (engine/cli/dryrun_command.py)


def input_pairs(texts: list[str]) -> list[tuple[str | None, Path]]:
    """``--input [RESOURCE=]FILE`` values as ``(resource or None, file)``: ``NAME=`` names the records
    unless the whole text is an existing file's name."""
    pairs: list[tuple[str | None, Path]] = []
    for text in texts:
        name, sep, file = text.partition("=")
        pairs.append((name, Path(file)) if sep and name and not Path(text).exists() else (None, Path(text)))
    return pairs


def dry_run_args(argv: list[str]) -> SimpleNamespace | None:
    """The parsed arguments of a plain file dry-run, ``dry-run PROJECT --flow NAME --input FILE ...``
    with ``--format text|json``, ``--connectors DIR``, ``--no-cache``, ``--[no-]parallel-read``, as
    argparse gives them; None for any other command line (another option, a value starting with ``-``,
    ``--option=value``, a second project, no input): argparse reads it. A file dry-run's start-up is part
    of its time: argparse and what building its parser loads are ~5 ms of it."""
    if argv[:1] != ["dry-run"]:
        return None
    found = SimpleNamespace(command="dry-run", project=None, flow=None, input=[], connectors=[], **_DRY_RUN_DEFAULTS)
    index = 1
    while index < len(argv):
        token = argv[index]
        if token in _DRY_RUN_FLAGS:
            setattr(found, *_DRY_RUN_FLAGS[token])
        elif token in _DRY_RUN_VALUES:
            value = argv[index + 1] if index + 1 < len(argv) else ""
            if not value or value.startswith("-") or (token == "--format" and value not in DRY_RUN_FORMATS):
                return None
            if token in ("--flow", "--format"):
                setattr(found, token[2:], value)
            else:
                getattr(found, token[2:]).append(Path(value) if token == "--connectors" else value)
            index += 1
        elif token.startswith("-") or not token or found.project is not None:
            return None
        else:
            found.project = Path(token)
        index += 1
    return found if found.project is not None and found.flow and found.input else None


def start_dry_run_readers(argv: list[str]) -> None:
    """A console entry point's first step: a file dry-run's large inputs start being read now, while the
    CLI's modules load and the plan compiles (earlyread.prestart), when its command line is plain."""
    found = dry_run_args(argv)
    if found is None:
        return
    from engine.runtime.earlyread import prestart
    from engine.spec.yamlcache import default_dir

    try:
        prestart(found.project, found.flow, input_pairs(found.input), found.parallel_read,
                 None if found.no_cache else default_dir())
    except Exception:  # noqa: BLE001 - no home folder, no process left...: the dry-run starts as without
        return  # (and meets the problem itself, reported as it reports it)
