"""The network view: model.diagram() and Walkthrough(loss, view="network")."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import chromium
import pytest

import autograd
import nn
from autograd import Value
from nn import examples
from nn.diagram import network_of_graph, number, weight_style

SVG = "{http://www.w3.org/2000/svg}"


def svg_of(graph) -> ET.Element:
    return ET.fromstring(graph.pipe(format="svg").decode())


def groups(svg: ET.Element, kind: str) -> dict[str, ET.Element]:
    return {g.get("id"): g for g in svg.iter(f"{SVG}g") if g.get("class") == kind}


def lines_of(group: ET.Element) -> list[str]:
    return [" ".join((t.text or "").replace("\xa0", " ").split()) for t in group.iter(f"{SVG}text")]


def one_sample(model, x, target=1.0) -> Value:
    loss = nn.mse_loss(model(x), target)
    loss.label = "L"
    model.zero_grad()
    loss.backward()
    return loss


def test_mlp_3_2_1_has_3_input_circles_3_neuron_circles_and_8_weight_edges():
    model = nn.MLP(3, [2, 1], seed=0)
    svg = svg_of(model.diagram())
    nodes, edges = groups(svg, "node"), groups(svg, "edge")
    # circles: nin inputs + one per neuron; edges: one per weight, nin*2 + 2*1 (the invisible
    # ordering edges are not drawn)
    assert sorted(nodes) == ["n_n0_0", "n_n0_1", "n_n1_0", "n_x0", "n_x1", "n_x2"]
    assert len(edges) == 3 * 2 + 2 * 1
    assert all(g.find(f"{SVG}ellipse") is not None for g in nodes.values())  # circles
    assert sum(len(n.w) for layer in model.layers for n in layer.neurons) == len(edges)


def test_labels_carry_weights_biases_and_after_backward_the_gradients():
    model = examples.three_layer_network()
    x = examples.labelled_inputs()
    loss = nn.mse_loss(examples.named_forward(model, x), examples.TARGET)
    loss.backward()
    svg = svg_of(model.diagram(loss=loss))
    nodes, edges = groups(svg, "node"), groups(svg, "edge")
    for layer_index, layer in enumerate(model.layers):
        for j, neuron in enumerate(layer.neurons):
            for i, w in enumerate(neuron.w):
                text = lines_of(edges[f"n_w{layer_index}_{j}_{i}"])
                assert text == [f"{w.label} {number(w.data).strip()}", f"grad {number(w.grad).strip()}"]
            lines = lines_of(nodes[f"n_n{layer_index}_{j}"])
            assert f"{neuron.b.label} {number(neuron.b.data).strip()}" in lines  # e.g. "b0.1 0.4"
    # the hidden neuron h1: output 1.6 (relu of 1.5 + 0.1), and its δ = ∂L/∂z1
    h1 = lines_of(nodes["n_n0_0"])
    net = network_of_graph(loss)
    assert h1[0] == "h1: relu" and "data 1.6" in h1 and f"δ {number(net.layers[0][0].z.grad).strip()}" in h1
    assert lines_of(nodes["n_x2"]) == ["x3", "data 3", f"grad {number(x[2].grad).strip()}"]


def test_diagram_gradients_equal_the_op_level_ones_and_pytorch(torch):
    model = nn.MLP(3, [2, 1], activation="tanh", output_activation="sigmoid", seed=3)
    sample = [0.7, -1.3, 2.1]
    loss = one_sample(model, sample)
    net = nn.diagram.network_of(model, loss=loss)
    # ∂L/∂w = δ × (the input the weight multiplies), with δ = ∂L/∂z read off the op-level graph
    for neuron, module_neuron in zip(net.neurons(), [n for layer in model.layers for n in layer.neurons]):
        assert neuron.w == module_neuron.w
        for w, xi in zip(neuron.w, neuron.x):
            assert math.isclose(w.grad, neuron.z.grad * xi.data, rel_tol=1e-12, abs_tol=1e-15)
        assert math.isclose(neuron.out.grad * neuron.out.local_grads[0], neuron.z.grad, rel_tol=1e-12)
    # the same numbers as PyTorch in float64
    reference = model.to_torch()
    prediction = reference(torch.tensor([sample]))
    ((prediction - 1.0) ** 2).sum().backward()
    torch_grads = [g for p in reference.parameters() for g in p.grad.flatten().tolist()]
    ours = []
    for layer in model.layers:
        ours += [w.grad for n in layer.neurons for w in n.w]
        ours += [n.b.grad for n in layer.neurons]
    torch_by_layer = []
    for linear in [m for m in reference if hasattr(m, "weight")]:
        torch_by_layer += linear.weight.grad.flatten().tolist() + linear.bias.grad.flatten().tolist()
    assert sorted(torch_grads) == pytest.approx(sorted(torch_by_layer))
    assert ours == pytest.approx(torch_by_layer, rel=1e-12, abs=1e-15)
    # and the drawing prints exactly those numbers
    edges = groups(svg_of(model.diagram(loss=loss)), "edge")
    for k, layer in enumerate(model.layers):
        for j, neuron in enumerate(layer.neurons):
            for i, w in enumerate(neuron.w):
                assert f"grad {number(w.grad).strip()}" in lines_of(edges[f"n_w{k}_{j}_{i}"])


def test_inputs_read_top_to_bottom_in_order_and_layers_left_to_right():
    model = nn.MLP(3, [2, 1], seed=0)
    svg = svg_of(model.diagram(x=[1.0, 2.0, 3.0]))
    nodes = groups(svg, "node")

    def centre(node_id):
        e = nodes[node_id].find(f"{SVG}ellipse")
        return float(e.get("cx")), float(e.get("cy"))

    xs = [centre(f"n_x{i}") for i in range(3)]
    assert xs[0][1] < xs[1][1] < xs[2][1]
    assert centre("n_n0_0")[1] < centre("n_n0_1")[1]
    assert xs[0][0] < centre("n_n0_0")[0] < centre("n_n1_0")[0]


def test_with_an_input_only_the_neurons_show_their_outputs_and_no_gradients():
    model = examples.three_layer_network()
    g = model.diagram(x=examples.INPUTS)
    assert re.search(r"data +1\.6\b", g.source) and "δ" not in g.source and "grad" not in g.source
    assert all(p.grad == 0.0 for p in model.parameters())  # drawing ran no backward pass


def test_a_lone_neuron_and_a_lone_layer_draw_too():
    neuron = nn.Neuron(2, activation="tanh", seed=1)
    g = neuron.diagram(x=[0.5, -1.0])
    assert "n: tanh" in g.source and len(groups(svg_of(g), "edge")) == 2
    layer = nn.Layer(2, 3, seed=1)
    assert layer.diagram().source.count("n2: relu") == 1


def test_weights_can_be_drawn_by_sign_and_magnitude_and_labels_switch_off_for_big_networks():
    assert weight_style(1.0, 2.0)["color"] != weight_style(-1.0, 2.0)["color"]
    assert float(weight_style(2.0, 2.0)["penwidth"]) > float(weight_style(0.1, 2.0)["penwidth"])
    big = nn.MLP(2, [16, 16, 1], seed=0)
    source = big.diagram().source
    assert "label=\"w0.0.0" not in source and source.count("penwidth") == 2 * 16 + 16 * 16 + 16
    small = nn.MLP(2, [2, 1], seed=0).diagram().source
    assert 'label="w0.0.0' in small and "w0.1.1 is layer 0, neuron 1, input 1 (counted from 0: input 1 is x2)" in small
    assert "penwidth" not in nn.MLP(2, [2, 1], seed=0).diagram(color_weights=False).source


def test_the_layout_does_not_move_when_the_numbers_change():
    model = nn.MLP(3, [2, 1], seed=0)
    before = model.diagram(x=[1.0, 2.0, 3.0], color_weights=False).pipe(format="svg").decode()
    for p in model.parameters():
        p.data = -p.data * 1.7
    after = model.diagram(x=[-1.0, 0.5, 3.0], color_weights=False).pipe(format="svg").decode()

    def positions(svg):
        return re.findall(r'<ellipse[^>]*cx="([^"]+)" cy="([^"]+)"', svg)

    assert positions(before) == positions(after)


def test_clear_errors_for_a_batch_loss_a_foreign_loss_and_wrong_inputs():
    model = nn.MLP(2, [2, 1], seed=0)
    batch = nn.mse_loss([model([0.1, 0.2]), model([0.3, 0.4])], [1.0, 0.0])
    with pytest.raises(ValueError, match="one sample.*2 times"):
        model.diagram(loss=batch)
    other = nn.MLP(2, [2, 1], seed=1)
    with pytest.raises(ValueError, match="not computed from this model"):
        other.diagram(loss=one_sample(model, [0.1, 0.2]))
    with pytest.raises(ValueError, match="takes 2 inputs"):
        model.diagram(x=[1.0])
    with pytest.raises(TypeError, match="loss must be"):
        model.diagram(loss=0.5)
    with pytest.raises(ValueError, match="no neurons"):
        network_of_graph(Value(1.0) * 2)


# ---- the stepped network view ---------------------------------------------------------------------


def seed_loss() -> Value:
    model = examples.three_layer_network()
    loss = nn.mse_loss(examples.named_forward(model, examples.labelled_inputs()), examples.TARGET)
    loss.label = "L"
    return loss


def test_network_walk_goes_neuron_by_neuron_delta_weights_then_what_flows_below():
    walk = autograd.Walkthrough(seed_loss(), view="network")
    texts = [f.text for f in walk.frames]
    assert [f.phase for f in walk.frames].count("forward") == 3  # one per neuron
    backward = texts[3:]
    assert backward[0].startswith("Start at the loss L")
    # output neuron o: δ, its 2 weights, what flows to h1 and h2; then h1 and h2: δ, 3 weights, to the inputs
    assert backward[1].startswith("Neuron o: δ = ∂L/∂z = ∂L/∂o × sigmoid′(z)")
    assert backward[2].startswith("∂L/∂w1.0.0 = δ × h1") and backward[3].startswith("∂L/∂w1.0.1 = δ × h2")
    assert backward[4].startswith("From o to the layer below: ∂L/∂h1 += δ × w1.0.0")
    assert backward[5].startswith("Neuron h1: δ = ∂L/∂z = ∂L/∂h1 × relu′(z)")
    assert backward[9].startswith("From h1 to the inputs")
    assert len(backward) == 1 + (1 + 2 + 1) + 2 * (1 + 3 + 1)
    # every neuron and weight frame carries its formula as LaTeX, for the player to typeset
    latex = [f.latex for f in walk.frames]
    assert latex[4].startswith(r"\delta = \frac{\partial L}{\partial z} = \frac{\partial L}{\partial o}")
    assert latex[5].startswith(r"\frac{\partial L}{\partial w_{1.0.0}} = \delta \cdot h_{1}")
    assert all(latex[i] for i in range(len(latex)) if i != 3)  # all but the start at the loss


def test_network_walk_uses_the_numbers_of_the_op_level_walk():
    loss = seed_loss()
    ops = autograd.Walkthrough(loss)
    ids = autograd.graph.node_ids(autograd.topological_order(loss))
    op_final = ops.state(len(ops) - 1)
    net_walk = autograd.Walkthrough(loss, view="network")
    final = net_walk.state(len(net_walk) - 1)
    net = network_of_graph(loss)
    for neuron in net.neurons():
        for i, w in enumerate(neuron.w):  # ∂L/∂w: the op-level walk's number for that parameter
            assert final[neuron.weight_node(i)]["grad"].strip() == op_final[ids[w]]["grad"].strip()
        assert final[neuron.node]["δ"].strip() == op_final[ids[neuron.z]]["grad"].strip()  # δ = op-level ∂L/∂z
        assert final[neuron.node]["grad"].strip() == op_final[ids[neuron.out]]["grad"].strip()
        assert final[neuron.node]["data"].strip() == op_final[ids[neuron.out]]["data"].strip()
    for i, xi in enumerate(net.inputs):  # what flowed down to the inputs, added up neuron by neuron
        assert float(final[f"x{i}"]["grad"]) == pytest.approx(float(op_final[ids[xi]]["grad"]), rel=1e-3)
    # every id a frame highlights or updates is drawn
    svg = net_walk.svg
    for frame in net_walk.frames:
        for element in frame.active + frame.receiving + frame.edges:
            assert f'id="{element}"' in svg
        for element, line, _ in frame.updates:
            assert f'id="n_{element}"' in svg and line in final[element]
    assert "∂L/∂w0.1.2 = δ × x3 = 0.06967 × 3 = 0.209" in [f.text for f in net_walk.frames]


def test_network_view_needs_nn_and_names_the_views():
    with pytest.raises(ValueError, match="unknown Walkthrough view 'tree'.*graph, network, neurons"):
        autograd.Walkthrough(seed_loss(), view="tree")
    with pytest.raises(ValueError, match="no neurons"):
        autograd.Walkthrough(Value(2.0, label="a") * 3, view="network")


def test_network_player_steps_in_headless_chromium(tmp_path):
    sync_api = chromium.sync_api()
    loss = seed_loss()
    walk = autograd.Walkthrough(loss, view="network")
    w100 = network_of_graph(loss).layers[1][0].w[0]
    path = walk.save(tmp_path / "network.html")
    with sync_api.sync_playwright() as p:
        browser = chromium.launch(p)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(path.as_uri())

        def edge_lines(edge_id):
            script = "g => [...g.querySelectorAll('text')].map(t => t.textContent)"
            return page.eval_on_selector(f'[id="{edge_id}"]', script)

        assert any("?" in t for t in edge_lines("n_w1_0_0"))  # not known at the start
        page.click('button[data-go="last"]')
        assert f"grad{number(w100.grad)}".replace(" ", "") in "".join(edge_lines("n_w1_0_0")).replace("\xa0", "")
        browser.close()
    assert problems == []
