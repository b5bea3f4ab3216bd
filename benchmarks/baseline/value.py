"""FROZEN COPY of chainrule's autograd/value.py at commit 14e3a22 (the engine before issue 14).

Kept only as the benchmark's reference ("today's chainrule"); never imported by the library.
Changes from the original: relative import of `graph`, no drawing.

The `Value` node and its operator table.

A `Value` holds one float. Every operation makes a new `Value` that remembers its `parents` and
the *local derivatives* of the operation, d(out)/d(parent) for each parent, computed right away
during the forward pass. The graph of Values is therefore a record of operations and local
derivatives; `backward()` only multiplies and adds them (the chain rule).

Each operation below follows one template: compute the forward value, compute each local
derivative, and return ``_result(op, value, parents, local_grads)``. The local derivatives are
written as formulas of the inputs' data and the output value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import repeat
from numbers import Real
from operator import mul
from typing import TypeAlias

from . import graph

Number: TypeAlias = "int | float"
Operand: TypeAlias = "Value | int | float"  # a Value, or a plain number that becomes a constant

# Leaf kinds, used by drawing and step-through to tell leaves apart.
INPUT = "input"  # a leaf you made: Value(0.5, label="x")
CONSTANT = "constant"  # a plain number that an operation wrapped: the 2 in x * 2
PARAMETER = "parameter"  # a weight or bias (set by nn)
RESULT = "result"  # made by an operation
LEAF_KINDS = (INPUT, CONSTANT, PARAMETER)

_grad_enabled = True  # switched off inside `no_grad()`


def _real(data: object, what: str = "Value") -> float:
    """Return `data` as a float, or raise TypeError naming the type received."""
    if type(data) is float:  # the common case, checked first because it is cheap
        return data
    if isinstance(data, Real):
        try:
            return float(data)
        except OverflowError:
            raise ValueError(f"{what} got an integer too large for a float: {data!r}") from None
    raise TypeError(f"{what} needs a real number (int, float or bool), got {type(data).__name__}: {data!r}")


class Value:
    """A scalar that remembers how it was computed, so gradients can flow back through it.

    `data` is the number, `grad` is dL/d(this node) after `backward()`, `op` names the operation
    that made it ("" for a leaf), `parents` are its inputs and `local_grads[i]` is
    d(this)/d(parents[i]), recorded when the node was made.

    Equality and hashing stay identity-based: two different nodes that hold the same number are
    still different nodes of the graph, and Values must work as dict keys and in sets.
    Comparisons ``< <= > >=`` compare `data` and return a bool.
    """

    __slots__ = ("data", "grad", "label", "op", "parents", "local_grads", "kind")

    def __init__(self, data: Number, label: str = "", kind: str = INPUT) -> None:
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}: {label!r}")
        if kind not in LEAF_KINDS:
            raise ValueError(f"Value kind must be one of {', '.join(LEAF_KINDS)}, got {kind!r}")
        self.data = _real(data)
        self.grad = 0.0
        self.label = label
        self.op = ""
        self.parents: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()
        self.kind = kind

    # ---- arithmetic: forward value and local derivatives side by side ---------------------

    def __add__(self, other: Operand) -> Value:
        other = _as_value(other)
        return _result("+", self.data + other.data, (self, other), (1.0, 1.0))

    def __sub__(self, other: Operand) -> Value:
        other = _as_value(other)
        return _result("-", self.data - other.data, (self, other), (1.0, -1.0))

    def __mul__(self, other: Operand) -> Value:
        other = _as_value(other)
        return _result("*", self.data * other.data, (self, other), (other.data, self.data))

    def __truediv__(self, other: Operand) -> Value:
        other = _as_value(other)
        a, b = self.data, other.data
        if b == 0.0:
            raise ZeroDivisionError(f"division by zero in '/': {a!r} / {b!r}")
        return _result("/", a / b, (self, other), (1.0 / b, -a / (b * b)))

    def __pow__(self, exponent: Operand) -> Value:
        """``x ** k`` for a number k (op ``**k``, one parent) or ``a ** b`` for a Value b."""
        if isinstance(exponent, Value):
            a, b = self.data, exponent.data
            out = _power(a, b)
            # d/db a**b = a**b * ln a; at a == 0 PyTorch uses 0, for a < 0 it is undefined (nan).
            d_exponent = out * math.log(a) if a > 0 else (0.0 if a == 0 else math.nan)
            return _result("**", out, (self, exponent), (_power_grad(a, b), d_exponent))
        k = _real(exponent, "the exponent of '**'")
        name = f"**{int(k)}" if k.is_integer() and abs(k) < 1e15 else f"**{k!r}"  # x**2, not x**2.0
        return _result(name, _power(self.data, k), (self,), (_power_grad(self.data, k),))

    def __neg__(self) -> Value:
        return _result("neg", -self.data, (self,), (-1.0,))

    def __abs__(self) -> Value:
        x = self.data
        return _result("abs", abs(x), (self,), (1.0 if x > 0 else -1.0 if x < 0 else 0.0,))

    # Reflected forms: 2 * x, 1 - x, 2 ** x, ...
    def __radd__(self, other: Number) -> Value:
        return _as_value(other) + self

    def __rsub__(self, other: Number) -> Value:
        return _as_value(other) - self

    def __rmul__(self, other: Number) -> Value:
        return _as_value(other) * self

    def __rtruediv__(self, other: Number) -> Value:
        return _as_value(other) / self

    def __rpow__(self, other: Number) -> Value:
        return _as_value(other) ** self

    # ---- functions -------------------------------------------------------------------------

    def exp(self) -> Value:
        """e**x; d/dx = e**x. Overflow gives ``inf`` (as in PyTorch), never an OverflowError."""
        try:
            out = math.exp(self.data)
        except OverflowError:
            out = math.inf
        return _result("exp", out, (self,), (out,))

    def log(self) -> Value:
        """Natural logarithm; d/dx = 1/x. Raises ValueError for x <= 0."""
        x = self.data
        if not x > 0:
            raise ValueError(f"log is undefined for x <= 0: log({x!r})")
        return _result("log", math.log(x), (self,), (1.0 / x,))

    def sqrt(self) -> Value:
        """Square root; d/dx = 1 / (2 sqrt x), ``inf`` at 0. Raises ValueError for x < 0."""
        x = self.data
        if x < 0:
            raise ValueError(f"sqrt is undefined for x < 0: sqrt({x!r})")
        out = math.sqrt(x)
        return _result("sqrt", out, (self,), (0.5 / out if out > 0 else math.inf,))

    def tanh(self) -> Value:
        """Hyperbolic tangent, in (-1, 1); d/dx = 1 - tanh(x)**2."""
        out = math.tanh(self.data)
        return _result("tanh", out, (self,), (1.0 - out * out,))

    def sigmoid(self) -> Value:
        """Logistic function 1 / (1 + e**-x), in (0, 1); d/dx = s * (1 - s)."""
        x = self.data
        if x >= 0:  # two forms so that exp never overflows
            out = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            out = e / (1.0 + e)
        return _result("sigmoid", out, (self,), (out * (1.0 - out),))

    def relu(self) -> Value:
        """max(0, x); d/dx = 1 for x > 0, else 0."""
        x = self.data
        return _result("relu", x if x > 0 else 0.0, (self,), (1.0 if x > 0 else 0.0,))

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x for x > 0, else slope * x; d/dx = 1 for x > 0, else slope."""
        slope = _real(slope, "leaky_relu slope")
        x = self.data
        return _result("leaky_relu", x if x > 0 else slope * x, (self,), (1.0 if x > 0 else slope,))

    def sin(self) -> Value:
        """Sine; d/dx = cos x."""
        x = self.data
        return _result("sin", math.sin(x), (self,), (math.cos(x),))

    def cos(self) -> Value:
        """Cosine; d/dx = -sin x."""
        x = self.data
        return _result("cos", math.cos(x), (self,), (-math.sin(x),))

    def clamp(self, min: Number | None = None, max: Number | None = None) -> Value:  # noqa: A002
        """x limited to [min, max]; d/dx = 1 inside (bounds included, as in PyTorch), else 0."""
        x = self.data
        lo = -math.inf if min is None else _real(min, "clamp min")
        hi = math.inf if max is None else _real(max, "clamp max")
        if lo > hi:
            raise ValueError(f"clamp needs min <= max, got min={lo!r}, max={hi!r}")
        inside = lo <= x <= hi
        return _result("clamp", x if inside else (lo if x < lo else hi), (self,), (1.0 if inside else 0.0,))

    # ---- gradients -------------------------------------------------------------------------

    def backward(self, grad: Number = 1.0) -> None:
        """Back-propagate from this node: add d(self)/d(node) * grad to every node's `.grad`.

        Like PyTorch with ``retain_grad()`` on every node: gradients *accumulate*, and each call
        adds only its own pass, so two calls give exactly twice every gradient (interior nodes
        included). The walk is iterative, so graphs of any depth work. A node whose gradient is
        exactly 0 passes nothing back, so its edges are skipped (where a local derivative is
        inf, PyTorch would give 0 * inf = nan there; chainrule gives 0).
        """
        grad = _real(grad, "backward's grad")
        order = graph.topological_order(self)
        earlier = []  # this pass starts from zero; gradients from earlier passes are added back below
        for node in order:
            if node.grad:
                earlier.append((node, node.grad))
                node.grad = 0.0
        self.grad = grad
        for node in reversed(order):  # children before parents: the chain rule, one edge at a time
            upstream = node.grad
            if upstream == 0.0:  # nothing flows back through this node (e.g. below a dead ReLU)
                continue
            for parent, local_grad in zip(node.parents, node.local_grads):
                parent.grad += local_grad * upstream
        for node, earlier_grad in earlier:
            node.grad += earlier_grad

    def zero_grad(self) -> None:
        """Set `.grad` to 0 on every node of this node's graph."""
        for node in graph.topological_order(self):
            node.grad = 0.0

    def detach(self) -> Value:
        """A new leaf with the same data and label: gradients do not flow through it."""
        return Value(self.data, self.label)

    # ---- comparisons and conversions -------------------------------------------------------

    def __lt__(self, other: Operand) -> bool:
        return self.data < _data_of(other)

    def __le__(self, other: Operand) -> bool:
        return self.data <= _data_of(other)

    def __gt__(self, other: Operand) -> bool:
        return self.data > _data_of(other)

    def __ge__(self, other: Operand) -> bool:
        return self.data >= _data_of(other)

    def __float__(self) -> float:
        return self.data

    def __repr__(self) -> str:
        text = f"Value(data={self.data:.4g}, grad={self.grad:.4g}"
        if self.op:
            text += f", op={self.op!r}"
        if self.label:
            text += f", label={self.label!r}"
        return text + ")"


