"""The workflow diagram as SVG drawn on the server: no diagram library in the browser.

Drawing it in the page took 3.5 MB of JavaScript, 20 s on a 3G phone; this SVG is a few KB,
inline in the page, and drawn once per definition version, state and language (a definition
version never changes, so neither does its picture).

The layout is a small layered drawing (the Sugiyama method, simplified): states in rows from
the state a case is filed into, following the transitions; transitions that lead back (return,
reopen, answer a question) are drawn as curves at the sides; each row is ordered by the mean
position of the states leading into it. Rows run top to bottom, so the picture is narrow: at
most a few states side by side, which fits a 360-px phone without scrolling sideways.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from html import escape

from markupsafe import Markup

from workflows.definition import Definition

NODE_W, NODE_H = 104, 42
GAP_X, GAP_Y = 14, 62
MARGIN = 30  # room at the sides for the curves of transitions that lead back
FONT, EDGE_FONT = 11.5, 9.5


@dataclass(frozen=True)
class _Edge:
    src: str
    dest: str
    label: str


def _wrap(text: str, width: int) -> list[str]:
    """Words into lines of at most `width` characters (a long word stays whole), at most three lines."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > 3:
        lines = [*lines[:2], " ".join(lines[2:])[: width - 1] + "…"]
    return lines or [""]


def _edges(defn: Definition, lang: str) -> list[_Edge]:
    merged: dict[tuple[str, str], list[str]] = {}
    for t in defn.transitions:
        for src in t.sources:
            merged.setdefault((src, t.dest), []).append(t.label(lang))
    return [_Edge(s, d, " / ".join(labels)) for (s, d), labels in merged.items()]


def _layers(defn: Definition, edges: list[_Edge]) -> tuple[dict[str, int], set[tuple[str, str]]]:
    """Row of each state (longest path from the filing state, ignoring back edges), and the back edges."""
    states = list(defn.states)
    succ: dict[str, list[str]] = {s: [] for s in states}
    for e in edges:
        if e.src != e.dest:
            succ[e.src].append(e.dest)
    start = defn.create_transition.dest
    back: set[tuple[str, str]] = set()
    on_path: set[str] = set()
    seen: set[str] = set()

    def visit(node: str) -> None:  # depth-first: an edge to a state on the current path leads back
        seen.add(node)
        on_path.add(node)
        for nxt in succ[node]:
            if nxt in on_path:
                back.add((node, nxt))
            elif nxt not in seen:
                visit(nxt)
        on_path.discard(node)

    for root in [start, *states]:
        if root not in seen:
            visit(root)
    layer = {s: 0 for s in states}
    for _ in states:  # relax: at most |states| rounds on a DAG
        changed = False
        for e in edges:
            if e.src != e.dest and (e.src, e.dest) not in back and layer[e.dest] < layer[e.src] + 1:
                layer[e.dest] = layer[e.src] + 1
                changed = True
        if not changed:
            break
    return layer, back


def _order(defn: Definition, layer: dict[str, int], edges: list[_Edge], back: set[tuple[str, str]]) -> list[list[str]]:
    rows: list[list[str]] = [[] for _ in range(max(layer.values(), default=0) + 1)]
    for s in defn.states:  # the definition's order first: it is the order its author thinks in
        rows[layer[s]].append(s)
    preds: dict[str, list[str]] = {s: [] for s in defn.states}
    for e in edges:
        if e.src != e.dest and (e.src, e.dest) not in back:
            preds[e.dest].append(e.src)
    for _ in range(2):
        pos = {s: i - (len(row) - 1) / 2 for row in rows for i, s in enumerate(row)}
        for row in rows[1:]:
            row.sort(key=lambda s: sum(pos[p] for p in preds[s]) / len(preds[s]) if preds[s] else pos[s])
            pos.update({s: i - (len(row) - 1) / 2 for i, s in enumerate(row)})
    return rows


def _text(x: float, y: float, lines: list[str], size: float, css: str) -> str:
    first = y - (len(lines) - 1) * size * 0.6
    spans = "".join(
        f'<tspan x="{x:.1f}" y="{first + i * size * 1.2:.1f}">{escape(line)}</tspan>' for i, line in enumerate(lines)
    )
    return f'<text class="{css}" text-anchor="middle" dominant-baseline="middle" font-size="{size}">{spans}</text>'


