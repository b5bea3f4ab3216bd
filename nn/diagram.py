"""The network view: a model drawn as a neuron diagram, with the chain rule on it.

`model.diagram()` draws one circle per input and per neuron, in columns by layer, and one edge per
weight, labelled with the weight's name and value; each neuron shows its bias. Given an input (and,
after a backward pass, the loss), each neuron also shows its output (``data``), the gradient of the
loss with respect to that output (``grad``) and its ``δ = ∂L/∂z``, where ``z = w · x + b`` is the
neuron's weighted sum plus bias; each weight edge shows ``∂L/∂w`` (``grad``). Every number is read
from the engine's graph, so it is the number the op-level drawing and `backward()` give.

The same picture can be stepped neuron by neuron: `Walkthrough(loss, view="network")` (this module
registers the view with `autograd.view.walkthrough.register_view`, so `autograd` never imports `nn`).

Neurons are found in a graph by their shape, not by the Module that made them: a neuron is a ``dot``
node whose first half of parents are parameters (its weights), then ``+`` a parameter (its bias), then
an activation (``relu``, ``tanh``, ...; none for a linear neuron). That is how `nn.Neuron.forward`
computes, so any loss built from `nn` modules can be drawn this way.

The layout is stable: numbers have a fixed width, every element has a fixed id (``n_x0`` for an input,
``n_n1_0`` for layer 1's neuron 0, ``n_w1_0_2`` for its weight from input 2), and edges can be drawn
by the weight's sign (colour) and magnitude (width). So a live view can lay the picture out once and
restyle it, or re-render it and get the same positions.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from autograd import PARAMETER, Value, graph
from autograd.graph import fmt
from autograd.view.drawing import KIND_STYLE, Graph
from autograd.view.steps import _tex, _tex_factor, _tex_number
from autograd.view.walkthrough import Frame, register_view

ACTIVATION_OPS = ("relu", "leaky_relu", "tanh", "sigmoid")
POSITIVE = "#2f6db5"  # a positive weight: blue
NEGATIVE = "#c2185b"  # a negative weight: magenta (kept apart from the player's red/orange/green)
NEURON_STYLE = {"fillcolor": "#f6f6f6", "color": "#444444"}
OUTPUT_STYLE = {"fillcolor": "#e3f1df", "color": "#3b7a2a"}
MAX_LABELLED_WEIGHTS = 64  # above this, edges carry no text by default (they would not be readable)
UNKNOWN = f"{'?':>8}"  # a number the step-through has not reached yet
_WEIGHT_LABEL = re.compile(r"^w(?P<index>\d+(?:\.\d+)*)$")


@dataclass
class NeuronNodes:
    """One neuron: its parameters and, after a forward pass, the graph nodes it computed."""

    layer: int
    index: int
    name: str  # what the picture calls its output: a label such as "h1", or n<layer>.<neuron>
    activation: str  # "relu", "tanh", ... or "linear"
    w: list[Value]
    b: Value | None
    sources: list[str] = field(default_factory=list)  # node name of what each weight multiplies
    x: list[Value] = field(default_factory=list)  # the inputs themselves (empty without a forward pass)
    dot: Value | None = None  # w · x
    z: Value | None = None  # w · x + b
    out: Value | None = None  # activation(z), or z for a linear neuron

    @property
    def node(self) -> str:
        """The neuron's node name in the drawing (its element id is ``n_`` + this)."""
        return f"n{self.layer}_{self.index}"

    def weight_node(self, i: int) -> str:
        """The node name of weight `i`'s edge (element id ``n_`` + this)."""
        return f"w{self.layer}_{self.index}_{i}"


