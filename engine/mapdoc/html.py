"""The mapping document as ONE standalone HTML page: inline CSS (``style.css``, package data), the SVG
diagram inline, no script, no font or image fetched: it opens offline, prints, and mails as one file."""
from __future__ import annotations

from collections.abc import Sequence

import re
from html import escape
from importlib import resources

from engine.mapdoc import diagram
from engine.mapdoc.markdown import FIELD_HEADERS
from engine.mapdoc.model import FlowDoc, ProjectDoc, Section

_CODE = re.compile(r"`` (.+?) ``|``(.+?)``|`([^`]+)`")  # the first as exprwords.code writes them


def inline(text: str) -> str:
    """Escaped text, with `code` spans."""
    return _CODE.sub(lambda m: f"<code>{m.group(1) or m.group(2) or m.group(3)}</code>", escape(text))


def _table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]], cls: str = "") -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _fields(sec: Section) -> str:
    if not sec.rows:
        return "<p>(no fields)</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in FIELD_HEADERS)
    cols = "".join(f'<col class="c{i}">' for i in range(len(FIELD_HEADERS)))
    body, group = [], ""
    for row in sec.rows:
        if row.group != group:
            group = row.group
            body.append(f'<tr class="group"><td colspan="{len(FIELD_HEADERS)}">{inline(group)}</td></tr>')
        cells = (f"<code>{escape(row.target)}</code>", inline(row.source), inline(row.words), inline(row.when),
                 inline(row.rule))
        body.append('<tr class="field">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f'<table class="fields"><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _section(sec: Section, level: int = 3) -> str:
    out = [f"<h{level}>{escape(sec.title)}</h{level}>"]
    out += [f"<p>{inline(line)}</p>" for line in sec.lines]
    if sec.rows is not None:
        out.append(_fields(sec))
    if sec.table is not None:
        out.append(_table(*sec.table) if sec.table[1] else "<p>(none)</p>")
    return "\n".join(out)


def _flow(doc: ProjectDoc, flow: FlowDoc) -> str:
    src, tgt = doc.systems.get(flow.source, flow.source), doc.systems.get(flow.target, flow.target)
    out = [f'<section class="flow" id="flow-{escape(flow.name)}">',
           f'<h2>Flow {escape(flow.name)} <span class="route">{escape(src)} → {escape(tgt)}</span></h2>']
    if flow.description:
        out.append(f'<p class="lead">{inline(flow.description)}</p>')
    out += [_section(sec) for sec in flow.sections]
    out.append("</section>")
    return "\n".join(out)


def page(doc: ProjectDoc) -> str:
    css = resources.files("engine.mapdoc").joinpath("style.css").read_text(encoding="utf-8")
    stamp = f"Generated {escape(doc.generated)} · plan version <code>{escape(doc.version)}</code>"
    toc = "".join(f'<li><a href="#flow-{escape(f.name)}">{escape(f.name)}</a> — '
                  f'{escape(doc.systems.get(f.source, f.source))} → {escape(doc.systems.get(f.target, f.target))}'
                  f"</li>" for f in doc.flows)
    body = [f"<header><h1>{escape(doc.name)}</h1><p class=\"subtitle\">Mapping document</p>"
            f'<p class="stamp">{stamp}</p></header>',
            '<section id="overview"><h2>Flows between the systems</h2>',
            f'<div class="diagram">{diagram.render(doc.systems, doc.edges)}</div>',
            f"<ul class=\"toc\">{toc}</ul>", _section(doc.endpoints), "</section>"]
    body += [_flow(doc, flow) for flow in doc.flows]
    if doc.lookups:
        body.append('<section id="lookups"><h2>Lookup tables</h2>')
        body += [_section(sec) for sec in doc.lookups]
        body.append("</section>")
    body.append(f'<footer>{stamp} · written by <code>passerelle docs</code></footer>')
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(doc.name)} — mapping document</title><style>\n{css}</style></head>\n"
            f"<body><main>\n" + "\n".join(body) + "\n</main></body></html>\n")
