"""Drawing a Value's graph: values, gradients and, on the edges, the local derivatives.

`draw(root)` returns a `Graph`, a `graphviz.Digraph` whose rendering goes through
`autograd.view.render` (the system ``dot`` or the pip-installed ``graphviz-pure``), so pictures work
after a plain ``pip install``. Drawing only reads the graph; it never changes a Value.

Each value is a box (label, data, grad); each operation is its own small node. An operation has one
labelled port per input, in the order of its inputs: the edge from an input enters at its own port,
and the port shows d(output)/d(input), the factor the chain rule multiplies by. So every local
derivative sits at the end of its own edge, even where edges cross. A dot product's ports pair each
weight with its input (w1, x1, w2, x2, ...), which keeps each weight beside its input.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import re
from collections.abc import Iterable
from pathlib import Path

import graphviz

from autograd import graph
from autograd.files import atomic_write
from autograd.nudging import nudge_all
from autograd.value import Value
from autograd.view.render import render_dot

# Fill colours by kind of node: what a learner should tell apart at a glance.
KIND_STYLE = {
    "parameter": {"fillcolor": "#fde2b8", "color": "#b8741a"},  # weights and biases: learned
    "input": {"fillcolor": "#d4e6f9", "color": "#2f6db5"},  # data you feed in
    "constant": {"fillcolor": "#eeeeee", "color": "#888888", "style": "filled,dashed"},
    "result": {"fillcolor": "#ffffff", "color": "#444444"},  # computed by an operation
}
HIGHLIGHT = "#d62728"
CHECK_COLOURS = {"agrees": "#b7e4b0", "disagrees": "#f4a3a3", "kink": "#d0d0d0"}  # draw(check=True)
COLLAPSE_LEVELS = ("neuron", "layer")
OP_FILL = "#f3f3f3"
# Where edges enter an operation's ports, by rankdir: the side facing the inputs.
PORT_SIDE = {"LR": "w", "RL": "e", "TB": "n", "BT": "s"}
# nn labels parameters w<layer>.<neuron>.<input> and b<layer>.<neuron> (w0.1.2, b0.1); a lone
# Layer's are w<neuron>.<input> and b<neuron>.
_PARAMETER_LABEL = re.compile(r"^(?P<kind>[wb])(?P<index>\d+(?:\.\d+)*)$")


class GraphTooLarge(ValueError):
    """The graph has more nodes than `max_nodes`; collapse it or raise the limit."""


def number(x: float) -> str:
    """A number in a fixed width (4 significant digits, right-aligned), so boxes keep their size."""
    return f"{x:>10.4g}"


class Graph(graphviz.Digraph):
    """A `graphviz.Digraph` rendered with chainrule's Graphviz finder (system ``dot`` or graphviz-pure).

    In Jupyter it displays as SVG with a PNG beside it in the display bundle: JupyterLab shows the
    SVG in a trusted notebook and the PNG where SVG is not trusted (saved outputs still show).
    """

    display_formats: tuple[str, ...] = ("svg", "png")
    # The PNG is what an untrusted notebook shows (JupyterLab does not render its SVG), at its
    # natural size: 96 dpi keeps 11 pt text at about 14 px, and a graph wider than 10 inches is
    # scaled down to fit a notebook column (so is the SVG: nbconvert HTML shows it at its own size).
    # The PNG's colours are reduced to a palette to keep notebooks small.
    display_png_dpi = 96
    display_png_max_inches = "10,30"

    def pipe(self, format: str | None = None, *args, encoding: str | None = None, **kwargs) -> bytes | str:  # noqa: A002
        """The rendered picture as bytes (or str when `encoding` is given)."""
        data = render_dot(self.source, format or self.format)
        return data.decode(encoding) if encoding else data

    def render(
        self,
        filename: str | os.PathLike[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        view: bool = False,
        cleanup: bool = False,
        format: str | None = None,  # noqa: A002
        *args,
        outfile: str | os.PathLike[str] | None = None,
        **kwargs,
    ) -> str:
        """Write the picture (to `outfile`, or to ``<filename>.<format>``) and return its path."""
        if view:
            raise ValueError("view=True is not supported: open the returned path yourself")
        if outfile is not None:
            target = Path(outfile)
            format = format or target.suffix.lstrip(".") or self.format  # noqa: A001
        else:
            source_path = Path(self.save(filename, directory))
            target = source_path.with_name(f"{source_path.name}.{format or self.format}")
            if cleanup:
                source_path.unlink()
        atomic_write(target, render_dot(self.source, format or self.format))
        return str(target)

    def _repr_mimebundle_(self, include=None, exclude=None, **_) -> dict[str, str]:
        bundle = {}
        if "svg" in self.display_formats:  # at most as wide as the PNG, and shrinking with a narrower page
            svg = self.picture("svg", max_inches=self.display_png_max_inches).decode()
            bundle["image/svg+xml"] = svg.replace("<svg ", '<svg style="max-width: 100%; height: auto" ', 1)
        if "png" in self.display_formats:
            png = compact_png(self.picture("png", self.display_png_dpi, self.display_png_max_inches))
            bundle["image/png"] = base64.b64encode(png).decode()
        wanted = set(include) if include is not None else set(bundle)
        wanted -= set(exclude or ())
        return {k: v for k, v in bundle.items() if k in wanted}

    def picture(self, format: str = "svg", dpi: int | None = None, max_inches: str | None = None) -> bytes:  # noqa: A002
        """The rendered picture; `dpi` sets a PNG's resolution (Graphviz's default is 96) and
        `max_inches` ("width,height") scales a large graph down to fit: both make a smaller file."""
        picture = self.copy()
        if dpi is not None:
            picture.graph_attr["dpi"] = str(dpi)
        if max_inches is not None:
            picture.graph_attr["size"] = max_inches
        return render_dot(picture.source, format)

    def to_data_uri(self, format: str = "png", dpi: int | None = None, max_inches: str | None = None) -> str:  # noqa: A002
        """The picture as a ``data:`` URI, for an ``<img>`` that survives HTML sanitisers."""
        mime = {"png": "image/png", "svg": "image/svg+xml"}[format]
        return f"data:{mime};base64,{base64.b64encode(self.picture(format, dpi, max_inches)).decode()}"


def compact_png(png: bytes, colours: int = 64) -> bytes:
    """The same picture with a palette of `colours` (a third of the size), using Pillow when it is
    installed (it comes with the notebooks extra); otherwise `png` unchanged."""
    try:
        from PIL import Image
    except ImportError:
        return png
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colours, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue() if out.tell() < len(png) else png


def neuron_of(node: Value, level: str = "neuron") -> str | None:
    """The nn neuron (e.g. "0.1": layer 0, neuron 1) or layer ("0") a node belongs to, read from
    the parameter labels nn gives; None for nodes outside any neuron."""
    if node.kind == "parameter":
        match = _PARAMETER_LABEL.match(node.label)
        if not match:
            return None
        index = match.group("index").split(".")
        neuron = index[:-1] if match.group("kind") == "w" else index
        if level == "layer":
            neuron = neuron[:1] if len(neuron) >= 2 else []
        return ".".join(neuron) or None
    for parent in node.parents:  # the dot and bias nodes sit next to the parameters they use
        if parent.kind == "parameter":
            return neuron_of(parent, level)
    if len(node.parents) == 1 and node.parents[0].op == "+":  # the activation after the bias
        return neuron_of(node.parents[0], level)
    return None


def group_title(group: str) -> str:
    """A group's name for people: "0.1" is "layer 0, neuron 1"; a lone Layer's "1" is "neuron 1"."""
    parts = group.split(".")
    if len(parts) == 2:
        return f"layer {parts[0]}, neuron {parts[1]}"
    return f"neuron {parts[0]}"


def draw(
    root: Value,
    *,
    rankdir: str = "LR",
    show_data: bool = True,
    show_grad: bool = True,
    show_local_grads: bool = True,
    highlight: Iterable[Value | tuple[Value, Value]] = (),
    color_grads: bool = False,
    cluster: bool = False,
    collapse: str | None = None,
    max_nodes: int = 500,
    show_names: bool = True,
    element_ids: bool = False,
    check: bool = False,
) -> Graph:
    """Draw `root`'s graph: boxes for values, ellipses for operations, local derivatives on edges.

    highlight: Values, or (node, parent) edges, drawn in red and thick.
    color_grads: fill values by gradient (blue positive, red negative, stronger for larger |grad|).
    cluster: group each nn neuron's nodes in a box. collapse: "neuron" or "layer" draws each nn
    neuron or layer as one node, so a whole MLP stays legible.
    max_nodes: raise `GraphTooLarge` (saying how many nodes there are) beyond this many nodes.
    show_names: name unlabelled nodes as the step-through and `backprop_steps` do (v3, ..., L for the
    root), so every name a step's text uses is on the picture (on by default; False for bare boxes).
    element_ids: give SVG elements stable ids (n_v3, n_v3op, e_v3_0 for parent 0 of v3).
    check: after backward(), nudge every node (`autograd.nudge`) and fill it green where backprop's
    gradient agrees with finite differences, red where it disagrees, grey at a kink.
    """
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"rankdir must be one of LR, RL, TB, BT, got {rankdir!r}")
    if collapse is not None and collapse not in COLLAPSE_LEVELS:
        raise ValueError(f"collapse must be None, 'neuron' or 'layer', got {collapse!r}")
    if not isinstance(root, Value):
        raise TypeError(f"draw needs a Value, got {type(root).__name__}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}")
    marked = set(highlight)
    for item in marked:
        if not isinstance(item, Value) and not (isinstance(item, tuple) and len(item) == 2):
            raise TypeError(f"highlight takes Values and (node, parent) pairs, got {item!r}")
    order = graph.topological_order(root)
    if collapse:
        return _draw_collapsed(order, collapse, rankdir, show_data, show_grad, max_nodes)
    _check_size(len(order) + sum(1 for node in order if node.parents), max_nodes)
    largest = max((abs(g) for g in map(_grad_number, order) if math.isfinite(g)), default=0.0) or 1.0
    ids = graph.node_ids(order)  # ids from a counter, not id(): the same DOT text every run
    names = graph.node_names(root)
    checks = nudge_all(root) if check else {}

    g = Graph(name="chainrule", graph_attr={"rankdir": rankdir, "bgcolor": "white", "nodesep": "0.12",
                                            "ranksep": "0.25"})  # fmt: skip
    g.attr("node", fontname="Courier", fontsize="11", style="filled", margin="0.06,0.03")
    g.attr("edge", fontname="Courier", fontsize="10", color="#555555")
    edge_marks = [item for item in marked if isinstance(item, tuple)]
    groups: dict[str, list[Value]] = {}
    for node in order:
        group = neuron_of(node) if cluster else None
        groups.setdefault(group or "", []).append(node)

    def add_nodes(target: graphviz.Digraph, nodes: list[Value]) -> None:
        """A box for each value and, for a computed value, an ellipse for the operation that made it."""
        for node in nodes:
            label = _value_label(node, show_data, show_grad, names[node] if show_names else "")
            style = _value_style(node, node in marked, color_grads, largest)
            if node in checks:
                style.update(fillcolor=CHECK_COLOURS[checks[node].status], tooltip=checks[node].explain())
            if element_ids:
                style["id"] = f"n_{ids[node]}"
            target.node(ids[node], graphviz.nohtml(label), **style)
            if node.parents:
                op_id = {"id": f"n_{ids[node]}op"} if element_ids else {}
                if show_local_grads:
                    label = _op_table(node, rankdir, node in marked, {p for (n, p) in edge_marks if n is node})
                    target.node(f"{ids[node]}op", label, shape="plain", style="", **op_id)
                    continue
                op_style = {"shape": "ellipse", "fillcolor": OP_FILL, "fontsize": "12", "margin": "0.02"}
                target.node(f"{ids[node]}op", dot_text(node.op), **op_style, **op_id, **_mark(node in marked))

    for group, nodes in groups.items():
        if not group:
            add_nodes(g, nodes)
            continue
        with g.subgraph(name=f"cluster_{_safe(group)}") as box:
            box.attr(label=group_title(group), style="rounded", color="#bbbbbb", fontname="Courier", fontsize="10")
            add_nodes(box, nodes)

    for node in order:
        if not node.parents:
            continue
        op_id = f"{ids[node]}op"
        g.edge(op_id, ids[node], **_mark(node in marked), **({"id": f"o_{ids[node]}"} if element_ids else {}))
        for i in port_order(node):
            parent, local_grad = node.parents[i], node.local_grads[i]
            attrs = _mark((node, parent) in marked)
            if element_ids:
                attrs["id"] = f"e_{ids[node]}_{i}"
            head = op_id
            if show_local_grads:  # the local derivative is written at the port the edge enters
                head = f"{op_id}:p{i}:{PORT_SIDE[rankdir]}"
                attrs["tooltip"] = dot_text(f"d{names[node]}/d{names[parent]} = {local_grad:.6g}")
            g.edge(ids[parent], head, **attrs)
    return g


def port_order(node: Value) -> list[int]:
    """The order of an operation's input ports (top to bottom): its inputs' order, except that a
    dot product pairs each weight with its input (w1, x1, w2, x2, ...)."""
    n = len(node.parents)
    if node.op == "dot" and n % 2 == 0:
        half = n // 2
        return [i + k * half for i in range(half) for k in (0, 1)]
    return list(range(n))


def _op_table(node: Value, rankdir: str, marked: bool, marked_parents: set[Value]) -> str:
    """An operation as a small table: one port per input showing d(node)/d(input), then the op's name."""
    border = HIGHLIGHT if marked else "#777777"
    cells = []
    for i in port_order(node):
        colour = f' color="{HIGHLIGHT}"' if node.parents[i] in marked_parents else ""
        grad = html.escape(number(node.local_grads[i]).strip())
        cells.append(f'<td port="p{i}"{colour}><font point-size="10">{grad}</font></td>')
    op = html.escape(visible(node.op)).replace("\\", "\\\\")  # Graphviz reads \\G even in HTML labels
    name = f'<font point-size="12">{op}</font>'
    if rankdir in ("LR", "RL"):  # ports in a column, the name beside them
        rows = [f"<tr>{cell}</tr>" for cell in cells]
        side = f'<td rowspan="{len(cells)}" bgcolor="{OP_FILL}">{name}</td>'
        rows[0] = rows[0][:-5] + side + "</tr>" if rankdir == "LR" else "<tr>" + side + rows[0][4:]
    else:  # ports in a row, the name below (TB) or above (BT) them
        ports = f"<tr>{''.join(cells)}</tr>"
        title = f'<tr><td colspan="{len(cells)}" bgcolor="{OP_FILL}">{name}</td></tr>'
        rows = [ports, title] if rankdir == "TB" else [title, ports]
    width = ' cellpadding="2"'
    return (f'<<table border="{3 if marked else 1}" cellborder="1" cellspacing="0"{width} color="{border}" '
            f'bgcolor="white">{"".join(rows)}</table>>')  # fmt: skip


