"""The ``passerelle`` command line.

Exit codes: 0 success; 1 the spec is invalid or an input is unreadable; 2 wrong usage;
3 (dry-run) some records failed while the others were mapped. No command ever ends in a Python traceback: an unexpected failure is reported as an
internal error with the spec path it concerned.
"""
from __future__ import annotations

import sys
from pathlib import Path
from engine.errors import OperatorError, SpecError, format_diagnostics, sort_diagnostics

TYPE_CHECKING = False  # (as typing's: importing typing is start-up time a known validate need not pay)
if TYPE_CHECKING:
    import argparse
    from typing import Any

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_RECORDS = 0, 1, 2, 3


def _parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; for ``validate`` (started constantly by editors and CI) and ``dry-run``
    (a file dry-run's start-up is part of its time) their own sub-parsers only: the others, and the
    modules declaring them, are not needed to parse them (the chosen sub-parser reports every error)."""
    import argparse  # not for an ordinary `validate` (engine/cli/quickargs.py)

    from engine.cli.quickargs import FORMATS as VALIDATE_FORMATS

    parser = argparse.ArgumentParser(prog="passerelle", description="Declarative Sage <-> shop "
                                     "mapping engine: validate specs, preview payloads, run flows.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", help="check projects and connector definitions; exit 1 on errors")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                   help="project folders, spec files, or folders holding many projects")
    p.add_argument("--format", choices=VALIDATE_FORMATS, default="text",
                   help="text (default), json (one array), github (workflow annotations)")
    p.add_argument("--strict", action="store_true", help="warnings count as errors")
    p.add_argument("--connectors", type=Path, action="append", default=[], metavar="DIR",
                   help="extra folder of connector definitions (also PASSERELLE_CONNECTORS)")
    p.add_argument("--no-cache", action="store_true",
                   help="validate and parse every file again, neither reading nor writing the cache of "
                        "outcomes and parsed files (PASSERELLE_CACHE_DIR, else XDG_CACHE_HOME/passerelle "
                        "or ~/.cache/passerelle)")
    if command == "validate":
        return parser

    from engine.cli.dryrun_command import add_parser as add_dry_run_parser
    add_dry_run_parser(sub)
    if command == "dry-run":
        return parser

    p = sub.add_parser("schema", help="generate the registry-derived JSON Schema fragments")
    p.add_argument("--write", action="store_true", help="write the generated schemas and docs/connectors.md, docs/connectors/*.md")
    p.add_argument("--check", action="store_true", help="exit 1 when the file on disk is stale")

    p = sub.add_parser("transforms", help="list the transforms with their summary and examples")
    p.add_argument("--format", choices=("text", "markdown"), default="text")

    sub.add_parser("sandbox", help="start the local simulators (see `passerelle sandbox --help`)",
                   add_help=False)
    from engine.cli.runtime import add_parsers
    add_parsers(sub)
    from engine.cli.reload import add_parser as add_reload_parser
    add_reload_parser(sub)
    from engine.cli.xref import add_parser as add_xref_parser
    add_xref_parser(sub)
    from engine.cli.db import add_parser as add_db_parser
    add_db_parser(sub)
    from engine.cli.docs_command import add_parser as add_docs_parser
    from engine.cli.spectest import add_parser as add_test_parser
    add_docs_parser(sub)
    add_test_parser(sub)
    from engine.cli.init_command import add_parser as add_init_parser; add_init_parser(sub)
    from engine.cli.cluster import add_parsers as add_cluster_parsers
    add_cluster_parsers(sub)
    return parser


class _Scrubbed:
    """A text stream written through :func:`engine.spec.env.scrub`: whatever a command prints — an
    error message, a log line, an internal error — holds no secret the command resolved."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        from engine.spec.env import scrub

        self._stream.write(scrub(text))
        return len(text)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> int:
    from engine.spec.env import secrets_scope

    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Scrubbed(out), _Scrubbed(err)
    try:
        with secrets_scope():  # this command's secrets (a test process runs many commands)
            return _main(argv)
    finally:
        sys.stdout, sys.stderr = out, err


def _main(argv: list[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["sandbox"]:
        return _sandbox(argv[1:])
    from engine.cli.quickargs import dry_run_args, validate_args

    args: Any = validate_args(argv) or dry_run_args(argv)
    if args is None:
        parser = _parser(argv[0] if argv else None)
        args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return _commands(args.command)[args.command](args)
    except SpecError as exc:
        print(format_diagnostics(sort_diagnostics(exc.diagnostics)), file=sys.stderr)
        return EXIT_FAIL
    except OperatorError as exc:  # the machine or the setup, not a bug: say what and where
        print(f"error[{exc.code}] {exc}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # never a traceback for a consultant; say what and where
        print(f"internal error in `passerelle {args.command}`: {type(exc).__name__}: {exc}\n"
              "  hint: this is a bug in Passerelle, not in your spec; please report it with the "
              "command line", file=sys.stderr)
        return EXIT_FAIL


def _sandbox(argv: list[str]) -> int:
    """The simulators are their own distribution (an independent check on the engine)."""
    try:
        from passerelle_sandbox.cli import main as sandbox_main
    except ImportError:
        print("error: the simulators are not installed: `pip install passerelle[sandbox]` (from a "
              "checkout: `pip install ./sandbox`, which `make demo` and `make test` do)", file=sys.stderr)
        return EXIT_FAIL
    return sandbox_main(argv)


def cmd_validate(args) -> int:
    from engine.cli.oneshot import running
    from engine.plan.resultcache import ResultCache
    from engine.plan.validate import validate_paths
    from engine.project.discover import extra_connector_dirs
    from engine.spec import yamlcache

    folder = None if args.no_cache else yamlcache.default_dir()
    cache = None if folder is None else yamlcache.DocCache(folder)
    # outcomes are replayed in the console's own process only: one that calls main() many times (the
    # tests) may change the engine's behaviour without changing its files
    results = None
    if folder is not None and running("validate"):
        results = ResultCache(folder, extra_connector_dirs(args.connectors))
    with yamlcache.using(cache):  # a unit's known outcome (results) skips even the parse
        report = validate_paths(args.paths, fork=running("validate"), results=results,
                                connector_dirs=args.connectors)
    output = format_diagnostics(report.diagnostics, args.format)
    if output:
        print(output)
    failed = report.errors or (args.strict and report.warnings)
    if args.format == "text":
        status = "FAILED" if failed else "ok"
        print(f"{status}: {report.projects} project(s), {report.connectors} connector file(s): "
              f"{report.errors} error(s), {report.warnings} warning(s)", file=sys.stderr)
    return EXIT_FAIL if failed else EXIT_OK


def cmd_schema(args) -> int:
    from engine.schema.generate import check_schemas, write_schemas

    if args.write:
        for path in write_schemas():
            print(f"wrote {path}")
        return EXIT_OK
    stale = check_schemas()
    for message in stale:
        print(message, file=sys.stderr)
    if stale:
        return EXIT_FAIL
    print("schemas are up to date")
    return EXIT_OK


def cmd_transforms(args) -> int:
    from engine.schema.reference import transforms_reference

    print(transforms_reference(markdown=args.format == "markdown"))
    return EXIT_OK


def _commands(name: str | None = None) -> dict:
    """The commands by name; the modules of the others are imported only for one of theirs."""
    own = {"validate": cmd_validate, "schema": cmd_schema, "transforms": cmd_transforms}
    if name in own:
        return own
    from engine.cli.dryrun_command import COMMANDS as DRY_RUN
    if name in DRY_RUN:
        return {**own, **DRY_RUN}
    from engine.cli.reload import COMMANDS as RELOAD
    from engine.cli.xref import COMMANDS as XREF
    from engine.cli.db import COMMANDS as DB
    from engine.cli.runtime import COMMANDS
    from engine.cli.docs_command import COMMANDS as DOCS
    from engine.cli.spectest import COMMANDS as SPECTEST
    from engine.cli.init_command import COMMANDS as INIT
    from engine.cli.cluster import COMMANDS as CLUSTER
    return {**own, **DRY_RUN, **COMMANDS, **RELOAD, **XREF, **DB, **DOCS, **SPECTEST, **INIT} | CLUSTER


__all__ = ["main"]
