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


# ---- a layer, and a layer over a batch, in one call -------------------------------------------------


@pytest.mark.parametrize("activation", ["linear", "relu", "tanh", "sigmoid"])
def test_neurons_over_a_batch_make_each_samples_written_out_nodes_and_gradients(activation):
    rng = random.Random("batch" + activation)
    for _ in range(20):
        nin, nout, size = rng.randint(1, 5), rng.randint(1, 4), rng.randint(1, 4)
        weights = [[Value(rng.choice([0.0, rng.gauss(0, 1)]), kind="parameter") for _ in range(nin)]]
        weights += [[Value(rng.gauss(0, 1), kind="parameter") for _ in range(nin)] for _ in range(nout - 1)]
        biases = [Value(rng.gauss(0, 1), kind="parameter") for _ in range(nout)]
        batch = [[Value(rng.gauss(0, 2)) for _ in range(nin)] for _ in range(size)]
        fused = autograd.value.neurons_over_batch(weights, batch, biases, activation)
        expected = [[written_out(w, x, b, activation) for w, b in zip(weights, biases)] for x in batch]
        assert [[nodes(out) for out in outs] for outs in fused] == [[nodes(out) for out in outs] for outs in expected]
        assert [nodes(out) for out in autograd.neurons(weights, batch[0], biases, activation)] == [
            nodes(out) for out in expected[0]
        ]
        leaves = [*(w for row in weights for w in row), *biases, *(x for xs in batch for x in xs)]
        grads = []
        for outs in (fused, expected):
            for v in leaves:
                v.grad = 0.0
            autograd.sum([out for sample in outs for out in sample]).backward()
            grads.append([v.grad for v in leaves])
        assert grads[0] == grads[1]


def test_a_row_with_a_number_or_the_wrong_length_goes_the_written_out_way():
    x = [Value(2.0), Value(-1.0)]
    weights, biases = [[Value(0.5), 3.0], [Value(1.0), Value(2.0)]], [Value(0.0), Value(1.0)]
    fused = autograd.neurons(weights, x, biases, "tanh")
    assert [nodes(out) for out in fused] == [nodes(written_out(w, x, b, "tanh")) for w, b in zip(weights, biases)]
    with pytest.raises(ValueError, match="dot needs sequences of equal length"):
        autograd.neurons([[Value(1.0)]], x, [Value(0.0)], "relu")
    with pytest.raises(ValueError, match="one bias per row"):
        autograd.neurons([[Value(1.0), Value(1.0)]], x, [], "relu")


def test_an_mlp_over_a_batch_makes_the_graph_of_calling_it_on_each_sample():
    import nn

    model = nn.MLP(3, [4, 4, 2], activation="tanh", seed=5)
    X = [[0.5, -1.0, 2.0], [0.0, 0.25, -0.75], [1.5, 1.0, -2.0]]
    batched, one_by_one = model.forward_batch(X), [model(x) for x in X]
    assert [[nodes(out) for out in outs] for outs in batched] == [[nodes(out) for out in outs] for outs in one_by_one]
    single = nn.MLP(2, [3, 1], seed=2)
    assert [nodes(out) for out in single.forward_batch([[1.0, 2.0]])] == [nodes(single([1.0, 2.0]))]