def _draw_collapsed(order, level, rankdir, show_data, show_grad, max_nodes) -> Graph:
    """One node per nn neuron (or layer); everything else as usual, without operation nodes."""
    owner = {node: neuron_of(node, level) for node in order}
    outputs: dict[str, Value] = {}
    for node in order:  # a group's output is its last node in topological order
        if owner[node] and node.kind != "parameter":
            outputs[owner[node]] = node
    drawn = [n for n in order if owner[n] is None] + list(outputs)
    _check_size(len(drawn), max_nodes)
    ids: dict[object, str] = {}
    g = Graph(name="chainrule", graph_attr={"rankdir": rankdir, "bgcolor": "white"})
    g.attr("node", fontname="Courier", fontsize="11", style="filled")
    g.attr("edge", color="#777777", arrowsize="0.6")
    for i, item in enumerate(drawn):
        ids[item] = f"n{i}"
        if isinstance(item, str):
            out = outputs[item]
            title = f"layer {item}" if level == "layer" else group_title(item)
            lines = [title, dot_text(out.op or "value")]
            if show_data:
                lines.append(f"data {number(out.data)}")
            if show_grad:
                lines.append(f"grad {number(_grad_number(out))}")
            g.node(ids[item], graphviz.nohtml("\n".join(lines)), shape="box3d", fillcolor="#fde2b8", color="#b8741a")
        else:
            label = graphviz.nohtml(_value_label(item, show_data, show_grad))
            g.node(ids[item], label, **_value_style(item, False, False, 1.0))
    seen = set()
    for node in order:
        target = owner[node] or node
        if node.kind == "parameter" and owner[node]:
            continue
        for parent in node.parents:
            source = owner[parent] or parent
            if parent.kind == "parameter" and owner[parent]:
                continue
            key = (ids[source], ids[target])
            if key[0] != key[1] and key not in seen:
                seen.add(key)
                g.edge(*key)
    return g