# ---- n-ary operations: one node with many parents ------------------------------------------


def sum(values: Iterable[Operand]) -> Value:  # noqa: A001 - mirrors the builtin on purpose
    """One node for ``v1 + v2 + ... + vn``; d/dvi = 1 for each input.

    The total is correctly rounded (`math.fsum`), so it does not depend on the order of the terms.
    """
    values = _as_values(values, "sum")
    if not values:
        raise ValueError("sum needs at least one value, got an empty sequence")
    return _result("sum", math.fsum([v.data for v in values]), values, (1.0,) * len(values))


def dot(weights: Iterable[Operand], inputs: Iterable[Operand]) -> Value:
    """One node for the weighted sum ``w1*x1 + ... + wn*xn``; d/dwi = xi and d/dxi = wi.

    The products are added with `math.fsum` (correctly rounded).
    """
    weights = _as_values(weights, "dot")
    inputs = _as_values(inputs, "dot")
    if len(weights) != len(inputs):
        raise ValueError(f"dot needs sequences of equal length, got {len(weights)} weights and {len(inputs)} inputs")
    if not weights:
        raise ValueError("dot needs at least one weight and input, got empty sequences")
    w = [v.data for v in weights]
    x = [v.data for v in inputs]
    return _result("dot", math.fsum(map(mul, w, x)), weights + inputs, (*x, *w))


