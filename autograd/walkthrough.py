"""Watch backprop: the forward pass, then the chain rule one edge at a time, on your own graph.

`Walkthrough(root)` lays the graph out once (one SVG) and describes every frame as small data:
which node and edge to highlight and which numbers to fill in. The same frames drive

* a self-contained HTML+JS player (Jupyter display, `nbconvert` HTML, `save("backprop.html")`):
  First / Prev / Play / Next / Last, a slider, arrow keys, the explanation and its LaTeX;
  where scripts do not run, a static picture (PNG data URI) and the list of steps show instead;
* `widget()`, an ipywidgets viewer for a live kernel.

Building a Walkthrough runs `backprop_steps(root)`: afterwards every `.grad` of the graph is what
`backward()` gives from zero.
"""

from __future__ import annotations

import copy
import hashlib
import html
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from autograd import graph
from autograd.drawing import HIGHLIGHT, Graph, number
from autograd.files import atomic_write
from autograd.render import render_dot
from autograd.steps import backprop_steps, forward_steps
from autograd.value import CONSTANT, Value

SVG_NS = "http://www.w3.org/2000/svg"
UNKNOWN = f"{'?':>10}"
ACTIVE = "#ff7f0e"  # the node whose gradient flows back
RECEIVING = "#2ca02c"  # the parent that receives it


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
    """

    def __init__(self, root: Value, forward: bool = True, max_nodes: int = 500, view: str = "graph") -> None:
        if not isinstance(root, Value):
            raise TypeError(f"Walkthrough needs a Value, got {type(root).__name__}")
        if view != "graph" and view not in VIEWS:
            hint = " (it is nn's: import nn first)" if view == "network" else ""
            raise ValueError(f"unknown Walkthrough view {view!r}{hint}; known: {', '.join(['graph', *VIEWS])}")
        self.root = root
        self.view = view
        order = graph.topological_order(root)
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
                active=[f"n_{node}", f"n_{node}op"],
                receiving=[f"n_{ids[p]}" for p in step.node.parents],
                edges=[f"e_{node}_{i}" for i in range(len(step.node.parents))] + [f"o_{node}"],
                updates=[(node, "data", number(step.node.data))],
            ))  # fmt: skip
        r = names[root]
        self.frames.append(Frame(
            phase="backward",
            text=f"Start at the output: d{r}/d{r} = 1",
            latex=rf"\frac{{\partial {r}}}{{\partial {r}}} = 1",
            active=[f"n_{ids[root]}"],
            updates=[(ids[root], "grad", number(1.0))],
        ))  # fmt: skip
        for step in self.steps:  # the chain rule along one edge
            node, parent = ids[step.node], ids[step.parent]
            self.frames.append(Frame(
                phase="backward",
                text=step.explain(),
                latex=step.latex(),
                active=[f"n_{node}", f"n_{node}op"],
                receiving=[f"n_{parent}"],
                edges=[f"e_{node}_{step.parent_index}"],
                updates=[(parent, "grad", number(step.parent_grad))],
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
            self._svg = re.sub(r"<!--.*?-->\n?", "", text[text.index("<svg") :], flags=re.S)  # drop comments
        return self._svg

    def state(self, index: int) -> dict[str, dict[str, str]]:
        """The numbers shown in every box at frame `index` (0-based)."""
        if not 0 <= index < len(self.frames):
            raise IndexError(f"frame {index} is out of range: this walkthrough has {len(self.frames)} frames")
        shown = copy.deepcopy(self.initial)
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

    def _data(self) -> dict:
        return {
            "initial": self.initial,
            "frames": [
                {
                    "phase": f.phase,
                    "text": f.text,
                    "latex": f.latex,
                    "active": f.active,
                    "receiving": f.receiving,
                    "edges": f.edges,
                    "updates": f.updates,
                }
                for f in self.frames
            ],
            "colours": {"active": ACTIVE, "receiving": RECEIVING, "edge": HIGHLIGHT},
        }

    def html(self) -> str:
        """The player as an HTML fragment (a div and its script), with a static fallback."""
        payload = json.dumps(self._data(), separators=(",", ":"))
        uid = "crw-" + hashlib.sha1((payload + self.svg).encode()).hexdigest()[:10]  # stable across runs
        png = self.graph.to_data_uri("png", dpi=72, max_inches="18,12")  # only a fallback: kept small
        steps_text = html.escape(steps_table_from(self))
        script = _PLAYER_JS.replace("__ID__", uid).replace("__DATA__", payload.replace("</", "<\\/"))
        return f"""<div class="crw" id="{uid}" tabindex="0">