@dataclass
class Network:
    """A network as the diagram draws it: its inputs (names and, if known, Values) and its layers."""

    input_names: list[str]
    inputs: list[Value | None]
    layers: list[list[NeuronNodes]]

    def neurons(self) -> list[NeuronNodes]:
        return [neuron for layer in self.layers for neuron in layer]

    def source_value(self, name: str) -> Value | None:
        """The Value a weight multiplies, from its source's node name."""
        if name.startswith("x"):
            return self.inputs[int(name[1:])]
        layer, index = map(int, name[1:].split("_"))
        return self.layers[layer][index].out

    def source_title(self, name: str) -> str:
        if name.startswith("x"):
            return self.input_names[int(name[1:])]
        layer, index = map(int, name[1:].split("_"))
        return self.layers[layer][index].name


# ---- finding the network ------------------------------------------------------------------------


def _module_layers(module) -> list[list]:
    """The neurons of an nn Module, layer by layer."""
    from nn.layers import MLP, Layer, Neuron

    if isinstance(module, MLP):
        return [layer.neurons for layer in module.layers]
    if isinstance(module, Layer):
        return [module.neurons]
    if isinstance(module, Neuron):
        return [[module]]
    raise TypeError(f"diagram draws an nn.Neuron, nn.Layer or nn.MLP, got {type(module).__name__}")


def _default_name(neuron_w0: Value, layer: int, index: int) -> str:
    """n<layer>.<neuron> from the weight's nn label (w0.1.2 -> n0.1; a lone Layer's w1.2 -> n1)."""
    match = _WEIGHT_LABEL.match(neuron_w0.label)
    if match:
        parts = match.group("index").split(".")[:-1]
        return "n" + ".".join(parts) if parts else "n"
    return f"n{layer}.{index}"


def network_of_module(module, x: Sequence[float | Value] | None = None) -> Network:
    """The network of `module`; with inputs `x`, run one forward pass (no backward) to fill the values."""
    layers = _module_layers(module)
    nin = len(layers[0][0].w)
    if x is None:
        inputs: list[Value | None] = [None] * nin
        names = [f"x{i + 1}" for i in range(nin)]
    else:
        if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
            raise TypeError(f"diagram: x must be a sequence of {nin} numbers or Values, got {type(x).__name__}")
        if len(x) != nin:
            raise ValueError(f"diagram: the model takes {nin} inputs, x has {len(x)}")
        inputs = [xi if isinstance(xi, Value) else Value(xi, f"x{i + 1}") for i, xi in enumerate(x)]
        names = [xi.label or f"x{i + 1}" for i, xi in enumerate(inputs)]
    net = Network(names, inputs, [])
    sources = [f"x{i}" for i in range(nin)]
    values: list[Value | None] = list(inputs)
    for k, neurons in enumerate(layers):
        row = []
        for j, neuron in enumerate(neurons):
            nodes = NeuronNodes(
                layer=k, index=j, name=_default_name(neuron.w[0], k, j), activation=neuron.activation,
                w=list(neuron.w), b=neuron.b, sources=list(sources),
            )  # fmt: skip
            if x is not None:
                nodes.x = list(values)
                nodes.out = neuron.forward(values)
                nodes.z = nodes.out.parents[0] if neuron.activation != "linear" else nodes.out
                nodes.dot = nodes.z.parents[0]
            row.append(nodes)
        net.layers.append(row)
        sources = [n.node for n in row]
        values = [n.out for n in row]
    return net


