"""draw(): graphs as DOT/SVG with values, gradients and local derivatives; collapse; limits."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET

import pytest

import autograd
import nn
from autograd import Value
from autograd.examples import classic_neuron as unbackpropagated_neuron
from autograd.view import render


def classic_neuron():
    o = unbackpropagated_neuron()
    o.backward()
    return o


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text.strip() for t in root.iter("{http://www.w3.org/2000/svg}text") if t.text]


def test_the_classic_neuron_renders_to_svg_with_labels_values_and_local_derivatives():
    o = classic_neuron()
    svg = o.draw().pipe(format="svg").decode()
    texts = svg_texts(svg)  # parses as XML
    for label in ("x1", "x2", "w1", "w2", "b", "n", "o", "tanh", "*", "+"):
        assert label in texts
    joined = "\n".join(texts)
    assert re.search(r"data\s+0\.7071", joined) and re.search(r"grad\s+0\.5", joined)
    # d(tanh)/dn = 1 - o**2 = 0.5 labels the edge into tanh; d(x1*w1)/dx1 = w1 = -3.
    assert "0.5" in texts and "-3" in texts


def test_a_one_sample_mlp_loss_renders():
    model = nn.MLP(2, [3, 1], seed=0)
    loss = nn.mse_loss(model([0.5, -1.0]), 1.0)
    loss.backward()
    svg = loss.draw(cluster=True).pipe(format="svg").decode()
    texts = svg_texts(svg)
    assert "dot" in texts and "relu" in texts and "layer 0, neuron 0" in texts
    assert "w0.0.0" in texts and "b0.2" in texts and "x1" in texts


GOLDEN_PRODUCT = """digraph chainrule {
	graph [bgcolor=white nodesep=0.12 rankdir=LR ranksep=0.25]
	node [fontname=Courier fontsize=11 margin="0.06,0.03" style=filled]
	edge [color="#555555" fontname=Courier fontsize=10]
	v0 [label="a
data          2
grad          3" color="#2f6db5" fillcolor="#d4e6f9" shape=box style=filled]
	v1 [label="b
data          3
grad          2" color="#2f6db5" fillcolor="#d4e6f9" shape=box style=filled]
	v2 [label="c
data          6
grad          1" color="#444444" fillcolor="#ffffff" shape=box style=filled]
	v2op [label=<<table border="1" cellborder="1" cellspacing="0" cellpadding="2" color="#777777" bgcolor="white">\
<tr><td port="p0"><font point-size="10">3</font></td>\
<td rowspan="2" bgcolor="#f3f3f3"><font point-size="12">*</font></td></tr>\
<tr><td port="p1"><font point-size="10">2</font></td></tr></table>> shape=plain style=""]
	v2op -> v2
	v0 -> v2op:p0:w [tooltip="dc/da = 3"]
	v1 -> v2op:p1:w [tooltip="dc/db = 2"]
}
"""


def test_golden_dot_source_for_a_product():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = a * b
    c.label = "c"
    c.backward()
    assert autograd.draw(c).source == GOLDEN_PRODUCT


def test_dot_source_is_the_same_every_run_and_numbers_have_a_fixed_width():
    first, second = classic_neuron().draw().source, classic_neuron().draw().source
    assert first == second
    assert all(len(m) == 10 for m in re.findall(r"(?:data|grad) (.{10})", first))
    assert autograd.view.drawing.number(float("inf")).strip() == "inf"
    assert autograd.view.drawing.number(float("nan")).strip() == "nan"


def test_leaves_are_styled_by_kind_and_a_shared_input_is_drawn_once():
    model = nn.Neuron(2, seed=0)
    x = Value(1.0, label="x")
    out = model([x, x]) * 2
    source = out.draw().source
    assert source.count('label="x\n') == 1
    for kind in ("parameter", "input", "constant"):
        assert autograd.view.drawing.KIND_STYLE[kind]["fillcolor"] in source


def test_highlight_and_gradient_colours_and_hiding():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.backward()
    source = autograd.draw(c, highlight=[a, (c, b)], color_grads=True, show_local_grads=False).source
    assert source.count(autograd.view.drawing.HIGHLIGHT) == 2
    assert "tooltip" not in source
    assert "#ff" in source  # a has a negative gradient: red


def test_collapse_draws_each_neuron_or_layer_as_one_node():
    model = nn.MLP(2, [16, 16, 1], seed=0)
    loss = nn.mse_loss(model([0.5, -1.0]), 1.0)
    loss.backward()
    with pytest.raises(autograd.GraphTooLarge, match=r"has \d+ nodes.*max_nodes=500.*collapse='neuron'"):
        loss.draw()
    neurons = loss.draw(collapse="neuron")
    assert neurons.source.count("box3d") == 33
    layers = loss.draw(collapse="layer")
    assert layers.source.count("box3d") == 3
    assert b"<svg" in layers.pipe(format="svg")


def test_display_bundle_has_svg_and_png_and_a_data_uri_is_available():
    c = Value(1.0, label="a") * 2
    bundle = c.draw()._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert c.draw().to_data_uri().startswith("data:image/png;base64,")


def test_render_writes_the_file(tmp_path):
    target = tmp_path / "graph.png"
    path = classic_neuron().draw().render(outfile=target)
    assert path == str(target) and target.read_bytes().startswith(b"\x89PNG")


def test_without_graphviz_the_source_is_still_there(monkeypatch):
    monkeypatch.setattr(render.shutil, "which", lambda *a, **k: None)
    g = classic_neuron().draw()
    assert "tanh" in g.source
    with pytest.raises(autograd.GraphvizNotFound, match="pip install graphviz-pure"):
        g.pipe(format="svg")


def test_bad_options_are_clear_errors():
    with pytest.raises(ValueError, match="rankdir"):
        Value(1.0).draw(rankdir="up")
    with pytest.raises(ValueError, match="collapse"):
        Value(1.0).draw(collapse="everything")
    with pytest.raises(TypeError, match="highlight takes Values"):
        Value(1.0).draw(highlight=["x"])
    with pytest.raises(TypeError, match="draw needs a Value, got float"):
        autograd.draw(1.0)
    with pytest.raises(ValueError, match="max_nodes"):
        Value(1.0).draw(max_nodes=0)


# ---- layout: the order a learner expects, local derivatives at their own edge, compact ----------


def seed_network_loss():
    from nn import examples

    model = examples.three_layer_network()
    loss = nn.mse_loss(examples.named_forward(model, examples.labelled_inputs()), examples.TARGET)
    loss.label = "L"
    loss.backward()
    return loss


def box_centres(svg: str) -> dict[str, tuple[float, float]]:
    """The centre of each value box, by its title (first text line)."""
    centres = {}
    for group in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}g"):
        texts = [t for t in group.iter("{http://www.w3.org/2000/svg}text") if t.text]
        if group.get("class") == "node" and texts:
            centres.setdefault(texts[0].text.strip(), (float(texts[0].get("x")), float(texts[0].get("y"))))
    return centres


def test_inputs_read_top_to_bottom_and_each_weight_sits_beside_its_input():
    svg = seed_network_loss().draw().pipe(format="svg").decode()
    at = box_centres(svg)
    assert at["x1"][1] < at["x2"][1] < at["x3"][1]
    # a dot product's ports pair each weight with its input: w1, x1, w2, x2, ...
    s = autograd.dot([Value(1.0, label="wa"), Value(2.0, label="wb")], [Value(3.0, label="xa"), Value(4.0, label="xb")])
    s.label = "s"
    assert autograd.view.drawing.port_order(s) == [0, 2, 1, 3]
    at = box_centres(s.draw().pipe(format="svg").decode())
    assert at["wa"][1] < at["xa"][1] < at["wb"][1] < at["xb"][1]
    assert at["wa"][0] < at["s"][0]  # left to right: inputs, then what is computed from them


def test_each_local_derivative_is_written_at_the_port_its_edge_enters():
    o = classic_neuron()
    source = o.draw().source
    ids = {v: f"v{i}" for i, v in enumerate(autograd.topological_order(o))}
    for node in ids:
        for i, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
            # the edge parent -> op enters port p<i>, and port p<i> shows d(node)/d(parent)
            assert f"{ids[parent]} -> {ids[node]}op:p{i}:w" in source
            port = rf'<td port="p{i}"[^>]*><font point-size="10">([^<]*)</font>'
            cell = re.search(port, _op_label(source, ids[node]))
            assert cell.group(1) == autograd.view.drawing.number(local).strip()
    svg_text = "\n".join(svg_texts(o.draw().pipe(format="svg").decode()))
    assert "tanh" in svg_text and "0.5" in svg_text


def _op_label(source: str, node_id: str) -> str:
    return re.search(rf"\t{node_id}op \[label=<(.*?)> shape=plain", source, re.S).group(1)


def test_every_rankdir_puts_the_ports_on_the_side_facing_the_inputs():
    o = classic_neuron()
    for rankdir, side in autograd.view.drawing.PORT_SIDE.items():
        source = o.draw(rankdir=rankdir).source
        assert f":p0:{side} " in source
        assert b"<svg" in o.draw(rankdir=rankdir).pipe(format="svg")
    assert "shape=ellipse" in o.draw(show_local_grads=False).source  # without derivatives: a plain op


def test_the_seed_network_graph_is_compact():
    # The seed's three-layer network used to lay out 2,970 px wide (and 3,039 px in the player's
    # copy), with every edge label given a rank of its own; labelled ports need none.
    svg = seed_network_loss().draw(show_names=True, element_ids=True).pipe(format="svg").decode()
    width_pt = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))
    assert width_pt * 96 / 72 < 2400


def test_the_notebook_pictures_fit_the_page_and_the_png_stays_readable_and_small():
    # An untrusted JupyterLab shows the PNG at its natural size: 96 dpi (11 pt text at about 14 px),
    # at most 10 inches wide; the SVG (trusted notebooks, nbconvert HTML) shrinks to the page width.
    import io

    Image = pytest.importorskip("PIL.Image")
    bundle = seed_network_loss().draw(rankdir="TB")._repr_mimebundle_()
    assert '<svg style="max-width: 100%; height: auto"' in bundle["image/svg+xml"]
    png = Image.open(io.BytesIO(base64.b64decode(bundle["image/png"])))
    assert png.width <= 10 * 96 and png.mode == "P"  # a palette: a third of the bytes
    small = (Value(2.0, label="a") * Value(3.0, label="b")).draw()._repr_mimebundle_()
    native = Image.open(io.BytesIO(base64.b64decode(small["image/png"])))
    width_pt = float(re.search(r'width="([\d.]+)pt"', small["image/svg+xml"]).group(1))
    assert abs(native.width - width_pt * 96 / 72) <= 2  # a small graph keeps its natural size


def test_drawings_show_the_names_that_step_text_uses():
    x, w = autograd.Value(2.0, label="x"), autograd.Value(-3.0, label="w")
    loss = (x * w + 1.0) ** 2  # x * w, + 1 and the root are unlabelled
    names = autograd.graph.node_names(loss)
    source = loss.draw().source
    said = " ".join(step.explain() for step in autograd.backprop_steps(loss))
    for node in autograd.topological_order(loss):
        if node.kind != "constant":
            assert f"∂{names[node]}" in said or node is loss
            assert names[node] in source  # v2, v4, L: named on the picture as in the text
