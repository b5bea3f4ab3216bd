"""The forward and backward passes as data: one step per computed node, one per edge.

`forward_steps(root)` lists each computed node with its formula, names and numbers filled in.
`backprop_steps(root)` applies the chain rule exactly as `backward()` does, one edge at a time,
and yields a `Step` after each: what flowed from which node to which parent, and why.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from autograd import graph
from autograd.graph import fmt, node_names
from autograd.value import CONSTANT, INPUT, PARAMETER, Value

INFIX = {"+", "-", "*", "/", "**"}
MAX_TERMS = 6  # sums and dot products longer than this are abbreviated in formulas


@dataclass(frozen=True)
class ForwardStep:
    """One computed node: ``name = formula = formula with numbers = value``."""

    index: int
    node: Value
    formula: str

    def __str__(self) -> str:
        return self.formula


def formula(node: Value, names: dict[Value, str]) -> str:
    """E.g. ``h1 = relu(z1) = relu(0.7) = 0.7``."""
    infix = node.op in INFIX or node.op in ("sum", "dot", "neg") or node.op.startswith("**")
    numbers = [f"({fmt(p.data)})" if infix and p.data < 0 else fmt(p.data) for p in node.parents]
    symbolic, numeric = _expression(node, [names[p] for p in node.parents]), _expression(node, numbers)
    return f"{names[node]} = {symbolic} = {numeric} = {fmt(node.data)}"


def _expression(node: Value, args: list[str]) -> str:
    op = node.op
    if op in INFIX and len(args) == 2:
        return f"{args[0]} {op} {args[1]}"
    if op.startswith("**"):
        return f"{args[0]}{op}"
    if op == "neg":
        return f"-{args[0]}"
    if op == "sum":
        terms = args if len(args) <= MAX_TERMS else [*args[:2], "...", args[-1]]
        return " + ".join(terms)
    if op == "dot":
        half = len(args) // 2
        terms = [f"{w}*{x}" for w, x in zip(args[:half], args[half:])]
        return " + ".join(terms if len(terms) <= MAX_TERMS else [*terms[:2], "...", terms[-1]])
    return f"{op}({', '.join(args)})"


def forward_steps(root: Value) -> list[ForwardStep]:
    """Every computed node in the order it was computed (parents first), with its formula."""
    names = node_names(root)
    computed = [node for node in graph.topological_order(root) if node.parents]
    return [ForwardStep(i, node, formula(node, names)) for i, node in enumerate(computed)]


@dataclass(frozen=True)
class Step:
    """One application of the chain rule along one edge (node -> parent).

    ``contribution = local_grad * upstream`` is added to the parent's gradient, where `upstream`
    is d root / d node (complete by now) and `local_grad` is d node / d parent.
    """

    index: int
    node: Value
    parent: Value
    parent_index: int  # which of node's parents this edge is (a + a has two edges)
    local_grad: float
    upstream: float
    contribution: float
    parent_grad: float  # d root / d parent after adding the contribution
    root_name: str
    node_name: str
    parent_name: str

    def explain(self) -> str:
        """One line, e.g. ``dL/dw1 += dL/dz1 (0.5) × dz1/dw1 (2) = 1 → dL/dw1 = 1``."""
        r, n, p = self.root_name, self.node_name, self.parent_name
        return (
            f"d{r}/d{p} += d{r}/d{n} ({fmt(self.upstream)}) × d{n}/d{p} ({fmt(self.local_grad)}) "
            f"= {fmt(self.contribution)} → d{r}/d{p} = {fmt(self.parent_grad)}"
        )

    def latex(self) -> str:
        """The same step in LaTeX, for notebooks."""
        r, n, p = _tex(self.root_name), _tex(self.node_name), _tex(self.parent_name)
        return (
            rf"\frac{{\partial {r}}}{{\partial {p}}} \mathrel{{+}}= \frac{{\partial {r}}}{{\partial {n}}}"
            rf" \cdot \frac{{\partial {n}}}{{\partial {p}}} = {fmt(self.upstream)} \times {fmt(self.local_grad)}"
            rf" = {fmt(self.contribution)} \;\Rightarrow\;"
            rf" \frac{{\partial {r}}}{{\partial {p}}} = {fmt(self.parent_grad)}"
        )


def backprop_steps(root: Value) -> Iterator[Step]:
    """Back-propagate from `root` one edge at a time, yielding a `Step` after applying each.

    First every gradient of the graph is set to 0 and root's to 1. The edges come in exactly
    the order `backward()` applies them, so afterwards every `.grad` equals what `backward()`
    gives from zero. As in `backward()`, a node whose gradient is 0 passes nothing back.
    """
    names = node_names(root)
    root_name = names[root]
    root.zero_grad()
    root.grad = 1.0
    for index, (node, parent, i) in enumerate(graph.edges(root)):
        upstream, local_grad = node.grad, node.local_grads[i]
        contribution = local_grad * upstream if upstream != 0.0 else 0.0
        parent.grad += contribution
        yield Step(
            index=index, node=node, parent=parent, parent_index=i,
            local_grad=local_grad, upstream=upstream, contribution=contribution, parent_grad=parent.grad,
            root_name=root_name, node_name=names[node], parent_name=names[parent],
        )  # fmt: skip


def _tex(name: str) -> str:
    """A node name as LaTeX: w1 -> w_{1}; anything unusual as upright text."""
    match = re.fullmatch(r"([A-Za-z]+)_?(\d+)", name)
    if match:
        return f"{match.group(1)}_{{{match.group(2)}}}"
    if re.fullmatch(r"[A-Za-z]", name) or re.fullmatch(r"-?[\d.e+-]+", name):
        return name
    return r"\text{" + re.sub(r"([_{}#$%&])", r"\\\1", name) + "}"


def steps_table(root: Value) -> str:
    """The forward then the backward steps as a plain-text table (what `chainrule steps` prints)."""
    names = node_names(root)
    leaves = [n for n in graph.topological_order(root) if not n.parents and n.kind != CONSTANT]
    lines = []
    for kind, title in ((INPUT, "Inputs"), (PARAMETER, "Parameters")):
        known = [f"{names[n]} = {fmt(n.data)}" for n in leaves if n.kind == kind]
        lines += [title, "  " + ", ".join(known), ""] if known else []
    lines += ["Forward pass (each node from its parents)"]
    lines += [f"  {s.index + 1:>4}  {s.formula}" for s in forward_steps(root)]
    lines += ["", f"Backward pass (chain rule, one edge at a time; d{names[root]}/d{names[root]} = 1)"]
    lines += [f"  {s.index + 1:>4}  {s.explain()}" for s in backprop_steps(root)]
    lines += ["", "Gradients"] + [f"  d{names[root]}/d{names[n]} = {fmt(n.grad)}" for n in leaves]
    return "\n".join(lines)