def network_of_graph(root: Value) -> Network:
    """The neurons in `root`'s graph, found by their shape (``dot`` of parameters, ``+`` bias, activation).

    Raises ValueError when there are none, or when a neuron was used more than once (a batch: the
    network view draws one sample).
    """
    order = graph.topological_order(root)
    children: dict[Value, list[Value]] = {}
    for node in order:
        for parent in node.parents:
            children.setdefault(parent, []).append(node)
    found: list[NeuronNodes] = []
    uses: dict[tuple[int, ...], int] = {}
    for node in order:
        if node.op != "dot":
            continue
        n = len(node.parents) // 2
        w, x = list(node.parents[:n]), list(node.parents[n:])
        if not all(p.kind == PARAMETER for p in w):
            continue
        key = tuple(id(p) for p in w)
        uses[key] = uses.get(key, 0) + 1
        z, b = node, None
        for child in children.get(node, []):
            if child.op == "+" and len(child.parents) == 2 and child.parents[1].kind == PARAMETER:
                z, b = child, child.parents[1]
                break
        out, activation = z, "linear"
        for child in children.get(z, []):
            if child.op in ACTIVATION_OPS and len(child.parents) == 1:
                out, activation = child, child.op
                break
        found.append(NeuronNodes(layer=0, index=0, name="", activation=activation, w=w, b=b, x=x,
                                 dot=node, z=z, out=out))  # fmt: skip
    if not found:
        raise ValueError(
            "found no neurons in this graph (a neuron is dot(weights, inputs) + bias, then an activation, "
            "as nn.Neuron computes it); draw it with .draw() instead"
        )
    repeated = [f"{n.w[0].label or 'a neuron'}'s neuron" for n in found if uses[tuple(id(p) for p in n.w)] > 1]
    if repeated:
        times = max(uses.values())
        raise ValueError(
            f"the network view draws one sample, but this graph uses {repeated[0]} {times} times "
            "(a loss over a batch?); compute the loss of one sample, e.g. loss_fn(model(x), y)"
        )
    owner = {n.out: n for n in found}
    for n in found:  # a neuron's layer: one more than the deepest neuron feeding it (order is topological)
        n.layer = 1 + max((owner[xi].layer for xi in n.x if xi in owner), default=-1)
    depth = 1 + max(n.layer for n in found)
    layers: list[list[NeuronNodes]] = [[] for _ in range(depth)]
    for n in found:
        layers[n.layer].append(n)
    inputs: list[Value] = []
    for n in found:
        for xi in n.x:
            if xi not in owner and xi not in inputs:
                inputs.append(xi)
    input_index = {xi: i for i, xi in enumerate(inputs)}
    for k, row in enumerate(layers):
        row.sort(key=lambda n: _label_position(n.w[0]))
        for j, n in enumerate(row):
            n.index = j
            n.name = n.out.label or _default_name(n.w[0], k, j)
    for n in found:
        n.sources = [owner[xi].node if xi in owner else f"x{input_index[xi]}" for xi in n.x]
    names = [xi.label or f"x{i + 1}" for i, xi in enumerate(inputs)]
    return Network(names, list(inputs), layers)


def _label_position(w0: Value) -> tuple[int, ...]:
    """Where nn's label puts a weight's neuron (w0.1.2 -> (0, 1)); found neurons keep their order otherwise."""
    match = _WEIGHT_LABEL.match(w0.label)
    return tuple(int(p) for p in match.group("index").split(".")[:-1]) if match else ()


def network_of(module, x=None, loss: Value | None = None) -> Network:
    """The network of `module` as `diagram` draws it: from its structure, a forward pass, or a loss graph."""
    if loss is None:
        return network_of_module(module, x)
    if not isinstance(loss, Value):
        raise TypeError(f"diagram: loss must be the loss Value computed from this model, got {type(loss).__name__}")
    net = network_of_graph(loss)
    mine = {id(n.w[0]) for layer in _module_layers(module) for n in layer}
    found = {id(n.w[0]) for n in net.neurons()}
    if not mine <= found:
        raise ValueError("diagram: this loss was not computed from this model (its graph lacks the model's neurons)")
    if x is not None:
        given = [float(xi.data if isinstance(xi, Value) else xi) for xi in x]
        if given != [xi.data for xi in net.inputs]:
            raise ValueError(f"diagram: x = {given} is not the input the loss was computed from "
                             f"({[xi.data for xi in net.inputs]}); pass only loss=")  # fmt: skip
    return net


# ---- drawing ------------------------------------------------------------------------------------


