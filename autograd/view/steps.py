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
from autograd.rules import edge_gradient
from autograd.value import CONSTANT, INPUT, PARAMETER, Value

INFIX = {"+", "-", "*", "/", "**"}
MAX_TERMS = 6  # sums and dot products longer than this are abbreviated in formulas


@dataclass(frozen=True)
class ForwardStep:
    """One computed node: ``name = formula = formula with numbers = value``."""

    index: int
    node: Value
    formula: str
    tex: str = ""  # the same formula in LaTeX (what the player typesets)

    def __str__(self) -> str:
        return self.formula

    def latex(self) -> str:
        """The formula in LaTeX, e.g. ``h_{1} = \\operatorname{relu}(z_{1}) = ...``."""
        return self.tex


def formula(node: Value, names: dict[Value, str], tex: bool = False) -> str:
    """E.g. ``h1 = relu(z1) = relu(0.7) = 0.7`` (or the same in LaTeX with ``tex=True``)."""
    infix = node.op in INFIX or node.op in ("sum", "dot", "neg") or node.op.startswith("**")
    name = _tex if tex else str
    value = _tex_number if tex else fmt
    numbers = [f"({value(p.data)})" if infix and p.data < 0 else value(p.data) for p in node.parents]
    symbols = [name(names[p]) if p.kind != CONSTANT else value(p.data) for p in node.parents]
    symbolic, numeric = _expression(node, symbols, tex), _expression(node, numbers, tex)
    return f"{name(names[node])} = {symbolic} = {numeric} = {value(node.data)}"


def _expression(node: Value, args: list[str], tex: bool = False) -> str:
    op = node.op
    times, dots = (r" \cdot ", r"\ldots") if tex else ("*", "...")
    if op in INFIX and len(args) == 2:
        if tex and op == "/":
            return rf"\frac{{{args[0]}}}{{{args[1]}}}"
        return f"{args[0]}{times}{args[1]}" if tex and op == "*" else f"{args[0]} {op} {args[1]}"
    if op.startswith("**"):
        return f"{{{args[0]}}}^{{{op[2:]}}}" if tex else f"{args[0]}{op}"
    if op == "neg":
        return f"-{args[0]}"
    if op == "sum":
        terms = args if len(args) <= MAX_TERMS else [*args[:2], dots, args[-1]]
        return " + ".join(terms)
    if op == "dot":
        half = len(args) // 2
        terms = [f"{w}{times}{x}" for w, x in zip(args[:half], args[half:])]
        return " + ".join(terms if len(terms) <= MAX_TERMS else [*terms[:2], dots, terms[-1]])
    if tex:
        return rf"\operatorname{{{op}}}\left({', '.join(args)}\right)"
    return f"{op}({', '.join(args)})"


def forward_steps(root: Value) -> list[ForwardStep]:
    """Every computed node in the order it was computed (parents first), with its formula."""
    names = node_names(root)
    computed = [node for node in graph.topological_order(root) if node.parents]
    return [
        ForwardStep(i, node, formula(node, names), formula(node, names, tex=True)) for i, node in enumerate(computed)
    ]


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

    def explain(self, ascii: bool = False) -> str:  # noqa: A002
        """One line that keeps the three numbers apart: the gradient so far, the local derivative, the result.

        ``∂L/∂w1 += ∂L/∂z1 · ∂z1/∂w1 = 0.5 × 2 = 1   (local derivative ∂z1/∂w1 = 2; now ∂L/∂w1 = 1)``.
        With ``ascii=True`` the same in plain ASCII (``dL/dw1 += dL/dz1 * dz1/dw1 = ...``), for terminals.
        """
        r, n, p = self.root_name, self.node_name, self.parent_name
        d, times, dot = ("d", "*", "*") if ascii else ("∂", "×", "·")
        local = f"{d}{n}/{d}{p}"
        return (
            f"{d}{r}/{d}{p} += {d}{r}/{d}{n} {dot} {local} = {fmt(self.upstream)} {times} {_factor(self.local_grad)}"
            f" = {fmt(self.contribution)}   (local derivative {local} = {fmt(self.local_grad)};"
            f" now {d}{r}/{d}{p} = {fmt(self.parent_grad)})"
        )

    def latex(self) -> str:
        """The same step in LaTeX: the local derivative is marked as such, so it cannot pass for the result."""
        r, n, p = _tex(self.root_name), _tex(self.node_name), _tex(self.parent_name)
        total = rf"\frac{{\partial {r}}}{{\partial {p}}}"
        return (
            rf"{total} \mathrel{{+}}= \frac{{\partial {r}}}{{\partial {n}}}"
            rf" \cdot \underbrace{{\frac{{\partial {n}}}{{\partial {p}}}}}_{{\text{{local}}}}"
            rf" = {_tex_number(self.upstream)} \times {_tex_factor(self.local_grad)} = {_tex_number(self.contribution)}"
            rf" \quad\Rightarrow\quad {total} = {_tex_number(self.parent_grad)}"
        )


