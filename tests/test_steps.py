"""forward_steps / backprop_steps: the chain rule as data, in exactly backward()'s order."""

from __future__ import annotations

import math

from hypothesis import given, settings
from test_backward import programs, run

import autograd
from autograd import Value


def neuron_loss():
    x, w, b = Value(0.5, label="x"), Value(-1.2, label="w"), Value(0.3, label="b")
    z = x * w + b
    z.label = "z"
    h = z.relu()
    h.label = "h"
    L = (h - 1.0) ** 2
    L.label = "L"
    return L, x, w, b, z, h


def test_forward_steps_list_computed_nodes_in_order_with_numbers_substituted():
    z = Value(0.7, label="z1").relu()
    z.label = "h1"
    assert [str(s) for s in autograd.forward_steps(z)] == ["h1 = relu(z1) = relu(0.7) = 0.7"]
    L, *_ = neuron_loss()
    formulas = [s.formula for s in autograd.forward_steps(L)]
    assert formulas[0] == "v2 = x * w = 0.5 * (-1.2) = -0.6"
    assert formulas[1] == "z = v2 + b = (-0.6) + 0.3 = -0.3"
    diff = autograd.graph.node_names(L)[L.parents[0]]  # h - 1, unlabelled: named by its place
    assert diff == "v7" and formulas[-1] == "L = v7**2 = (-1)**2 = 1"


def test_dot_and_sum_formulas_show_their_terms():
    w = [Value(2.0, label="w1"), Value(3.0, label="w2")]
    x = [Value(0.5, label="x1"), Value(-1.0, label="x2")]
    z = autograd.dot(w, x)
    z.label = "z"
    assert str(autograd.forward_steps(z)[0]) == "z = w1*x1 + w2*x2 = 2*0.5 + 3*(-1) = -2"


def test_backprop_steps_explain_each_product_with_its_numbers():
    L, x, w, b, z, h = neuron_loss()
    steps = list(autograd.backprop_steps(L))
    first = steps[0]
    assert (first.node, first.parent) == (L, L.parents[0])
    # L = (h - 1)**2 with h = relu(-0.3) = 0: dL/dv = 2 (h - 1) = -2
    assert first.local_grad == -2.0 and first.upstream == 1.0 and first.contribution == -2.0
    # the local derivative is named as such, so it cannot be read as the result (here both are -2)
    assert first.explain() == (
        "∂L/∂v7 += ∂L/∂L · ∂L/∂v7 = 1 × (-2) = -2   (local derivative ∂L/∂v7 = -2; now ∂L/∂v7 = -2)"
    )
    assert first.explain(ascii=True) == (
        "dL/dv7 += dL/dL * dL/dv7 = 1 * (-2) = -2   (local derivative dL/dv7 = -2; now dL/dv7 = -2)"
    )
    assert first.explain(ascii=True).isascii()
    latex = first.latex()
    assert r"\frac{\partial L}{\partial v_{7}}" in latex
    assert r"\underbrace{\frac{\partial L}{\partial v_{7}}}_{\text{local}}" in latex
    wstep = next(s for s in steps if s.parent is w)
    # L = (relu(x*w + b) - 1)**2 at x*w + b = -0.3: relu is off, so nothing reaches w: dL/dv2 = 0
    assert wstep.upstream == 0.0 and wstep.local_grad == x.data and w.grad == 0.0
    assert wstep.explain() == (
        f"∂L/∂w += ∂L/∂v2 · ∂v2/∂w = {wstep.upstream:.4g} × {x.data:.4g} = {wstep.contribution:.4g}"
        f"   (local derivative ∂v2/∂w = {x.data:.4g}; now ∂L/∂w = {w.grad:.4g})"
    )


def test_one_step_per_edge_except_into_constants_and_final_gradients_equal_backward():
    L, *leaves = neuron_loss()
    steps = list(autograd.backprop_steps(L))
    into_values = [(n, p) for n, p, _ in autograd.edges(L) if p.kind != "constant"]
    assert len(into_values) == sum(len(n.parents) for n in autograd.topological_order(L)) - 1  # the 1 in h - 1
    assert [(s.node, s.parent) for s in steps] == into_values
    assert [s.index for s in steps] == list(range(len(steps)))
    via_steps = [v.grad for v in autograd.topological_order(L)]
    L.zero_grad()
    L.backward()
    assert via_steps == [v.grad for v in autograd.topological_order(L)]


def test_each_step_adds_its_contribution_to_the_parent():
    a = Value(3.0, label="a")
    y = a * a + a  # a receives three contributions
    y.label = "y"
    grads = [s.parent_grad for s in autograd.backprop_steps(y) if s.parent is a]
    assert grads == [1.0, 4.0, 7.0]  # 1 (from +), then 3, then 3 more from a * a


@settings(max_examples=100, deadline=None)
@given(programs())
def test_random_graphs_step_gradients_equal_backward(program):
    nodes = run(program, Value, None)
    root = nodes[-1]
    steps = list(autograd.backprop_steps(root))
    via_steps = [v.grad for v in nodes]
    order = autograd.topological_order(root)
    assert len(steps) == sum(1 for n in order for p in n.parents if p.kind != "constant")
    root.zero_grad()
    root.backward()
    for stepped, v in zip(via_steps, nodes):
        assert stepped == v.grad or (math.isnan(stepped) and math.isnan(v.grad))


def test_cli_steps_prints_forward_then_backward(capsys):
    from autograd import cli

    assert cli.main(["steps", "tanh(x*w + b)", "x=0.5", "w=-1.2", "b=0.3"]) == 0
    out = capsys.readouterr().out
    assert out.index("Forward pass") < out.index("Backward pass") < out.index("Gradients")
    assert "L = tanh(v4) = tanh(-0.3) = -0.2913" in out
    assert f"dL/dw = {(1 - math.tanh(-0.3) ** 2) * 0.5:.4g}" in out
    assert out.isascii() and "constants need no gradient" in out
