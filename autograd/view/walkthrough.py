"""Watch backprop: the forward pass, then the chain rule one edge at a time, on your own graph.

`Walkthrough(root)` lays the graph out once (one SVG) and describes every frame as small data:
which node and edge to highlight and which numbers to fill in. The same frames drive

* a self-contained HTML+JS player (Jupyter display, `nbconvert` HTML, `save("backprop.html")`):
  First / Prev / Play / Next / Last, a slider, arrow keys, zoom and pan, a view that follows the
  step, the explanation and its formula typeset as MathML (see `autograd.view.player`); where scripts
  do not run, a static picture (PNG data URI, text at its natural size) and the list of steps;
* `widget()`, the same player as a Jupyter widget (anywidget) whose frame a live kernel can set.

Building a Walkthrough runs `backprop_steps(root)`: afterwards every `.grad` of the graph is what
`backward()` gives from zero.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from autograd import graph
from autograd.files import atomic_write
from autograd.graph import fmt
from autograd.nudging import nudge_all
from autograd.value import CONSTANT, Value
from autograd.view import player
from autograd.view.drawing import HIGHLIGHT, Graph, _check_size, number
from autograd.view.render import render_dot
from autograd.view.steps import backprop_steps, forward_steps

SVG_NS = "http://www.w3.org/2000/svg"
UNKNOWN = f"{'?':>10}"
ACTIVE = "#ff7f0e"  # the node whose gradient flows back
RECEIVING = "#2ca02c"  # the parent that receives it
# What the three highlight colours mean, in each phase: on the op graph edges carry local derivatives,
# in nn's network views they are the weights.
LEGENDS = {
    "graph": {
        "forward": ["being computed", "computed from", "its inputs"],
        "backward": ["gradient flows from", "flows into", "along this edge (its label: the local derivative)"],
    },
    "network": {
        "forward": ["being computed", "computed from", "its weights"],
        "backward": ["gradient flows from", "flows into", "along these weights (their grad: ∂L/∂w)"],
    },
}
NUDGE_MAX_NODES = 150  # "Nudge it" in the page: every node nudged costs a pass over the graph below it
STATIC_MAX_PIXELS = 1_200_000  # the static picture's budget (a PNG in every saved page and notebook)
STATIC_PICTURE_MAX_NODES = 800  # drawn nodes (values and operations) up to which the static view has a picture


@dataclass
class Frame:
    """One picture of the walkthrough: what to say, what to highlight, which numbers change."""

    phase: str  # "forward" or "backward"
    text: str
    latex: str = ""
    active: list[str] = field(default_factory=list)  # element ids drawn in ACTIVE
    receiving: list[str] = field(default_factory=list)  # element ids drawn in RECEIVING
    edges: list[str] = field(default_factory=list)  # edge ids drawn in HIGHLIGHT
    updates: list[tuple[str, str, str]] = field(default_factory=list)  # (node id, "data"/"grad", text)
    focus: list[str] = field(default_factory=list)  # element ids the text talks about (default: found by name)
    question: dict = field(default_factory=dict)  # the quiz: ask, answer, before (see `question`)


# Other views of the same walk, registered by the packages that provide them (nn registers
# "network", its neuron diagram): a view gets the root after backprop has filled every .grad and
# returns its picture (with element ids), each element's initial text lines, and its frames.
View = Callable[..., tuple[Graph, dict[str, dict[str, str]], list["Frame"]]]
VIEWS: dict[str, View] = {}


def register_view(name: str, build: View) -> None:
    """Make `Walkthrough(root, view=name)` use `build(root, forward=...) -> (graph, initial, frames)`.

    `initial` maps a drawn element's id (without its ``n_`` prefix) to its text lines by their first
    word ("data", "grad", ...); frames update those lines. This is how `nn` adds its network view
    without `autograd` importing `nn`.
    """
    VIEWS[name] = build


class Walkthrough:
    """Step through `root`'s forward pass (optional) and its backward pass, one frame at a time.

    view: "graph" (every operation, one frame per edge) or a registered view such as nn's
    "network" (one circle per neuron, stepped neuron by neuron; available once `nn` is imported).
    quiz: start the player in quiz mode (predict each gradient before the step shows it; the page
    says right or wrong with the worked product and keeps a score). Every player can switch it on.
    """

    def __init__(
        self, root: Value, forward: bool = True, max_nodes: int = 500, view: str = "graph", quiz: bool = False
    ) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"Walkthrough needs a Value, got {type(root).__name__}")
        if view != "graph" and view not in VIEWS:
            hint = " (it is nn's: import nn first)" if view == "network" else ""
            raise ValueError(f"unknown Walkthrough view {view!r}{hint}; known: {', '.join(['graph', *VIEWS])}")
        self.root = root
        self.view = view
        self.quiz = bool(quiz)
        order = graph.topological_order(root)
        if view == "graph":  # refuse a graph too large to draw before any step touches a gradient
            _check_size(len(order) + sum(1 for node in order if node.parents), max_nodes)
        ids = graph.node_ids(order)  # the drawing's element ids are made from the same numbering
        names = graph.node_names(root)
        self.forward_steps = forward_steps(root) if forward else []
        self.steps = list(backprop_steps(root))  # leaves every .grad as backward() gives
        self._svg: str | None = None
        if view != "graph":
            self.graph, self.initial, self.frames = VIEWS[view](root, forward=forward)
            return
        self.initial = {
            ids[n]: {
                "data": UNKNOWN if forward and n.parents else number(n.data),
                "grad": "" if n.kind == CONSTANT else UNKNOWN,
            }
            for n in order
        }
        self.frames: list[Frame] = []
        for step in self.forward_steps:  # each value computed from its parents
            node = ids[step.node]
            self.frames.append(Frame(
                phase="forward",
                text=step.formula,
                latex=step.latex(),
                active=[f"n_{node}", f"n_{node}op"],
                receiving=[f"n_{ids[p]}" for p in step.node.parents],
                edges=[f"e_{node}_{i}" for i in range(len(step.node.parents))] + [f"o_{node}"],
                updates=[(node, "data", number(step.node.data))],
            ))  # fmt: skip
        r = names[root]
        self.frames.append(Frame(
            phase="backward",
            text=(
                f"Start at the output: ∂{r}/∂{r} = 1. Then the gradient flows back one edge at a time. "
                "Constants need no gradient (nothing can change them), so their edges get no step."
            ),
            latex=rf"\frac{{\partial {r}}}{{\partial {r}}} = 1",
            active=[f"n_{ids[root]}"],
            updates=[(ids[root], "grad", number(1.0))],
        ))  # fmt: skip
        reached: set[Value] = set()  # parents that already have a gradient from another path
        for step in self.steps:  # the chain rule along one edge
            node, parent = ids[step.node], ids[step.parent]
            first = step.parent not in reached
            reached.add(step.parent)
            self.frames.append(Frame(
                phase="backward",
                text=step.explain(),
                latex=step.latex(),
                active=[f"n_{node}", f"n_{node}op"],
                receiving=[f"n_{parent}"],
                edges=[f"e_{node}_{step.parent_index}"],
                updates=[(parent, "grad", number(step.parent_grad))],
                question=question(step, first),
            ))  # fmt: skip
        self.graph = root.draw(show_names=True, element_ids=True, max_nodes=max_nodes)

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        return f"Walkthrough({len(self.forward_steps)} forward steps, {len(self.steps)} backward steps)"

    # ---- the picture ---------------------------------------------------------------------------

    @property
    def svg(self) -> str:
        """The graph laid out once, as inline SVG (no XML prolog), with final values in the boxes."""
        if self._svg is None:
            text = render_dot(self.graph.source, "svg").decode()
            self._svg = _compact_svg(text[text.index("<svg") :])
        return self._svg

    def state(self, index: int) -> dict[str, dict[str, str]]:
        """The numbers shown in every box at frame `index` (0-based)."""
        if not 0 <= index < len(self.frames):
            raise IndexError(f"frame {index} is out of range: this walkthrough has {len(self.frames)} frames")
        shown = {node: dict(lines) for node, lines in self.initial.items()}
        for frame in self.frames[: index + 1]:
            for node, line, text in frame.updates:
                shown[node][line] = text
        return shown

    def frame_svg(self, index: int) -> str:
        """The SVG of frame `index`: same layout, the frame's numbers and highlights."""
        tree = ET.fromstring(self.svg)
        frame, shown = self.frames[index], self.state(index)
        groups = {g.get("id"): g for g in tree.iter(f"{{{SVG_NS}}}g") if g.get("id")}
        for node, lines in shown.items():
            group = groups.get(f"n_{node}")
            for text in group.iter(f"{{{SVG_NS}}}text") if group is not None else ():
                content = (text.text or "").replace("\xa0", " ")
                for line in lines:
                    if content.startswith(line + " ") and lines[line]:
                        text.text = f"{line} {lines[line]}".replace(" ", "\xa0")
        for ids, colour in ((frame.active, ACTIVE), (frame.receiving, RECEIVING), (frame.edges, HIGHLIGHT)):
            for element_id in ids:
                group = groups.get(element_id)
                for shape in group.iter() if group is not None else ():
                    if shape.tag.split("}")[-1] in ("polygon", "ellipse", "path"):
                        shape.set("stroke", colour)
                        shape.set("stroke-width", "3")
        ET.register_namespace("", SVG_NS)
        return ET.tostring(tree, encoding="unicode")

    # ---- the HTML player -----------------------------------------------------------------------

    def focus(self, index: int) -> list[str]:
        """The element ids frame `index` talks about: its active elements and every node its text names.

        The loss in ``∂L/∂w1`` names whose gradient it is, not a node the step is about, so it counts
        only where the text uses it otherwise (``L = v24**2``).
        """
        frame = self.frames[index]
        if frame.focus:
            return list(frame.focus)
        titles = self._titles()
        if getattr(self, "_root_name", None) is None:
            self._root_name = graph.node_names(self.root)[self.root]
        root = re.escape(self._root_name)
        text = re.sub(rf"[∂d]{root}/", "", frame.text)
        named = [titles[token] for token in _tokens(text) if token in titles]
        return list(dict.fromkeys([*frame.active, *named]))

    def _titles(self) -> dict[str, str]:
        """Each node's title (the first word of its first text line: "w1", "n1.0" of "n1.0: relu") -> the
        element id, for titles used once."""
        if getattr(self, "_title_ids", None) is None:
            seen: dict[str, list[str]] = {}
            for group in ET.fromstring(self.svg).iter(f"{{{SVG_NS}}}g"):
                if "node" not in (group.get("class") or "").split() or not group.get("id"):
                    continue
                first = next(group.iter(f"{{{SVG_NS}}}text"), None)
                line = (first.text or "").replace("\xa0", " ").strip() if first is not None else ""
                title = re.match(r"[^\s:]+", line)
                if title:
                    seen.setdefault(title.group(), []).append(group.get("id"))
            self._title_ids = {title: ids[0] for title, ids in seen.items() if len(ids) == 1}
        return self._title_ids

    def _note(self) -> str:
        names = set(self._titles())
        notes = []
        if any(re.fullmatch(r"v\d+", name) for name in names):
            notes.append("v0, v1, ... name values without a label by their place in the graph (counting from v0)")
        if any(re.fullmatch(r"[wb]\d+(\.\d+)+", name) for name in names):
            notes.append("nn names weights w<layer>.<neuron>.<input> and biases b<layer>.<neuron>, counting from 0")
        notes.append("frames and steps count from 1")
        return "Names: " + "; ".join(notes) + "."

    def _data(self) -> dict:
        return {
            "svg": self.svg,
            "initial": self.initial,
            "frames": [
                {
                    "phase": f.phase,
                    "text": f.text,
                    "math": player.mathml(f.latex),
                    "active": f.active,
                    "receiving": f.receiving,
                    "edges": f.edges,
                    "focus": self.focus(i),
                    "updates": f.updates,
                    "question": f.question,
                }
                for i, f in enumerate(self.frames)
            ],
            "nudges": self._nudges(),
            "quiz": getattr(self, "quiz", False),
            "colours": {"active": ACTIVE, "receiving": RECEIVING, "edge": HIGHLIGHT},
            "legend": LEGENDS["graph" if getattr(self, "view", "graph") == "graph" else "network"],
            "note": self._note(),
        }

    def _nudges(self) -> list[dict]:
        """The "Nudge it" checks for the page, computed here (the page has no kernel): for every node of a graph
        of at most NUDGE_MAX_NODES nodes, the finite-difference check of `autograd.nudge`."""
        if getattr(self, "view", "graph") != "graph":
            return []
        order = graph.topological_order(self.root)
        if len(order) > NUDGE_MAX_NODES:
            return []
        ids, names = graph.node_ids(order), graph.node_names(self.root)
        return [
            {"id": ids[node], "name": names[node], "text": check.explain(), "status": check.status}
            for node, check in nudge_all(self.root).items()
        ]

    def _static(self) -> str:
        if getattr(self, "_static_html", None) is None:
            self._static_html = self._make_static()
        return self._static_html

    def _make_static(self) -> str:
        # 72 dpi: Graphviz's 11 pt text is 11 px, readable as it is. A large graph is scaled down to
        # STATIC_MAX_PIXELS (its text then gets small: the live player is the way to read such a graph);
        # past STATIC_PICTURE_MAX_NODES there is no picture at all (a second layout would take long).
        title = f"Forward and backward steps ({len(self)} frames)"
        nodes = self.svg.count('class="node"')
        if nodes > STATIC_PICTURE_MAX_NODES:
            return player.static_view(None, nodes, steps_table_from(self), title)
        box = re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+) ([\d.]+)"', self.svg)
        area = float(box.group(1)) * float(box.group(2)) if box else 0.0
        shrink = min(1.0, (STATIC_MAX_PIXELS / area) ** 0.5) if area else 1.0
        inches = f"{float(box.group(1)) * shrink / 72:.2f},{float(box.group(2)) * shrink / 72:.2f}" if box else None
        png = self.graph.picture("png", dpi=72, max_inches=inches if shrink < 1.0 else None)
        width = int.from_bytes(png[16:20], "big")  # the PNG header's width field
        uri = "data:image/png;base64," + base64.b64encode(png).decode()
        return player.static_view(uri, width, steps_table_from(self), title)

    def html(self) -> str:
        """The player as an HTML fragment (a div and its script), with a static fallback."""
        data = self._data()
        uid = "crw-" + hashlib.sha1(repr(data).encode()).hexdigest()[:10]  # stable across runs
        return player.player_html(uid, data, self._static())

    def _repr_mimebundle_(self, include=None, exclude=None, **_) -> dict[str, str]:
        return {"text/html": self.html(), "text/plain": steps_table_from(self)}

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the player as one self-contained HTML file (no network needed); returns the path."""
        path = Path(path)
        atomic_write(path, player.page(self.html(), "Backprop, one chain-rule step at a time").encode())
        return path

    # ---- the live widget -----------------------------------------------------------------------

    def widget(self):
        """The player as a Jupyter widget (anywidget): set ``.frame`` from the kernel, or step in the page.

        Saved without its widget state, the output shows the static picture and the step list instead.
        """
        try:
            from autograd.view.widget import WalkthroughWidget
        except ImportError as error:
            raise ImportError(f"Walkthrough.widget() needs anywidget: pip install anywidget ({error})") from None
        return WalkthroughWidget(self)


def question(step, first: bool) -> dict:
    """The quiz question for a backward step: the learner predicts d root / d parent after it.

    `ask` names the gradient (``∂L/∂w1``); `answer` is its value after the step, to the 4 significant
    digits the page shows; `before` (when the parent already had a gradient from other paths) is what
    it had. The worked product is the step's own text, shown with the verdict.
    """
    q = {"ask": f"∂{step.root_name}/∂{step.parent_name}", "answer": float(fmt(step.parent_grad))}
    if not first:
        q["before"] = fmt(step.parent_grad - step.contribution)
    return q


def _compact_svg(svg: str) -> str:
    """Graphviz's SVG, smaller and the same to look at: no comments, no <title> (Graphviz's internal
    node ids, which would only confuse as tooltips), the common font set once on the <svg> element
    (texts inherit it), and the no-break spaces and minus signs as characters rather than entities."""
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)
    svg = re.sub(r"<title>[^<]*</title>\n?", "", svg)
    fonts = re.findall(r' font-family="([^"]*)"', svg)
    if fonts:
        common = max(set(fonts), key=fonts.count)
        svg = svg.replace(f' font-family="{common}"', "")
        svg = svg.replace("<svg ", f'<svg font-family="{common}" ', 1)
    return svg.replace("&#160;", "\xa0").replace("&#45;", "-")


def _tokens(text: str) -> list[str]:
    """The names in a step's text: w1, x2, w0.1.2, v24 (a trailing full stop is not part of a name)."""
    return [token.rstrip(".") for token in re.findall(r"(?<![\w.])[A-Za-z_][\w.]*", text)]


def steps_table_from(walkthrough: Walkthrough) -> str:
    """The walkthrough's frames as plain text (the fallback where scripts do not run)."""
    width = len(str(len(walkthrough.frames)))
    return "\n".join(f"{i + 1:>{width}} [{f.phase}] {f.text}" for i, f in enumerate(walkthrough.frames))