def _factor(x: float) -> str:
    """A number as the second factor of a product: negative ones in parentheses."""
    return f"({fmt(x)})" if x < 0 else fmt(x)


def backprop_steps(root: Value) -> Iterator[Step]:
    """Back-propagate from `root` one edge at a time, yielding a `Step` after applying each.

    First every gradient of the graph is set to 0 and root's to 1. The edges come in exactly
    the order `backward()` applies them, so afterwards every `.grad` equals what `backward()`
    gives from zero; each contribution follows `backward()`'s rule (`rules.edge_gradient`).
    Constants (the 1 in ``h - 1``) need no gradient, since nothing can change them: their edges are
    applied as `backward()` does but yield no step.
    """
    names = node_names(root)
    root_name = names[root]
    root.zero_grad()
    root.grad = 1.0
    index = -1
    for node, parent, i in graph.edges(root):
        upstream, local_grad = node.grad, node.local_grads[i]
        contribution = edge_gradient(local_grad, upstream)
        parent.grad += contribution
        if parent.kind == CONSTANT:
            continue
        index += 1
        yield Step(
            index=index, node=node, parent=parent, parent_index=i,
            local_grad=local_grad, upstream=upstream, contribution=contribution, parent_grad=parent.grad,
            root_name=root_name, node_name=names[node], parent_name=names[parent],
        )  # fmt: skip


def _tex(name: str) -> str:
    """A node name as LaTeX: w1 -> w_{1}, w0.1.2 -> w_{0.1.2}; anything unusual as upright text."""
    match = re.fullmatch(r"([A-Za-z]+)_?(\d+(?:\.\d+)*)", name)
    if match:
        return f"{match.group(1)}_{{{match.group(2)}}}"
    if re.fullmatch(r"[A-Za-z]", name):
        return name
    if re.fullmatch(r"-?[\d.e+-]+", name):
        return _tex_number(float(name))
    return r"\text{" + re.sub(r"[{}\\$#%&^~]", " ", name) + "}"  # plain text: no LaTeX specials inside


def _tex_number(x: float) -> str:
    """A number as LaTeX, 4 significant digits: 1e-05 -> 1 \\times 10^{-5}; inf -> \\infty."""
    text = fmt(x)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text.replace("inf", r"\infty")


def _tex_factor(x: float) -> str:
    return f"({_tex_number(x)})" if x < 0 else _tex_number(x)


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
    r = names[root]
    lines += ["", f"Backward pass (chain rule, one edge at a time, starting from d{r}/d{r} = 1;"]
    lines += ["  constants need no gradient, so their edges have no step)"]
    lines += [f"  {s.index + 1:>4}  {s.explain(ascii=True)}" for s in backprop_steps(root)]
    lines += ["", "Gradients"] + [f"  d{names[root]}/d{names[n]} = {fmt(n.grad)}" for n in leaves]
    return "\n".join(lines)