# ---- no_grad ---------------------------------------------------------------------------------


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block operations still compute values but record no parents (no graph).

    The switch is per process (not per thread), like a plain global flag.
    """
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


def is_grad_enabled() -> bool:
    """True unless inside a `no_grad()` block."""
    return _grad_enabled


# ---- helpers ---------------------------------------------------------------------------------


def _result(op: str, data: float, parents: tuple[Value, ...], local_grads: tuple[float, ...]) -> Value:
    """Make the node an operation returns (the fast path: its data is already a float)."""
    out = Value.__new__(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.kind = RESULT
    if _grad_enabled:
        out.op = op
        out.parents = parents
        out.local_grads = local_grads
    else:
        out.op = ""
        out.parents = ()
        out.local_grads = ()
    return out


def _as_value(x: Operand) -> Value:
    """A Value as it is; a plain number as a constant leaf."""
    if isinstance(x, Value):
        return x
    return Value(_real(x, "an operand of a Value operation"), kind=CONSTANT)


def _as_values(xs: Iterable[Operand], op: str) -> tuple[Value, ...]:
    """A tuple of Values from a sequence of Values and numbers (numbers become constants)."""
    try:
        xs = tuple(xs)
    except TypeError:
        raise TypeError(f"{op} needs a sequence of Values or numbers, got {type(xs).__name__}") from None
    if all(map(isinstance, xs, repeat(Value))):  # the common case, checked without a Python loop
        return xs
    return tuple(x if isinstance(x, Value) else _as_value(x) for x in xs)


def _data_of(x: Operand) -> float:
    return x.data if isinstance(x, Value) else _real(x, "a comparison with a Value")


def _power(a: float, b: float) -> float:
    """a ** b as a real number, with errors that name the operation and the operands."""
    if a == 0.0 and b < 0:
        raise ZeroDivisionError(f"0 cannot be raised to a negative power in '**': {a!r} ** {b!r}")
    if a < 0 and math.isfinite(b) and not b.is_integer():
        raise ValueError(f"a negative number to a non-integer power is not real in '**': {a!r} ** {b!r}")
    try:
        return a**b
    except OverflowError:
        return math.inf if a > 0 or b % 2 == 0 else -math.inf


def _power_grad(a: float, b: float) -> float:
    """d/da a**b = b * a**(b - 1), with PyTorch's conventions where that formula breaks down."""
    if b == 0:
        return 0.0
    if a == 0.0 and b < 1:
        return math.inf if b > 0 else math.nan  # b * 0**(negative)
    return b * _power(a, b - 1)
