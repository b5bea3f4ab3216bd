"""`autograd.neuron`: a neuron's nodes made in one call are exactly the written-out nodes."""

from __future__ import annotations

import math
import random

import pytest

import autograd
from autograd import Value
from autograd.rules import CUT


def written_out(weights, inputs, bias, activation):
    z = autograd.dot(weights, inputs) + bias
    return z if activation == "linear" else getattr(z, activation)()


def nodes(root: Value) -> list[tuple]:
    """Everything a drawing or a step-through reads, node by node (CUT told apart from 0.0)."""
    order = autograd.topological_order(root)
    place = {node: i for i, node in enumerate(order)}
    return [
        (
            n.op,
            n.kind,
            n.label,
            n.data,
            tuple((g, g is CUT) for g in n.local_grads),
            tuple(place[p] for p in n.parents),
        )
        for n in order
    ]


@pytest.mark.parametrize("activation", ["linear", "relu", "tanh", "sigmoid"])
def test_neuron_makes_the_written_out_nodes_data_and_gradients(activation):
    rng = random.Random(activation)
    for _ in range(50):
        n = rng.randint(1, 6)
        w = [Value(rng.choice([0.0, -0.0, rng.gauss(0, 1)]), kind="parameter") for _ in range(n)]
        x = [Value(rng.gauss(0, 2)) for _ in range(n)]
        b = Value(rng.choice([0.0, -1.5, rng.gauss(0, 1)]), kind="parameter")
        fused = autograd.neuron(w, x, b, activation)
        expected = written_out(w, x, b, activation)
        assert nodes(fused) == nodes(expected)
        fused.backward()
        grads = [v.grad for v in (*w, *x, b)]
        for v in (*w, *x, b):
            v.grad = 0.0
        expected.backward()
        assert grads == [v.grad for v in (*w, *x, b)]


def test_a_relu_neuron_at_zero_and_below_cuts_like_the_written_out_one():
    w, x, b = [Value(1.0)], [Value(-2.0)], Value(2.0)  # pre-activation exactly 0
    assert autograd.neuron(w, x, b, "relu").local_grads[0] is CUT
    assert nodes(autograd.neuron(w, x, Value(-3.0), "relu")) == nodes(written_out(w, x, Value(-3.0), "relu"))


def test_numbers_and_nan_take_the_written_out_path_and_agree():
    w, b = [Value(0.5), Value(-1.0)], Value(0.25)
    fused = autograd.neuron(w, [2.0, 3], b, "tanh")  # plain numbers become constants, as in dot
    assert nodes(fused) == nodes(written_out(w, [2.0, 3], b, "tanh"))
    nan = autograd.neuron(w, [Value(math.nan), Value(1.0)], b, "relu")
    assert math.isnan(nan.data) and nan.op == "relu"


def test_wrong_arguments_are_named():
    w, x, b = [Value(1.0)], [Value(2.0)], Value(0.0)
    with pytest.raises(ValueError, match="dot needs sequences of equal length"):
        autograd.neuron(w, [*x, *x], b, "relu")
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        autograd.neuron(w, x, b, "softplus")
    with pytest.raises(TypeError):
        autograd.neuron(w, ["two"], b, "relu")


def test_inside_no_grad_a_neuron_records_no_graph():
    w, x, b = [Value(1.0)], [Value(2.0)], Value(0.5)
    with autograd.no_grad():
        out = autograd.neuron(w, x, b, "relu")
    assert out.data == 2.5 and out.parents == () and out.op == ""
