"""The network view with one frame per neuron and pass: `Walkthrough(loss, view="neurons")`.

nn's "network" view steps every weight (δ, then ∂L/∂w = δ · x for each incoming weight, then what
flows to each input). For a wide layer those frames name neurons far apart in the picture (the
top neuron of one layer and the bottom one of the layer below), too far apart to be on screen
together at a readable size. This view takes the same frames, with the same numbers, and merges
each neuron's backward frames into one: the text names that neuron; its weights and inputs are
highlighted and their numbers filled in at once.
"""

from __future__ import annotations

from dataclasses import replace

from autograd import Value, graph
from autograd.drawing import Graph
from autograd.steps import _tex, _tex_factor, _tex_number
from autograd.walkthrough import Frame, register_view
from nn.diagram import NeuronNodes, network_of_graph, network_view


def neuron_view(root: Value, forward: bool = True) -> tuple[Graph, dict[str, dict[str, str]], list[Frame]]:
    """The network view's picture and frames, each neuron's backward frames merged into one."""
    picture, initial, frames = network_view(root, forward=forward)
    merged: list[Frame] = []
    group: list[Frame] = []

    def flush() -> None:
        if not group:
            return
        first = group[0]
        if len(group) == 1:
            merged.append(first)
        else:
            edges = list(dict.fromkeys(e for f in group for e in f.edges))
            receiving = list(dict.fromkeys(r for f in group for r in f.receiving))
            merged.append(Frame(
                phase=first.phase,
                text=f"{first.text.rstrip('.')}. Then along its {len(edges)} highlighted weights: each weight gets "
                "∂L/∂w = δ × its input, and each input gets δ × w added to its gradient.",
                latex=first.latex,
                active=first.active,
                receiving=receiving,
                edges=edges,
                updates=[u for f in group for u in f.updates],
            ))  # fmt: skip
        group.clear()

    for frame in frames:
        if frame.phase == "backward" and group and frame.active == group[0].active:
            group.append(frame)
            continue
        flush()
        group.append(frame)
    flush()
    return picture, initial, _with_formulas(root, merged)


def _with_formulas(root: Value, frames: list[Frame]) -> list[Frame]:
    """Each frame's formula in LaTeX (the player typesets it): the neuron's output, or its δ."""
    neurons = {f"n_{n.node}": n for n in network_of_graph(root).neurons()}
    r = _tex(graph.node_names(root)[root])
    out = []
    for frame in frames:
        n = neurons.get(frame.active[0]) if len(frame.active) == 1 else None
        if n is not None and not frame.latex:
            frame = replace(frame, latex=_forward_tex(n) if frame.phase == "forward" else _delta_tex(n, r))
        elif frame.phase == "backward" and not frame.latex:  # the start: the loss and the outputs' gradients
            frame = replace(frame, latex=_seed_tex(root, r, [neurons[a] for a in frame.active if a in neurons]))
        out.append(frame)
    return out


def _forward_tex(n: NeuronNodes) -> str:
    act = r"\operatorname{" + n.activation + "}" if n.activation != "linear" else ""
    return rf"{_tex(n.name)} = {act}\left(w \cdot x + b\right) = {act}\left({_tex_number(n.z.data)}\right) = " + (
        _tex_number(n.out.data)
    )


def _delta_tex(n: NeuronNodes, r: str) -> str:
    delta = rf"\delta = \frac{{\partial {r}}}{{\partial z}} = \frac{{\partial {r}}}{{\partial {_tex(n.name)}}}"
    if n.activation == "linear":
        return rf"{delta} = {_tex_number(n.z.grad)}"
    local = n.out.local_grads[0]
    return (
        rf"{delta} \cdot \operatorname{{{n.activation}}}'(z) = {_tex_number(n.out.grad)} \times {_tex_factor(local)}"
        rf" = {_tex_number(n.z.grad)}"
    )


def _seed_tex(root: Value, r: str, outputs: list[NeuronNodes]) -> str:
    grads = r", \quad ".join(
        rf"\frac{{\partial {r}}}{{\partial {_tex(n.name)}}} = {_tex_number(n.out.grad)}" for n in outputs
    )
    return rf"{r} = {_tex_number(root.data)}" + (rf", \quad {grads}" if grads else "")


register_view("neurons", neuron_view)