def weight_style(w: float, largest: float) -> dict[str, str]:
    """An edge's colour and width for a weight: blue positive, magenta negative, wider for larger |w|."""
    if not math.isfinite(w):
        return {"color": "#ffb300", "penwidth": "3.5"}
    strength = min(abs(w) / largest, 1.0) if largest > 0 else 0.0
    colour = POSITIVE if w >= 0 else NEGATIVE
    return {"color": colour, "fontcolor": colour, "penwidth": f"{0.6 + 2.9 * strength:.2f}"}


def number(x: float) -> str:
    """A number in a fixed width (4 significant digits in 8 characters), so circles keep their size."""
    return f"{x:>8.4g}"


def _factor(x: float) -> str:
    """A number inside a product: negative ones in parentheses, 0.8 × (-0.6)."""
    return f"({fmt(x)})" if x < 0 else fmt(x)


def _line(key: str, x: float) -> str:
    return f"{key} {number(x)}"


def shows_gradients(net: Network, show_grad: bool = True) -> bool:
    """True when the picture shows gradients: asked for, after a forward pass, and not all zero."""
    neurons = net.neurons()
    forward = any(n.out is not None for n in neurons)
    return show_grad and forward and any(n.out.grad != 0.0 or n.z.grad != 0.0 for n in neurons if n.out is not None)


def largest_weight(net: Network) -> float:
    """The largest finite |w|: the weight drawn widest (`weight_style` scales the others to it)."""
    return max((abs(w.data) for n in net.neurons() for w in n.w if math.isfinite(w.data)), default=1.0)


def node_texts(net: Network, *, show_data: bool = True, show_grad: bool = True) -> dict[str, str]:
    """What each circle says, by node name (``x0``, ``n1_2``): the input's or neuron's name, then
    its bias, output (data), ∂L/∂output (grad) and δ = ∂L/∂z, one per line, in fixed widths."""
    grads = shows_gradients(net, show_grad)
    texts = {}
    for i, name in enumerate(net.input_names):
        value = net.inputs[i]
        lines = [name]
        if value is not None and show_data:
            lines.append(_line("data", value.data))
        if value is not None and grads:
            lines.append(_line("grad", value.grad))
        texts[f"x{i}"] = "\n".join(lines)
    for n in net.neurons():
        lines = [f"{n.name}: {n.activation}"]
        if n.b is not None:  # the bias under its parameter name (b0.1), as named_parameters() lists it
            lines.append(_line(n.b.label or "b", n.b.data))
        if n.out is not None and show_data:
            lines.append(_line("data", n.out.data))
        if grads:
            lines += [_line("grad", n.out.grad), _line("δ", n.z.grad)]
        texts[n.node] = "\n".join(lines)
    return texts


