"""Nudge it: the finite-difference check Karpathy's lecture does by hand, for any node of a graph.

Move one node's value by ±h, recompute the root from the recorded operations, and compare
``(root(x + h) - root(x - h)) / 2h`` with the gradient `backward()` gave. The recomputation works on
plain floats beside the graph: no Value is changed, so the graph keeps its values and gradients.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from autograd import graph
from autograd.value import Value, dot, no_grad
from autograd.value import sum as value_sum

# gradcheck's defaults: the same step and tolerances, so `nudge` agrees with `gradcheck`.
EPS, ATOL, RTOL = 1e-6, 1e-5, 1e-3


class _OutsideDomain(ValueError):
    """A nudge made an operation undefined (e.g. log of a negative number)."""


@dataclass(frozen=True)
class Nudge:
    """The result of `nudge`: the numeric and the backprop gradient of the root by one node.

    `numeric` is ``(root(x + h) - root(x - h)) / 2h``; `analytic` is what backward() gave;
    `agrees` uses gradcheck's test ``|analytic - numeric| <= atol + rtol * |numeric|``.
    `kink` is True where the two one-sided differences disagree (a relu, abs or clamp exactly at
    its switch point): there the derivative is not defined and no single number can agree.
    """

    name: str
    root_name: str
    x: float
    h: float
    root_plus: float
    root: float
    root_minus: float
    numeric: float
    analytic: float
    agrees: bool
    kink: bool

    @property
    def status(self) -> str:
        """One of "kink", "agrees", "disagrees": what the drawing's colour says."""
        return "kink" if self.kink else "agrees" if self.agrees else "disagrees"

    def explain(self, ascii: bool = False) -> str:  # noqa: A002
        """The check in one line, as it would be done by hand (``ascii=True``: dL/dw for terminals)."""
        r, n = self.root_name, self.name
        d = "d" if ascii else "∂"
        verdict = {"kink": "a kink: the slopes left and right differ", "agrees": "agrees", "disagrees": "DISAGREES"}
        return (
            f"{n} = {self.x:.6g} ± {self.h:g}: {r} = {self.root_plus:.10g} / {self.root_minus:.10g}; "
            f"({r}(+h) - {r}(-h)) / 2h = {self.numeric:.6g}; backprop {d}{r}/{d}{n} = {self.analytic:.6g}: "
            f"{verdict[self.status]}"
        )

    def __str__(self) -> str:
        return self.explain()


def nudge(root: Value, node: Value, h: float = EPS) -> Nudge:
    """Check d(root)/d(node) from `backward()` against ``(root(x + h) - root(x - h)) / 2h``.

    Call ``root.backward()`` first. `node` may be any node of root's graph (a leaf or an interior
    node: then everything computed from it is recomputed). The graph's values are left as they were.
    """
    if not isinstance(root, Value) or not isinstance(node, Value):
        raise TypeError(f"nudge needs two Values (root, node), got {type(root).__name__}, {type(node).__name__}")
    if isinstance(h, bool) or not isinstance(h, (int, float)) or not (math.isfinite(h) and h > 0):
        raise ValueError(f"nudge needs a step h > 0, got h={h!r}")
    order = graph.topological_order(root)
    if node not in set(order):
        raise ValueError(f"nudge: node {node!r} is not part of the graph of root {root!r}")
    return _nudge(root, node, float(h), order, graph.node_names(root))


def nudge_all(root: Value, h: float = EPS) -> dict[Value, Nudge]:
    """`nudge` for every node of root's graph except constants: the drawing's and the player's check.

    A node whose nudge takes an operation outside its domain (log of a negative number) is left out.
    """
    order = graph.topological_order(root)
    names = graph.node_names(root)
    checks = {}
    for node in order:
        if node.kind != "constant":
            try:
                checks[node] = _nudge(root, node, h, order, names)
            except _OutsideDomain:
                pass
    return checks


