"""The derivative rules: every operation's forward formula and local derivative, in one table.

This is all the calculus of the engine. Each `Rule` gives, side by side,

  forward(m, *xs, *params)       -> the operation's value
  local(m, out, *xs, *params)    -> (d out / d xs[0], d out / d xs[1], ...)

The n-ary rules take sequences: sum's forward(m, xs) and dot's forward(m, ws, xs) (its node's
parents are ws then xs, and its local derivatives (*xs, *ws) follow that order).
where `xs` are the inputs, `out` is the forward value, `params` are plain-number settings of the op
(the exponent k of ``x**k``, the slope of leaky_relu, clamp's bounds) and `m` is a *maths namespace*.
A rule never calls `math` directly: it asks `m`, so the same formula runs in several interpretations:

  FLOAT   m = `FLOAT` below: numbers are Python floats. Every ordinary forward pass runs here, and
          the local derivatives recorded on each node come from here. IEEE 754 / PyTorch behaviour
          lives here: exp overflows to inf, nan propagates, sin(inf) is nan, 1/0 in a local
          derivative is inf. FLOAT's functions never raise.
  VALUE   m = `autograd.value.VALUE`: numbers are Values, every function is a Value operation, so a
          local derivative is itself a differentiable Value. `backward(create_graph=True)` uses it:
          gradients become Values with their own graph, and can be differentiated again.
  SYMBOL  m = a source-text builder (`autograd.symbols`): numbers are expressions, and each rule
          prints itself as a line of Python. The program listing and the compiler use it, and so
          does this module: the hot rules' float steps (below) are the rules printed and compiled.

The namespace interface: everything a rule may use (keep it this small)
  - the operators ``+ - *`` and unary ``-`` between the interpretation's numbers and plain floats,
    and the comparisons ``< <= > >=`` (true/false on the data). Never ``/`` or ``**`` (Python raises
    on floats at 1/0 and on overflow: use ``m.div`` and ``m.pow``) and never ``==`` (on Values it is
    identity: use ``m.eq``).
  - ``m.where(cond, a, b)``: a if cond else b. Both branches are evaluated (so that a listing can
    print them), so both must be safe to compute: FLOAT and VALUE functions never raise.
  - ``m.eq(a, b)``: the data are equal (a condition for `where`).
  - ``m.div(a, b)``: a / b, IEEE at b == 0 (+-inf, nan for 0/0).
  - ``m.pow(a, b)``: a ** b, IEEE (0 ** -1 is inf, (-8) ** (1/3) is nan, overflow is inf).
  - ``m.exp, m.log, m.sqrt, m.tanh, m.sigmoid, m.sin, m.cos, m.abs``: the functions (IEEE).
  - ``m.max(a, b), m.min(a, b)``: nan if either is nan (torch.maximum/minimum).
  - ``m.sum(xs)``, ``m.dot(ws, xs)``: n-ary sums (forward formulas only).
  - ``m.inf``, ``m.nan`` and ``m.cut`` (the "cut" local derivative, below).
A SYMBOL namespace implements the same names; data-dependent choices are only ever ``m.where``
(never a Python ``if`` on data), so a listing can print them as ``(a if cond else b)``. Rules do
branch with Python ``if`` on `params`: those are constants of the graph.

The cut: PyTorch computes the gradient of relu, clamp and ``x**0`` by *selection* (where the input
is outside, the gradient is 0, whatever arrives from above), and every other gradient by
*multiplication* (0 * inf = nan). A rule says "selection" by returning `CUT`, a 0.0 that
`backward()` treats as "pass exactly 0 along this edge"; a plain 0.0 is multiplied like any number.

Domain errors are a teaching choice: log of x <= 0, sqrt of x < 0, division by 0 and 0 to a
negative power (and a negative number to a non-integer power) raise a clear ValueError or
ZeroDivisionError when the operation is applied, where PyTorch would quietly give inf or nan. The
check is each rule's `domain` (on floats); it runs once, when an operation makes its node.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from operator import mul
from typing import Any, NamedTuple

# CUT, the cut (see above), is defined with the SYMBOL interpretation, which must know it too.
from autograd.symbols import CUT, Cut, float_step

__all__ = ["CUT", "FLOAT", "HOT_RULES", "RULES", "Cut", "Maths", "Rule", "dot_step_for", "edge_gradient"]


def edge_gradient(local_grad: float, upstream: float) -> float:
    """What one edge adds to its parent's gradient: ``local_grad * upstream`` (IEEE), or exactly 0
    along a cut edge. `Value.backward` applies the same rule (inlined there, its loop is hot)."""
    return 0.0 if local_grad is CUT else local_grad * upstream


class Rule(NamedTuple):
    """One operation: its name, forward formula, local derivatives, and (optionally) its domain check
    and its float step."""

    name: str  # the op name shown in drawings: "tanh", "*", "dot", ...
    forward: Callable[..., Any]  # forward(m, *xs, *params) -> out
    local: Callable[..., tuple]  # local(m, out, *xs, *params) -> one derivative per input
    domain: Callable[..., None] | None = None  # domain(*xs, *params) on floats: raises outside the domain
    # float_step(*xs) -> (out, local derivatives): forward and local in FLOAT maths in one call, for the
    # operations a training step makes thousands of times (an interpreted rule costs several calls).
    # Never written by hand: printed from `forward` and `local` (autograd.symbols.float_step), below.
    float_step: Callable[..., tuple] | None = None


# ---- the FLOAT namespace: IEEE 754 on Python floats, never an exception ---------------------


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _log(x: float) -> float:
    if x > 0:
        return math.log(x)
    return -math.inf if x == 0 else math.nan  # log 0 = -inf; a negative number or nan gives nan


def _sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0 else math.nan  # nan and negatives give nan


def _sin(x: float) -> float:
    try:
        return math.sin(x)
    except ValueError:  # sin(+-inf): math raises, IEEE (and PyTorch) say nan
        return math.nan


def _cos(x: float) -> float:
    try:
        return math.cos(x)
    except ValueError:
        return math.nan


def _sigmoid(x: float) -> float:
    if x >= 0:  # two forms, so that exp never overflows
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # also reached by nan, which stays nan
    return e / (1.0 + e)


def _div(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:  # IEEE: +-inf, or nan for 0/0 and nan/0
        if a == 0 or a != a:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _is_odd_integer(b: float) -> bool:
    return math.isfinite(b) and b.is_integer() and b % 2 == 1


def _pow(a: float, b: float) -> float:
    try:
        return math.pow(a, b)
    except OverflowError:  # |a ** b| too large: inf, negative only for a negative base and an odd power
        return -math.inf if a < 0 and _is_odd_integer(b) else math.inf
    except ValueError:  # 0 to a negative power is inf (-inf for -0.0 and an odd power); a < 0 to a fraction: nan
        if a == 0:
            return math.copysign(math.inf, a) if _is_odd_integer(b) else math.inf
        return math.nan


def _max(a: float, b: float) -> float:
    return a if a >= b or a != a else (b if b > a else math.nan)  # nan in, nan out


def _min(a: float, b: float) -> float:
    return a if a <= b or a != a else (b if b < a else math.nan)


def _sum(xs: Sequence[float]) -> float:
    """The correctly rounded sum (math.fsum); where fsum gives up (overflow, inf - inf) the plain
    left-to-right sum, which is what a chain of ``+`` gives: +-inf, or nan."""
    try:
        return math.fsum(xs)
    except (OverflowError, ValueError):
        total = xs[0]
        for x in xs[1:]:
            total += x
        return total


# Its fast path: where fsum does not raise, _sum is fsum, so a float step may call fsum itself and
# call _sum only where fsum raises (autograd.symbols.float_step prints that try/except).
_sum.fast_path = (math.fsum, (OverflowError, ValueError))


def _dot(ws: Sequence[float], xs: Sequence[float]) -> float:
    try:
        return math.fsum(map(mul, ws, xs))
    except (OverflowError, ValueError):
        return _sum(list(map(mul, ws, xs)))


class Maths:
    """A maths namespace: the functions and constants a rule may use (see the module docstring)."""

    def __init__(self, doc: str, **names: Any) -> None:
        self.__doc__ = doc
        self.__dict__.update(names)  # plain instance attributes: the fastest lookup Python has

    def __repr__(self) -> str:
        return f"<maths namespace: {self.__doc__}>"


FLOAT = Maths(
    "FLOAT: Python floats, IEEE 754 results like PyTorch's, never an exception",
    where=lambda cond, a, b: a if cond else b,
    eq=lambda a, b: a == b,
    div=_div,
    pow=_pow,
    exp=_exp,
    log=_log,
    sqrt=_sqrt,
    tanh=math.tanh,  # total already: tanh(+-inf) = +-1, tanh(nan) = nan
    sigmoid=_sigmoid,
    sin=_sin,
    cos=_cos,
    abs=abs,
    max=_max,
    min=_min,
    sum=_sum,
    dot=_dot,
    inf=math.inf,
    nan=math.nan,
    cut=CUT,
)


# ---- domain checks (teaching errors, on floats) ----------------------------------------------


def _check_log(x: float) -> None:
    if x <= 0:
        raise ValueError(f"log is undefined for x <= 0: log({x!r})")


def _check_sqrt(x: float) -> None:
    if x < 0:
        raise ValueError(f"sqrt is undefined for x < 0: sqrt({x!r})")


def _check_div(a: float, b: float) -> None:
    if b == 0:
        raise ZeroDivisionError(f"division by zero in '/': {a!r} / {b!r}")


def _check_pow(a: float, b: float) -> None:
    if a == 0 and b < 0:
        raise ZeroDivisionError(f"0 cannot be raised to a negative power in '**': {a!r} ** {b!r}")
    if a < 0 and math.isfinite(b) and not b.is_integer():
        raise ValueError(f"a negative number to a non-integer power is not real in '**': {a!r} ** {b!r}")


# ---- the rules ---------------------------------------------------------------------------------


def _pow_by_constant(m, x, k):
    """x**k for a number k, as PyTorch computes it: x**0.5 as sqrt x and x**-0.5 as 1/sqrt x (they
    differ from pow only at -0.0: (-0.0)**0.5 is -0.0). k is a constant of the graph, so a Python
    `if` on it is fine here."""
    if k == 0.5:
        return m.sqrt(x)
    if k == -0.5:
        return m.div(1.0, m.sqrt(x))
    return m.pow(x, k)


def _pow_const_local(m, out, x, k):
    """d/dx x**k = k * x**(k - 1); for k == 0 the derivative is a cut 0 (PyTorch), even at x = 0."""
    if k == 0:
        return (m.cut,)
    return (k * _pow_by_constant(m, x, k - 1.0),)


def _pow_local(m, out, a, b):
    """d/da a**b = b * a**(b - 1) (a cut 0 where b == 0); d/db a**b = a**b * ln a, which is taken
    as 0 at a == 0 (PyTorch's convention) and is nan for a < 0."""
    d_base = m.where(m.eq(b, 0.0), m.cut, b * m.pow(a, b - 1.0))
    d_exponent = m.where(m.eq(a, 0.0), m.where(b >= 0, 0.0, m.nan), out * m.log(a))
    return (d_base, d_exponent)


RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        # arithmetic
        Rule("+", lambda m, a, b: a + b, lambda m, out, a, b: (1.0, 1.0)),
        Rule("-", lambda m, a, b: a - b, lambda m, out, a, b: (1.0, -1.0)),
        Rule("*", lambda m, a, b: a * b, lambda m, out, a, b: (b, a)),
        # d/da a/b = 1/b; d/db a/b = -(a/b)/b, written this way (never -a/b**2) so that it does not
        # overflow or underflow where the true value is representable (b = 1e-200, or a = 1e308).
        Rule("/", lambda m, a, b: m.div(a, b), lambda m, out, a, b: (m.div(1.0, b), -m.div(out, b)), _check_div),
        Rule("**", lambda m, a, b: m.pow(a, b), _pow_local, _check_pow),
        Rule("**k", _pow_by_constant, _pow_const_local, _check_pow),
        Rule("neg", lambda m, x: -x, lambda m, out, x: (-1.0,)),
        # abs: the derivative is sign(x): 0 at 0 and for nan (PyTorch's sgn), multiplied like any number
        Rule("abs", lambda m, x: m.abs(x), lambda m, out, x: (m.where(x > 0, 1.0, m.where(x < 0, -1.0, 0.0)),)),
        # functions
        Rule("exp", lambda m, x: m.exp(x), lambda m, out, x: (out,)),  # d/dx e**x = e**x
        Rule("log", lambda m, x: m.log(x), lambda m, out, x: (m.div(1.0, x),), _check_log),  # 1/x
        # d/dx sqrt x = 0.5 / sqrt x: inf at 0, computed from out so that it never over/underflows early
        Rule("sqrt", lambda m, x: m.sqrt(x), lambda m, out, x: (m.div(0.5, out),), _check_sqrt),
        Rule("tanh", lambda m, x: m.tanh(x), lambda m, out, x: (1.0 - out * out,)),  # 1 - tanh²
        Rule("sigmoid", lambda m, x: m.sigmoid(x), lambda m, out, x: (out * (1.0 - out),)),
        Rule("sin", lambda m, x: m.sin(x), lambda m, out, x: (m.cos(x),)),
        Rule("cos", lambda m, x: m.cos(x), lambda m, out, x: (-m.sin(x),)),
        # piecewise: relu keeps nan (nan is not < 0) and -0.0; its derivative is a cut 0 where out <= 0
        Rule(
            "relu",
            lambda m, x: m.where(x < 0, 0.0, x),
            lambda m, out, x: (m.where(out <= 0, m.cut, 1.0),),
        ),
        Rule(
            "leaky_relu",
            lambda m, x, slope: m.where(x > 0, x, slope * x),
            lambda m, out, x, slope: (m.where(x > 0, 1.0, slope),),  # slope is multiplied (as in PyTorch)
        ),
        Rule(
            "clamp",
            lambda m, x, lo, hi: m.min(m.max(x, lo), hi),  # nan in x or in a bound gives nan
            lambda m, out, x, lo, hi: (m.where(lo <= x, m.where(x <= hi, 1.0, m.cut), m.cut),),  # 1 inside
        ),
        # n-ary: one node, many parents
        Rule("sum", lambda m, xs: m.sum(xs), lambda m, out, xs: (1.0,) * len(xs)),  # d/dxi = 1
        Rule("dot", lambda m, ws, xs: m.dot(ws, xs), lambda m, out, ws, xs: (*xs, *ws)),  # xi, wi
    )
}


