"""The network view with one frame per neuron and pass: `Walkthrough(loss, view="neurons")`.

nn's "network" view steps every weight (δ, then ∂L/∂w = δ · x for each incoming weight, then what
flows to each input). For a wide layer those frames name neurons far apart in the picture (the
top neuron of one layer and the bottom one of the layer below), too far apart to be on screen
together at a readable size. This view takes the same frames, with the same numbers, and merges
each neuron's backward frames into one: the text names that neuron; its weights and inputs are
highlighted and their numbers filled in at once.
"""

from __future__ import annotations

from autograd import Value
from autograd.view.drawing import Graph
from autograd.view.walkthrough import Frame, register_view
from nn.diagram import network_view


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
        starts_a_neuron = any(line == "δ" for _, line, _ in frame.updates)  # "Neuron n1.0: δ = ..."
        same_neuron = group and group[0].phase == "backward" and frame.active == group[0].active
        if frame.phase == "backward" and same_neuron and not starts_a_neuron:
            group.append(frame)
            continue
        flush()
        group.append(frame)
    flush()
    return picture, initial, merged


register_view("neurons", neuron_view)
