"""``passerelle dry-run``: the payloads a flow would send, from files (``--input``, streamed record by
record) or read live from the source (the requests a run would send); nothing is ever written."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

from engine.errors import OperatorError, SpecError

EXIT_OK, EXIT_FAIL, EXIT_RECORDS = 0, 1, 3


def add_parser(sub) -> None:
    import argparse  # (not for a plain file dry-run: engine/cli/quickargs.py)

    from engine.cli.quickargs import DRY_RUN_FORMATS

    p = sub.add_parser("dry-run", help="map records from files and print what the target would get")
    p.add_argument("project", type=Path, metavar="PROJECT")
    p.add_argument("--flow", required=True, help="the flow to run")
    p.add_argument("--input", action="append", metavar="[RESOURCE=]FILE",
                   help="source records (XML list response, JSON, JSONL); repeat for related "
                        "resources; RESOURCE= names the records of a bare list. Without --input, the "
                        "source is read live through its endpoint and the requests a run would send "
                        "are shown (nothing is written)")
    p.add_argument("--limit", type=int, default=20, help="live: records to read (default 20)")
    p.add_argument("--max-input-bytes", type=_size, metavar="BYTES",
                   help="refuse an --input file larger than this (e.g. 500000000, 500MB, 2GB); default: "
                        "no limit for list files, which are read record by record, and 200MB for a "
                        "file read whole (one record, an object of lists)")
    p.add_argument("--related-memory", type=_budget, metavar="BYTES", default=None,
                   help="related files (joined onto the source) totalling at most this are indexed in memory, "
                        "larger ones on disk in a temporary file (memory bounded whatever their size); "
                        "default 32MB (the index takes about 2-3 times the files' size), 0: always on disk")
    p.add_argument("--parallel-read", action=argparse.BooleanOptionalAction, default=None,
                   help="each input file of 1 MB or more is parsed in a child process while the related "
                        "files are indexed (from a flow's second dry-run on, while its plan is compiled: the "
                        "cache keeps how its files are read), then the source's pages are mapped in two processes, every other "
                        "page by a forked child (same output and errors; less wall time when a core is free, "
                        "10-40%% more CPU time). Default: so where fork exists, there are "
                        "several cores and one is free; --no-parallel-read: all in this process")
    from engine.util.state_url import state_arg

    p.add_argument("--state", type=state_arg, metavar="DIR|URL",
                   help="the state folder (default PROJECT/.passerelle) or a postgresql:// URL: its cross-references are read (never "
                        "written) for the xref transform; live: a rotated refresh token is kept there")
    p.add_argument("--format", choices=DRY_RUN_FORMATS, default="text",
                   help="json: one JSON array of payloads on stdout")
    p.add_argument("--connectors", type=Path, action="append", default=[], metavar="DIR")
    p.add_argument("--input-format", choices=("csv", "xml"), help="the format of the source's --input file when "
                   "its source is not a file connector declaring one (a CSV export for a flow reading a shop)")
    for option, text in (("--delimiter", "csv: the field separator (default ,)"), ("--quote", "csv: the quote "
                         "character"), ("--encoding", "csv/xml: e.g. cp1252, utf-8-sig (default utf-8)"),
                         ("--decimal", "csv: the decimal separator of the fields the source types decimal"),
                         ("--columns", "csv: the column names, comma-separated (read by position with --no-header)"),
                         ("--root", "xml: the document element"), ("--record", "xml: the record element")):
        p.add_argument(option, help=text)
    p.add_argument("--no-header", action="store_true", help="csv: the file has no header line (give --columns)")
    p.add_argument("--no-cache", action="store_true",
                   help="parse and check every spec file again, neither reading nor writing the cache that "
                        "`validate` and dry-runs share (PASSERELLE_CACHE_DIR, else XDG_CACHE_HOME/passerelle "
                        "or ~/.cache/passerelle)")


def cmd_dry_run(args) -> int:
    from engine.cli.quickargs import input_pairs

    inputs = input_pairs(args.input or [])
    early = _early(args, inputs)  # large files read by children while the plan is compiled (or since the start)
    try:
        if not args.project.is_dir():
            from engine.errors import Diagnostic, Loc

            raise SpecError([Diagnostic("not-found", "no such project folder", Loc(str(args.project), 1, 1))])
        return _dry_run(args, inputs, early)
    finally:
        if early is not None:
            early.close()


def _early(args, inputs):
    if not inputs:
        return None
    from engine.runtime.earlyread import start
    from engine.spec import yamlcache

    return start(args.project, args.flow, inputs, args.max_input_bytes, args.parallel_read,
                 None if args.no_cache else yamlcache.default_dir(), args.related_memory)


def _dry_run(args, inputs, early) -> int:
    from engine.plan.load import load_plan, select_flow
    from engine.project.load import ConnectorStore
    from engine.runtime.dryrun import stream_dry_run
    from engine.connectors.codecs.records import InputError

    plan = _load(args, load_plan, ConnectorStore(extra_dirs=args.connectors))
    flow = select_flow(plan, args.flow)
    if not inputs:
        return _live_dry_run(plan, flow, args)
    out = _Chunks(sys.stdout)  # written in large chunks, not one write (a syscall unbuffered) per record
    as_json, started, mapped, counts = args.format == "json", False, 0, None
    from engine.util.progress import DryRunProgress  # a bar on stderr for a person watching; else nothing
    try:
        with _xref(plan, args), DryRunProgress(flow.name, sys.stdout, sys.stderr) as bar:
            counts, outcomes = stream_dry_run(plan, flow, inputs, args.max_input_bytes, _input_format(args, plan, flow),
                                              early=early, **_memory(args))
            from engine.cli.oneshot import compiled

            compiled()  # the plan and the related records indexed: all alive to the end
            if as_json:
                out.write("[")
                started = True
            for outcome in bar.each(outcomes, counts):  # each payload written as soon as it is mapped
                text = outcome.payload_json or ""  # indented, JSON-checked
                if as_json:
                    out.write(("," if mapped else "") + "\n" + _indent(text))
                else:
                    out.write(f"# {flow.name} record {outcome.key} -> {counts.target}\n{text}\n")
                mapped += 1
    except (InputError, OperatorError) as exc:  # an unreadable input; no room for the related files
        if started:  # stdout stays one JSON array: the payloads mapped before the unreadable part
            out.write("\n]\n" if mapped else "]\n")
        out.flush()
        for failure in counts.failures if counts is not None else ():  # met before the unreadable part
            print(failure.line(), file=sys.stderr)
        print(f"error[{getattr(exc, 'code', 'input')}] {exc}", file=sys.stderr)
        if isinstance(exc, InputError) and not exc.message.startswith("expected records") and _not_json(exc.file):
            print("  hint: the format of this file cannot be known: it is not JSON or XML, and the flow's source "
                  "declares no file format; give it, e.g. --input-format csv --delimiter ';' --encoding cp1252 "
                  "--decimal ,", file=sys.stderr)
        return EXIT_FAIL
    except BaseException:
        out.flush()  # what was mapped before the error is shown, as when written record by record
        raise
    if as_json:
        out.write("\n]\n" if mapped else "]\n")
    out.flush()
    for failure in counts.failures:
        print(failure.line(), file=sys.stderr)
    print(f"{flow.name}: {counts.read} read, {mapped} mapped, {len(counts.skipped)} skipped "
          f"by filter, {len(counts.failures)} failed (nothing was sent)", file=sys.stderr)
    from engine.cli.oneshot import completed

    completed()  # every record read (readers and the disk index closed): a one-shot process may end at once
    return EXIT_RECORDS if counts.failures else EXIT_OK


def _load(args, load_plan, store):
    """The compiled plan, its spec files parsed and checked through the cache ``validate`` fills (the
    same entries: a file that did not change is neither parsed nor schema-checked again)."""
    from engine.spec import yamlcache

    cache = None if args.no_cache else yamlcache.DocCache(yamlcache.default_dir())
    with yamlcache.using(cache):
        return load_plan(args.project, store)


def _input_format(args, plan, flow):
    """The format given by --input-format and its options (None: the source's own, or detected)."""
    from engine.connectors.codecs.records import InputError

    given = {key: getattr(args, key) for key in ("delimiter", "quote", "encoding", "decimal", "root", "record")
             if getattr(args, key) is not None}
    if args.columns is not None:
        given["columns"] = [name.strip() for name in args.columns.split(",")]
    if args.no_header:
        given["header"] = False
    if args.input_format is None:
        if given:
            raise InputError(f"{', '.join('--' + k.replace('_', '-') for k in given)} describe the --input file's "
                             "format: give --input-format csv (or xml) with them")
        return None
    from engine.runtime.inputformat import input_format  # (with the CSV and XML file readers: when given)

    connector = plan.connectors.get(flow.source_endpoint)
    resource = connector.resources.get(flow.source_resource) if connector is not None else None
    return input_format({"type": args.input_format, **given}, resource.types if resource is not None else {})


def _size(text: str) -> int:
    """A byte count for --max-input-bytes: digits, optionally followed by KB, MB or GB (powers of 1000)."""
    number, unit = text.strip().upper(), 1
    for suffix, factor in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3), ("B", 1)):
        if number.endswith(suffix):
            number, unit = number[:-len(suffix)].strip(), factor
            break
    if not number.isdigit() or int(number) <= 0:
        import argparse  # (called by argparse only)

        raise argparse.ArgumentTypeError(f"expected a positive number of bytes (e.g. 500MB), got {text!r}")
    return int(number) * unit


