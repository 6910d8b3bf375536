"""The flows between the client's systems as an SVG drawing, written here (no Graphviz needed).

A simple layered layout: each endpoint is a box (its system's name, then the endpoint's name); a
depth-first walk from the sources of the flows, in the order written, gives each box a column (the longest chain of forward
flows reaching it; a flow going back does not move boxes, so two systems syncing both ways sit side
by side). Each flow is a labelled arrow from its source box to its target box; the arrows between two
boxes are drawn as parallel lines, one per flow, the boxes as tall as their arrows need.
"""
from __future__ import annotations

from html import escape

BOX_W, MIN_BOX_H = 200, 60
COL_GAP, ROW_GAP = 300, 60
LANE = 24  # between two parallel arrows
MARGIN = 24
LOOP = 40  # room above a box for a flow within one system

Edge = tuple[str, str, str]  # from endpoint, to endpoint, label


def columns(nodes: list[str], edges: list[Edge]) -> dict[str, int]:
    """Each node's column: its depth along forward edges (back edges of the walk are left out)."""
    # the walk starts from the first flow's source (the flows as written), so the page reads as the spec
    order = list(dict.fromkeys([a for a, _, _ in edges] + nodes))
    forward: list[tuple[str, str]] = []
    state: dict[str, int] = {}  # 1: on the walk's path, 2: done

    def visit(node: str) -> None:
        state[node] = 1
        for a, b, _ in edges:
            if a == node and a != b:
                if state.get(b) is None:
                    forward.append((a, b))
                    visit(b)
                elif state.get(b) == 2:
                    forward.append((a, b))
        state[node] = 2

    for node in order:
        if node not in state:
            visit(node)
    column = {n: 0 for n in nodes}
    for _ in nodes:  # longest path over an acyclic edge set: at most len(nodes) rounds
        for a, b in forward:
            column[b] = max(column[b], column[a] + 1)
    return column


def render(systems: dict[str, str], edges: list[Edge]) -> str:
    nodes = list(systems)
    edges = [e for e in edges if e[0] in systems and e[1] in systems]
    column = columns(nodes, edges)
    by_col: dict[int, list[str]] = {}
    for node in nodes:
        by_col.setdefault(column[node], []).append(node)
    pairs: dict[tuple[str, str], list[Edge]] = {}
    for edge in edges:
        pairs.setdefault(tuple(sorted(edge[:2])), []).append(edge)  # type: ignore[arg-type]
    most = max((len(v) for k, v in pairs.items() if k[0] != k[1]), default=1)
    box_h = max(MIN_BOX_H, most * LANE + 12)
    loops = any(a == b for a, b, _ in edges)
    top = MARGIN + (LOOP if loops else 0)
    pos = {node: (MARGIN + col * (BOX_W + COL_GAP), top + row * (box_h + ROW_GAP))
           for col, members in by_col.items() for row, node in enumerate(members)}
    width = MARGIN * 2 + (max(column.values(), default=0) + 1) * (BOX_W + COL_GAP) - COL_GAP
    rows = max((len(v) for v in by_col.values()), default=1)
    height = top + rows * (box_h + ROW_GAP) - ROW_GAP + MARGIN
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="flow-diagram" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="Flows between the systems">',
           "<title>Flows between the systems</title>",
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" '
           'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#3b5b8c"/></marker></defs>']
    for (a, b), group in pairs.items():
        for index, edge in enumerate(group):
            out.append(_arrow(pos, box_h, edge, index, len(group)))
    for node in nodes:
        x, y = pos[node]
        mid = y + box_h / 2
        out.append(f'<g class="system"><rect x="{x}" y="{y}" width="{BOX_W}" height="{box_h}" rx="8" '
                   f'fill="#eef3fa" stroke="#3b5b8c" stroke-width="1.5"/>'
                   f'<text x="{x + BOX_W / 2}" y="{mid - 2}" text-anchor="middle" font-size="16" '
                   f'font-weight="bold" fill="#1d2b40">{escape(systems[node])}</text>'
                   f'<text x="{x + BOX_W / 2}" y="{mid + 16}" text-anchor="middle" font-size="12" '
                   f'fill="#4a5a70">endpoint {escape(node)}</text></g>')
    out.append("</svg>")
    return "\n".join(out)


def _arrow(pos: dict[str, tuple[int, int]], box_h: int, edge: Edge, index: int, count: int) -> str:
    a, b, label = edge
    (ax, ay), (bx, by) = pos[a], pos[b]
    offset = (index - (count - 1) / 2) * LANE
    x: float
    x1: float
    x2: float
    y1: float
    y2: float
    lx: float
    ly: float
    if a == b:  # a flow within one system: a loop above its box
        x = ax + BOX_W / 2 + offset * 2
        path = f"M{x - 25},{ay} C{x - 35},{ay - LOOP} {x + 35},{ay - LOOP} {x + 25},{ay}"
        lx, ly = x, ay - LOOP + 8
    elif ax != bx:  # side by side: a horizontal lane between facing sides
        left_to_right = ax < bx
        x1 = ax + BOX_W if left_to_right else ax
        x2 = bx if left_to_right else bx + BOX_W
        y1, y2 = ay + box_h / 2 + offset, by + box_h / 2 + offset
        path = f"M{x1},{y1} L{x2},{y2}"
        lx, ly = (x1 + x2) / 2, (y1 + y2) / 2 - 5  # above its line
    else:  # one above the other: a vertical lane
        down = ay < by
        x = ax + BOX_W / 2 + offset * 3
        y1, y2 = (ay + box_h, by) if down else (ay, by + box_h)
        path = f"M{x},{y1} L{x},{y2}"
        lx, ly = x, (y1 + y2) / 2 + 4
    return (f'<g class="flow"><path d="{path}" fill="none" stroke="#3b5b8c" stroke-width="1.6" '
            f'marker-end="url(#arrow)"/><text x="{lx}" y="{ly}" text-anchor="middle" font-size="12" '
            f'fill="#1d2b40" paint-order="stroke" stroke="#ffffff" stroke-width="5" '
            f'stroke-linejoin="round">{escape(label)}</text></g>')
