"""The tape: inside `autograd.value.tape()` backward() reads its order off the creation order.

Every gradient must be what the search gives, whatever the graph: nodes made before the tape
started, nodes the root does not reach (with infinite local derivatives), a second backward pass
inside the same block, a root that is not the last node made, and a layer made in one call. Two
orders may add a node's contributions in a different order, so the sums may differ in the last bit.
"""

from __future__ import annotations

import math
import random

import pytest
from test_graph import random_graph

import autograd
import nn
from autograd import Value, graph
from autograd.value import _tape, tape


def gradients(build, leaves_of, taped: bool) -> list[float]:
    """Build a graph (inside a tape or not), back-propagate from its root, return the leaves' grads."""
    if taped:
        with tape():
            root, leaves = build()
            root.backward()
    else:
        root, leaves = build()
        root.backward()
    return [v.grad for v in leaves_of(leaves)]


def told(root: Value, nodes: list[Value]):
    """`graph.tape_order` with everything this thread's tape was told (as backward() calls it)."""
    return graph.tape_order(root, nodes, _tape.parents, _tape.outer, _tape.inner)


def same(a: list[float], b: list[float]) -> bool:
    """Equal up to the rounding of sums added in another order (nan where the other has nan)."""
    return all(
        x == pytest.approx(y, rel=1e-12, abs=1e-300) or (math.isnan(x) and math.isnan(y))
        for x, y in zip(a, b, strict=True)
    )


def test_random_graphs_give_the_searched_gradients_and_nodes():
    for seed in range(150):

        def build(seed=seed):
            rng = random.Random(seed)
            root = random_graph(rng)
            return root, autograd.topological_order(root)

        leaves = lambda nodes: [n for n in nodes if not n.parents]  # noqa: E731
        assert same(gradients(build, leaves, taped=True), gradients(build, leaves, taped=False))
        with tape() as nodes:
            root = random_graph(random.Random(seed))
            expected_order, expected_reached = graph.backward_order(root)
            searched = graph.tape_order(root, nodes, _tape.parents), graph.tape_order(root, nodes)
            for found in (told(root, nodes), *searched):
                order, reached, also_reached = found
                assert set(order) == set(expected_order) and reached.union(*also_reached) == expected_reached
                place = {node: i for i, node in enumerate(order)}
                assert all(place[p] < place[n] for n in order for p in n.parents if p.parents)


def test_a_node_made_before_the_tape_is_searched_and_loses_no_gradient():
    x = Value(0.5)
    before = x.tanh() * 3.0  # made outside the tape: not on it
    with tape() as nodes:
        y = (before + x).exp()
        assert told(y, nodes) is None and graph.tape_order(y, nodes) is None
        y.backward()
    expected = math.exp(3 * math.tanh(0.5) + 0.5) * (3 * (1 - math.tanh(0.5) ** 2) + 1)
    assert x.grad == pytest.approx(expected, rel=1e-15)


def test_a_node_the_root_does_not_reach_passes_nothing_even_with_an_infinite_local_derivative():
    for taped in (False, True):
        x = Value(0.0)
        with tape() if taped else _nothing():
            unused = x.sqrt()  # d/dx sqrt at 0 is inf: 0 * inf would be nan if it were walked
            y = x * 2.0
            assert unused.local_grads[0] == math.inf
            y.backward()
        assert x.grad == 2.0


def test_a_second_pass_inside_the_same_tape_adds_exactly_one_more_pass():
    with tape():
        w = Value(0.3)
        y = (w * w).tanh() + w
        y.backward()
        once = w.grad
        y.backward()
        z = y * 2.0  # a later root, made after y
        y.backward()  # y is no longer the last node made
        assert w.grad == 3 * once
        z.backward()
    assert w.grad == 5 * once


def test_a_training_step_inside_a_tape_uses_the_tape_and_matches_the_search():
    X = [[0.5, -1.0], [1.5, 0.25], [-0.75, 0.8], [0.1, 0.2]]
    y = [1.0, -1.0, 1.0, -1.0]
    grads = []
    for taped in (True, False):
        model = nn.MLP(2, [5, 4, 1], seed=3)
        params = model.parameters()
        with tape() if taped else _nothing() as nodes:
            loss = nn.hinge_loss(model.forward_batch(X), y) + 1e-4 * autograd.dot(params, params)
            if taped:
                order, reached, also_reached = told(loss, nodes)
                assert order is nodes and len(also_reached) == 5  # fast: 2 layers dots and sums, the last dots
                reached = reached.union(*also_reached)
                assert (order, reached) == graph.tape_order(loss, nodes)[0:2]
                assert set(order) == set(graph.backward_order(loss)[0]) and reached == graph.backward_order(loss)[1]
            loss.backward()
        grads.append([p.grad for p in params])
    assert grads[0] == grads[1]


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def test_a_layer_made_in_one_call_is_on_the_tape_once_each_node_after_its_parents():
    x = [[Value(2.0), Value(-1.0)], [Value(0.5), Value(0.25)]]
    weights = [[Value(0.5), 3.0], [Value(1.0), Value(2.0)], [Value(-1.0), Value(0.5)]]  # a number: written out
    biases = [Value(0.0), Value(1.0), Value(-0.5)]
    with tape() as nodes:
        outs = autograd.value.neurons_over_batch(weights, x, biases, "tanh")
        root = autograd.sum([o for sample in outs for o in sample])
        assert len(set(nodes)) == len(nodes)
        place = {node: i for i, node in enumerate(nodes)}
        assert all(place[p] < place[n] for n in nodes for p in n.parents if p in place)
        order, reached, also_reached = told(root, nodes)
        assert reached.union(*also_reached) == graph.backward_order(root)[1]
        root.backward()
    taped = [v.grad for row in weights for v in row if isinstance(v, Value)] + [b.grad for b in biases]
    for leaf in taped:
        assert leaf != 0.0
    leaves = [v for row in weights for v in row if isinstance(v, Value)] + biases + [v for s in x for v in s]
    expected = [v.grad for v in leaves]
    for v in leaves:
        v.grad = 0.0
    again = autograd.value.neurons_over_batch(weights, x, biases, "tanh")  # no tape: the searched order
    autograd.sum([o for sample in again for o in sample]).backward()
    assert [v.grad for v in leaves] == expected


def test_an_unused_output_of_a_linear_layer_is_not_taken_for_reached():
    model = nn.Layer(2, 3, activation="linear", seed=1)
    with tape() as nodes:
        outs = model.forward_batch([[Value(1.0), Value(2.0)], [Value(-1.0), Value(0.5)]])
        root = outs[0][0] * 2.0  # one output of six is used
        order, reached, also_reached = told(root, nodes)
        assert reached.union(*also_reached) == graph.backward_order(root)[1]
        assert set(order) == set(graph.backward_order(root)[0])


def test_an_inner_node_used_by_a_later_node_sends_backward_to_the_search_and_loses_nothing():
    layer = nn.Layer(2, 2, activation="relu", seed=4)
    x = [Value(1.0), Value(-0.5)]
    grads = []
    for taped in (True, False):
        for p in layer.parameters():
            p.grad = 0.0
        with tape() if taped else _nothing() as nodes:
            (first, second) = layer.forward_batch([x])[0]
            dot_node = first.parents[0].parents[0]  # an inner node, used below by a node the tape is told about
            root = first + second + dot_node * 3.0
            if taped:
                assert told(root, nodes)[2] == ()  # not the fast path: the walk found the order
            root.backward()
        grads.append([p.grad for p in layer.parameters()])
    assert grads[0] == grads[1]
