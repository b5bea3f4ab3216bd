"""Higher-order gradients (issue 13): create_graph, grad of grad, hessian, hvp, gradgradcheck.

Expected numbers come from closed forms derived here (polynomials in tanh and sigmoid, Taylor
series for exp(sin x), the power rule) and from PyTorch float64's
``torch.autograd.grad(create_graph=True)``.
"""

from __future__ import annotations

import gc
import math
import random

import pytest

import autograd
from autograd import Value

# ---- closed forms -------------------------------------------------------------------------------


def poly_derivative(p: list[float]) -> list[float]:
    """Coefficients (constant first) of p'."""
    return [k * c for k, c in enumerate(p)][1:] or [0.0]


def poly_times(p: list[float], q: list[float]) -> list[float]:
    out = [0.0] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        for j, b in enumerate(q):
            out[i + j] += a * b
    return out


def poly_at(p: list[float], t: float) -> float:
    return math.fsum(c * t**k for k, c in enumerate(p))


def nth_derivative_through(inner_derivative: list[float], n: int, u: float) -> float:
    """For u(x) with u' = D(u) (a polynomial in u), the n-th derivative of u as a polynomial in u:
    d/dx P(u) = P'(u) D(u). tanh: D = 1 - u**2; sigmoid: D = u - u**2."""
    p = [0.0, 1.0]  # P0(u) = u
    for _ in range(n):
        p = poly_times(poly_derivative(p), inner_derivative)
    return poly_at(p, u)


def tanh_derivative(n: int, x: float) -> float:
    return nth_derivative_through([1.0, 0.0, -1.0], n, math.tanh(x))


def sigmoid_derivative(n: int, x: float) -> float:
    return nth_derivative_through([0.0, 1.0, -1.0], n, 1 / (1 + math.exp(-x)))


def exp_sin_derivative(n: int, x: float) -> float:
    """From Taylor series: sin(x + h) = sum a_k h**k with a_k = sin(x + k pi/2) / k!, and
    b = exp(a) by b_0 = e**a_0, k b_k = sum_{j=1..k} j a_j b_{k-j}; the n-th derivative is n! b_n."""
    a = [math.sin(x + k * math.pi / 2) / math.factorial(k) for k in range(n + 1)]
    b = [math.exp(a[0])]
    for k in range(1, n + 1):
        b.append(math.fsum(j * a[j] * b[k - j] for j in range(1, k + 1)) / k)
    return math.factorial(n) * b[n]


def nth(f, n: int):
    """grad composed n times."""
    for _ in range(n):
        f = autograd.grad(f)
    return f


def torch_nth(torch, f, x: float, n: int) -> float:
    t = torch.tensor(x, requires_grad=True)
    y = f(t)
    for _ in range(n):
        (y,) = torch.autograd.grad(y, t, create_graph=True)
    return y.item()


def close(a: float, b: float, rel: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-9)


# ---- n-th derivatives ----------------------------------------------------------------------------