def draw_network(
    net: Network,
    *,
    show_data: bool = True,
    show_grad: bool = True,
    labels: bool | None = None,
    color_weights: bool = True,
    legend: bool = True,
    rankdir: str = "LR",
) -> Graph:
    """Draw `net`: circles for inputs and neurons in columns by layer, one edge per weight.

    labels: write each weight's name, value and gradient on its edge (default: when there are at most
    64 weights). color_weights: colour edges by sign and widen them by magnitude.
    """
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB', got {rankdir!r}")
    neurons = net.neurons()
    n_weights = sum(len(n.w) for n in neurons)
    labels = n_weights <= MAX_LABELLED_WEIGHTS if labels is None else labels
    grads = shows_gradients(net, show_grad)
    largest = largest_weight(net)
    texts = node_texts(net, show_data=show_data, show_grad=show_grad)

    g = Graph(name="network", graph_attr={
        "rankdir": rankdir, "bgcolor": "white", "nodesep": "0.12", "ranksep": "0.5", "ordering": "out",
    })  # fmt: skip
    g.attr("node", fontname="Courier", fontsize="10", style="filled", shape="circle", margin="0.02")
    # decorate: a line ties each label to its own edge, so labels stay unambiguous where edges cross
    g.attr("edge", fontname="Courier", fontsize="10", fontcolor="#333333", arrowsize="0.6", color="#777777",
           decorate="true")  # fmt: skip

    with g.subgraph(name="inputs") as column:
        column.attr(rank="same")
        for i in range(len(net.input_names)):
            column.node(f"x{i}", texts[f"x{i}"], id=f"n_x{i}", **KIND_STYLE["input"])
        _keep_in_order(column, [f"x{i}" for i in range(len(net.input_names))])

    last = len(net.layers) - 1
    for k, layer in enumerate(net.layers):
        with g.subgraph(name=f"layer{k}") as column:
            column.attr(rank="same")
            for n in layer:
                style = OUTPUT_STYLE if k == last else NEURON_STYLE
                column.node(n.node, texts[n.node], id=f"n_{n.node}", **style)
            _keep_in_order(column, [n.node for n in layer])

    for n in neurons:
        for i, (w, source) in enumerate(zip(n.w, n.sources)):
            attrs = weight_style(w.data, largest) if color_weights else {}
            attrs["id"] = f"n_{n.weight_node(i)}"
            title = w.label or f"w{i}"
            attrs["tooltip"] = f"{title} = {w.data:.6g}" + (f", ∂L/∂{title} = {w.grad:.6g}" if grads else "")
            if labels:
                text = [f"{title}{number(w.data)}"]
                if grads:
                    text.append(_line("grad", w.grad))
                attrs["label"] = "\n".join(text)
            g.edge(source, n.node, **attrs)

    if legend:
        g.attr(label=_legend(net, grads, color_weights, labels), labelloc="b", labeljust="l", fontname="Helvetica",
               fontsize="10", fontcolor="#444444")  # fmt: skip
    return g


def _keep_in_order(column, names: list[str]) -> None:
    """Invisible edges down a column, so inputs and neurons stay in order (x1 above x2 above x3)."""
    for a, b in zip(names, names[1:]):
        column.edge(a, b, style="invis")


def _legend(net: Network, grads: bool, coloured: bool, labels: bool) -> str:
    lines = ["circles: inputs, then neurons by layer; b…: the bias; data: the output a = activation(z), z = w·x + b"]
    if grads:
        lines.append("grad: ∂L/∂(that output); δ = ∂L/∂z; on an edge, grad = ∂L/∂w = δ × (the input it multiplies)")
    if labels:
        lines.append(f"edge label: the weight's name and value; {_name_hint(net)}")
    if coloured:
        lines.append("edge colour: blue positive, magenta negative weight; width grows with |w|")
    return "\\l".join(lines) + "\\l"


def _name_hint(net: Network) -> str:
    """What a weight's name says, on a real example: w0.1.2 is layer 0, neuron 1, input 2 (x3)."""
    first = net.layers[0][-1]
    w = first.w[-1]
    match = _WEIGHT_LABEL.match(w.label)
    if not match:
        return "each edge carries one weight"
    parts = match.group("index").split(".")
    meaning = dict(zip(("input",) if len(parts) == 1 else ("neuron", "input") if len(parts) == 2
                       else ("layer", "neuron", "input"), parts))  # fmt: skip
    said = ", ".join(f"{k} {v}" for k, v in meaning.items())
    source = net.source_title(first.sources[-1])
    return f"{w.label} is {said} (counted from 0: input {parts[-1]} is {source})"


def diagram(
    module,
    x: Sequence[float | Value] | None = None,
    loss: Value | None = None,
    **options,
) -> Graph:
    """Draw `module` as a neuron diagram (see the module doc); returns a `Graph`, like `draw()`.

    No arguments: the structure, weights and biases. `x`: also each neuron's output for that input.
    `loss` (the loss Value of one sample, after `loss.backward()`): also grad, δ = ∂L/∂z and ∂L/∂w,
    read from the loss's graph. Options: see `draw_network`.
    """
    return draw_network(network_of(module, x, loss), **options)


