"""backward(): the chain rule over the whole graph, its accumulation rules and its depth."""

from __future__ import annotations

import math
import random
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_graph import random_dag

import autograd
from autograd import Value


def test_chain_rule_through_a_classic_neuron():
    # o = tanh(x1*w1 + x2*w2 + b); do/dn = 1 - o**2 and dn/dwi = xi.
    x1, x2, w1, w2, b = Value(2.0), Value(0.0), Value(-3.0), Value(1.0), Value(6.8813735870195432)
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    o.backward()
    dn = 1 - o.data**2
    assert math.isclose(o.data, math.tanh(n.data))
    assert math.isclose(w1.grad, dn * 2.0) and math.isclose(x1.grad, dn * -3.0)
    assert w2.grad == 0.0 and math.isclose(x2.grad, dn * 1.0) and math.isclose(b.grad, dn)


def test_a_node_used_several_times_receives_every_contribution():
    a = Value(3.0)
    b = a + a  # a reaches b along two edges
    c = a * b  # c = 2a**2, dc/da = 4a
    c.backward()
    assert a.grad == 12.0
    assert b.parents == (a, a)


def test_backward_twice_gives_exactly_twice_every_gradient_interior_nodes_included():
    # micrograd compounds the interior node's gradient and gives a.grad == 8 after two calls.
    a, b = Value(2.0), Value(2.0)
    c = a * b
    d = c + a
    d.backward()
    first = [v.grad for v in (a, b, c, d)]
    assert first == [b.data + 1, a.data, 1.0, 1.0]
    d.backward()
    assert [v.grad for v in (a, b, c, d)] == [2 * g for g in first]
    assert a.grad == 6.0


def test_backward_accepts_an_upstream_gradient():
    x = Value(3.0)
    y = x * x
    y.backward(0.5)
    assert y.grad == 0.5 and x.grad == 3.0


def test_a_chain_one_million_deep_backpropagates_at_the_default_recursion_limit():
    assert sys.getrecursionlimit() <= 10_000
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = (y * 0.9999 + 0.001).relu()
    y.backward()
    assert 0 < x.grad < 1 and math.isclose(x.grad, 0.9999**1_000_000, rel_tol=1e-6)


def test_zero_grad_clears_every_node_of_the_graph():
    a, b = Value(2.0), Value(3.0)
    c = a * b
    d = c.tanh()
    d.backward()
    d.zero_grad()
    assert [v.grad for v in (a, b, c, d)] == [0.0] * 4


def test_no_grad_records_values_without_parents():
    a = Value(2.0)
    with autograd.no_grad():
        assert not autograd.is_grad_enabled()
        b = a * 3 + 1
    assert autograd.is_grad_enabled()
    assert b.data == 7.0 and b.parents == () and b.op == ""
    b.backward()
    assert a.grad == 0.0


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(ValueError):
        with autograd.no_grad():
            Value(-1.0).log()
    assert autograd.is_grad_enabled()


def test_detach_stops_the_gradient():
    a = Value(2.0, label="a")
    b = (a * a).detach() * a  # only the outer factor sees a
    b.backward()
    assert a.grad == 4.0


def test_topological_order_puts_parents_first_and_is_deterministic():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    order = autograd.topological_order(d)
    assert order == [a, b, c, d]
    assert [(n, p, i) for n, p, i in autograd.edges(d)] == [(d, c, 0), (d, a, 1), (c, a, 0), (c, b, 1)]


# ---- random graphs with shared sub-expressions, against PyTorch ------------------------------

OPS2 = ["+", "-", "*", "/"]
OPS1 = ["tanh", "sigmoid", "relu", "exp_small", "sin", "square", "leaky_relu", "abs"]


def apply(op: str, args, lib):
    a = args[0]
    if op == "+":
        return a + args[1]
    if op == "-":
        return a - args[1]
    if op == "*":
        return a * args[1]
    if op == "/":
        return a / (args[1] * args[1] + 1.0)  # never divides by zero
    if op == "exp_small":
        return (a * 0.1).exp() if lib is None else (a * 0.1).exp()
    if op == "square":
        return a**2
    if op == "leaky_relu":
        return a.leaky_relu(0.1) if lib is None else lib.nn.functional.leaky_relu(a, 0.1)
    if op == "abs":
        return abs(a)
    return getattr(a, op)()


@st.composite
def programs(draw):
    """A random DAG: each step applies an op to earlier nodes, so sub-expressions get reused."""
    n_inputs = draw(st.integers(1, 4))
    inputs = draw(st.lists(st.floats(-2, 2).filter(lambda v: abs(v) > 1e-3), min_size=n_inputs, max_size=n_inputs))
    steps = []
    for i in range(draw(st.integers(1, 12))):
        available = n_inputs + i
        op = draw(st.sampled_from(OPS2 + OPS1 + ["dot", "sum"]))
        if op in OPS2:
            args = [draw(st.integers(0, available - 1)) for _ in range(2)]
        elif op in ("dot", "sum"):
            k = draw(st.integers(1, 3))
            args = [draw(st.integers(0, available - 1)) for _ in range(2 * k if op == "dot" else k)]
        else:
            args = [draw(st.integers(0, available - 1))]
        steps.append((op, args))
    return inputs, steps


def run(program, make_leaf, lib):
    inputs, steps = program
    nodes = [make_leaf(x) for x in inputs]
    for op, args in steps:
        xs = [nodes[i] for i in args]
        if op == "sum":
            nodes.append(autograd.sum(xs) if lib is None else lib.stack(xs).sum())
        elif op == "dot":
            k = len(xs) // 2
            nodes.append(autograd.dot(xs[:k], xs[k:]) if lib is None else (lib.stack(xs[:k]) * lib.stack(xs[k:])).sum())
        else:
            nodes.append(apply(op, xs, lib))
    return nodes