<style>{_PLAYER_CSS.replace("#ID", "#" + uid)}</style>
<div class="crw-static">
<img alt="computation graph with final values and gradients" src="{png}">
<details open><summary>Forward and backward steps ({len(self.frames)} frames)</summary><pre>{steps_text}</pre></details>
</div>
<div class="crw-live" hidden>
<div class="crw-graph">{self.svg}</div>
<div class="crw-bar">
<button type="button" data-go="first">First</button>
<button type="button" data-go="prev">Prev</button>
<button type="button" data-go="play">Play</button>
<button type="button" data-go="next">Next</button>
<button type="button" data-go="last">Last</button>
<input type="range" class="crw-slider" min="0" max="{len(self.frames) - 1}" value="0" aria-label="frame">
<span class="crw-count"></span>
</div>
<div class="crw-legend"><span style="border-color:{ACTIVE}">gradient flows from</span>
<span style="border-color:{RECEIVING}">flows into</span>
<span style="border-color:{HIGHLIGHT}">along this edge (its label: the local derivative)</span></div>
<div class="crw-phase"></div>
<div class="crw-text"></div>
<code class="crw-latex"></code>
</div>
<script>{script}</script>
</div>"""

    def _repr_mimebundle_(self, include=None, exclude=None, **_) -> dict[str, str]:
        return {"text/html": self.html(), "text/plain": steps_table_from(self)}

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the player as one self-contained HTML file (no network needed); returns the path."""
        path = Path(path)
        document = (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
            "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
            "<title>chainrule: backprop step by step</title>\n</head>\n<body>\n"
            f'<h1 style="font-family: sans-serif; font-size: 1.2em">Backprop, one chain-rule step at a time</h1>\n'
            f"{self.html()}\n</body>\n</html>\n"
        )
        atomic_write(path, document.encode())
        return path

    # ---- the live widget -----------------------------------------------------------------------

    def widget(self):
        """An ipywidgets viewer (slider, play, buttons) for a live kernel."""
        try:
            import ipywidgets as widgets
        except ImportError:
            raise ImportError("Walkthrough.widget() needs ipywidgets: pip install ipywidgets") from None
        picture = widgets.HTML()
        text = widgets.HTMLMath()
        slider = widgets.IntSlider(value=0, min=0, max=len(self.frames) - 1, description="frame")
        play = widgets.Play(value=0, min=0, max=len(self.frames) - 1, interval=700)
        widgets.jslink((play, "value"), (slider, "value"))

        def show(change=None) -> None:
            frame = self.frames[slider.value]
            picture.value = f'<div style="overflow:auto">{self.frame_svg(slider.value)}</div>'
            latex = f"<br>$${frame.latex}$$" if frame.latex else ""
            text.value = f"<b>{frame.phase}</b> {slider.value + 1}/{len(self.frames)}: {html.escape(frame.text)}{latex}"

        slider.observe(show, names="value")
        show()
        return widgets.VBox([picture, widgets.HBox([play, slider]), text])


def steps_table_from(walkthrough: Walkthrough) -> str:
    """The walkthrough's frames as plain text (the fallback where scripts do not run)."""
    width = len(str(len(walkthrough.frames)))
    return "\n".join(f"{i + 1:>{width}} [{f.phase}] {f.text}" for i, f in enumerate(walkthrough.frames))


_PLAYER_CSS = """
#ID { font-family: sans-serif; outline: none; }
#ID .crw-static img { max-width: 100%; }
#ID .crw-graph { overflow: auto; max-height: 75vh; border: 1px solid #ddd; }
#ID .crw-graph svg { max-width: 100%; height: auto; display: block; }
#ID .crw-bar { display: flex; gap: 6px; align-items: center; margin: 6px 0; flex-wrap: wrap; }
#ID .crw-bar button { padding: 3px 10px; }
#ID .crw-slider { flex: 1; min-width: 120px; }
#ID .crw-legend { font-size: 12px; color: #444; margin: 2px 0 6px; }
#ID .crw-legend span { border: 2px solid; border-radius: 3px; padding: 0 4px; margin-right: 6px; }
#ID .crw-phase { font-weight: bold; text-transform: capitalize; }
#ID .crw-text { font-family: monospace; font-size: 14px; margin: 4px 0; white-space: pre-wrap; }
#ID .crw-latex { color: #555; font-size: 12px; }
"""

