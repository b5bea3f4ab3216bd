"""Gradients as functions: `grad`, `value_and_grad` and a finite-difference `gradcheck`."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from numbers import Real

from autograd.value import CONSTANT, Number, Value, _real, enable_grad, no_grad

Argnums = int | tuple[int, ...]


class GradcheckError(AssertionError):
    """Analytic and finite-difference gradients disagree; the message is a table of both."""


def value_and_grad(
    f: Callable[..., Value], argnums: Argnums = 0
) -> Callable[..., tuple[float, float | tuple[float, ...]]]:
    """Turn ``f(*values) -> Value`` into a function returning ``(f's value, its gradient)``.

    The gradient is taken with respect to the positional argument(s) `argnums`: one float for
    an int, a tuple of floats for a tuple. Arguments may be numbers or Values; the other arguments
    reach `f` as Values too (numbers become constants), so `f` may call `.tanh()` on any of them.
    Like `torch.func.grad` it is a function transform: it works inside `no_grad()` as well.
    """
    positions = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not positions or not all(isinstance(i, int) for i in positions):
        raise TypeError(f"argnums must be an int or a non-empty tuple of ints, got {argnums!r}")

    @functools.wraps(f)
    def wrapped(*args: Number | Value) -> tuple[float, float | tuple[float, ...]]:
        args = list(args)
        for i in positions:
            if not -len(args) <= i < len(args):
                raise ValueError(f"argnums {i} is out of range for {len(args)} positional argument(s)")
            args[i] = Value(_data(args[i]), label=f"arg{i % len(args)}")
        args = [Value(arg, kind=CONSTANT) if isinstance(arg, Real) else arg for arg in args]  # the others
        with enable_grad():  # a transform records its own graph, even inside no_grad()
            out = f(*args)
        if not isinstance(out, Value):
            raise TypeError(f"the function must return a Value, got {type(out).__name__}")
        out.backward()
        grads = tuple(args[i].grad for i in positions)
        return out.data, grads[0] if isinstance(argnums, int) else grads

    return wrapped


def grad(f: Callable[..., Value], argnums: Argnums = 0) -> Callable[..., float | tuple[float, ...]]:
    """Turn ``f(*values) -> Value`` into a function returning df/d(argument) as float(s)."""
    with_value = value_and_grad(f, argnums)

    @functools.wraps(f)
    def wrapped(*args: Number | Value) -> float | tuple[float, ...]:
        return with_value(*args)[1]

    return wrapped


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