# ---- the float steps: the hot rules printed as Python functions (nothing written twice) ---------
#
# A training step makes thousands of +, *, dots and activations; interpreting a rule costs several
# calls each time. So these rules are printed once, now, by the SYMBOL interpretation
# (autograd.symbols.float_step) as one small function each: relu's is
#
#     def float_step(x):
#         out = (0.0 if x < 0.0 else x)
#         return out, (cut_alone if out <= 0.0 else (1.0,))  # cut_alone = (cut,), made once
#
# It is the rule itself, so it cannot disagree with it (tests/test_float_steps.py checks, bit for bit).

HOT_RULES = ("+", "-", "*", "tanh", "sigmoid", "relu")  # and dot, for any width and per width, below
for _name in HOT_RULES:
    RULES[_name] = RULES[_name]._replace(float_step=float_step(RULES[_name], FLOAT))
RULES["dot"] = RULES["dot"]._replace(float_step=float_step(RULES["dot"], FLOAT, any_width=True))
_dot_steps: dict[int, Callable[[tuple, tuple], tuple]] = {}


def dot_step_for(width: int) -> Callable[[tuple, tuple], tuple]:
    """The dot rule's float step for `width` weights and inputs given as tuples, printed from the rule
    for that width once (``w0, w1 = ws``, ``fsum((w0 * x0, w1 * x1))``, ``xs + ws``): Python multiplies
    named numbers a fifth faster than map(mul) does. Widths 1-64; any other width gets the rule's step
    for any width (`RULES["dot"].float_step`: FLOAT's dot), where the loop is as quick."""
    step = _dot_steps.get(width)
    if step is None:
        if not (isinstance(width, int) and not isinstance(width, bool) and 1 <= width <= 64):
            return RULES["dot"].float_step
        step = _dot_steps[width] = float_step(RULES["dot"], FLOAT, width)
    return step
