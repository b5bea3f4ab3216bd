"""The `Value` node and its operator table.

A `Value` holds one float. Every operation makes a new `Value` that remembers its `parents` and
the *local derivatives* of the operation, d(out)/d(parent) for each parent, computed right away
during the forward pass. The graph of Values is therefore a record of operations and local
derivatives; `backward()` only multiplies and adds them (the chain rule).

Each operation below is one line that applies its rule: ``_apply1(TANH, self)``. The rules, every
forward formula beside its local derivatives, are the table in `autograd/rules.py`, written once
and run here on floats (the FLOAT interpretation) and, for ``backward(create_graph=True)``, on
Values (the VALUE interpretation at the end of this module).
"""

from __future__ import annotations

import builtins
import copy
import gc
import math
import operator
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain, repeat
from numbers import Real
from operator import countOf as count_of
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias

from autograd import graph
from autograd.rules import CUT, FLOAT, RULES, Maths, Rule, dot_step_for

if TYPE_CHECKING:
    from autograd.view.drawing import Graph

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

# The rules each operation applies (autograd/rules.py holds their formulas).
ADD, SUB, MUL, DIV, POW, POW_K, NEG, ABS = (RULES[name] for name in ("+", "-", "*", "/", "**", "**k", "neg", "abs"))
EXP, LOG, SQRT, TANH, SIGMOID, SIN, COS = (RULES[n] for n in ("exp", "log", "sqrt", "tanh", "sigmoid", "sin", "cos"))
RELU, LEAKY_RELU, CLAMP, SUM, DOT = (RULES[name] for name in ("relu", "leaky_relu", "clamp", "sum", "dot"))


class Made(NamedTuple):
    """How a node was made, when its rule alone does not say it: the rule (None for a node recorded
    outside the table: micrograd's way, or inside `no_grad()`), the name drawings show ("**2" for the
    rule "**k") and the rule's settings. A node's `_origin` is its leaf kind (a str), its Rule (the
    common case: nothing else to record, nothing allocated), or one of these."""

    rule: Rule | None
    op: str
    params: tuple[float, ...] = ()


NOT_RECORDED = Made(None, "")  # a result whose operation recorded no graph (inside no_grad)


def _made(rule: Rule | None, op: str, params: tuple[float, ...] = ()) -> Rule | Made:
    """The `_origin` of a node made by `rule`, shown as `op`, with settings `params`."""
    if rule is not None and op == rule.name and not params:
        return rule
    return Made(rule, op, params)


