"""``passerelle docs PROJECT --out DIR [--flow F]``: the client's mapping document, written from the
compiled plan — per flow a Markdown page (``FLOW.md``, with ``index.md``) and one standalone HTML page
(``index.html``: inline CSS, the flow diagram as inline SVG, no script, nothing fetched). Each page
carries the date of generation (with its time zone) and the plan's content hash (the version
``serve`` shows for hot reload). Secrets never appear: ``${env:X}`` settings are shown by name."""
from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

EXIT_OK, EXIT_FAIL = 0, 1


def add_parser(sub) -> None:
    p = sub.add_parser("docs", help="write the client's mapping document (Markdown and one HTML page)")
    p.add_argument("project", metavar="PROJECT", type=Path)
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder written (created if missing)")
    p.add_argument("--flow", action="append", default=[], metavar="F", help="only this flow (repeatable)")
    p.add_argument("--connectors", type=Path, action="append", default=[], metavar="DIR")


def generated_at(now: datetime | None = None) -> str:
    """The generation date with its time zone, e.g. ``2025-06-02 14:05 CEST (+02:00)``."""
    moment = (now or datetime.now()).astimezone()
    offset = moment.strftime("%z")
    zone, utc = moment.tzname() or "", f"UTC{offset[:3]}:{offset[3:]}"
    return f"{moment:%Y-%m-%d %H:%M} {utc}" + (f" ({zone})" if zone and not zone.startswith("UTC") else "")


def write_docs(project: Path, out: Path, store=None, flows: list[str] | None = None,
               now: datetime | None = None) -> list[Path]:
    """Write the documents; returns the files written. Raises SpecError for a spec that does not compile."""
    from engine.lang.builtins import default_registry
    from engine.mapdoc import diagram, html, markdown
    from engine.mapdoc.model import build
    from engine.plan.load import load_plan, select_flow
    from engine.runtime.reload_policy import lookup_files
    from engine.runtime.snapshot import content_hash

    project = project.resolve()  # as `serve` watches it: the same files, the same version
    plan = load_plan(project, store)
    for name in flows or ():
        select_flow(plan, name)  # an unknown flow: a located error naming the flows
    version = content_hash(project, lookup_files(plan))  # what `serve` calls the plan's version
    doc = build(plan, default_registry(), generated_at(now), version)
    if flows:
        doc.flows = [f for f in doc.flows if f.name in flows]
        doc.edges = [e for e in doc.edges if e[2].split()[-1] in flows]
    written = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for flow in doc.flows:
            written.append(_write(out / f"{flow.name}.md", markdown.flow_page(doc, flow)))
        written.append(_write(out / "index.md", markdown.index_page(doc)))
        written.append(_write(out / "flows.svg", diagram.render(doc.systems, doc.edges)))
        written.append(_write(out / "index.html", html.page(doc)))
    except OSError as exc:  # --out is a file, under a file, or a folder one may not write into
        from engine.errors import OperatorError

        error = OperatorError(f"cannot write the mapping document into {out}: "
                              + ("it is a file, not a folder" if out.is_file() else str(exc.strerror or exc))
                              + (f" ({exc.filename})" if exc.filename and str(exc.filename) != str(out) else "")
                              + "\n  hint: --out names a folder (created when missing) you can write into")
        error.code = "docs"
        raise error from None
    return written


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def cmd_docs(args) -> int:
    from engine.errors import Diagnostic, Loc, SpecError
    from engine.project.load import ConnectorStore

    if not args.project.is_dir():
        raise SpecError([Diagnostic("not-found", "no such project folder", Loc(str(args.project), 1, 1))])
    written = write_docs(args.project, args.out, ConnectorStore(extra_dirs=args.connectors), args.flow)
    print(f"wrote {len(written)} file(s) to {args.out}: open {args.out / 'index.html'}", file=sys.stdout)
    return EXIT_OK


COMMANDS = {"docs": cmd_docs}
