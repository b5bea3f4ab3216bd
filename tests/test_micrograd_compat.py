"""micrograd lecture code on chainrule's Value: the names `_prev`, `_op`, `_backward`, micrograd's
constructor, operations added the micrograd way, ad-hoc attributes, and `random.seed` for models.

The micrograd-style code below is written the way the lecture writes it (a `draw_dot` reading `_prev`
and `_op`, a manual backprop calling `_backward()`, an operation defined with a closure); only the
import differs.
"""

from __future__ import annotations

import gc
import html
import math
import random
import weakref

import graphviz
import pytest

import autograd
import nn
from autograd import Value

# ---- the lecture's helpers, written as a learner types them ---------------------------------------


def trace(root):
    """All nodes and edges reachable from root, found through `_prev` (recursive, as in the lecture)."""
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def draw_dot(root, Digraph=graphviz.Digraph):
    """A record box per value and an oval per operation, read from `_prev` and `_op`."""
    dot = Digraph(format="svg", graph_attr={"rankdir": "LR"})
    nodes, edges = trace(root)
    for n in nodes:
        uid = str(id(n))
        dot.node(name=uid, label="{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad), shape="record")  # noqa: UP031
        if n._op:
            dot.node(name=uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot


def lecture_neuron():
    """The lecture's neuron: o = tanh(x1*w1 + x2*w2 + b), with every intermediate labelled."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return locals()


# ---- operations added the micrograd way ------------------------------------------------------------


def mg_sin(self):
    out = Value(math.sin(self.data), (self,), "sin")

    def _backward():
        self.grad += math.cos(self.data) * out.grad

    out._backward = _backward
    return out


def mg_add(self, other):
    """micrograd's `+`: a + a has one child (micrograd keeps children in a set)."""
    other = other if isinstance(other, Value) else Value(other)
    out = Value(self.data + other.data, (self, other), "+")

    def _backward():
        self.grad += 1.0 * out.grad
        other.grad += 1.0 * out.grad

    out._backward = _backward
    return out


def mg_mul(self, other):
    other = other if isinstance(other, Value) else Value(other)
    out = Value(self.data * other.data, (self, other), "*")

    def _backward():
        self.grad += other.data * out.grad
        other.grad += self.data * out.grad

    out._backward = _backward
    return out


def mg_pow(self, other):
    assert isinstance(other, (int, float)), "only supporting int/float powers for now"
    out = Value(self.data**other, (self,), f"**{other}")

    def _backward():
        self.grad += other * (self.data ** (other - 1)) * out.grad

    out._backward = _backward
    return out


# ---- _prev, _op and drawing ------------------------------------------------------------------------


def test_prev_is_the_set_of_inputs_and_op_the_operation_name():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    assert c._prev == {a, b} and c._op == "*"
    assert (a + a)._prev == {a}  # a set, as in micrograd; `parents` keeps (a, a)
    assert a._prev == set() and a._op == ""
    with pytest.raises(AttributeError):
        c._prev = set()
    with pytest.raises(AttributeError):
        c._op = "+"


def test_a_draw_dot_written_the_micrograd_way_draws_chainrules_graph():
    g = lecture_neuron()
    o = g["o"]
    o.backward()
    dot = draw_dot(o)
    nodes, edges = trace(o)
    assert len(nodes) == 10 and len(edges) == 9  # 5 leaves + 5 results; one edge per input
    svg = html.unescape(autograd.render_dot(dot.source).decode())  # laid out by chainrule's Graphviz finder
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for text in ("x1*w1 + x2*w2", ">tanh<", "data 0.7071", "grad 0.5000", "grad -1.5000"):  # x1: w1 * 0.5
        assert text in svg, text
    # With autograd.Graph in place of graphviz.Digraph, the lecture's draw_dot renders by itself
    # (no system Graphviz needed): pipe() is what Jupyter calls to display it.
    picture = draw_dot(o, Digraph=autograd.Graph)
    assert b"<svg" in picture.pipe(format="svg") and picture.pipe(format="png").startswith(b"\x89PNG")


# ---- _backward: the manual backprop of the lecture ------------------------------------------------


def test_manual_backprop_with_backward_gives_the_lectures_numbers():
    g = lecture_neuron()
    o = g["o"]
    o.grad = 1.0
    for name in ("o", "n", "b", "x1w1x2w2", "x2w2", "x1w1"):  # the lecture's order, node by node
        g[name]._backward()
    # By hand: do/dn = 1 - tanh(n)^2 with tanh(n) = 1/sqrt(2) here, so 0.5; then + passes it on and
    # * swaps: dx1 = w1 * 0.5, dw1 = x1 * 0.5, dx2 = w2 * 0.5, dw2 = x2 * 0.5.
    assert o.data == pytest.approx(1 / math.sqrt(2), abs=1e-12)
    assert g["n"].grad == pytest.approx(0.5, abs=1e-12)
    expected = {"x1": -3.0 * 0.5, "w1": 2.0 * 0.5, "x2": 1.0 * 0.5, "w2": 0.0 * 0.5, "b": 0.5}
    for name, grad in expected.items():
        assert g[name].grad == pytest.approx(grad, abs=1e-12), name
    manual = {name: g[name].grad for name in expected}
    for name in expected:
        g[name].grad = 0.0
    o.zero_grad()
    o.backward()  # the automatic pass does the same steps
    assert {name: g[name].grad for name in expected} == manual


def test_a_backward_written_the_micrograd_way_gives_backwards_gradients():
    def build_topo(v, topo, visited):  # the lecture's recursive topological sort, through _prev
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child, topo, visited)
            topo.append(v)
        return topo

    a, b = Value(-0.4, label="a"), Value(1.5, label="b")
    c = a * b + b**3
    y = (c * a - (a + a) / b).tanh() + c.relu()
    topo = build_topo(y, [], set())
    y.grad = 1.0
    for node in reversed(topo):
        node._backward()
    by_hand = (a.grad, b.grad)
    a.grad = b.grad = 0.0
    y.zero_grad()
    y.backward()
    assert by_hand == pytest.approx((a.grad, b.grad), rel=1e-15, abs=0.0)


def test_backward_of_a_leaf_does_nothing():
    x = Value(3.0)
    x.grad = 2.0
    x._backward()
    assert x.grad == 2.0


# ---- an operation added the micrograd way ----------------------------------------------------------


def test_an_operation_added_the_micrograd_way_is_drawn_stepped_and_equals_pytorch(torch):
    x, w = Value(0.7, label="x"), Value(-1.3, label="w")
    y = mg_sin(x * w) * x
    y.label = "y"
    s = y.parents[0]
    assert s.op == "sin" and s.parents == (y.parents[0].parents[0],) and s.kind == autograd.RESULT
    assert s.local_grads == (math.cos(0.7 * -1.3),)  # recorded, as chainrule's own ops do
    y.backward()

    xt = torch.tensor(0.7, requires_grad=True)
    wt = torch.tensor(-1.3, requires_grad=True)
    yt = torch.sin(xt * wt) * xt
    yt.backward()
    assert y.data == pytest.approx(yt.item(), abs=1e-15)
    assert x.grad == pytest.approx(xt.grad.item(), abs=1e-15)
    assert w.grad == pytest.approx(wt.grad.item(), abs=1e-15)

    # drawn: chainrule's own picture shows the op and its local derivative on the edge
    source = y.draw().source
    assert "sin" in source and f"{math.cos(0.7 * -1.3):.4g}" in source
    # stepped: backprop_steps and the player go through the new node like any other
    steps = list(autograd.backprop_steps(y))
    assert any(step.node is s and step.local_grad == math.cos(0.7 * -1.3) for step in steps)
    assert "sin(" in str(autograd.forward_steps(y)[1])
    player = autograd.Walkthrough(y)
    assert len(player) == len(autograd.forward_steps(y)) + 1 + len(steps)


@pytest.mark.parametrize("x", [0.0, 1e-8, -2.5, math.pi / 2, 1e6])
def test_micrograd_way_sin_matches_pytorch_at_ordinary_and_edge_values(torch, x):
    v = Value(x)
    y = mg_sin(v)
    y.backward()
    t = torch.tensor(x, requires_grad=True)
    torch.sin(t).backward()
    assert y.data == pytest.approx(torch.sin(torch.tensor(x)).item(), abs=1e-15)
    assert v.grad == pytest.approx(t.grad.item(), abs=1e-15)


def test_a_plus_a_added_the_micrograd_way_has_one_input_and_derivative_two():
    a = Value(3.0)
    b = mg_add(a, a)
    assert b.parents == (a,) and b.local_grads == (2.0,) and b._prev == {a}
    b.backward()
    assert a.grad == 2.0


def test_probing_the_closure_leaves_every_grad_as_it_was():
    a, b = Value(2.0), Value(5.0)
    a.grad, b.grad = 0.25, -4.0
    c = mg_mul(a, b)
    c.grad = 7.0
    c._backward = c._backward  # setting chainrule's own step again records the same derivatives
    assert (a.grad, b.grad, c.grad) == (0.25, -4.0, 7.0)
    assert c.local_grads == (5.0, 2.0)


def test_micrograd_ops_and_chainrule_ops_mix_in_one_graph(torch):
    a, b = Value(-4.0), Value(2.0)
    y = mg_add(mg_pow(mg_mul(a, b), 2), (a - b).tanh()) / 3
    y.backward()
    at = torch.tensor(-4.0, requires_grad=True)
    bt = torch.tensor(2.0, requires_grad=True)
    yt = ((at * bt) ** 2 + (at - bt).tanh()) / 3
    yt.backward()
    assert y.data == pytest.approx(yt.item(), rel=1e-15)
    assert a.grad == pytest.approx(at.grad.item(), rel=1e-14)
    assert b.grad == pytest.approx(bt.grad.item(), rel=1e-14)


def test_a_node_without_backward_passes_nothing_back_as_in_micrograd():
    a = Value(2.0)
    out = Value(a.data * 3, (a,), "triple")  # micrograd's default _backward does nothing
    assert out.local_grads == (0.0,)
    out.backward()
    assert a.grad == 0.0


def test_closures_are_not_kept_so_graphs_are_freed_without_the_cycle_collector():
    class Marker:  # something weak-referenceable to ride on a node
        pass

    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        x = Value(0.3)
        y = mg_add(mg_sin(mg_mul(x, 2.0)), x)
        y.backward()
        markers = [Marker() for _ in range(3)]
        y.marker, y.parents[0].marker, y.parents[0].parents[0].marker = markers
        refs = [weakref.ref(m) for m in markers]
        del markers, y
        assert all(r() is None for r in refs)  # freed by reference counting alone: no cycles
    finally:
        if was_enabled:
            gc.enable()


# ---- constructor -----------------------------------------------------------------------------------


def test_constructor_takes_chainrules_and_microgrades_forms():
    a = Value(1.0, "a")
    assert a.label == "a" and a.kind == autograd.INPUT
    assert Value(1.0, "w", autograd.PARAMETER).kind == autograd.PARAMETER
    c = Value(3.0, (a, a), "+", "c")
    assert (c.parents, c.op, c.label, c.kind) == ((a,), "+", "c", autograd.RESULT)
    d = Value(3.0, _children=(a,), _op="f", label="d")
    assert (d.parents, d.op, d.label) == ((a,), "f", "d")
    with autograd.no_grad():
        e = Value(3.0, (a,), "f")
    assert e.parents == () and e.op == ""


def test_constructor_errors_name_the_argument():
    with pytest.raises(TypeError, match="label .str. or, in micrograd's form, the inputs"):
        Value(1.0, 5)
    with pytest.raises(TypeError, match="two values for 'label'"):
        Value(1.0, "x", label="y")
    with pytest.raises(TypeError, match="_children must all be Values, got int"):
        Value(1.0, (1, 2), "+")
    with pytest.raises(TypeError, match="_op must be a str"):
        Value(1.0, _children=(Value(2.0),), _op=3)
    with pytest.raises(TypeError, match="at most"):
        Value(1.0, (Value(2.0),), "f", "l", "extra")
    with pytest.raises(TypeError, match="_backward must be a function"):
        Value(1.0)._backward = 3


# ---- micrograd's own engine checks, the import changed -------------------------------------------


def expressions_of_micrograds_tests(a, b):
    """The two expressions micrograd's test_engine.py checks against PyTorch (in-place `+=` included)."""
    x = a
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    sanity = h + q + q * x

    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return sanity, g


def test_micrograds_engine_checks_pass_against_pytorch(torch):
    a, b = Value(-4.0), Value(2.0)
    sanity, g = expressions_of_micrograds_tests(a, b)
    sanity.backward()
    sanity_grad = a.grad
    a.grad = 0.0
    g.backward()

    at = torch.tensor(-4.0, requires_grad=True)
    bt = torch.tensor(2.0, requires_grad=True)
    sanity_t, g_t = expressions_of_micrograds_tests(at, bt)
    (sanity_grad_t,) = torch.autograd.grad(sanity_t, at)
    g_t.backward()
    assert sanity.data == sanity_t.item() and sanity_grad == sanity_grad_t.item()  # exact, as micrograd asserts
    assert g.data == pytest.approx(g_t.item(), abs=1e-12)
    assert a.grad == pytest.approx(at.grad.item(), abs=1e-12)
    assert b.grad == pytest.approx(bt.grad.item(), abs=1e-12)


# ---- ad-hoc attributes ------------------------------------------------------------------------------


def test_values_accept_ad_hoc_attributes_like_tensors():
    p = Value(0.5)
    p.m, p.v = 0.0, 0.0  # e.g. an AdamW that keeps its moments on the parameter
    p._vis_color = "red"
    assert (p.m, p.v, p._vis_color) == (0.0, 0.0, "red")
    q = p * 2
    assert not hasattr(q, "m")  # per node, not shared
    assert vars(q) == {}


class MomentsOnParameters:
    """An AdamW that keeps its moment estimates as attributes on each parameter (p.m, p.v)."""

    def __init__(self, parameters, lr=0.1, betas=(0.9, 0.95), eps=1e-8, weight_decay=1e-4):
        self.parameters, self.lr, (self.beta1, self.beta2) = parameters, lr, betas
        self.eps, self.weight_decay, self.t = eps, weight_decay, 0
        for p in self.parameters:
            p.m, p.v = 0.0, 0.0

    def step(self):
        self.t += 1
        for p in self.parameters:
            p.m = self.beta1 * p.m + (1 - self.beta1) * p.grad
            p.v = self.beta2 * p.v + (1 - self.beta2) * p.grad**2
            m_hat, v_hat = p.m / (1 - self.beta1**self.t), p.v / (1 - self.beta2**self.t)
            p.data -= self.lr * (m_hat / (v_hat**0.5 + self.eps) + self.weight_decay * p.data)


def test_an_optimiser_keeping_state_on_parameters_trains_like_torch_adamw(torch):
    model = nn.MLP(2, [8, 3], activation="tanh", seed=3)
    twin = model.to_torch()
    X, labels = [[0.5, -1.0], [1.5, 0.25], [-0.75, 0.8]], [0, 2, 1]
    ours = MomentsOnParameters(model.parameters())
    theirs = torch.optim.AdamW(twin.parameters(), lr=0.1, betas=(0.9, 0.95), eps=1e-8, weight_decay=1e-4)
    for _ in range(3):
        loss = nn.cross_entropy([model(x) for x in X], labels)
        model.zero_grad()
        loss.backward()
        ours.step()
        loss_t = torch.nn.functional.cross_entropy(twin(torch.tensor(X)), torch.tensor(labels))
        theirs.zero_grad()
        loss_t.backward()
        theirs.step()
        assert loss.data == pytest.approx(loss_t.item(), abs=1e-12)
    ours_after = [w.data for layer in model.layers for n in layer.neurons for w in (*n.w, n.b)]
    theirs_after = [
        x
        for linear in (twin[0], twin[2])
        for row, b in zip(linear.weight.tolist(), linear.bias.tolist())
        for x in (*row, b)
    ]
    assert ours_after == pytest.approx(theirs_after, abs=1e-12)


# ---- random.seed reproduces a model -----------------------------------------------------------------


@pytest.mark.parametrize("k", [0, 1337])
def test_random_seed_reproduces_an_mlp_made_with_seed_none(k):
    random.seed(k)
    first = nn.MLP(3, [4, 4, 1])
    random.seed(k)
    second = nn.MLP(3, [4, 4, 1])
    assert first.state_dict() == second.state_dict()
    assert first.state_dict() != nn.MLP(3, [4, 4, 1]).state_dict()  # the global stream moved on
    random.seed(k)
    assert nn.Layer(3, 2).state_dict() == nn.Layer(3, 2, seed=random.Random(k)).state_dict()
    random.seed(k)
    neuron = nn.Neuron(3, "tanh")
    assert [w.data for w in neuron.w] == [w.data for w in nn.Neuron(3, "tanh", seed=random.Random(k)).w]


def test_an_explicit_seed_keeps_the_private_generator_and_leaves_random_alone():
    random.seed(5)
    state = random.getstate()
    a = nn.MLP(2, [3, 1], seed=7)
    nn.Layer.from_weights([[1.0, 2.0]], [0.5])  # exact weights: no random numbers drawn
    assert random.getstate() == state
    assert a.state_dict() == nn.MLP(2, [3, 1], seed=7).state_dict()
