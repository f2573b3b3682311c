"""Draw the path map: chapters as boxes in layers, an arrow from each prerequisite to the chapter that needs it.

A small Sugiyama-style layout, written out as SVG text (no graphviz): layer = length of the longest
prerequisite chain; arrows implied by others (A→B→C makes A→C redundant) are left out; an arrow that
skips layers passes through invisible waypoints; a few barycentre sweeps order each layer. The output
depends only on the path data, so the same data always gives the same bytes.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from coursekit.syllabus.data import CoursePath

NODE_W, WAYPOINT_W, MAX_LINES = 190, 10, 3
H_GAP, V_GAP, MARGIN = 18, 36, 12
LINE_CHARS, FONT = 26, "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
INK, EDGE, FILL = "#1f2328", "#57606a", "#f6f8fa"


def reduced_edges(prereqs: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    """Prerequisite edges (before, after) minus those implied through another prerequisite."""
    ancestors: dict[str, set[str]] = {}
    for node in prereqs:  # data order: every prerequisite comes before the chapter
        ancestors[node] = set()
        for p in prereqs[node]:
            ancestors[node] |= {p} | ancestors[p]
    edges = []
    for node, before in prereqs.items():
        for p in before:
            if not any(p in ancestors[q] for q in before if q != p):
                edges.append((p, node))
    return edges


def layers(prereqs: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Layer of each chapter: 0 without prerequisites, else one below its deepest prerequisite."""
    out: dict[str, int] = {}
    for node, before in prereqs.items():
        out[node] = 1 + max((out[p] for p in before), default=-1)
    return out


@dataclass
class _Slot:
    key: str  # a chapter number, or "a>b@k" for the waypoint of edge a→b in layer k
    layer: int
    width: int
    x: float = 0.0  # centre


def _wrap(text: str, width: int = LINE_CHARS) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _title_lines(title: str) -> list[str]:
    lines = _wrap(title)
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES]
        lines[-1] = lines[-1][: LINE_CHARS - 1].rstrip() + "…"
    return lines


