"""Gradients as functions: `grad`, `value_and_grad`, `hessian`, `hvp`, `gradcheck` and `gradgradcheck`.

The transforms compose, as in JAX: ``grad(grad(f))`` is the second derivative. Called at the top
level they return floats; called inside another transform (or with the Values it passes in) they
return Values with a graph, built by ``backward(create_graph=True)``'s machinery, so the outer
transform can differentiate them again.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from numbers import Real

from autograd import graph
from autograd.value import CONSTANT, Number, Value, _as_value, _backprop_values, _real, dot, enable_grad, no_grad

Argnums = int | tuple[int, ...]


class GradcheckError(AssertionError):
    """Analytic and finite-difference gradients disagree; the message is a table of both."""


class _Nesting(threading.local):
    depth = 0  # how many transforms are running in this thread, one inside another


_nesting = _Nesting()


@contextmanager
def _inside_a_transform() -> Iterator[None]:
    _nesting.depth += 1
    try:
        yield
    finally:
        _nesting.depth -= 1


def _gradient_values(out: Value, wrt: Sequence[Value]) -> list[Value]:
    """d(out)/d(each of `wrt`) as Values with a graph (differentiable again); `.grad` is not touched."""
    grads = _backprop_values(graph.topological_order(out), 1.0)
    return [_as_value(grads.get(x, 0.0)) for x in wrt]


def _function(f: object, transform: str) -> None:
    """A transform takes a function: say so at once, not with a bare error when it is first called."""
    if not callable(f):
        raise TypeError(f"{transform} needs a function f(*values) -> Value, got {type(f).__name__}: {f!r}"[:300])


def value_and_grad(
    f: Callable[..., Value], argnums: Argnums = 0
) -> Callable[..., tuple[float, float | tuple[float, ...]]]:
    """Turn ``f(*values) -> Value`` into a function returning ``(f's value, its gradient)``.

    The gradient is taken with respect to the positional argument(s) `argnums`: one float for
    an int, a tuple of floats for a tuple. Arguments may be numbers or Values; the other arguments
    reach `f` as Values too (numbers become constants), so `f` may call `.tanh()` on any of them.
    Like `torch.func.grad` it is a function transform: it works inside `no_grad()` as well.
    """
    _function(f, "value_and_grad")
    positions = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not positions or not all(isinstance(i, int) for i in positions):
        raise TypeError(f"argnums must be an int or a non-empty tuple of ints, got {argnums!r}")

    @functools.wraps(f)
    def wrapped(*args: Number | Value) -> tuple[float, float | tuple[float, ...]]:
        nested = _nesting.depth > 0  # inside another transform: its Values stay connected to it
        args = list(args)
        for i in positions:
            if not -len(args) <= i < len(args):
                raise ValueError(f"argnums {i} is out of range for {len(args)} positional argument(s)")
            if not (nested and isinstance(args[i], Value)):
                args[i] = Value(_data(args[i]), label=f"arg{i % len(args)}")
        args = [Value(arg, kind=CONSTANT) if isinstance(arg, Real) else arg for arg in args]  # the others
        with enable_grad(), _inside_a_transform():  # a transform records its own graph, even inside no_grad()
            out = f(*args)
            if not isinstance(out, Value):
                raise TypeError(f"the function must return a Value, got {type(out).__name__}")
            if nested:  # Values with a graph, so that the outer transform can differentiate them
                grads = tuple(_gradient_values(out, [args[i] for i in positions]))
                return out, grads[0] if isinstance(argnums, int) else grads
        out.backward()
        grads = tuple(args[i].grad for i in positions)
        return out.data, grads[0] if isinstance(argnums, int) else grads

    return wrapped


def grad(f: Callable[..., Value], argnums: Argnums = 0) -> Callable[..., float | tuple[float, ...]]:
    """Turn ``f(*values) -> Value`` into a function returning df/d(argument) as float(s).

    It composes: ``grad(grad(f))(x)`` is f''(x), and so on for any order (inside a transform the
    derivative is a Value with its own graph, see the module docstring).
    """
    _function(f, "grad")
    with_value = value_and_grad(f, argnums)

    @functools.wraps(f)
    def wrapped(*args: Number | Value) -> float | tuple[float, ...]:
        return with_value(*args)[1]

    return wrapped


def hessian(f: Callable[..., Value]) -> Callable[..., list[list[float]]]:
    """Turn ``f(*values) -> Value`` into a function returning its Hessian: the matrix of second
    derivatives d2f/(dxi dxj) with respect to every positional argument, as lists of floats.

    The gradient is built with ``create_graph`` (Values), then each of its entries is
    back-propagated once more: one row of the matrix each.
    """
    _function(f, "hessian")

    @functools.wraps(f)
    def wrapped(*args: Number | Value) -> list[list[float]]:
        xs, first = _first_derivatives(f, args)
        rows = []
        for g in first:
            for x in xs:
                x.grad = 0.0
            g.zero_grad()
            g.backward()
            rows.append([x.grad for x in xs])
        return rows

    return wrapped


def hvp(f: Callable[..., Value]) -> Callable[[Sequence[Number], Sequence[Number]], list[float]]:
    """Turn ``f`` into ``hvp(f)(xs, v)``: the Hessian of f at `xs` times the vector `v`, as floats.

    Computed without the Hessian: the gradient g (as Values) dotted with v is one number, and its
    gradient is H v (one extra backward pass, whatever the number of inputs).
    """
    _function(f, "hvp")

    @functools.wraps(f)
    def wrapped(xs: Sequence[Number | Value], v: Sequence[Number]) -> list[float]:
        if len(v) != len(xs):
            raise ValueError(f"hvp needs a vector as long as the inputs, got {len(v)} numbers for {len(xs)} inputs")
        leaves, first = _first_derivatives(f, xs)
        dot(first, [_real(vi, "hvp's vector") for vi in v]).backward()
        return [x.grad for x in leaves]

    return wrapped


def _first_derivatives(f: Callable[..., Value], args: Sequence[Number | Value]) -> tuple[list[Value], list[Value]]:
    """Fresh leaves for `args`, and f's gradient with respect to them as Values with a graph."""
    if not args:
        raise ValueError("second derivatives need at least one argument")
    xs = [Value(_data(a), label=f"arg{i}") for i, a in enumerate(args)]
    with enable_grad(), _inside_a_transform():
        out = f(*xs)
        if not isinstance(out, Value):
            raise TypeError(f"the function must return a Value, got {type(out).__name__}")
        return xs, _gradient_values(out, xs)


def central_difference(f: Callable[..., Value], inputs: Sequence[float], i: int, eps: float = 1e-6) -> float:
    """(f(x + eps e_i) - f(x - eps e_i)) / (2 eps): the numeric estimate of df/dx_i."""
    with no_grad():
        up = [Value(x + eps if j == i else x) for j, x in enumerate(inputs)]
        down = [Value(x - eps if j == i else x) for j, x in enumerate(inputs)]
        return (_data(f(*up)) - _data(f(*down))) / (2 * eps)


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[Number | Value],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check backward()'s gradients of `f` at `inputs` against central finite differences.

    Returns True when ``|analytic - numeric| <= atol + rtol * |numeric|`` for every input,
    otherwise raises `GradcheckError` with a table of both for each input.
    """
    _function(f, "gradcheck")
    xs = [_data(x) for x in inputs]
    if not xs:
        raise ValueError("gradcheck needs at least one input")
    names = [x.label if isinstance(x, Value) and x.label else f"x{i}" for i, x in enumerate(inputs)]
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"the function must return a Value, got {type(out).__name__}")
    out.backward()
    rows, ok = [], True
    for i, leaf in enumerate(leaves):
        numeric = central_difference(f, xs, i, eps)
        close = abs(leaf.grad - numeric) <= atol + rtol * abs(numeric)
        ok = ok and close
        rows.append(
            f"{names[i]:>10} {xs[i]:>14.6g} {leaf.grad:>16.8g} {numeric:>16.8g}  {'ok' if close else 'MISMATCH'}"
        )
    if not ok:
        header = f"{'input':>10} {'value':>14} {'analytic':>16} {'numeric':>16}"
        raise GradcheckError("gradients disagree with finite differences:\n" + "\n".join([header, *rows]))
    return True


def _data(x: Number | Value) -> float:
    return x.data if isinstance(x, Value) else _real(x, "a gradient argument")


def gradgradcheck(
    f: Callable[..., Value],
    inputs: Sequence[Number | Value],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check second derivatives (PyTorch's name): the `hessian` of `f` at `inputs` against central
    finite differences of the analytic gradient, ``(g(x + eps e_j) - g(x - eps e_j)) / (2 eps)``.

    Returns True when every entry agrees within ``atol + rtol * |numeric|``, otherwise raises
    `GradcheckError` with a table of both.
    """
    _function(f, "gradgradcheck")
    xs = [_data(x) for x in inputs]
    if not xs:
        raise ValueError("gradgradcheck needs at least one input")
    names = [x.label if isinstance(x, Value) and x.label else f"x{i}" for i, x in enumerate(inputs)]
    analytic = hessian(f)(*xs)
    gradient = grad(f, argnums=tuple(range(len(xs))))
    rows, ok = [], True
    for j in range(len(xs)):
        up = gradient(*[x + eps if k == j else x for k, x in enumerate(xs)])
        down = gradient(*[x - eps if k == j else x for k, x in enumerate(xs)])
        for i in range(len(xs)):
            numeric = (up[i] - down[i]) / (2 * eps)
            close = abs(analytic[i][j] - numeric) <= atol + rtol * abs(numeric)
            ok = ok and close
            what = f"d2/d{names[i]} d{names[j]}"
            rows.append(f"{what:>22} {analytic[i][j]:>16.8g} {numeric:>16.8g}  {'ok' if close else 'MISMATCH'}")
    if not ok:
        header = f"{'entry':>22} {'analytic':>16} {'numeric':>16}"
        raise GradcheckError("second derivatives disagree with finite differences:\n" + "\n".join([header, *rows]))
    return True