_PLAYER_JS = r"""
(function () {
  var root = document.getElementById("__ID__");
  if (!root) { return; }
  var data = __DATA__;
  var live = root.querySelector(".crw-live");
  root.querySelector(".crw-static").hidden = true;
  root.querySelector(".crw-static").style.display = "none";
  live.hidden = false;
  var svg = live.querySelector("svg");
  var slider = live.querySelector(".crw-slider");
  var playButton = live.querySelector('[data-go="play"]');
  var index = 0, timer = null;
  var lines = {};  // node id -> {data: <text>, grad: <text>}
  Object.keys(data.initial).forEach(function (id) {
    var group = svg.querySelector('[id="n_' + id + '"]');
    if (!group) { return; }
    lines[id] = {};
    group.querySelectorAll("text").forEach(function (t) {
      var content = t.textContent.replace(/\u00a0/g, " ");
      Object.keys(data.initial[id]).forEach(function (key) {
        if (content.indexOf(key + " ") === 0) { lines[id][key] = t; }
      });
    });
  });
  var shapes = {};  // element id -> [shape, original stroke, original width]
  svg.querySelectorAll("g[id]").forEach(function (g) {
    shapes[g.id] = Array.prototype.map.call(g.querySelectorAll("polygon, ellipse, path"), function (s) {
      return [s, s.getAttribute("stroke"), s.getAttribute("stroke-width")];
    });
  });
  function setLine(id, line, value) {
    var t = lines[id] && lines[id][line];
    if (t && value) { t.textContent = (line + " " + value).replace(/ /g, "\u00a0"); }
  }
  function paint(ids, colour) {
    ids.forEach(function (id) {
      (shapes[id] || []).forEach(function (s) {
        s[0].setAttribute("stroke", colour);
        s[0].setAttribute("stroke-width", "3");
      });
    });
  }
  function show(k) {
    index = Math.max(0, Math.min(data.frames.length - 1, k));
    var state = JSON.parse(JSON.stringify(data.initial));
    for (var i = 0; i <= index; i++) {
      data.frames[i].updates.forEach(function (u) { state[u[0]][u[1]] = u[2]; });
    }
    Object.keys(state).forEach(function (id) {
      Object.keys(state[id]).forEach(function (key) { setLine(id, key, state[id][key]); });
    });
    Object.keys(shapes).forEach(function (id) {
      shapes[id].forEach(function (s) {
        if (s[1] === null) { s[0].removeAttribute("stroke"); } else { s[0].setAttribute("stroke", s[1]); }
        if (s[2] === null) { s[0].removeAttribute("stroke-width"); } else { s[0].setAttribute("stroke-width", s[2]); }
      });
    });
    var frame = data.frames[index];
    paint(frame.edges, data.colours.edge);
    paint(frame.receiving, data.colours.receiving);
    paint(frame.active, data.colours.active);
    slider.value = String(index);
    live.querySelector(".crw-count").textContent = (index + 1) + " / " + data.frames.length;
    live.querySelector(".crw-phase").textContent = frame.phase + " pass";
    live.querySelector(".crw-text").textContent = frame.text;
    live.querySelector(".crw-latex").textContent = frame.latex;
    root.setAttribute("data-frame", String(index));
  }
  function stop() { if (timer) { clearInterval(timer); timer = null; playButton.textContent = "Play"; } }
  function play() {
    if (timer) { stop(); return; }
    if (index >= data.frames.length - 1) { show(0); }
    playButton.textContent = "Pause";
    timer = setInterval(function () {
      if (index >= data.frames.length - 1) { stop(); } else { show(index + 1); }
    }, 700);
  }
  var actions = {
    first: function () { stop(); show(0); },
    prev: function () { stop(); show(index - 1); },
    next: function () { stop(); show(index + 1); },
    last: function () { stop(); show(data.frames.length - 1); },
    play: play
  };
  live.querySelectorAll("button[data-go]").forEach(function (b) {
    b.addEventListener("click", function () { actions[b.getAttribute("data-go")](); root.focus(); });
  });
  slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
  root.addEventListener("keydown", function (e) {
    if (e.key === "ArrowRight") { actions.next(); e.preventDefault(); }
    if (e.key === "ArrowLeft") { actions.prev(); e.preventDefault(); }
  });
  show(0);
})();
"""