def _real(data: object, what: str = "Value") -> float:
    """Return `data` as a float, or raise TypeError naming the type received."""
    kind = type(data)
    if kind is float:  # the common case, checked first because it is cheap
        return data
    if kind is int or isinstance(data, Real):  # (an int is a Real: named first, the ABC check is slow)
        try:
            return float(data)
        except OverflowError:
            digits = int(abs(int(data)).bit_length() * 0.30103) + 1  # log10(2): no str() of a huge int
            raise ValueError(f"{what} got an integer too large for a float (about {digits} digits)") from None
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

    # One field, `_origin`, says how the node came to be (see `Made`): its leaf kind, or the rule that
    # made it. `kind`, `op`, `rule` and `params` are read from it. Six fields and no per-node __dict__:
    # a node takes a quarter of the memory micrograd's does (ad-hoc attributes: `ValueWithAttributes`).
    __slots__ = ("data", "grad", "label", "parents", "local_grads", "_origin")

    def __new__(cls, *args: Any, **kwargs: Any) -> Value:
        # A Value you make yourself takes attributes of your own (see `ValueWithAttributes`); the
        # nodes operations make do not carry that per-node dictionary.
        return object.__new__(ValueWithAttributes if cls is Value else cls)

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
        self.parents: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()
        self._origin: str | Rule | Made = kind
        if _children or _op:
            _record_micrograd_node(self, _children, _op)

    # ---- how the node was made: read from `_origin` -----------------------------------------

    @property
    def kind(self) -> str:
        """"input", "constant" or "parameter" for a leaf; "result" for a node made by an operation."""
        origin = self._origin
        return origin if type(origin) is str else RESULT

    @kind.setter
    def kind(self, kind: str) -> None:
        if kind != RESULT:
            self._origin = kind
        elif type(self._origin) is str:
            self._origin = NOT_RECORDED

    @property
    def op(self) -> str:
        """The operation that made this node: "+", "tanh", "dot", "**2", ... ("" for a leaf)."""
        origin = self._origin
        if type(origin) is Rule:
            return origin.name
        return "" if type(origin) is str else origin.op

    @op.setter
    def op(self, op: str) -> None:
        self._origin = _made(self.rule, op, self.params)

    @property
    def rule(self) -> Rule | None:
        """The rule in `autograd.rules` that made this node (None for a leaf, or a node made otherwise)."""
        origin = self._origin
        if type(origin) is Rule:
            return origin
        return None if type(origin) is str else origin.rule

    @rule.setter
    def rule(self, rule: Rule | None) -> None:
        self._origin = _made(rule, self.op, self.params)

    @property
    def params(self) -> tuple[float, ...]:
        """The rule's settings: the k of ``x**k``, leaky_relu's slope, clamp's bounds (() for most)."""
        origin = self._origin
        return origin.params if type(origin) is Made else ()

    @params.setter
    def params(self, params: tuple[float, ...]) -> None:
        self._origin = _made(self.rule, self.op, tuple(params))

    @property
    def __dict__(self) -> dict[str, Any]:
        """A node made by an operation has no attributes of its own (`ValueWithAttributes` does)."""
        return {}

    # ---- operations: each applies its rule from autograd/rules.py -------------------------

    def __add__(self, other: Operand) -> Value:
        return _apply2(ADD, self, other)

    def __sub__(self, other: Operand) -> Value:
        return _apply2(SUB, self, other)

    def __mul__(self, other: Operand) -> Value:
        return _apply2(MUL, self, other)

    def __truediv__(self, other: Operand) -> Value:
        return _apply2(DIV, self, other)

    def __pow__(self, exponent: Operand) -> Value:
        """``x ** k`` for a number k (op ``**k``, one parent) or ``a ** b`` for a Value b."""
        if isinstance(exponent, Value):
            return _apply2(POW, self, exponent)
        return _power_const(POW_K, self, _real(exponent, "the exponent of '**'"))

    def __neg__(self) -> Value:
        return _apply1(NEG, self)

    def __abs__(self) -> Value:
        return _apply1(ABS, self)

    # Reflected forms: 2 * x, 1 - x, 2 ** x, ...
    def __radd__(self, other: Number) -> Value:
        return _apply2(ADD, _as_value(other), self)

    def __rsub__(self, other: Number) -> Value:
        return _apply2(SUB, _as_value(other), self)

    def __rmul__(self, other: Number) -> Value:
        return _apply2(MUL, _as_value(other), self)

    def __rtruediv__(self, other: Number) -> Value:
        return _apply2(DIV, _as_value(other), self)

    def __rpow__(self, other: Number) -> Value:
        return _as_value(other) ** self

    # ---- functions -------------------------------------------------------------------------

    def exp(self) -> Value:
        """e**x; d/dx = e**x. Overflow gives ``inf`` (as in PyTorch), never an OverflowError."""
        return _apply1(EXP, self)

    def log(self) -> Value:
        """Natural logarithm; d/dx = 1/x. Raises ValueError for x <= 0 (nan gives nan)."""
        return _apply1(LOG, self)

    def sqrt(self) -> Value:
        """Square root; d/dx = 0.5 / sqrt x, ``inf`` at 0. Raises ValueError for x < 0."""
        return _apply1(SQRT, self)

    def tanh(self) -> Value:
        """Hyperbolic tangent, in (-1, 1); d/dx = 1 - tanh(x)**2."""
        return _apply1(TANH, self)

    def sigmoid(self) -> Value:
        """Logistic function 1 / (1 + e**-x), in (0, 1); d/dx = s * (1 - s)."""
        return _apply1(SIGMOID, self)

    def relu(self) -> Value:
        """max(0, x) (nan stays nan); d/dx = 1 for x > 0, else a cut 0 (see `backward`)."""
        return _apply1(RELU, self)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x for x > 0, else slope * x; d/dx = 1 for x > 0, else slope."""
        return _apply_with(LEAKY_RELU, self, _real(slope, "leaky_relu slope"))

    def sin(self) -> Value:
        """Sine; d/dx = cos x. sin(+-inf) is nan."""
        return _apply1(SIN, self)

    def cos(self) -> Value:
        """Cosine; d/dx = -sin x. cos(+-inf) is nan."""
        return _apply1(COS, self)

    def clamp(self, min: Number | None = None, max: Number | None = None) -> Value:  # noqa: A002
        """x limited to [min, max] (nan if x or a bound is nan); d/dx = 1 inside (bounds included, as in
        PyTorch), else a cut 0."""
        lo = -math.inf if min is None else _real(min, "clamp min")
        hi = math.inf if max is None else _real(max, "clamp max")
        if lo > hi:
            raise ValueError(f"clamp needs min <= max, got min={lo!r}, max={hi!r}")
        return _apply_with(CLAMP, self, lo, hi)

    # ---- gradients -------------------------------------------------------------------------

    def backward(self, grad: Number = 1.0, *, create_graph: bool = False) -> None:
        """Back-propagate from this node: add d(self)/d(node) * grad to every node's `.grad`.

        Like PyTorch with ``retain_grad()`` on every node: gradients *accumulate*, and each call
        adds only its own pass, so two calls give exactly twice every gradient (interior nodes
        included). The walk is iterative, so graphs of any depth work.

        The chain rule, edge by edge: ``parent.grad += local_grad * node.grad``, with IEEE
        arithmetic, exactly as PyTorch multiplies: a node whose gradient is 0 still passes
        ``0 * local_grad`` back (nan where the local derivative is inf or nan, e.g. sqrt at 0).
        The one exception is a *cut* local derivative (`rules.CUT`: relu and clamp outside their
        range, ``x**0``): PyTorch computes those gradients by selection, so exactly 0 passes along
        the edge even when the upstream gradient is inf or nan.

        With ``create_graph=True`` the gradients left are Values with their own graph (built from
        the same rules, see `autograd.rules`), so they can be differentiated again; without it
        they are floats and nothing else changes. As in PyTorch, a gradient Value kept in `.grad`
        refers back to its own node (x.grad's graph contains x): a reference cycle until the
        gradients are reset (``zero_grad()``). `autograd.grad`, `hessian` and `hvp` leave no such
        cycle: prefer them (PyTorch gives the same advice).
        """
        grad = _real(grad, "backward's grad")
        if create_graph:
            order = graph.topological_order(self)
            grads = _backprop_values(order, grad)
            for node in order:
                contribution = grads.get(node, 0.0)
                node.grad = _as_value(contribution) if _is_zero(node.grad) else node.grad + contribution
            return
        # The collector is paused while the walk allocates its stack (a tuple per node): backward
        # makes no reference cycles, so there is nothing for it to free, only the graph to walk.
        collecting = gc.isenabled()
        gc.disable()
        isfinite, add_up = math.isfinite, builtins.sum  # bound once: the loop below is hot
        try:
            # `order`: the nodes made by operations (leaves pass nothing on), from the tape or a search.
            held: list[Value] = []  # the nodes reached whose gradient is not 0
            order = _backward_order(self, held)
            # this pass starts from zero; gradients from earlier passes are added back below
            earlier = [(node, node.grad) for node in held]
            for node in held:
                node.grad = 0.0
            self.grad = grad
            for node in reversed(order):  # children before parents: the chain rule, one edge at a time
                upstream = node.grad
                if upstream - upstream == 0.0:  # a finite upstream gradient: the common case
                    local_grads = node.local_grads
                    if upstream == 0.0 and isfinite(add_up(local_grads)):
                        continue  # a shortcut, exact: 0 * (a finite local derivative) adds nothing
                    parents = node.parents
                    # (along a cut edge, 0 * finite = 0 too). The same edge rule, written out for the
                    # common shapes: most nodes have two parents or one, and a loop costs more than its edges.
                    count = len(parents)
                    if count == 2:
                        first, second = parents
                        d_first, d_second = local_grads
                        first.grad += d_first * upstream
                        second.grad += d_second * upstream
                    elif count == 1:
                        parents[0].grad += local_grads[0] * upstream
                    elif node._origin is SUM and local_grads[0] == 1.0 and local_grads.count(local_grads[0]) == count:
                        for parent in parents:  # d(sum)/d(term) = 1, and 1 * upstream is upstream exactly
                            parent.grad += upstream
                    else:
                        for parent, local_grad in zip(parents, local_grads):
                            parent.grad += local_grad * upstream
                else:  # inf or nan arrives: a cut edge must pass exactly 0 (see above)
                    for parent, local_grad in zip(node.parents, node.local_grads):
                        if local_grad is not CUT:
                            parent.grad += local_grad * upstream
            for node, earlier_grad in earlier:
                node.grad += earlier_grad
        finally:
            if collecting:
                gc.enable()

    def zero_grad(self) -> None:
        """Set `.grad` to 0 on every node of this node's graph."""
        for node in graph.topological_order(self):
            node.grad = 0.0

    def detach(self) -> Value:
        """A new leaf with the same data and label: gradients do not flow through it."""
        return Value(self.data, label=self.label)

    def draw(self, **options) -> Graph:
        """This node's graph as a picture: see `autograd.draw` for the options."""
        from autograd.view.drawing import draw  # imported here: the engine itself does not need graphviz

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
        rule = self.rule.name if self.rule is not None else ""  # a rule is saved by its name
        return (
            type(self), self.data, self.grad, self.label, self.kind, self.op, self.parents, self.local_grads, extra,
            rule, self.params,
        )  # fmt: skip

    def __deepcopy__(self, memo: dict[int, object]) -> Value:
        """`copy.deepcopy(v)`: a copy of the whole graph, made parents first (no recursion)."""
        for node in graph.topological_order(self):
            if id(node) not in memo:
                cls, *fields, parents, local_grads, extra, rule, params = node._fields()
                parents = tuple(memo[id(p)] for p in parents)
                extra = copy.deepcopy(extra, memo)
                memo[id(node)] = _restore(cls, *fields, parents, local_grads, extra, rule, params)
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


class ValueWithAttributes(Value):
    """A Value you made yourself (``Value(0.5)``): it also takes attributes of your own, as a PyTorch
    tensor does (an optimiser's ``p.m``, ``p.v``; a picture's ``v._vis_color``).

    ``Value(...)`` makes one of these; operations make plain `Value` nodes, which have no per-node
    dictionary (on CPython 3.11 it would cost 32 bytes on every node, a fifth of the graph's memory).
    """


def leaf(data: Number, label: str = "", kind: str = INPUT) -> Value:
    """``Value(data, label=label, kind=kind)`` for callers that make many leaves and pass a str label
    and a leaf kind (nn's input rows): the same node, without the checks of the public constructor
    (the number is still checked)."""
    node = _new(ValueWithAttributes)
    node.data = _real(data)
    node.grad, node.label, node.parents, node.local_grads, node._origin = 0.0, label, (), (), kind
    return node


# ---- n-ary operations: one node with many parents ------------------------------------------


def sum(values: Iterable[Operand]) -> Value:  # noqa: A001 - mirrors the builtin on purpose
    """One node for ``v1 + v2 + ... + vn``; d/dvi = 1 for each input.

    The total is correctly rounded (`math.fsum`), so it does not depend on the order of the terms;
    where that sum overflows it is what the chain of ``+`` gives (+-inf, or nan for inf - inf).
    """
    values = _as_values(values, "sum")
    if not values:
        raise ValueError("sum needs at least one value, got an empty sequence")
    return _apply_n(SUM, values, [v.data for v in values])


def dot(weights: Iterable[Operand], inputs: Iterable[Operand]) -> Value:
    """One node for the weighted sum ``w1*x1 + ... + wn*xn``; d/dwi = xi and d/dxi = wi.

    The products are added like `sum`: correctly rounded where finite.
    """
    weights = _as_values(weights, "dot")
    inputs = _as_values(inputs, "dot")
    if len(weights) != len(inputs):
        raise ValueError(f"dot needs sequences of equal length, got {len(weights)} weights and {len(inputs)} inputs")
    if not weights:
        raise ValueError("dot needs at least one weight and input, got empty sequences")
    return _apply_n(DOT, weights + inputs, [w.data for w in weights], [x.data for x in inputs])


# The activations `neuron` makes in one call: rules with one input and no settings.
NEURON_ACTIVATIONS: dict[str, Rule | None] = {"linear": None, "relu": RELU, "tanh": TANH, "sigmoid": SIGMOID}


def neuron(weights: Sequence[Value], inputs: Sequence[Value], bias: Value, activation: str = "linear") -> Value:
    """A neuron, ``activation(dot(weights, inputs) + bias)``, made in one call.

    It makes exactly the nodes of the written-out form (a "dot", a "+", then the activation's node,
    none for "linear") with the same data and local derivatives from the same rules, so drawings
    and step-throughs show every operation; it only skips the Python calls in between, which a
    training step makes thousands of times. `activation` is "linear", "relu", "tanh" or "sigmoid".
    """
    return neurons([weights], inputs, [bias], activation)[0]


def neurons(
    weights: Sequence[Sequence[Value]], inputs: Sequence[Value], biases: Sequence[Value], activation: str = "linear"
) -> list[Value]:
    """A layer: one `neuron` per row of `weights` (with its bias), all on the same inputs, made in one call.

    The same nodes as ``[neuron(w, inputs, b, activation) for w, b in zip(weights, biases)]``, each
    neuron's written out ("dot", "+", the activation); the inputs' numbers are read once for the layer.
    """
    return neurons_over_batch(weights, [inputs], biases, activation)[0]


def neurons_over_batch(
    weights: Sequence[Sequence[Value]],
    batch: Sequence[Sequence[Value]],
    biases: Sequence[Value],
    activation: str = "linear",
) -> list[list[Value]]:
    """`neurons(weights, inputs, biases, activation)` for every `inputs` in `batch`, made in one call.

    The same nodes as the written-out form for each sample; made one neuron at a time over the
    batch, so each weight's number is read once for the whole batch, not once per sample.
    """
    if len(weights) != len(biases):
        raise ValueError(f"neurons needs one bias per row of weights, got {len(weights)} rows and {len(biases)} biases")
    rule = NEURON_ACTIVATIONS.get(activation, RELU)
    try:  # reading .data is the type check: a number or other non-Value raises AttributeError here
        numbers = [tuple([x.data for x in inputs]) for inputs in batch]  # (tuples: see rules' dot step)
        bs = [b.data for b in biases]
    except AttributeError:
        numbers = None
    recording = not _open_no_grad_blocks or _grad_mode.enabled
    n = len(numbers[0]) if numbers else 0
    if not (n and recording and activation in NEURON_ACTIVATIONS and all(len(xs) == n for xs in numbers)):
        # anything unusual goes the written-out way, which converts numbers and names what is wrong
        return [[_written_out_neuron(w, inputs, b, activation) for w, b in zip(weights, biases)] for inputs in batch]
    samples = list(zip(map(tuple, batch), numbers, [[] for _ in batch]))  # (inputs, their numbers, outputs)
    rows: list[tuple[Value, ...]] = []  # for the tape: the rows of weights made here, and the nodes by kind
    dots: list[Value] = []
    sums: list[Value] = []
    made_dot, made_sum = dots.append, sums.append
    dot_step, add_step = dot_step_for(n), ADD.float_step  # each rule's forward and local formulas, in one call
    activation_step = rule.float_step if rule is not None else None
    for row, bias, b in zip(weights, biases, bs):
        try:
            ws = tuple([w.data for w in row])
        except AttributeError:
            ws = None
        if ws is None or len(ws) != n:
            for inputs, _, outs in samples:
                outs.append(_written_out_neuron(row, inputs, bias, activation))
            continue
        row = tuple(row)
        rows.append(row)
        for inputs, xs, outs in samples:
            # Three nodes, filled in here rather than by a helper: a training step makes thousands.
            weighted, local_grads = dot_step(ws, xs)
            dot_node = _new(Value)
            dot_node.data, dot_node.grad, dot_node.label = weighted, 0.0, ""
            dot_node.parents, dot_node.local_grads, dot_node._origin = row + inputs, local_grads, DOT
            z, local_grads = add_step(weighted, b)
            out = sum_node = _new(Value)
            sum_node.data, sum_node.grad, sum_node.label = z, 0.0, ""
            sum_node.parents, sum_node.local_grads, sum_node._origin = (dot_node, bias), local_grads, ADD
            if rule is not None:
                a, local_grads = activation_step(z)
                out = _new(Value)
                out.data, out.grad, out.label = a, 0.0, ""
                out.parents, out.local_grads, out._origin = (sum_node,), local_grads, rule
            made_dot(dot_node)
            made_sum(sum_node)
            outs.append(out)
    if _open_tapes and _tape.nodes is not None and dots:
        activations = [out for _, _, outs in samples for out in outs] if rule is not None else []
        if len(rows) < len(weights):  # a row went the written-out way: its nodes are on the tape already
            made_here = set(sums)
            activations = [out for out in activations if out.parents[0] in made_here]
        _record_layer(rows, biases, [inputs for inputs, _, _ in samples], dots, sums, activations)
    return [outs for _, _, outs in samples]


def _record_layer(
    rows: list[tuple[Value, ...]],
    biases: Sequence[Value],
    batch: list[tuple[Value, ...]],
    dots: list[Value],
    sums: list[Value],
    activations: list[Value],
) -> None:
    """Tell this thread's tape about the nodes `neurons_over_batch` made: its dot nodes, then its "+"
    nodes, then the activations' nodes (each node still after its parents); their parents in groups
    (see `_Tape`): the rows of weights, the biases and each sample's inputs; and which are inner: the
    dot nodes (each a "+" node's parent) and the "+" nodes when an activation follows them."""
    _tape.nodes.extend(chain(dots, sums, activations))
    _tape.parents += (*rows, tuple(biases), *batch)
    if activations:
        _tape.outer += activations
        _tape.inner += (dots, sums)
    else:
        _tape.outer += sums
        _tape.inner.append(dots)


def _written_out_neuron(weights: Sequence[Operand], inputs: Sequence[Operand], bias: Operand, activation: str) -> Value:
    z = dot(weights, inputs) + bias
    return z if activation == "linear" else _activate(z, activation)


def _activate(z: Value, activation: str) -> Value:
    if activation not in NEURON_ACTIVATIONS:
        raise ValueError(f"neuron: unknown activation {activation!r}; choose one of {', '.join(NEURON_ACTIVATIONS)}")
    return getattr(z, activation)()


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


@contextmanager
def collector_paused() -> Iterator[None]:
    """Switch Python's cycle collector off inside this block, and back to what it was afterwards.

    Safe because chainrule's graphs contain no reference cycles: reference counting frees a graph the
    moment its last reference goes, so the collector has nothing to find in it. Left on while a big
    graph is built, it walks every node made so far again and again, and making a node costs more as
    the graph grows (about 2.3x at a million nodes; see the README's benchmark). `nn.fit` pauses it for
    each training step. Inside the block, cycles that *your* code makes are freed only once it ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# ---- the tape: the creation order, an order backward() can use -------------------------------


class _Tape(threading.local):
    """The nodes operations made in this thread inside a `tape()` block, each after its parents (in the
    order made; a layer made by `neurons_over_batch` is told at its end, its nodes grouped by kind),
    `parents`: groups of nodes whose union is exactly the set of those nodes' parents (a layer's
    weights once per neuron, not once per sample: far fewer than the edges), except the `inner` nodes:
    groups of nodes each known to be the parent of a later node (a layer's dot and "+" nodes), so
    never looked up; `outer` are the other nodes, in order. See `graph.tape_order`."""

    nodes: list[Value] | None = None
    parents: list[Sequence[Value]] | None = None
    outer: list[Value] | None = None
    inner: list[Sequence[Value]] | None = None


_tape = _Tape()
_open_tapes = 0  # open tape() blocks, in all threads together: an operation reads only this int while it is 0


@contextmanager
def tape() -> Iterator[list[Value]]:
    """Record every node that operations make inside this block (in this thread), each after its parents.

    The nodes come in the order made (a layer made in one call comes at its end, its dot nodes first,
    then its "+" nodes, then its activations), so the tape read backwards is an order for the chain
    rule: `backward()` inside the block walks it instead of searching the graph (the search is a
    fifth of a training step; `nn.fit` records each step this way). A graph that reaches nodes made
    before the block, or in another thread, is searched as usual. The nodes are kept until the block ends.
    """
    global _open_tapes
    with _open_blocks_lock:
        _open_tapes += 1
    previous = _tape.nodes, _tape.parents, _tape.outer, _tape.inner
    _tape.nodes, _tape.parents, _tape.outer, _tape.inner = [], [], [], []
    try:
        yield _tape.nodes
    finally:
        _tape.nodes, _tape.parents, _tape.outer, _tape.inner = previous
        with _open_blocks_lock:
            _open_tapes -= 1


def _on_tape(node: Value) -> None:
    nodes = _tape.nodes
    if nodes is not None:
        nodes.append(node)
        _tape.outer.append(node)
        _tape.parents.append(node.parents)


def _backward_order(root: Value, held: list[Value]) -> list[Value]:
    """`graph.backward_order(root, held)`'s order, read off this thread's tape when one is recording it."""
    nodes = _tape.nodes if _open_tapes else None
    if nodes:
        found = graph.tape_order(root, nodes, _tape.parents, _tape.outer, _tape.inner)
        if found is not None:
            order, reached, also_reached = found
            for group in (reached, *also_reached):
                if count_of(map(_grad_of, group), 0.0) != len(group):  # (counted in C: usually all are 0)
                    held.extend(node for node in group if node.grad != 0.0)
            return order
    return graph.chain_rule_order(root, held)


_grad_of = operator.attrgetter("grad")


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


def _restore(cls, data, grad, label, kind, op, parents, local_grads, extra, rule="", params=()) -> Value:
    node = object.__new__(cls)  # (Value.__new__ would pick the class for a Value you make yourself)
    node.data, node.grad, node.label = data, grad, label
    node.parents, node.local_grads = tuple(parents), tuple(local_grads)
    node._origin = kind if kind != RESULT else _made(RULES[rule] if rule else None, op, tuple(params))
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
    node._origin = NOT_RECORDED
    if is_grad_enabled():
        node._origin = Made(None, op)  # an operation outside the rule table
        node.parents = parents
        node.local_grads = (0.0,) * len(parents)
        if parents and _open_tapes:
            _on_tape(node)


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


# The engine's hot path: every operation of every forward pass comes through one of these.
# Each runs the rule's domain check, its forward formula and its local derivatives in FLOAT maths,
# and fills in the node. (One copy per number of inputs, with the node-making inlined: a generic
# version with *args and a helper call was a third slower on an MLP's forward pass.)

_new = object.__new__  # makes a bare node; its fields are filled in right after


def _apply1(rule: Rule, x: Value) -> Value:
    """The node for `rule` applied to one input."""
    name, forward, local, domain, step = rule  # unpacked once: cheaper than five attribute lookups
    a = x.data
    if domain is not None:
        domain(a)  # raises a teaching error outside the domain (log of 0, ...)
    if step is not None:  # the rule's forward and local formulas on floats, in one call
        data, local_grads = step(a)
    else:
        data, local_grads = forward(FLOAT, a), None
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if _open_no_grad_blocks and not _grad_mode.enabled:  # the first test is all the common case costs
        return _without_graph(out)
    out.parents = (x,)
    out.local_grads = local(FLOAT, data, a) if local_grads is None else local_grads
    out._origin = rule
    if _open_tapes:
        _on_tape(out)
    return out


def _apply_with(rule: Rule, x: Value, *params: float) -> Value:
    """The node for `rule` applied to one input, with settings `params` (leaky_relu's slope, ...)."""
    name, forward, local, domain, _ = rule
    a = x.data
    if domain is not None:
        domain(a, *params)
    out = _new(Value)
    out.data = data = forward(FLOAT, a, *params)
    out.grad = 0.0
    out.label = ""
    if _open_no_grad_blocks and not _grad_mode.enabled:
        return _without_graph(out)
    out.parents = (x,)
    out.local_grads = local(FLOAT, data, a, *params)
    out._origin = Made(rule, name, params)
    if _open_tapes:
        _on_tape(out)
    return out


def _apply2(rule: Rule, x: Value, y: Operand) -> Value:
    """The node for `rule` applied to two inputs; a plain number `y` becomes a constant leaf."""
    name, forward, local, domain, step = rule
    if not isinstance(y, Value):
        y = _as_value(y)
    a, b = x.data, y.data
    if domain is not None:
        domain(a, b)
    if step is not None:
        data, local_grads = step(a, b)
    else:
        data, local_grads = forward(FLOAT, a, b), None
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if _open_no_grad_blocks and not _grad_mode.enabled:
        return _without_graph(out)
    out.parents = (x, y)
    out.local_grads = local(FLOAT, data, a, b) if local_grads is None else local_grads
    out._origin = rule
    if _open_tapes:
        _on_tape(out)
    return out


def _apply_n(rule: Rule, parents: tuple[Value, ...], *data: list[float]) -> Value:
    """The node for an n-ary `rule` on `parents`, whose numbers come as the lists the rule takes:
    sum(xs), or dot(ws, xs) with parents ws then xs."""
    name, forward, local, _, _ = rule
    out = _new(Value)
    out.data = value = forward(FLOAT, *data)
    out.grad = 0.0
    out.label = ""
    if _open_no_grad_blocks and not _grad_mode.enabled:
        return _without_graph(out)
    out.parents = parents
    out.local_grads = local(FLOAT, value, *data)
    out._origin = rule
    if _open_tapes:
        _on_tape(out)
    return out


def _without_graph(out: Value) -> Value:
    """Inside `no_grad()` an operation's node records no parents (and no local derivatives)."""
    out.parents = ()
    out.local_grads = ()
    out._origin = NOT_RECORDED
    return out


def _power_const(rule: Rule, x: Value, k: float) -> Value:
    """``x ** k`` for a number k, named by its exponent: x**2, not x**2.0."""
    out = _apply_with(rule, x, k)
    if out.parents:
        out._origin = Made(rule, f"**{int(k)}" if k.is_integer() and abs(k) < 1e15 else f"**{k!r}", (k,))
    return out


def _is_zero(grad: float | Value) -> bool:
    """A gradient that is the plain number 0 (a Value gradient never counts as zero)."""
    return type(grad) is float and grad == 0.0


def _local_values(node: Value) -> tuple:
    """The node's local derivatives as its rule computes them in the VALUE interpretation."""
    if node.rule.name == "sum":  # n-ary rules take sequences: sum(xs), dot(ws, xs)
        return node.rule.local(VALUE, node, node.parents)
    if node.rule.name == "dot":
        n = len(node.parents) // 2
        return node.rule.local(VALUE, node, node.parents[:n], node.parents[n:])
    return node.rule.local(VALUE, node, *node.parents, *node.params)


def _backprop_values(order: list[Value], seed: float) -> dict[Value, Value | float]:
    """The chain rule with differentiable gradients: d(root)/d(node) as a Value, for every node of `order`.

    The local derivatives are each rule's formula run in the VALUE interpretation, so they (and the
    gradients built from them) are Values with a graph. `.grad` is not touched. A node made outside
    the rule table (no `rule`) contributes its recorded local derivatives as constants.
    """
    grads: dict[Value, Value | float] = {order[-1]: seed}
    for node in reversed(order):
        if not node.parents:
            continue
        upstream = grads.get(node, 0.0)
        if node.rule is None:
            local_grads = node.local_grads
        else:
            local_grads = _local_values(node)
        for parent, local_grad in zip(node.parents, local_grads):
            if local_grad is CUT:  # a cut edge passes exactly 0 (see Value.backward)
                continue
            if type(local_grad) is float and local_grad == 1.0:
                contribution = upstream  # d/dx of x + y: the gradient passes unchanged, no new node
            elif type(upstream) is float and upstream == 1.0:
                contribution = local_grad  # the seed: no "* 1" node
            else:
                contribution = local_grad * upstream
            grads[parent] = grads[parent] + contribution if parent in grads else contribution
    return grads


def _as_value(x: Operand) -> Value:
    """A Value as it is; a plain number as a constant leaf."""
    if isinstance(x, Value):
        return x
    constant = _new(Value)  # made here, not by Value(...): a constant takes no attributes of its own
    constant.data = _real(x, "an operand of a Value operation")
    constant.grad, constant.label, constant.parents, constant.local_grads = 0.0, "", (), ()
    constant._origin = CONSTANT
    return constant


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


# ---- the VALUE interpretation of the rules ---------------------------------------------------


def _value_op(rule: Rule) -> Callable[..., Value]:
    """`rule` as a function of Values or numbers, total like FLOAT's (no domain error): the VALUE
    interpretation only evaluates local derivatives, and a `where` evaluates both its branches."""
    total = rule._replace(domain=None)
    if rule.local.__code__.co_argcount == 3:  # local(m, out, x): one input
        return lambda x: _apply1(total, _as_value(x))
    return lambda a, b: _apply2(total, _as_value(a), b)


def _value_pow(a: Operand, b: Operand) -> Value:
    if isinstance(b, Value):
        return _VALUE_POW(a, b)
    return _power_const(_TOTAL_POW_K, _as_value(a), float(b))


_VALUE_POW = _value_op(POW)
_TOTAL_POW_K = POW_K._replace(domain=None)

VALUE = Maths(
    "VALUE: every number is a Value, every function an operation (differentiable local derivatives)",
    where=FLOAT.where,
    eq=lambda a, b: _data_of(a) == _data_of(b),
    div=_value_op(DIV),
    pow=_value_pow,
    exp=_value_op(EXP),
    log=_value_op(LOG),
    sqrt=_value_op(SQRT),
    tanh=_value_op(TANH),
    sigmoid=_value_op(SIGMOID),
    sin=_value_op(SIN),
    cos=_value_op(COS),
    abs=_value_op(ABS),
    sum=lambda xs: sum(xs),
    dot=lambda ws, xs: dot(ws, xs),
    inf=math.inf,
    nan=math.nan,
    cut=CUT,
)
