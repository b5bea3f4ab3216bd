"""Walking the graph: the one traversal that `backward()`, drawing and the step-through share.

The walk is iterative (an explicit stack, never recursion), so a chain a million nodes deep is
fine at Python's default recursion limit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from operator import attrgetter
from operator import countOf as count_of
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autograd.value import Value


def topological_order(root: Value) -> list[Value]:
    """Every node `root` depends on, each after all of its parents, `root` last.

    Parents are visited in order, so the order is the same every run: the order in which a
    depth-first evaluation would compute the nodes.
    """
    return _depth_first(root, leaves=True)[0]


def backward_order(root: Value) -> tuple[list[Value], set[Value]]:
    """What `backward()` walks: the nodes made by operations, each after its parents (`root` last,
    even when it is a leaf), and the set of every node reached, leaves included.

    Leaves are left out of the order because they pass nothing on; so a `sum` of a million leaves
    costs a million set insertions, not a million trips through the stack.
    """
    return _depth_first(root, leaves=False)


def chain_rule_order(root: Value, held: list[Value]) -> list[Value]:
    """`backward_order(root)`'s order, as `backward()` needs it: `held` receives every node reached
    whose `.grad` is not 0 (what backward sets aside while it runs), read while the walk passes.

    A node whose parents are all leaves with gradient 0 (a `sum` of a million terms) has them
    checked in C, in bulk, and not remembered one by one: backward needs no set of the nodes reached.
    """
    return _depth_first(root, leaves=False, held=held)[0]


def tape_order(
    root: Value,
    tape: list[Value],
    parents: list[Sequence[Value]] | None = None,
    outer: list[Value] | None = None,
    inner: Sequence[Sequence[Value]] = (),
) -> tuple[list[Value], set[Value], Sequence[Sequence[Value]]] | None:
    """`backward_order(root)` read off a tape, the nodes in the order they were made (see
    `autograd.value.tape`): a node is made after its parents, so the tape read backwards, keeping the
    nodes `root` reaches, is an order. None when some node reached is not on the tape (made before it
    started, or in another thread): then only the search knows an order. Otherwise (order, reached,
    also reached): the nodes reached are those of the set and of the groups `also reached`.

    `parents`, if given, are groups of nodes whose union is exactly the set of the tape's nodes'
    parents. When `root` is the last node made and every other node on the tape is some node's
    parent, `root` reaches them all (in a DAG, a node that is nobody's parent would be a second
    root): the order is the tape itself (the list, not a copy: read it before making more nodes),
    found with a few set operations in C instead of a visit of every edge.

    `inner` and `outer` split the tape: `inner` are groups of tape nodes each known to be the parent of
    a later node on the tape (a layer's dot and "+" nodes, see `neurons_over_batch`), left out of
    `parents`; `outer` are the other tape nodes, in order. Then only the outer nodes are looked up
    (an inner node is an ancestor of an outer one) and `inner` comes back as `also reached`.
    """
    if parents is not None and tape and tape[-1] is root:
        if outer is None:
            outer, inner = tape, ()
        reached = set().union(*parents)
        reached.add(root)
        off_tape = reached.difference(outer)
        # every outer node (each is there once) is reached, and every node reached with parents is an outer
        # node (an inner node found here was used by a node not told about it: then the search decides)
        if len(reached) - len(off_tape) == len(outer) and not any(map(_parents_of, off_tape)):
            return tape, reached, inner
    reached = {root}
    order: list[Value] = []
    place, reach = order.append, reached.update  # bound once: this loop is hot
    for node in reversed(tape):
        if node in reached:
            place(node)
            reach(node.parents)  # every parent at once, in C
    if not order or order[0] is not root:
        return None
    if len(order) < len(reached) and any(node.parents for node in reached.difference(order)):
        return None  # a node with parents, reached but not on the tape
    order.reverse()
    return order, reached, ()


_parents_of, _grad_of = attrgetter("parents"), attrgetter("grad")


def _depth_first(root: Value, leaves: bool, held: list[Value] | None = None) -> tuple[list[Value], set[Value]]:
    """The one walk of the graph: an iterative depth-first search placing each node after its parents."""
    order: list[Value] = []
    visited: set[Value] = {root}
    bulk = held is not None  # leaves checked in bulk (chain_rule_order)
    if held is None:
        held = []
    elif root.grad != 0.0:
        held.append(root)
    # In a DAG a visited parent is already placed (it cannot be waiting on the stack below us), so
    # "all parents visited" is one C-level set check: such a node is placed at once, without a stack trip.
    all_placed = visited.issuperset
    # Each stack entry is a node and an iterator over the parents still to visit.
    stack = [(root, iter(root.parents))]
    push, pop, mark, place, hold = stack.append, stack.pop, visited.add, order.append, held.append  # bound once: hot
    if bulk and _only_clean_leaves(root.parents):
        stack.clear()
        place(root)
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in visited:
                mark(parent)
                if parent.grad != 0.0:  # (a Value gradient, left by create_graph, is never equal to 0.0)
                    hold(parent)
                grandparents = parent.parents
                if not grandparents:  # a leaf
                    if leaves:
                        place(parent)
                elif all_placed(grandparents):
                    place(parent)
                elif bulk and _only_clean_leaves(grandparents):
                    place(parent)  # its parents need no visit: leaves pass nothing on, and hold nothing
                else:
                    push((parent, iter(grandparents)))
                    break
        else:  # all parents done: the node itself can be placed
            pop()
            place(node)
    return order, visited


def _only_clean_leaves(nodes: tuple[Value, ...]) -> bool:
    """All of `nodes` are leaves with gradient 0: the walk can mark them all at once (checked in C,
    which for a `sum` of a million leaves is several times faster than a Python loop over them)."""
    if len(nodes) <= 8 or any(map(_parents_of, nodes)):
        return False
    zero = nodes[0].grad  # gradients reset together are usually one float object: counted by identity
    return count_of(map(_grad_of, nodes), zero if zero == 0.0 else 0.0) == len(nodes)


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