# ---- the network view of the step-through -------------------------------------------------------


def network_view(root: Value, forward: bool = True) -> tuple[Graph, dict[str, dict[str, str]], list[Frame]]:
    """The frames of `Walkthrough(root, view="network")`, neuron by neuron; gradients must be in the graph
    (the Walkthrough runs backprop first), so each number is the op-level walk's number."""
    net = network_of_graph(root)
    picture = draw_network(net, labels=True)
    names = graph.node_names(root)
    initial: dict[str, dict[str, str]] = {}
    for i, xi in enumerate(net.inputs):
        initial[f"x{i}"] = {"data": number(xi.data), "grad": UNKNOWN}
    for n in net.neurons():
        initial[n.node] = {"data": UNKNOWN if forward else number(n.out.data), "grad": UNKNOWN, "δ": UNKNOWN}
        for i in range(len(n.w)):
            initial[n.weight_node(i)] = {"grad": UNKNOWN}
    frames: list[Frame] = []
    if forward:
        for n in net.neurons():
            terms = " + ".join(f"{_factor(w.data)}×{_factor(x.data)}" for w, x in zip(n.w, n.x))
            bias = f" + {_factor(n.b.data)}" if n.b is not None else ""
            if n.activation == "linear":
                text = f"{n.name} = w·x + b = {terms}{bias} = {fmt(n.out.data)}"
            else:
                act = n.activation
                text = f"{n.name} = {act}(w·x + b) = {act}({terms}{bias}) = {act}({fmt(n.z.data)}) = {fmt(n.out.data)}"
            frames.append(Frame(
                phase="forward",
                text=text,
                latex=_forward_tex(n),
                active=[f"n_{n.node}"],
                receiving=[f"n_{s}" for s in n.sources],
                edges=[f"n_{n.weight_node(i)}" for i in range(len(n.w))],
                updates=[(n.node, "data", number(n.out.data))],
            ))  # fmt: skip
    r = names[root]
    outputs = net.layers[-1]
    frames.append(Frame(
        phase="backward",
        text=f"Start at the loss {r} = {fmt(root.data)}. The loss's own operations give "
        + "; ".join(f"∂{r}/∂{n.name} = {fmt(n.out.grad)}" for n in outputs)
        + " (the op-level view shows those steps).",
        latex=_seed_tex(root, _tex(r), outputs),
        active=[f"n_{n.node}" for n in outputs],
        updates=[(n.node, "grad", number(n.out.grad)) for n in outputs],
    ))  # fmt: skip
    running: dict[str, float] = {}
    for layer in reversed(net.layers):
        for n in layer:
            frames += _neuron_frames(net, n, r, running)
    return picture, initial, frames