CASES = {
    "tanh": (lambda v: v.tanh(), lambda t: t.tanh(), tanh_derivative, 6),
    "sigmoid": (lambda v: v.sigmoid(), lambda t: t.sigmoid(), sigmoid_derivative, 5),
    "exp_sin": (lambda v: v.sin().exp(), lambda t: t.sin().exp(), exp_sin_derivative, 5),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("x", [-1.3, 0.0, 0.5, 2.0])
def test_nth_derivatives_match_the_closed_form_and_pytorch(torch, name, x):
    ours, theirs, closed_form, orders = CASES[name]
    for n in range(1, orders + 1):
        got = nth(ours, n)(x)
        assert isinstance(got, float)
        assert close(got, closed_form(n, x)), (name, n, x, got, closed_form(n, x))
        assert close(got, torch_nth(torch, theirs, x, n)), (name, n, x)


def test_the_sixth_derivative_of_tanh_at_zero_and_at_a_half():
    # tanh's Taylor series x - x**3/3 + 2x**5/15 - ...: odd derivatives at 0 are 1, -2, 16; even ones 0.
    assert [nth(Value.tanh, n)(0.0) for n in (1, 3, 5, 6)] == [1.0, -2.0, 16.0, 0.0]
    assert close(nth(Value.tanh, 6)(0.5), tanh_derivative(6, 0.5))


@pytest.mark.parametrize("x, y", [(1.7, 2.5), (0.6, -1.5), (3.0, 3.0)])
def test_derivatives_of_x_to_the_y_in_either_argument(torch, x, y):
    for n in range(1, 5):
        in_x = nth(lambda a: a**y, n)(x)
        falling = math.prod(y - k for k in range(n))
        assert close(in_x, falling * x ** (y - n))
        in_y = nth(lambda b: Value(x) ** b, n)(y)
        assert close(in_y, x**y * math.log(x) ** n)
        assert close(in_y, torch_nth(torch, lambda t: torch.tensor(x) ** t, y, n))
    mixed = autograd.grad(lambda a: autograd.grad(lambda b: a**b)(y))(x)  # d2/dx dy = x**(y-1) (1 + y ln x)
    assert close(mixed, x ** (y - 1) * (1 + y * math.log(x)))
    assert close(autograd.hessian(lambda a, b: a**b)(x, y)[0][1], mixed)


# ---- backward(create_graph=True) -----------------------------------------------------------------


def test_create_graph_leaves_differentiable_values_and_without_it_nothing_changes():
    x = Value(2.0, label="x")
    y = x**3
    y.backward()
    assert type(x.grad) is float and x.grad == 12.0
    assert autograd.topological_order(y) == [x, y]  # no new nodes
    y.zero_grad()
    y.backward(create_graph=True)
    g = x.grad
    assert isinstance(g, Value) and g.data == 12.0
    x.grad = 0.0
    g.backward()
    assert x.grad == 12.0  # d/dx 3x**2 = 6x


def test_create_graph_accumulates_like_backward():
    x = Value(0.3)
    y = x.sin() * x
    y.backward()
    y.backward(create_graph=True)
    g = x.grad
    assert isinstance(g, Value) and close(g.data, 2 * (math.cos(0.3) * 0.3 + math.sin(0.3)))


def test_create_graph_matches_pytorch_on_a_neuron(torch):
    xs, ws = [0.5, -1.2, 2.0], [0.3, 0.8, -0.4]
    x = [Value(v) for v in xs]
    w = [Value(v) for v in ws]
    out = (autograd.dot(w, x) + 0.1).tanh() ** 2
    out.backward(create_graph=True)
    second = [wi.grad for wi in w]
    for v in x:
        v.grad = 0.0  # x's gradients from the first pass are Values too; start the next pass from 0
    autograd.sum(second).backward()  # d/dx_j of sum_i dout/dw_i
    tx, tw = torch.tensor(xs, requires_grad=True), torch.tensor(ws, requires_grad=True)
    tout = ((tw * tx).sum() + 0.1).tanh() ** 2
    (gw,) = torch.autograd.grad(tout, tw, create_graph=True)
    (gx,) = torch.autograd.grad(gw.sum(), tx)
    assert all(close(a.grad, b) for a, b in zip(x, gx.tolist()))


def test_gradient_graphs_have_no_reference_cycles():
    gc.collect()
    gc.disable()
    try:
        h = autograd.grad(autograd.grad(lambda v: v.sigmoid() ** 3))(0.4)
        H = autograd.hessian(lambda a, b: (a * b).tanh())(0.3, 0.2)
        x = Value(0.7)
        y = (x.tanh() * x).exp()
        y.backward(create_graph=True)
        # As in PyTorch, x.grad is now a Value whose graph contains x: a cycle until the gradient is
        # reset (PyTorch warns about this and recommends autograd.grad, which has none).
        y.zero_grad()
        del x, y, h, H
        # Everything was freed by reference counting alone: the collector finds no Value to free.
        # (Only Values are counted: the collector is process-wide, and another test's thread, e.g.
        # a live view finishing, may leave garbage of its own.)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        assert not [o for o in gc.garbage if isinstance(o, Value)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


# ---- the gradient graph draws and steps like any other ------------------------------------------


def test_the_gradient_graph_of_x_cubed_draws_and_steps():
    x = Value(2.0, label="x")
    (x**3).backward(create_graph=True)
    g = x.grad
    g.label = "dy/dx"
    ops = [node.op for node in autograd.topological_order(g)]
    assert ops == ["", "", "**2", "*"]  # 3 * x**2, built from the rule d/dx x**k = k * x**(k - 1)
    source = g.draw().source
    assert "**2" in source and "dy/dx" in source
    autograd.Walkthrough(g)
    steps = list(autograd.backprop_steps(g))
    assert x.grad == 12.0 and len(steps) == 2  # d/dx 3x**2 = 6x (the constant 3 gets no step)


# ---- hessian, hvp, gradgradcheck -----------------------------------------------------------------

SMOOTH = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / (b * b + 1.0),
    "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: a.sigmoid(),
    "exp": lambda a, b: (a * 0.1).exp(),
    "sin": lambda a, b: a.sin(),
    "cos": lambda a, b: a.cos(),
    "square": lambda a, b: a**2,
    "log": lambda a, b: (a * a + 1.0).log(),
    "sqrt": lambda a, b: (a * a + 0.5).sqrt(),
    "pow": lambda a, b: (a * a + 0.5) ** b.tanh(),
}