def _num(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _duration(minutes: int) -> str:
    h, m = divmod(minutes, 60)
    return f"{h} h {m:02d} min" if h else f"{m} min"


class PathMap:
    """The path map of a course path: ``svg`` (text), shown as HTML in notebooks and the book."""

    def __init__(self, course: CoursePath):
        self.course = course
        self.prereqs = {c.number: c.prerequisites for c in course.chapters}
        self.edges = reduced_edges(self.prereqs)
        self.layer = layers(self.prereqs)
        self.titles = {c.number: _title_lines(c.title) for c in course.chapters}
        self.node_h = 24 + 14 * max(len(lines) for lines in self.titles.values())
        self.svg = self._draw()

    # ------------------------------------------------------------------ layout
    def _rows(self) -> tuple[list[list[_Slot]], dict[tuple[str, str], list[str]]]:
        depth = max(self.layer.values()) + 1
        rows: list[list[_Slot]] = [[] for _ in range(depth)]
        for number in self.prereqs:  # chapter order within a layer to start with
            rows[self.layer[number]].append(_Slot(number, self.layer[number], NODE_W))
        chains: dict[tuple[str, str], list[str]] = {}  # edge -> slot keys from its start to its end
        ups: dict[str, list[str]] = {n: [] for n in self.prereqs}  # slot -> slots in the layer above
        for a, b in self.edges:
            chain = [a]
            for k in range(self.layer[a] + 1, self.layer[b]):
                key = f"{a}>{b}@{k}"
                rows[k].append(_Slot(key, k, WAYPOINT_W))
                ups[key] = [chain[-1]]
                chain.append(key)
            ups[b].append(chain[-1])
            chain.append(b)
            chains[(a, b)] = chain
        downs: dict[str, list[str]] = {key: [] for key in ups}
        for key, above in ups.items():
            for u in above:
                downs[u].append(key)

        def sweep(order: range, neighbours: dict[str, list[str]], ref: int) -> None:
            for k in order:
                pos = {s.key: i for i, s in enumerate(rows[k + ref])}
                current = {s.key: i for i, s in enumerate(rows[k])}

                def centre(s: _Slot) -> tuple[float, int]:  # the sort below calls it, in this same iteration
                    near = [pos[n] for n in neighbours[s.key] if n in pos]  # noqa: B023
                    return (sum(near) / len(near) if near else current[s.key], current[s.key])  # noqa: B023

                rows[k].sort(key=centre)

        for _ in range(2):  # down then up, twice: enough for a course-sized graph
            sweep(range(1, depth), ups, -1)
            sweep(range(depth - 2, -1, -1), downs, +1)
        sweep(range(1, depth), ups, -1)
        return rows, chains

    def _draw(self) -> str:
        rows, chains = self._rows()
        row_w = [sum(s.width for s in row) + H_GAP * (len(row) - 1) for row in rows]
        width = max(row_w) + 2 * MARGIN
        node_h = self.node_h
        height = len(rows) * node_h + (len(rows) - 1) * V_GAP + 2 * MARGIN
        slots: dict[str, _Slot] = {}
        for row, w in zip(rows, row_w):
            x = (width - w) / 2
            for s in row:
                s.x = x + s.width / 2
                x += s.width + H_GAP
                slots[s.key] = s

        def top(s: _Slot) -> float:
            return MARGIN + s.layer * (node_h + V_GAP)

        chapters = {c.number: c for c in self.course.chapters}
        total = _duration(self.course.total_minutes)
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="ck-path-svg" viewBox="0 0 {_num(width)} {_num(height)}" '
            f'width="{_num(width)}" height="{_num(height)}" role="img" aria-labelledby="ck-path-title ck-path-desc" '
            f'style="max-width:100%;height:auto" font-family="{html.escape(FONT)}" font-size="12">',
            f'<title id="ck-path-title">Path map: {len(chapters)} chapters, {total} in all</title>',
            '<desc id="ck-path-desc">' + html.escape(" ".join(
                f"{c.number} {c.title}, {c.minutes} min, "
                + (f"after {', '.join(c.prerequisites)}." if c.prerequisites else "no prerequisites.")
                for c in self.course.chapters)) + "</desc>",
            '<defs><marker id="ck-path-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
            f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{EDGE}"/></marker></defs>',
            f'<rect x="0" y="0" width="{_num(width)}" height="{_num(height)}" rx="8" fill="#ffffff"/>',
        ]
        # Where arrows leave and enter a box: spread 16 px apart, in the order of the other end's position.
        port: dict[tuple[str, str, str], float] = {}
        for end in ("out", "in"):
            for number in chapters:
                mine = [(chain[-2] if end == "in" else chain[1], (a, b)) for (a, b), chain in chains.items()
                        if (b if end == "in" else a) == number]
                mine.sort(key=lambda item: slots[item[0]].x)
                for i, (_, edge) in enumerate(mine):
                    port[(end, *edge)] = slots[number].x + 16 * (i - (len(mine) - 1) / 2)
        for (a, b), chain in chains.items():
            points = [(port[("out", a, b)], top(slots[a]) + self.node_h)]
            points += [(slots[k].x, top(slots[k]) + self.node_h / 2) for k in chain[1:-1]]
            points.append((port[("in", a, b)], top(slots[b])))
            d = f"M{_num(points[0][0])},{_num(points[0][1])}"
            for (x1, y1), (x2, y2) in zip(points, points[1:]):
                ym = (y1 + y2) / 2
                d += f" C{_num(x1)},{_num(ym)} {_num(x2)},{_num(ym)} {_num(x2)},{_num(y2)}"
            out.append(f'<path class="ck-path-edge" data-from="{a}" data-to="{b}" d="{d}" fill="none" stroke="{EDGE}" '
                       'stroke-width="1.4" marker-end="url(#ck-path-arrow)"/>')
        for number, c in chapters.items():
            s = slots[number]
            x, y = s.x - NODE_W / 2, top(s)
            lines = self.titles[number]
            out.append(f'<g class="ck-path-node" data-chapter="{number}">')
            out.append(f"<title>{html.escape(f'{number} · {c.title} ({c.minutes} min)')}</title>")
            out.append(f'<rect x="{_num(x)}" y="{_num(y)}" width="{NODE_W}" height="{self.node_h}" rx="6" fill="{FILL}" '
                       f'stroke="{EDGE}" stroke-width="1.2"/>')
            out.append(f'<text x="{_num(x + 8)}" y="{_num(y + 16)}" fill="{INK}"><tspan font-weight="700">{number}</tspan>'
                       f'<tspan dx="6">{c.minutes} min</tspan></text>')
            for i, line in enumerate(lines):
                out.append(f'<text x="{_num(x + 8)}" y="{_num(y + 32 + 14 * i)}" fill="{INK}">{html.escape(line)}</text>')
            out.append("</g>")
        out.append("</svg>")
        return "\n".join(out)

    # ------------------------------------------------------------------ display
    def caption(self) -> str:
        return (f"An arrow from one chapter to another means: read the first one before. Arrows implied by others "
                f"are not drawn. Times are estimates for a first study, quizzes included: "
                f"{_duration(self.course.total_minutes)} for every chapter. Drawn from path.yml.")

    def _repr_html_(self) -> str:
        return f'<div class="ck-path-map">\n{self.svg}\n<p class="ck-path-caption">{html.escape(self.caption())}</p>\n</div>'

    def __repr__(self) -> str:
        lines = [f"Path map: {len(self.course.chapters)} chapters, {_duration(self.course.total_minutes)} in all"]
        for c in self.course.chapters:
            after = f" (after {', '.join(c.prerequisites)})" if c.prerequisites else ""
            lines.append(f"  {c.number} {c.title}: {c.minutes} min{after}")
        return "\n".join(lines)
