"""The `Value` node and its operator table.

A `Value` holds one float. Every operation makes a new `Value` that remembers its `parents` and
the *local derivatives* of the operation, d(out)/d(parent) for each parent, computed right away
during the forward pass. The graph of Values is therefore a record of operations and local
derivatives; `backward()` only multiplies and adds them (the chain rule).

Each operation below follows one template: compute the forward value, compute each local
derivative, and return ``_result(op, value, parents, local_grads)``. The local derivatives are
written as formulas of the inputs' data and the output value.
"""

from __future__ import annotations

import copy
import math
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import repeat
from numbers import Real
from operator import mul
from typing import TYPE_CHECKING, Any, TypeAlias

from autograd import graph

if TYPE_CHECKING:
    from autograd.drawing import Graph

Number: TypeAlias = "int | float"
Operand: TypeAlias = "Value | int | float"  # a Value, or a plain number that becomes a constant

# Leaf kinds, used by drawing and step-through to tell leaves apart.
INPUT = "input"  # a leaf you made: Value(0.5, label="x")
CONSTANT = "constant"  # a plain number that an operation wrapped: the 2 in x * 2
PARAMETER = "parameter"  # a weight or bias (set by nn)
RESULT = "result"  # made by an operation
LEAF_KINDS = (INPUT, CONSTANT, PARAMETER)



class _GradMode(threading.local):
    """Whether operations record the graph, per thread (like PyTorch): `no_grad()` switches it off."""

    enabled = True