def _check_size(size: int, max_nodes: int) -> None:
    if size > max_nodes:
        raise GraphTooLarge(
            f"the graph has {size:,} nodes to draw (values and operations), more than max_nodes={max_nodes:,}. "
            "Draw each nn neuron or layer as one node with collapse='neuron' or collapse='layer', draw a "
            "smaller part of the graph, or raise max_nodes (layout time grows fast: measured about 0.2 s at "
            "500 nodes and 2 s at 2,000)."
        )


def dot_text(text: str) -> str:
    """Any text (a label, an operation's name) as DOT label text that Graphviz shows exactly as written.

    Backslashes are doubled (Graphviz would read ``\\N`` or ``\\l`` as commands), ``&`` is written
    ``&amp;`` (Graphviz decodes entities such as ``&lt;``), control characters
    are shown as escapes such as ``\\x1b`` (they are not allowed in SVG), and the text is never
    taken for an HTML-like label; `graphviz` quotes the double quotes.
    """
    return graphviz.nohtml(visible(text).replace("\\", "\\\\").replace("&", "&amp;"))  # Graphviz reads &amp; as &


def visible(text: str) -> str:
    """`text` with control characters (not allowed in SVG) written as escapes such as ``\\x1b``."""
    return "".join(c.encode("unicode_escape").decode("ascii") if c < " " or c == "\x7f" else c for c in text)


