"""``passerelle xref PROJECT [--type T] [--from ENDPOINT] [--format table|csv|json] [--state DIR]``: the
cross-reference store's pairs (which target id each source id became), listed or exported. The state
is opened read-only and never created; ids and names only: no secret is ever stored there."""
from __future__ import annotations

import csv
import sys
from datetime import datetime, timezone
from pathlib import Path

EXIT_OK, EXIT_FAIL = 0, 1
HEADERS = ("source_system", "type", "source_id", "target_system", "target_id", "flow", "how", "updated_at")


def add_parser(sub) -> None:
    p = sub.add_parser("xref", help="list or export the cross-references (source id <-> target id) flows recorded")
    p.add_argument("project", metavar="PROJECT", type=Path)
    p.add_argument("--type", help="only this type (a flow's target.xref, else its source resource)")
    p.add_argument("--from", dest="source", metavar="ENDPOINT", help="only pairs whose source system is ENDPOINT")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument("--state", type=Path, metavar="DIR", help="state folder (default PROJECT/.passerelle)")


def _when(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def cmd_xref(args) -> int:
    import sqlite3

    from engine.errors import Diagnostic, Loc, SpecError
    from engine.project.load import load_project
    from engine.runtime.state import state_database
    from engine.runtime.state_read import connect_read_only
    from engine.runtime.xref_store import rows, select
    from engine.util.jsonout import dumps

    if not args.project.is_dir():
        raise SpecError([Diagnostic("not-found", "no such project folder", Loc(str(args.project), 1, 1))])
    db = state_database(args.project, {} if args.state else load_project(args.project).settings, args.state)
    found = []
    if db.exists():
        connection = connect_read_only(db)  # StateError: error[state], exit 1
        try:
            found = rows(connection.execute(*select(args.type, args.source)).fetchall())
        except sqlite3.OperationalError as exc:
            if "no such table" not in str(exc):  # a state from before the store: no pair yet
                print(f"error[state] state database {db}: {exc}", file=sys.stderr)
                return EXIT_FAIL
        finally:
            connection.close()
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
    print(f"{len(table)} cross-reference(s)" + ("" if db.exists() else " (no state yet)"), file=sys.stderr)
    return EXIT_OK


COMMANDS = {"xref": cmd_xref}