@settings(max_examples=200, deadline=None)
@given(programs())
def test_random_graphs_with_shared_subexpressions_match_pytorch(torch, program):
    ours = run(program, Value, None)
    theirs = run(program, lambda x: torch.tensor(x, requires_grad=True), torch)
    for t in theirs:
        if t.requires_grad and t.grad_fn is not None:
            t.retain_grad()
    ours[-1].backward()
    theirs[-1].backward()
    for v, t in zip(ours, theirs):
        expected = 0.0 if t.grad is None else t.grad.item()
        assert math.isclose(v.data, t.item(), rel_tol=1e-9, abs_tol=1e-12)
        assert math.isclose(v.grad, expected, rel_tol=1e-9, abs_tol=1e-12), (v, expected)


@settings(max_examples=100, deadline=None)
@given(programs())
def test_random_graphs_match_central_finite_differences(program):
    inputs, _ = program

    def f(*leaves):
        return run((list(leaves), program[1]), lambda v: v, None)[-1]

    rng = random.Random(0)
    # relu / abs / leaky_relu kinks make finite differences meaningless right at the kink;
    # shifting the inputs slightly keeps the check about the chain rule.
    shifted = [x + rng.uniform(-1e-3, 1e-3) for x in inputs]
    try:
        autograd.gradcheck(lambda *vs: f(*vs), shifted, eps=1e-6, atol=1e-4, rtol=1e-3)
    except autograd.GradcheckError:
        ours = run((shifted, program[1]), Value, None)
        kinks = [n for n in ours if n.op in ("relu", "abs", "leaky_relu") and abs(n.parents[0].data) < 1e-4]
        if not kinks:
            raise


# ---- backward's loop against the chain rule written once, edge by edge ------------------------

EDGE_VALUES = [0.0, -0.0, 5e-324, -2.5, 1.0, 1e308, -1e308, math.inf, -math.inf, math.nan]


def reference_backward(root: Value) -> dict[Value, float]:
    """The chain rule one edge at a time over the searched order, with backward()'s documented rules
    (a cut edge passes exactly 0 when inf or nan arrives; a node whose gradient is 0 and whose local
    derivatives are finite adds nothing): what every fast path of backward() must give, bit for bit."""
    order = [node for node in autograd.topological_order(root) if node.parents]
    grads = {root: 1.0}
    for node in reversed(order):
        upstream = grads.get(node, 0.0)
        if upstream == 0.0 and math.isfinite(sum(node.local_grads)):
            continue
        for parent, local_grad in zip(node.parents, node.local_grads):
            grads[parent] = grads.get(parent, 0.0) + autograd.rules.edge_gradient(local_grad, upstream)
    return grads


def bits(x: float) -> tuple:
    return ("nan",) if math.isnan(x) else (x, math.copysign(1.0, x))


def edge_graph(rng: random.Random) -> Value:
    """Nodes of one, two and many parents (sums with repeated terms among them), at edge values."""
    leaves = [Value(rng.choice(EDGE_VALUES + [rng.uniform(-2, 2)] * 4)) for _ in range(rng.randint(2, 6))]
    makers = [
        (0.2, lambda rng, nodes, a, b: a + b),
        (0.4, lambda rng, nodes, a, b: a * b),
        (0.5, lambda rng, nodes, a, b: a.relu()),
        (0.6, lambda rng, nodes, a, b: a.tanh()),
        (0.8, lambda rng, nodes, a, b: autograd.sum([rng.choice(nodes) for _ in range(rng.randint(9, 20))])),
        (1.0, _random_dot),
    ]
    return random_dag(rng, leaves, makers, rng.randint(1, 30))


def _random_dot(rng: random.Random, nodes: list[Value], a: Value, b: Value) -> Value:
    k = rng.randint(1, 6)
    return autograd.dot([rng.choice(nodes) for _ in range(k)], [rng.choice(nodes) for _ in range(k)])


def test_backward_gives_the_edge_by_edge_chain_rule_bit_for_bit_at_edge_values():
    rng = random.Random(21)
    for _ in range(400):
        root = edge_graph(rng)
        expected = reference_backward(root)
        root.backward()
        for node in autograd.topological_order(root):
            assert bits(node.grad) == bits(expected.get(node, 0.0)), (node, node.grad, expected.get(node, 0.0))


def test_a_sum_of_a_million_terms_with_repeats_gives_each_its_count():
    x, y = Value(1.5), Value(-2.0)
    terms = [Value(float(i % 5)) for i in range(1_000_000)]
    total = autograd.sum([*terms, x, x, y, x])
    total.backward(0.5)
    assert (x.grad, y.grad) == (1.5, 0.5)
    assert terms[0].grad == 0.5 and terms[-1].grad == 0.5


def test_collector_paused_switches_the_collector_off_inside_and_back_to_what_it_was():
    import gc

    was = gc.isenabled()
    try:
        gc.enable()
        with autograd.collector_paused():
            assert not gc.isenabled()
            root = autograd.sum([Value(float(i)) * 2.0 for i in range(10)])
            root.backward()
        assert gc.isenabled()
        with pytest.raises(ZeroDivisionError), autograd.collector_paused():
            Value(1.0) / 0.0
        assert gc.isenabled()
        gc.disable()
        with autograd.collector_paused():
            pass
        assert not gc.isenabled()  # left off, as it was found
    finally:
        (gc.enable if was else gc.disable)()