def _budget(text: str) -> int:
    """A byte count for --related-memory: as --max-input-bytes, or 0."""
    return 0 if text.strip() == "0" else _size(text)


def _memory(args) -> dict:
    given = {} if args.related_memory is None else {"related_memory": args.related_memory}
    return {**given, "workers": args.parallel_read}  # None: when a core is free


def _live_dry_run(plan, flow, args) -> int:
    from engine.connectors.errors import EndpointError
    from engine.runtime.dryrun import live_dry_run
    from engine.runtime.pg_schema import StoreError
    from engine.runtime.state import StateError
    from engine.runtime.store_open import locate, token_keeper
    from engine.util.jsonout import dumps
    from engine.runtime.endpoints import ConfigError

    try:
        # a rotated refresh token a server issues is kept where runs find it (the only state touched)
        location = locate(args.project, plan.settings, args.state)
        tokens = token_keeper(location)
        try:
            with _xref(plan, args):
                result = live_dry_run(plan, flow, limit=args.limit, token_store=tokens, state=location)
        finally:
            tokens.close()
    except (ConfigError, EndpointError, StateError, StoreError) as exc:
        print(f"error[live] {exc}", file=sys.stderr)
        return EXIT_FAIL
    if args.format == "json":
        print(dumps([payload for _, payload in result.payloads], indent=2))
    else:
        for key, requests in result.requests:
            print(f"# {flow.name} record {key}")
            for request in requests:
                _print_request(request)
        if result.removals is not None:
            _print_removals(flow.name, result.removals)
    for failure in result.failures:
        print(failure.line(), file=sys.stderr)
    removing = "" if result.removals is None else _removals_summary(flow.name, result.removals, args.format)
    print(f"{flow.name}: {result.read} read live, {len(result.payloads)} mapped, {result.skipped} skipped, "
          f"{len(result.failures)} failed{removing} (nothing was written)", file=sys.stderr)
    return EXIT_RECORDS if result.failures else EXIT_OK


