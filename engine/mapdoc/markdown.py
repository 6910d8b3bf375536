"""The mapping document as Markdown: one page per flow (and an index), tables as GitHub tables."""
from __future__ import annotations

from collections.abc import Sequence

from engine.mapdoc.fields import Row
from engine.mapdoc.model import FlowDoc, ProjectDoc, Section


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or " "


def _table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return out


def field_rows(rows: list[Row]) -> list[tuple[str, ...]]:
    """The field table's rows, a list item's heading put before its first row."""
    out: list[tuple[str, ...]] = []
    group = ""
    for row in rows:
        if row.group != group:
            group = row.group
            out.append((f"**{group}**", "", "", "", ""))
        out.append((f"`{row.target}`", row.source, row.words, row.when, row.rule))
    return out


FIELD_HEADERS = ("Target field", "Comes from", "Transformation", "When / note", "Target rule")


def section(sec: Section, level: str = "##") -> list[str]:
    out = [f"{level} {sec.title}", ""]
    out += [f"{line}" for line in sec.lines]
    if sec.lines:
        out.append("")
    if sec.rows is not None:
        out += _table(FIELD_HEADERS, field_rows(sec.rows)) if sec.rows else ["(no fields)"]
        out.append("")
    if sec.table is not None:
        out += _table(*sec.table) if sec.table[1] else ["(none)"]
        out.append("")
    return out


def footer(doc: ProjectDoc) -> list[str]:
    return ["---", f"Generated {doc.generated} from plan version `{doc.version}` by `passerelle docs`.", ""]


def flow_page(doc: ProjectDoc, flow: FlowDoc) -> str:
    out = [f"# Flow {flow.name}: {doc.systems.get(flow.source, flow.source)} → "
           f"{doc.systems.get(flow.target, flow.target)}", ""]
    if flow.description:
        out += [flow.description, ""]
    for sec in flow.sections:
        out += section(sec)
    out += ["[All flows](index.md)", ""]
    return "\n".join(out + footer(doc))


def index_page(doc: ProjectDoc) -> str:
    out = [f"# {doc.name}: mapping document", "", "![Flows between the systems](flows.svg)", ""]
    out += ["## Flows", ""]
    out += _table(("Flow", "From", "To", "What it does"),
                  [(f"[{f.name}]({f.name}.md)", doc.systems.get(f.source, f.source), doc.systems.get(f.target, f.target),
                    f.description) for f in doc.flows])
    out.append("")
    out += section(doc.endpoints)
    for sec in doc.lookups:
        out += section(sec)
    return "\n".join(out + footer(doc))