def _nudge(root: Value, node: Value, h: float, order: list[Value], names: dict[Value, str]) -> Nudge:
    if root.grad == 0.0:
        raise ValueError(
            f"nudge compares with the gradient backprop gave, but {names[root]}.grad is 0: call backward() first"
        )
    downstream = _downstream(order, node)
    x = node.data
    try:
        plus = _recompute(downstream, node, x + h)
        minus = _recompute(downstream, node, x - h)
    except (ValueError, ZeroDivisionError) as error:
        raise _OutsideDomain(f"nudging {names[node]} = {x!r} by ±{h:g} leaves an operation's domain: {error}") from None
    numeric = (plus - minus) / (2 * h)
    # backward(grad=g), or two backward() calls, scale every gradient alike: divide that out.
    analytic = node.grad / root.grad
    right, left = (plus - root.data) / h, (root.data - minus) / h
    kink = not _close(right, left, ATOL + RTOL * max(abs(right), abs(left)))
    agrees = _close(analytic, numeric, ATOL + RTOL * abs(numeric))
    return Nudge(names[node], names[root], x, h, plus, root.data, minus, numeric, analytic, agrees, kink)


def _close(a: float, b: float, tolerance: float) -> bool:
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= tolerance  # False when either is nan


def _downstream(order: list[Value], node: Value) -> list[Value]:
    """The nodes computed from `node` (itself excluded), in an order where parents come first."""
    changed = {node}
    result = []
    for candidate in order:
        if candidate is not node and any(parent in changed for parent in candidate.parents):
            changed.add(candidate)
            result.append(candidate)
    return result


def _recompute(downstream: list[Value], node: Value, x: float) -> float:
    """The root's value when `node` holds `x`: each downstream operation applied again to floats."""
    data = {node: x}
    for child in downstream:
        data[child] = _forward(child, [data.get(parent, parent.data) for parent in child.parents])
    return data[downstream[-1]] if downstream else x


def _forward(node: Value, inputs: list[float]) -> float:
    """Apply `node`'s operation to new inputs: its recorded rule's forward formula on floats (the
    engine's own arithmetic, with the rule's domain check), or the engine's operations themselves."""
    rule = getattr(node, "rule", None)
    if rule is not None:
        from autograd.rules import FLOAT

        if rule.name == "sum":
            args: tuple = (inputs,)
        elif rule.name == "dot":
            half = len(inputs) // 2
            args = (inputs[:half], inputs[half:])
        else:
            args = (*inputs, *getattr(node, "params", ()))
        if rule.domain is not None:
            rule.domain(*args)
        return rule.forward(FLOAT, *args)
    op = node.op
    with no_grad():
        xs = [Value(v) for v in inputs]
        if op in _UNARY:
            return getattr(xs[0], _UNARY[op])().data
        if op in _BINARY:
            return _BINARY[op](xs[0], xs[1]).data
        if op == "sum":
            return value_sum(xs).data
        if op == "dot":
            half = len(xs) // 2
            return dot(xs[:half], xs[half:]).data
        if op.startswith("**"):
            return (xs[0] ** float(op[2:])).data
        if op == "leaky_relu":
            return xs[0].leaky_relu(_leaky_slope(node)).data
        if op == "clamp":
            return _clamp(node, xs[0]).data
    raise ValueError(f"nudge cannot recompute operation {op!r}")


_UNARY = {"neg": "__neg__", "abs": "__abs__", "exp": "exp", "log": "log", "sqrt": "sqrt", "tanh": "tanh"}
_UNARY |= {"sigmoid": "sigmoid", "relu": "relu", "sin": "sin", "cos": "cos"}
_BINARY: dict[str, Callable[[Value, Value], Value]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}


def _leaky_slope(node: Value) -> float:
    """The slope a leaky_relu node was made with: its recorded local derivative where x <= 0.
    Where x > 0 the graph does not record it; PyTorch's default 0.01 is used (it only matters
    when a nudge crosses 0, a kink)."""
    return node.local_grads[0] if node.parents[0].data <= 0 else 0.01


def _clamp(node: Value, x: Value) -> Value:
    """clamp with the bound its record shows where it clamped (the output is that bound). Inside
    the range the graph does not record the bounds, so x passes through (that only differs from the
    truth when a nudge crosses a bound, a kink)."""
    was, out = node.parents[0].data, node.data
    if node.local_grads[0] == 0.0:
        return x.clamp(min=out) if was < out else x.clamp(max=out)
    return x
