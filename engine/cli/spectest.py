"""``passerelle test PROJECT [--flow F] [--format text|junit] [--output FILE] [--update]``: the spec unit
tests kept in the project (``PROJECT/tests/*.yaml``, language: ``schemas/spectest.schema.json``, guide:
``docs/testing.md``), run offline through the compiled plan. Exit 0 when every test passes, 1 when one
fails or a test file is invalid (2: wrong usage)."""
from __future__ import annotations

import sys
from pathlib import Path

EXIT_OK, EXIT_FAIL = 0, 1


def add_parser(sub) -> None:
    p = sub.add_parser("test", help="run the project's spec unit tests (tests/*.yaml) offline; exit 1 on a failure")
    p.add_argument("project", type=Path, metavar="PROJECT")
    p.add_argument("--flow", help="only the tests of this flow")
    p.add_argument("--format", choices=("text", "junit"), default="text",
                   help="text (default) or junit (JUnit XML for CI, on stdout or --output)")
    p.add_argument("--output", type=Path, metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--update", action="store_true",
                   help="write what the records give into the expectations of the failing tests (and of "
                        "tests without `expect`); review the change like code")
    p.add_argument("--connectors", type=Path, action="append", default=[], metavar="DIR")


def cmd_test(args) -> int:
    from engine.errors import Diagnostic, Loc, SpecError, format_diagnostics, sort_diagnostics
    from engine.project.load import ConnectorStore
    from engine.runtime.spectests import run_suite

    if not args.project.is_dir():
        raise SpecError([Diagnostic("not-found", "no such project folder", Loc(str(args.project), 1, 1))])
    if args.output is not None and not _writable(args.output):  # said before the tests run, not after
        return EXIT_FAIL
    report = run_suite(args.project, ConnectorStore(extra_dirs=args.connectors), args.flow)
    if args.update and not report.ok and _update(report):  # then what the files now say
        report = run_suite(args.project, ConnectorStore(extra_dirs=args.connectors), args.flow)
    if args.format == "junit":
        from engine.runtime.spectests_junit import junit_xml

        _write(args.output, junit_xml(report))
    else:
        lines = []
        if report.diagnostics:
            lines.append(format_diagnostics(sort_diagnostics(report.diagnostics)))
        for found in report.files:
            for result in found.results:
                mark = "ok  " if result.passed else "FAIL"
                lines.append(f"{mark} {found.name}: {result.test.flow}: {result.test.name} "
                             f"({result.seconds * 1000:.0f} ms)")
                lines += [failure.text() for failure in result.failures]
        _write(args.output, "\n".join(lines) + "\n" if lines else "")
    results = report.results
    failed = sum(not r.passed for r in results)
    invalid = sum(d.is_error for d in sort_diagnostics(report.diagnostics))  # as printed: duplicates once
    status = "ok" if report.ok else "FAILED"
    print(f"{status}: {len(results) - failed} of {len(results)} test(s) passed in {len(report.files)} file(s)"
          + (f", {invalid} error(s) in test files" if invalid else "") + f" ({report.seconds:.2f} s, offline: no endpoint "
          "opened, no state touched)", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_FAIL


def _writable(output: Path) -> bool:
    """Whether the report can be written to ``output`` (opened to append: an earlier report is kept
    until this one replaces it); says why not."""
    try:
        with open(output, "a", encoding="utf-8"):
            return True
    except OSError as exc:
        print(f"error[output] cannot write the report to {output}: {exc.strerror or exc}\n"
              "  hint: --output names a file in a folder that exists and you can write into", file=sys.stderr)
        return False


def _write(output: Path | None, text: str) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:  # the disk filled up meanwhile...: the report goes to stdout instead
        print(f"error[output] cannot write the report to {output}: {exc.strerror or exc}; here it is",
              file=sys.stderr)
        sys.stdout.write(text)


def _update(report) -> bool:
    from engine.runtime.spectests_update import update_file

    changed = False
    for found in report.files:
        text, notes = update_file(found)
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
        if text is not None:
            Path(found.file.doc.file).write_text(text, encoding="utf-8")
            print(f"updated {found.name}: review the expectations written (git diff)", file=sys.stderr)
            changed = True
    return changed


COMMANDS = {"test": cmd_test}
