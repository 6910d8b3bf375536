"""``passerelle xref PROJECT [--type T] [--from ENDPOINT] [--format table|csv|json] [--state DIR]``: the
cross-reference store's pairs (which target id each source id became), listed or exported. The state
is opened read-only and never created; ids and names only: no secret is ever stored there."""
from __future__ import annotations

import csv
import sys
from datetime import datetime, timezone
from pathlib import Path

EXIT_OK = 0
HEADERS = ("source_system", "type", "source_id", "target_system", "target_id", "flow", "how", "updated_at")


def add_parser(sub) -> None:
    p = sub.add_parser("xref", help="list or export the cross-references (source id <-> target id) flows recorded")
    p.add_argument("project", metavar="PROJECT", type=Path)
    p.add_argument("--type", help="only this type (a flow's target.xref, else its source resource)")
    p.add_argument("--from", dest="source", metavar="ENDPOINT", help="only pairs whose source system is ENDPOINT")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    from engine.util.state_url import state_arg

    p.add_argument("--state", type=state_arg, metavar="DIR|URL", help="state folder (default: the project's "
                   "`state`, else PROJECT/.passerelle), or a postgresql:// URL")


def _when(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def cmd_xref(args) -> int:
    from engine.errors import Diagnostic, Loc, SpecError
    from engine.project.load import load_project
    from engine.runtime.store_open import locate, reading
    from engine.util.jsonout import dumps

    if not args.project.is_dir():
        raise SpecError([Diagnostic("not-found", "no such project folder", Loc(str(args.project), 1, 1))])
    settings = {} if isinstance(args.state, Path) else load_project(args.project).settings
    found, exists = [], True
    with reading(locate(args.project, settings, args.state)) as state:  # StateError: error[state], exit 1
        if state is None:
            exists = False
        else:
            found = state.xrefs(args.type, args.source)
    table = [[r.source_system, r.type, r.source_id, r.target_system, r.target_id, r.flow, r.how,
              _when(r.updated_at)] for r in found]
    if args.format == "json":
        print(dumps([dict(zip(HEADERS, row)) for row in table], indent=2))
    elif args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(HEADERS)
        writer.writerows(table)
    else:
        widths = [max([len(h)] + [len(str(row[i])) for row in table]) for i, h in enumerate(HEADERS)]
        for row in [list(HEADERS)] + table:
            print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
    print(f"{len(table)} cross-reference(s)" + ("" if exists else " (no state yet)"), file=sys.stderr)
    return EXIT_OK


COMMANDS = {"xref": cmd_xref}