_grad_mode = _GradMode()
# How many `no_grad()` blocks are open, in all threads together. Almost always 0, so an operation
# reads this one global int and only looks at its own thread's mode while some block is open.
_open_no_grad_blocks = 0
_open_blocks_lock = threading.Lock()


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

    # "__dict__" lets a Value take ad-hoc attributes, as a PyTorch tensor does (an optimiser's
    # p.m, p.v; a picture's colour). Python allocates it only when such an attribute is set.
    __slots__ = ("data", "grad", "label", "op", "parents", "local_grads", "kind", "__dict__")

    def __init__(
        self,
        data: Number,
        *micrograd_args: Any,
        label: str = "",
        kind: str = INPUT,
        _children: Iterable[Value] = (),
        _op: str = "",
    ) -> None:
        """A leaf: ``Value(0.5, label="x")`` (``Value(0.5, "x")`` also works).

        micrograd's form ``Value(data, _children=(), _op="", label="")``, positional or keyword, is
        accepted too, so lecture code that adds its own operations runs unchanged: see `_backward`.
        """
        if micrograd_args:
            label, kind, _children, _op = _positional_arguments(micrograd_args, label, kind, _children, _op)
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
        if _children or _op:
            _record_micrograd_node(self, _children, _op)

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
        return Value(self.data, label=self.label)

    def draw(self, **options) -> Graph:
        """This node's graph as a picture: see `autograd.draw` for the options."""
        from autograd.drawing import draw  # imported here: the engine itself does not need graphviz

        return draw(self, **options)

    # ---- micrograd's names: read-only aliases for code written along with the lecture ------

    @property
    def _prev(self) -> set[Value]:
        """micrograd's name for the inputs, as a set (``a + a`` has one). chainrule's: `parents`."""
        return set(self.parents)

    @property
    def _op(self) -> str:
        """micrograd's name for the operation ("" for a leaf). chainrule's: `op`."""
        return self.op

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's per-node backward: calling it does this node's chain-rule step.

        ``v._backward()`` adds ``local_grads[i] * v.grad`` to ``parents[i].grad`` for each input, so
        a manual backprop (``o.grad = 1.0; o._backward(); n._backward(); ...``) works as in the lecture.
        `backward()` does these steps for every node in order.
        """

        def chain_rule_step() -> None:
            for parent, local_grad in zip(self.parents, self.local_grads):
                parent.grad += local_grad * self.grad

        return chain_rule_step

    @_backward.setter
    def _backward(self, step: Callable[[], None]) -> None:
        """Record an operation added the micrograd way from its backward closure.

        The closure is called once with this node's grad set to 1 (and its inputs' grads set aside),
        which leaves d(this)/d(input) in each input's grad: those become `local_grads`. The closure is
        not kept, so the graph stays free of reference cycles; `backward()`, drawing and the
        step-through then treat the node like any other.
        """
        self.local_grads = _probe_local_grads(self, step)

    # ---- comparisons and conversions -------------------------------------------------------

    def __lt__(self, other: Operand) -> bool:
        return self.data < _data_of(other)

    def __le__(self, other: Operand) -> bool:
        return self.data <= _data_of(other)

    def __gt__(self, other: Operand) -> bool:
        return self.data > _data_of(other)

    def __ge__(self, other: Operand) -> bool:
        return self.data >= _data_of(other)

    # Python's number protocols. The rule: nothing may silently drop a gradient. `float(v)` is
    # what `math.exp(v)`, `math.log(v)`, ... call behind the scenes, so it refuses and points to
    # the Value's own method; `v.item()` and `v.data` give the number when that is what you mean.
    # int/round/floor/ceil/trunc are step functions whose derivative is 0 wherever it exists (as
    # in PyTorch), so a plain number loses nothing. bool and format read the number, as in PyTorch.

    def item(self) -> float:
        """The number this Value holds, as a plain float (PyTorch's name; the same as `.data`)."""
        return self.data

    def __float__(self) -> float:
        raise TypeError(
            "float(v) and math functions such as math.exp(v) would drop the gradient of a Value: use the "
            "Value's own method (v.exp(), v.log(), v.sqrt(), v.tanh(), v.sin(), ...) to keep it, or "
            "v.item() (or v.data) for the plain number"
        )

    def __int__(self) -> int:
        return int(self.data)

    def __round__(self, ndigits: int | None = None) -> int | float:
        return round(self.data, ndigits)

    def __trunc__(self) -> int:
        return math.trunc(self.data)

    def __floor__(self) -> int:
        return math.floor(self.data)

    def __ceil__(self) -> int:
        return math.ceil(self.data)

    def __bool__(self) -> bool:
        """True when the number is not 0 (like `bool(float)` and PyTorch): ``if Value(0.0):`` is not taken."""
        return bool(self.data)

    def __format__(self, spec: str) -> str:
        """``f"{loss:.4f}"`` formats the number, like a float; an empty spec gives the repr."""
        return format(self.data, spec) if spec else repr(self)

    # ---- copying and pickling ----------------------------------------------------------------
    # pickle and copy.deepcopy walk objects recursively, so a graph 100,000 nodes deep would hit
    # Python's recursion limit. The root's recipe therefore starts with all of its ancestors in
    # topological order: each one is written after its parents, so nothing nests deeply.

    def __reduce_ex__(self, protocol: int) -> tuple:
        if not self.parents or _copying.after_parents.pop(id(self), None) is not None:
            return _restore, self._fields()
        ancestors = graph.topological_order(self)[:-1]
        _copying.after_parents = {id(node): node for node in ancestors}  # their parents come earlier
        return _restore_after_ancestors, ((*ancestors, _AncestorsWritten()), *self._fields())

    def _fields(self) -> tuple:
        extra = getattr(self, "__dict__", None) or None  # attributes a subclass or a user added
        return type(self), self.data, self.grad, self.label, self.kind, self.op, self.parents, self.local_grads, extra

    def __deepcopy__(self, memo: dict[int, object]) -> Value:
        """`copy.deepcopy(v)`: a copy of the whole graph, made parents first (no recursion)."""
        for node in graph.topological_order(self):
            if id(node) not in memo:
                cls, *fields, parents, local_grads, extra = node._fields()
                parents = tuple(memo[id(p)] for p in parents)
                memo[id(node)] = _restore(cls, *fields, parents, local_grads, copy.deepcopy(extra, memo))
        return memo[id(self)]

    def __copy__(self) -> Value:
        """`copy.copy(v)`: a new node with the same number, operation and parents."""
        return _restore(*self._fields())

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

    Like PyTorch's, the switch is per thread: a block in one thread never changes what another
    thread records, and blocks nest (leaving one restores the mode it found).
    """
    global _open_no_grad_blocks
    with _open_blocks_lock:
        _open_no_grad_blocks += 1
    previous, _grad_mode.enabled = _grad_mode.enabled, False
    try:
        yield
    finally:
        _grad_mode.enabled = previous
        with _open_blocks_lock:
            _open_no_grad_blocks -= 1


@contextmanager
def enable_grad() -> Iterator[None]:
    """Record the graph inside this block even within `no_grad()` (this thread only), as in PyTorch."""
    previous, _grad_mode.enabled = _grad_mode.enabled, True
    try:
        yield
    finally:
        _grad_mode.enabled = previous


def is_grad_enabled() -> bool:
    """True unless this thread is inside a `no_grad()` block."""
    return _grad_mode.enabled


# ---- copying and pickling -------------------------------------------------------------------


class _Copying(threading.local):
    def __init__(self) -> None:
        self.after_parents: dict[int, Value] = {}  # nodes whose parents are written before them


_copying = _Copying()


class _AncestorsWritten:
    """Written after a root's ancestors: the walk is over, so forget them (and let them be freed)."""

    def __reduce__(self) -> tuple:
        _copying.after_parents = {}
        return type(None), ()


def _restore(cls, data, grad, label, kind, op, parents, local_grads, extra) -> Value:
    node = cls.__new__(cls)
    node.data, node.grad, node.label, node.kind = data, grad, label, kind
    node.op, node.parents, node.local_grads = op, tuple(parents), tuple(local_grads)
    if extra:
        node.__dict__.update(extra)
    return node


def _restore_after_ancestors(ancestors, *fields) -> Value:
    return _restore(*fields)  # the ancestors were rebuilt first, only to keep the recursion shallow


# ---- micrograd compatibility ----------------------------------------------------------------


def _positional_arguments(
    args: tuple, label: str, kind: str, children: Iterable[Value], op: str
) -> tuple[str, str, Iterable[Value], str]:
    """Sort `Value`'s positional arguments after `data` into chainrule's or micrograd's form.

    ``Value(data, "x")`` or ``Value(data, "x", "parameter")``: chainrule's label and kind.
    ``Value(data, (a, b), "+")`` or ``Value(data, (a, b), "+", "c")``: micrograd's _children, _op, label.
    """
    first = args[0]
    if isinstance(first, str):
        names, given = ("label", "kind"), (label != "", kind != INPUT)
    elif isinstance(first, (tuple, list, set, frozenset)):
        names, given = ("_children", "_op", "label"), (bool(children), op != "", label != "")
    else:
        raise TypeError(
            "Value's second argument is a label (str) or, in micrograd's form, the inputs (a tuple of "
            f"Values), got {type(first).__name__}: {first!r}"
        )
    if len(args) > len(names):
        raise TypeError(f"Value takes at most {len(names) + 1} positional arguments here, got {len(args) + 1}")
    values = {"label": label, "kind": kind, "_children": children, "_op": op}
    for name, arg, already in zip(names, args, given):
        if already:
            raise TypeError(f"Value got two values for {name!r} (one positional, one keyword)")
        values[name] = arg
    return values["label"], values["kind"], values["_children"], values["_op"]


def _record_micrograd_node(node: Value, children: Iterable[Value], op: str) -> None:
    """Make `node` a result of operation `op` on `children`, as micrograd's constructor does.

    micrograd keeps the inputs in a set, so ``a + a`` has one input; here they keep their order
    and a repeated input appears once. Local derivatives are 0 until a `_backward` closure is set
    (micrograd's default `_backward` does nothing either).
    """
    if not isinstance(op, str):
        raise TypeError(f"Value _op must be a str, got {type(op).__name__}: {op!r}")
    if isinstance(children, (str, bytes)) or not isinstance(children, Iterable):
        raise TypeError(f"Value _children must be a tuple of Values, got {type(children).__name__}: {children!r}")
    parents = tuple(dict.fromkeys(children))  # each input once, first-seen order
    for parent in parents:
        if not isinstance(parent, Value):
            raise TypeError(f"Value _children must all be Values, got {type(parent).__name__}: {parent!r}")
    node.kind = RESULT
    if is_grad_enabled():
        node.op = op
        node.parents = parents
        node.local_grads = (0.0,) * len(parents)


def _probe_local_grads(node: Value, step: Callable[[], None]) -> tuple[float, ...]:
    """Run a micrograd backward closure once with ``node.grad = 1``; return what it adds to each input.

    The chain-rule step is linear in ``node.grad``, so with the inputs' grads at 0 beforehand, each
    input's grad afterwards is d(node)/d(input). Every grad touched is restored.
    """
    if not callable(step):
        raise TypeError(
            f"_backward must be a function of no arguments (micrograd's chain-rule step), "
            f"got {type(step).__name__}: {step!r}"
        )
    parents = node.parents
    saved = [(v, v.grad) for v in (node, *parents)]
    try:
        for parent in parents:
            parent.grad = 0.0
        node.grad = 1.0
        step()
        seen: set[Value] = set()
        local_grads = []
        for parent in parents:  # a repeated input (a + a) gets the whole derivative once
            what = f"the derivative that {node.op or 'this node'}'s _backward gives"
            local_grads.append(0.0 if parent in seen else _real(parent.grad, what))
            seen.add(parent)
    finally:
        for v, grad in saved:
            v.grad = grad
    return tuple(local_grads)


# ---- helpers ---------------------------------------------------------------------------------


def _result(op: str, data: float, parents: tuple[Value, ...], local_grads: tuple[float, ...]) -> Value:
    """Make the node an operation returns (the fast path: its data is already a float)."""
    out = Value.__new__(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.kind = RESULT
    if not _open_no_grad_blocks or _grad_mode.enabled:  # the first test is all the common case costs
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