@lru_cache(maxsize=512)
def workflow_svg(defn: Definition, current: str | None, lang: str) -> Markup:
    """The definition's states and transitions as an inline SVG, the current state highlighted."""
    edges = _edges(defn, lang)
    layer, back = _layers(defn, edges)
    rows = _order(defn, layer, edges, back)
    widest = max(len(r) for r in rows)
    width = 2 * MARGIN + widest * NODE_W + (widest - 1) * GAP_X
    height = 24 + len(rows) * NODE_H + (len(rows) - 1) * GAP_Y + 8
    centre: dict[str, tuple[float, float]] = {}
    for r, row in enumerate(rows):
        row_w = len(row) * NODE_W + (len(row) - 1) * GAP_X
        x0 = (width - row_w) / 2
        for i, s in enumerate(row):
            centre[s] = (x0 + i * (NODE_W + GAP_X) + NODE_W / 2, 16 + r * (NODE_H + GAP_Y) + NODE_H / 2)

    out: list[str] = []
    loops: dict[str, list[str]] = {}
    for e in edges:
        title = f"<title>{escape(e.label)}</title>"
        (x1, y1), (x2, y2) = centre[e.src], centre[e.dest]
        if e.src == e.dest:
            loops.setdefault(e.src, []).append(e.label)
            continue
        if (e.src, e.dest) in back:  # a curve at the side nearer the source, back up to the target
            side = -1 if x1 <= width / 2 else 1
            sx, tx = x1 + side * NODE_W / 2, x2 + side * NODE_W / 2
            bend = (width - MARGIN / 2) if side > 0 else MARGIN / 2
            bend = bend + side * (abs(y1 - y2) / (NODE_H + GAP_Y) - 1) * 3
            path = f"M{sx:.1f},{y1:.1f} C{bend:.1f},{y1:.1f} {bend:.1f},{y2:.1f} {tx:.1f},{y2 + 6:.1f}"
            out.append(f'<path class="edge back" d="{path}" marker-end="url(#arrow)">{title}</path>')
            continue
        sy, ty = y1 + NODE_H / 2, y2 - NODE_H / 2
        out.append(f'<path class="edge" d="M{x1:.1f},{sy:.1f} L{x2:.1f},{ty - 2:.1f}" marker-end="url(#arrow)">{title}</path>')
        lx, ly = x1 + (x2 - x1) * 0.7, sy + (ty - sy) * 0.6
        out.append(_text(lx, ly, _wrap(e.label, 15), EDGE_FONT, "edge-label"))
    for s, (x, y) in centre.items():
        spec = defn.states[s]
        css = "state current" if s == current else "state terminal" if spec.terminal else "state"
        extra = ' aria-current="step"' if s == current else ""
        label = spec.label(lang)
        tip = label + ("".join(f"\n↻ {t}" for t in loops.get(s, [])))
        out.append(f'<g class="{css}" data-state="{escape(s)}"{extra}><title>{escape(tip)}</title>'
                   f'<rect x="{x - NODE_W / 2:.1f}" y="{y - NODE_H / 2:.1f}" width="{NODE_W}" height="{NODE_H}" rx="8"/>'
                   f"{_text(x, y, _wrap(label, 15), FONT, 'state-label')}")  # fmt: skip
        if s in loops:  # transitions that keep the state (reassign, correct): a small loop at the corner
            lx, ly = x + NODE_W / 2 - 6, y - NODE_H / 2
            out.append(f'<path class="edge loop" d="M{lx - 10:.1f},{ly:.1f} c0,-14 20,-14 16,0" marker-end="url(#arrow)"/>')
        out.append("</g>")
    start = defn.create_transition
    sx, sy = centre[start.dest]
    out.append(f'<path class="edge" d="M{sx:.1f},2 L{sx:.1f},{sy - NODE_H / 2 - 2:.1f}" marker-end="url(#arrow)">'
               f"<title>{escape(start.label(lang))}</title></path>")  # fmt: skip
    title = escape(defn.label(lang))
    current_label = escape(defn.states[current].label(lang)) if current in defn.states else ""
    aria = f"{title}: {current_label}" if current_label else title
    return Markup(
        f'<svg class="workflow-diagram" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="{aria}">'
        '<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse">'
        '<path d="M0,0 L8,4 L0,8 z" fill="#4b5563"/></marker></defs>'
        '<style>.state rect{fill:#fff;stroke:#374151;stroke-width:1.2}.terminal rect{fill:#e5e7eb;stroke:#6b7280}'
        ".current rect{fill:#fde68a;stroke:#b45309;stroke-width:3}.current .state-label{font-weight:700}"
        ".edge{fill:none;stroke:#4b5563;stroke-width:1.1}.back{stroke-dasharray:4 3}"
        "text{font-family:system-ui,sans-serif;fill:#111827}.edge-label{fill:#374151;paint-order:stroke;stroke:#fff;"
        "stroke-width:3px}</style>" + "".join(out) + "</svg>"
    )  # fmt: skip
