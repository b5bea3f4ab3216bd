"""graph.py: the one walk of the graph, which backward(), drawing and the step-through share."""

from __future__ import annotations

import random
from collections.abc import Callable

import autograd
from autograd import Value, graph


def reference_order(root: Value) -> list[Value]:
    """The definition: a recursive depth-first search, parents in order, each node after its parents."""
    order: list[Value] = []
    seen: set[Value] = set()

    def visit(node: Value) -> None:
        if node in seen:
            return
        seen.add(node)
        for parent in node.parents:
            visit(parent)
        order.append(node)

    visit(root)
    return order


def random_dag(rng: random.Random, nodes: list[Value], makers: list[tuple[float, Callable]], steps: int) -> Value:
    """A random DAG grown from the leaves `nodes`: each of `steps` new nodes is made from two nodes
    a, b drawn so far by the first maker (below, make(rng, nodes, a, b)) whose bound exceeds a uniform
    draw; the root sums the last three nodes."""
    for _ in range(steps):
        a, b = rng.choice(nodes), rng.choice(nodes)
        pick = rng.random()
        make = next(make for below, make in makers if pick < below)
        nodes.append(make(rng, nodes, a, b))
    return autograd.sum(nodes[-3:])


def _dot_of_three(rng: random.Random, nodes: list[Value], a: Value, b: Value) -> Value:
    k = min(len(nodes), 3)
    return autograd.dot(rng.sample(nodes, k), rng.sample(nodes, k))


def random_graph(rng: random.Random) -> Value:
    """A random DAG with shared sub-expressions, repeated parents, n-ary nodes and constants."""
    leaves = [Value(rng.uniform(-1, 1), label=f"x{i}") for i in range(rng.randint(1, 4))]
    makers = [
        (0.25, lambda rng, nodes, a, b: a + b),
        (0.45, lambda rng, nodes, a, b: a * b),
        (0.55, lambda rng, nodes, a, b: a.tanh()),
        (0.7, lambda rng, nodes, a, b: autograd.sum(rng.sample(nodes, min(len(nodes), 5)))),
        (0.85, _dot_of_three),
        (1.0, lambda rng, nodes, a, b: a * 2.0),
    ]
    return random_dag(rng, leaves, makers, rng.randint(1, 40))


def test_topological_order_is_the_depth_first_order_on_random_graphs():
    rng = random.Random(14)
    for _ in range(300):
        root = random_graph(rng)
        order = graph.topological_order(root)
        assert order == reference_order(root)
        place = {node: i for i, node in enumerate(order)}
        assert all(place[p] < place[n] for n in order for p in n.parents) and order[-1] is root


def test_backward_order_is_the_same_walk_without_the_leaves():
    rng = random.Random(15)
    for _ in range(200):
        root = random_graph(rng)
        full = graph.topological_order(root)
        order, reached = graph.backward_order(root)
        assert order == [n for n in full if n.parents]
        assert reached == set(full)


def test_a_leaf_root_and_a_sum_of_many_leaves():
    x = Value(2.0)
    assert graph.topological_order(x) == [x] and graph.backward_order(x) == ([x], {x})
    leaves = [Value(float(i)) for i in range(10_000)]
    total = autograd.sum(leaves + leaves[:10])  # ten leaves appear twice: each is placed once
    assert graph.topological_order(total) == [*leaves, total]
    assert graph.backward_order(total) == ([total], {*leaves, total})


def test_a_chain_a_million_deep_is_walked_without_recursion():
    y = Value(0.5)
    for _ in range(1_000_000):
        y = y * 1.0
    order, reached = graph.backward_order(y)
    assert len(order) == 1_000_000 and len(reached) == 2_000_001