def _value_label(node: Value, show_data: bool, show_grad: bool, name: str = "") -> str:
    title = dot_text(node.label or (name if node.kind != "constant" else ""))
    lines = [title] if title else []
    if show_data or node.kind == "constant":
        lines.append(f"data {number(node.data)}")
    if node.kind == "constant":
        return "\n".join(lines)
    lines.append(f"grad {number(_grad_number(node))}" if show_grad else f"grad {'?':>10}")
    return "\n".join(lines)


def _grad_number(node: Value) -> float:
    """A node's gradient as a number (after ``backward(create_graph=True)`` it is a Value)."""
    return node.grad.data if isinstance(node.grad, Value) else node.grad


def _value_style(node: Value, marked: bool, color_grads: bool, largest: float) -> dict[str, str]:
    style = {"shape": "box", "style": "filled", **KIND_STYLE.get(node.kind, KIND_STYLE["result"])}
    if color_grads and node.kind != "constant":
        style["fillcolor"] = _grad_colour(_grad_number(node), largest)
    if marked:
        style.update(_mark(True))
    return style


def _grad_colour(grad: float, largest: float) -> str:
    """Blue for a positive gradient, red for a negative one; stronger for a larger |grad|."""
    if not math.isfinite(grad):
        return "#ffd54f"
    strength = min(abs(grad) / largest, 1.0) ** 0.5
    fade = round(255 - 150 * strength)
    return f"#{fade:02x}{fade:02x}ff" if grad > 0 else f"#ff{fade:02x}{fade:02x}" if grad < 0 else "#ffffff"


def _mark(on: bool) -> dict[str, str]:
    return {"color": HIGHLIGHT, "penwidth": "3"} if on else {}


def _safe(text: str) -> str:
    return re.sub(r"\W", "_", text)