def _neuron_frames(net: Network, n: NeuronNodes, r: str, running: dict[str, float]) -> list[Frame]:
    """δ, then ∂L/∂w for each incoming weight, then what flows to the layer below, for neuron `n`."""
    delta = n.z.grad
    me = f"n_{n.node}"
    # z is the neuron's weighted sum plus bias (the legend says so); the picture shows its δ, not z itself
    if n.activation == "linear":
        why = f"δ = ∂{r}/∂z = ∂{r}/∂{n.name} = {fmt(delta)} (a linear neuron: {n.name} = z)"
    else:
        local = n.out.local_grads[0]
        why = (f"δ = ∂{r}/∂z = ∂{r}/∂{n.name} × {n.activation}′(z) "
               f"= {fmt(n.out.grad)} × {_factor(local)} = {fmt(delta)}")  # fmt: skip
    bias = f"; its bias gets ∂{r}/∂{n.b.label or 'b'} = δ = {fmt(n.b.grad)}" if n.b is not None else ""
    frames = [Frame(phase="backward", text=f"Neuron {n.name}: {why}{bias}", latex=_delta_tex(n, _tex(r)),
                    active=[me], updates=[(n.node, "δ", number(delta))])]  # fmt: skip
    for i, (w, source) in enumerate(zip(n.w, n.sources)):
        x = n.x[i]
        frames.append(Frame(
            phase="backward",
            text=f"∂{r}/∂{w.label or f'w{i}'} = δ × {net.source_title(source)} = {fmt(delta)} × {_factor(x.data)} "
            f"= {fmt(w.grad)}",
            latex=rf"\frac{{\partial {_tex(r)}}}{{\partial {_tex(w.label or f'w{i}')}}} = \delta \cdot "
            rf"{_tex(net.source_title(source))} = {_tex_number(delta)} \times {_tex_factor(x.data)}"
            rf" = {_tex_number(w.grad)}",
            active=[me],
            receiving=[f"n_{source}"],
            edges=[f"n_{n.weight_node(i)}"],
            updates=[(n.weight_node(i), "grad", number(w.grad))],
        ))  # fmt: skip
    parts, updates = [], []
    for i, (w, source) in enumerate(zip(n.w, n.sources)):
        running[source] = running.get(source, 0.0) + delta * w.data
        title = net.source_title(source)
        parts.append(
            f"∂{r}/∂{title} += δ × {w.label or f'w{i}'} = {fmt(delta)} × {_factor(w.data)} → {fmt(running[source])}"
        )
        updates.append((source, "grad", number(running[source])))
    below = "the inputs" if n.layer == 0 else "the layer below"
    frames.append(Frame(
        phase="backward",
        text=f"From {n.name} to {below}: " + "; ".join(parts),
        latex=rf"\frac{{\partial {_tex(r)}}}{{\partial a_i}} \mathrel{{+}}= \delta \cdot w_i"
        rf" \quad \text{{for each input }} a_i \text{{ of {n.name}, }} i = 1, \ldots, {len(n.w)}",
        active=[me],
        receiving=sorted({f"n_{s}" for s in n.sources}),
        edges=[f"n_{n.weight_node(i)}" for i in range(len(n.w))],
        updates=updates,
    ))  # fmt: skip
    return frames


def _forward_tex(n: NeuronNodes) -> str:
    """A neuron's output as LaTeX: n_{1.0} = relu(w·x + b) = relu(0.28) = 0.28."""
    if n.activation == "linear":
        return rf"{_tex(n.name)} = w \cdot x + b = {_tex_number(n.out.data)}"
    act = r"\operatorname{" + n.activation + "}"
    z, out = _tex_number(n.z.data), _tex_number(n.out.data)
    return rf"{_tex(n.name)} = {act}\left(w \cdot x + b\right) = {act}\left({z}\right) = {out}"


def _delta_tex(n: NeuronNodes, r: str) -> str:
    """δ = ∂L/∂z = ∂L/∂(output) · act'(z), as LaTeX with its numbers."""
    delta = rf"\delta = \frac{{\partial {r}}}{{\partial z}} = \frac{{\partial {r}}}{{\partial {_tex(n.name)}}}"
    if n.activation == "linear":
        return rf"{delta} = {_tex_number(n.z.grad)}"
    local = n.out.local_grads[0]
    return (
        rf"{delta} \cdot \operatorname{{{n.activation}}}'(z) = {_tex_number(n.out.grad)} \times {_tex_factor(local)}"
        rf" = {_tex_number(n.z.grad)}"
    )


def _seed_tex(root: Value, r: str, outputs: list[NeuronNodes]) -> str:
    """The loss and the gradients its own operations give the output neurons, as LaTeX."""
    grads = r", \quad ".join(
        rf"\frac{{\partial {r}}}{{\partial {_tex(n.name)}}} = {_tex_number(n.out.grad)}" for n in outputs
    )
    return rf"{r} = {_tex_number(root.data)}" + (rf", \quad {grads}" if grads else "")


register_view("network", network_view)