def _print_request(request: dict) -> None:
    print(f"{request['method']} {request['url']}")
    for name, value in request["headers"].items():
        print(f"{name}: {value}")
    if request["body"] is not None:
        print()
        print(request["body"])
    print()


def _print_removals(flow: str, removals) -> None:
    """The removals a run would send (target.remove), each marked, then the safety limit's verdict."""
    from engine.runtime.dryrun_removals import GONE

    for key, why, request, error in removals.requests:
        held = " (HELD: not sent, see below)" if removals.held and why == GONE else ""
        print(f"# {flow} REMOVE {key}: {why}{held}")
        if request is not None:
            _print_request(request)
        else:
            print(f"# cannot be described: {error}\n")
    print(f"# {flow} removals: {removals.verdict}")
    print()


def _removals_summary(flow: str, removals, form: str) -> str:
    """The summary line's part on removals; with --format json (stdout: the payloads) the verdict on stderr."""
    from engine.runtime.dryrun_removals import GONE

    if form == "json":
        print(f"{flow} removals: {removals.verdict}", file=sys.stderr)
    count = sum(1 for request in removals.requests if request[1] == GONE)
    return f", {count} to remove" + (" (held by the safety limit)" if removals.held else "")


@contextmanager
def _xref(plan, args):
    """The project's cross-reference store for the `xref` transform, read-only (never created)."""
    from engine.lang.xref import bound
    from engine.runtime.store_open import locate, read_only_xref

    resolver = read_only_xref(locate(args.project, plan.settings, args.state), plan)
    try:
        with bound(resolver):
            yield
    finally:
        if resolver is not None:
            resolver.close()


class _Chunks:
    """Text for ``stream`` gathered and written about 64 KiB at a time (``flush`` writes the rest)."""

    def __init__(self, stream) -> None:
        self.stream, self.size = stream, 0
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size >= 1 << 16:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.stream.write("".join(self.parts))
            self.parts.clear()
            self.size = 0
        self.stream.flush()


def _not_json(path) -> bool:
    """Whether a file a JSON reader refused does not even start as JSON (a CSV given without its format)."""
    import os
    import stat

    from engine.connectors.codecs.instream import first_byte, read_head

    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO or a device would block or never end
            return False
        return first_byte(read_head(path)) not in (b"{", b"[", b"<", b"")
    except (OSError, TypeError, ValueError):
        return False


def _indent(text: str) -> str:
    if "\x85" in text or "\u2028" in text or "\u2029" in text:  # line breaks for splitlines, raw in JSON strings
        return "\n".join("  " + line for line in text.splitlines())
    return "  " + text.replace("\n", "\n  ")  # JSON text: every other line break is escaped


COMMANDS = {"dry-run": cmd_dry_run}