def random_function(rng: random.Random, n_inputs: int, n_ops: int):
    """A random smooth function of `n_inputs` arguments (works on Values and on torch tensors)."""
    program = [(rng.choice(sorted(SMOOTH)), rng.randrange(100), rng.randrange(100)) for _ in range(n_ops)]

    def f(*xs):
        nodes = list(xs)
        for op, i, j in program:
            nodes.append(SMOOTH[op](nodes[i % len(nodes)], nodes[j % len(nodes)]))
        return sum(nodes[len(xs) :], nodes[0]) if len(nodes) > len(xs) else nodes[0]

    return f


@pytest.mark.parametrize("seed", range(25))
def test_hessians_of_random_dags_match_pytorch(torch, seed):
    rng = random.Random(seed)
    n = rng.randint(1, 4)
    f = random_function(rng, n, rng.randint(1, 10))
    xs = [rng.uniform(-1.5, 1.5) for _ in range(n)]
    ours = autograd.hessian(f)(*xs)
    theirs = torch.autograd.functional.hessian(lambda *ts: f(*ts), tuple(torch.tensor(x) for x in xs))
    for i in range(n):
        for j in range(n):
            assert close(ours[i][j], theirs[i][j].item(), 1e-8), (seed, i, j, ours[i][j], theirs[i][j])
    v = [rng.uniform(-1, 1) for _ in range(n)]
    hv = autograd.hvp(f)(xs, v)
    for i in range(n):
        assert close(hv[i], math.fsum(ours[i][j] * v[j] for j in range(n)), 1e-8)
    assert autograd.gradgradcheck(f, xs, rtol=1e-4, atol=1e-5)


def test_hessian_of_a_quadratic_form_is_its_matrix():
    a, b, c = 2.0, -1.0, 3.0  # f = a x**2 + 2 b x y + c y**2 has Hessian [[2a, 2b], [2b, 2c]]
    f = lambda x, y: a * x**2 + 2 * b * x * y + c * y**2  # noqa: E731
    assert autograd.hessian(f)(0.3, -0.7) == [[4.0, -2.0], [-2.0, 6.0]]
    assert autograd.hvp(f)([0.3, -0.7], [1.0, 2.0]) == [0.0, 10.0]


def test_gradgradcheck_reports_wrong_second_derivatives():
    def sin_with_a_frozen_derivative(v):
        out = v.sin()
        out.rule = None  # its local derivative cos(x) is now a constant: the second derivative is lost
        return out

    assert autograd.gradcheck(sin_with_a_frozen_derivative, [0.5])
    with pytest.raises(autograd.GradcheckError, match="MISMATCH"):
        autograd.gradgradcheck(sin_with_a_frozen_derivative, [0.5])


def test_hvp_checks_its_vector():
    with pytest.raises(ValueError, match="as long as the inputs"):
        autograd.hvp(lambda x, y: x * y)([1.0, 2.0], [1.0])
