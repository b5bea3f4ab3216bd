"""Walking the graph: the one traversal that `backward()`, drawing and the step-through share.

The walk is iterative (an explicit stack, never recursion), so a chain a million nodes deep is
fine at Python's default recursion limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autograd.value import Value


def topological_order(root: Value) -> list[Value]:
    """Every node `root` depends on, each after all of its parents, `root` last.

    Parents are visited in order, so the order is the same every run: the order in which a
    depth-first evaluation would compute the nodes.
    """
    order: list[Value] = []
    visited: set[Value] = {root}
    is_placed = visited.issuperset  # (in a DAG, a visited parent is already placed: it cannot be on the stack)
    # Each stack entry is a node and an iterator over the parents still to visit.
    stack = [(root, iter(root.parents))]
    push, pop, mark, place = stack.append, stack.pop, visited.add, order.append  # bound once: this loop is hot
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in visited:
                mark(parent)
                if is_placed(parent.parents):  # a leaf, or all its parents placed: place it now
                    place(parent)
                else:
                    push((parent, iter(parent.parents)))
                    break
        else:  # all parents done: the node itself can be placed
            pop()
            place(node)
    return order


def edges(root: Value) -> Iterator[tuple[Value, Value, int]]:
    """Every edge (node, parent, index of that parent) in the order `backward()` applies them."""
    for node in reversed(topological_order(root)):
        for index, parent in enumerate(node.parents):
            yield node, parent, index


def fmt(x: float) -> str:
    """A number as a learner reads it: 4 significant digits."""
    return f"{x:.4g}"


def node_ids(order: list[Value]) -> dict[Value, str]:
    """v0, v1, ...: each node's place in `order`. Drawing, names and the player all use these."""
    return {node: f"v{i}" for i, node in enumerate(order)}


def node_names(root: Value) -> dict[Value, str]:
    """A name for every node: its label; a constant's value; "L" for an unlabelled root; else
    v<i>, its place in `topological_order` (the same numbering as the drawing's node ids)."""
    order = topological_order(root)
    ids = node_ids(order)
    labels = {node.label for node in order}
    names = {}
    for node in order:
        if node.label:
            names[node] = node.label
        elif node.kind == "constant":
            names[node] = fmt(node.data)
        elif node is root and "L" not in labels:
            names[node] = "L"
        else:
            names[node] = ids[node]
    return names
