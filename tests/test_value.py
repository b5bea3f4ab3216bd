"""The Value node: construction, every operation's value and local derivative, errors."""

from __future__ import annotations

import math

import pytest

import autograd
from autograd import Value

# Each operation: how to apply it to Values, the same in PyTorch, sample inputs, and the
# hand-derived value and gradient(s) as functions of the inputs.
UNARY = {
    "neg": (lambda a: -a, lambda t, a: -a, [1.5, -2.0], lambda x: -x, lambda x: -1.0),
    "abs": (abs, lambda t, a: a.abs(), [1.5, -2.0], abs, lambda x: math.copysign(1.0, x)),
    "exp": (lambda a: a.exp(), lambda t, a: a.exp(), [0.3, -1.2], math.exp, math.exp),
    "log": (lambda a: a.log(), lambda t, a: a.log(), [0.3, 4.0], math.log, lambda x: 1 / x),
    "sqrt": (lambda a: a.sqrt(), lambda t, a: a.sqrt(), [0.3, 4.0], math.sqrt, lambda x: 0.5 / math.sqrt(x)),
    "tanh": (lambda a: a.tanh(), lambda t, a: a.tanh(), [0.3, -1.7], math.tanh, lambda x: 1 - math.tanh(x) ** 2),
    "sigmoid": (
        lambda a: a.sigmoid(),
        lambda t, a: a.sigmoid(),
        [0.3, -1.7],
        lambda x: 1 / (1 + math.exp(-x)),
        lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2,
    ),
    "relu": (lambda a: a.relu(), lambda t, a: a.relu(), [0.3, -1.7], lambda x: max(x, 0.0), lambda x: float(x > 0)),
    "leaky_relu": (
        lambda a: a.leaky_relu(0.1),
        lambda t, a: t.nn.functional.leaky_relu(a, 0.1),
        [0.3, -1.7],
        lambda x: x if x > 0 else 0.1 * x,
        lambda x: 1.0 if x > 0 else 0.1,
    ),
    "sin": (lambda a: a.sin(), lambda t, a: a.sin(), [0.3, -1.7], math.sin, math.cos),
    "cos": (lambda a: a.cos(), lambda t, a: a.cos(), [0.3, -1.7], math.cos, lambda x: -math.sin(x)),
    "square": (lambda a: a**2, lambda t, a: a**2, [0.3, -1.7], lambda x: x * x, lambda x: 2 * x),
    "cube_root": (
        lambda a: a ** (1 / 3),
        lambda t, a: a ** (1 / 3),
        [0.3, 8.0],
        lambda x: x ** (1 / 3),
        lambda x: x ** (-2 / 3) / 3,
    ),
    "clamp": (
        lambda a: a.clamp(-1, 1),
        lambda t, a: a.clamp(-1, 1),
        [0.3, -1.7],
        lambda x: min(max(x, -1), 1),
        lambda x: float(-1 <= x <= 1),
    ),
}

BINARY = {
    "+": (lambda a, b: a + b, [(1.5, -2.0)], lambda x, y: x + y, lambda x, y: (1.0, 1.0)),
    "-": (lambda a, b: a - b, [(1.5, -2.0)], lambda x, y: x - y, lambda x, y: (1.0, -1.0)),
    "*": (lambda a, b: a * b, [(1.5, -2.0)], lambda x, y: x * y, lambda x, y: (y, x)),
    "/": (lambda a, b: a / b, [(1.5, -2.0)], lambda x, y: x / y, lambda x, y: (1 / y, -x / y**2)),
    "**": (
        lambda a, b: a**b,
        [(1.5, -2.0), (2.0, 0.5)],
        lambda x, y: x**y,
        lambda x, y: (y * x ** (y - 1), x**y * math.log(x)),
    ),
}


def close(a: float, b: float, rel: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)


# ---- construction ----------------------------------------------------------------------------


def test_a_leaf_holds_a_float_and_no_history():
    v = Value(3, label="x")
    assert (v.data, v.grad, v.label, v.op, v.parents, v.local_grads) == (3.0, 0.0, "x", "", (), ())
    assert type(v.data) is float
    assert Value(True).data == 1.0


@pytest.mark.parametrize("bad", ["1.0", 1 + 2j, None, [1.0], Value(1.0)])
def test_data_that_is_not_a_real_number_is_a_type_error_naming_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


def test_repr_is_short_and_shows_op_and_label():
    h = Value(1.0, label="z").tanh()
    h.label = "h1"
    h.grad = 0.42
    assert repr(h) == "Value(data=0.7616, grad=0.42, op='tanh', label='h1')"
    assert repr(Value(2.0)) == "Value(data=2, grad=0)"


# ---- every operation: hand-derived, finite differences, PyTorch --------------------------------


@pytest.mark.parametrize("name", UNARY)
def test_unary_op_value_and_local_derivative_match_the_hand_derivation(name):
    op, _, xs, value, derivative = UNARY[name]
    for x in xs:
        a = Value(x)
        out = op(a)
        assert close(out.data, value(x))
        assert out.parents == (a,)
        assert close(out.local_grads[0], derivative(x))
        out.backward()
        assert close(a.grad, derivative(x))


@pytest.mark.parametrize("name", BINARY)
def test_binary_op_value_and_local_derivatives_match_the_hand_derivation(name):
    op, pairs, value, derivatives = BINARY[name]
    for x, y in pairs:
        a, b = Value(x), Value(y)
        out = op(a, b)
        assert out.op == name and out.parents == (a, b)
        assert close(out.data, value(x, y))
        da, db = derivatives(x, y)
        out.backward()
        assert close(a.grad, da) and close(b.grad, db)


@pytest.mark.parametrize("name", UNARY)
def test_unary_op_gradient_matches_central_finite_differences(name):
    op, _, xs, _, _ = UNARY[name]
    for x in xs:
        assert autograd.gradcheck(op, [x])


@pytest.mark.parametrize("name", BINARY)
def test_binary_op_gradient_matches_central_finite_differences(name):
    op, pairs, _, _ = BINARY[name]
    for pair in pairs:
        assert autograd.gradcheck(op, list(pair))


@pytest.mark.parametrize("name", UNARY)
def test_unary_op_matches_pytorch(torch, name):
    op, torch_op, xs, _, _ = UNARY[name]
    for x in xs:
        a, t = Value(x), torch.tensor(x, requires_grad=True)
        out, tout = op(a), torch_op(torch, t)
        out.backward()
        tout.backward()
        assert close(out.data, tout.item()) and close(a.grad, t.grad.item())


@pytest.mark.parametrize("name", BINARY)
def test_binary_op_matches_pytorch(torch, name):
    op, pairs, _, _ = BINARY[name]
    for x, y in pairs:
        a, b = Value(x), Value(y)
        ta, tb = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
        out, tout = op(a, b), op(ta, tb)
        out.backward()
        tout.backward()
        assert close(out.data, tout.item())
        assert close(a.grad, ta.grad.item()) and close(b.grad, tb.grad.item())


def test_plain_numbers_work_on_either_side():
    x = Value(3.0)
    assert [v.data for v in (x + 1, 1 + x, x - 1, 1 - x, 2 * x, x * 2, x / 2, 6 / x, x**2, 2**x)] == [
        4.0,
        4.0,
        2.0,
        -2.0,
        6.0,
        6.0,
        1.5,
        2.0,
        9.0,
        8.0,
    ]
    y = 6 / x  # d/dx 6/x = -6/x**2
    y.backward()
    assert close(x.grad, -6 / 9)


def test_a_number_exponent_is_not_a_graph_node_and_names_itself_in_the_op():
    x = Value(-3.0)
    y = x**2
    assert y.op == "**2" and y.parents == (x,) and y.local_grads == (-6.0,)


def test_sum_and_dot_are_single_nodes_with_many_parents():
    w = [Value(0.5), Value(-1.0), Value(2.0)]
    x = [Value(1.0), Value(2.0), Value(3.0)]
    z = autograd.dot(w, x)
    assert z.op == "dot" and z.parents == (*w, *x)
    assert z.data == 0.5 * 1 - 1 * 2 + 2 * 3
    assert z.local_grads == (1.0, 2.0, 3.0, 0.5, -1.0, 2.0)  # d/dwi = xi, d/dxi = wi
    s = autograd.sum(w)
    assert s.op == "sum" and s.parents == tuple(w) and s.data == 1.5 and s.local_grads == (1.0, 1.0, 1.0)
    assert autograd.dot([1, 2], [3, 4]).data == 11.0


def test_dot_and_sum_match_pytorch(torch):
    ws, xs = [0.5, -1.0, 2.0], [1.5, 2.5, -3.0]
    w, x = [Value(v) for v in ws], [Value(v) for v in xs]
    out = (autograd.dot(w, x) * autograd.sum(w)).tanh()
    out.backward()
    tw, tx = torch.tensor(ws, requires_grad=True), torch.tensor(xs, requires_grad=True)
    tout = ((tw * tx).sum() * tw.sum()).tanh()
    tout.backward()
    assert close(out.data, tout.item())
    assert all(close(v.grad, g) for v, g in zip(w + x, tw.grad.tolist() + tx.grad.tolist()))


def test_dot_of_a_value_with_itself_gives_twice_the_gradient():
    a = Value(3.0)
    autograd.dot([a], [a]).backward()
    assert a.grad == 6.0


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: autograd.dot([1.0, 2.0], [1.0]), "equal length.*2 weights and 1 inputs"),
        (lambda: autograd.dot([], []), "empty"),
        (lambda: autograd.sum([]), "empty"),
    ],
)
def test_nary_ops_reject_bad_lengths(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_nary_ops_reject_non_sequences_and_non_numbers():
    with pytest.raises(TypeError, match="float"):
        autograd.sum(1.0)
    with pytest.raises(TypeError, match="str"):
        autograd.sum([Value(1.0), "2"])


# ---- numerics and domain errors --------------------------------------------------------------


@pytest.mark.parametrize("x", [-1e308, -1000.0, -40.0, 0.0, 40.0, 1000.0, 1e308])
def test_sigmoid_and_tanh_are_right_and_have_finite_gradients_for_every_finite_input(x):
    for op, limit in (("sigmoid", (0.0, 1.0)), ("tanh", (-1.0, 1.0))):
        a = Value(x)
        out = getattr(a, op)()
        out.backward()
        assert limit[0] <= out.data <= limit[1]
        assert math.isfinite(a.grad) and a.grad >= 0
    assert Value(1e308).sigmoid().data == 1.0 and Value(-1e308).sigmoid().data == 0.0
    assert Value(0.0).sigmoid().data == 0.5


def test_exp_overflow_gives_inf_not_an_exception():
    assert Value(1000.0).exp().data == math.inf
    assert Value(-1000.0).exp().data == 0.0


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: Value(0.0).log(), ValueError, r"log.*log\(0\.0\)"),
        (lambda: Value(-2.0).log(), ValueError, r"log\(-2\.0\)"),
        (lambda: Value(-4.0).sqrt(), ValueError, r"sqrt\(-4\.0\)"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, r"'/'.*1\.0 / 0\.0"),
        (lambda: 1 / Value(0.0), ZeroDivisionError, r"1\.0 / 0\.0"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, r"'\*\*'.*0\.0 \*\* -1"),
        (lambda: Value(0.0) ** Value(-2.0), ZeroDivisionError, r"0\.0 \*\* -2\.0"),
        (lambda: Value(-8.0) ** 0.5, ValueError, r"-8\.0 \*\* 0\.5"),
        (lambda: Value(1.0) + "2", TypeError, "str"),
        (lambda: Value(1.0) * None, TypeError, "NoneType"),
        (lambda: Value(1.0) < "a", TypeError, "str"),
        (lambda: Value(1.0).leaky_relu("x"), TypeError, "slope"),
        (lambda: Value(1.0).clamp(2, 1), ValueError, "min <= max"),
        (lambda: Value(1.0).backward("1"), TypeError, "grad"),
        (lambda: Value(1.0, label=3), TypeError, "label"),
    ],
)
def test_bad_input_raises_an_error_naming_the_operation_and_the_operand(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_power_edge_cases_follow_pytorch(torch):
    cases = [(0.0, 2.0), (0.0, 0.5), (-2.0, 3.0), (2.0, 0.0), (1e200, 2.0)]
    for x, k in cases:
        a, t = Value(x), torch.tensor(x, requires_grad=True)
        (a**k).backward()
        (t**k).backward()
        assert close(a.grad, t.grad.item()) or (math.isinf(a.grad) and math.isinf(t.grad.item()))
    # d/db a**b at a = 0 is 0 (PyTorch's convention); for a < 0 it is undefined.
    a, b = Value(0.0), Value(2.0)
    (a**b).backward()
    assert b.grad == 0.0
    a, b = Value(-2.0), Value(2.0)
    (a**b).backward()
    assert math.isnan(b.grad) and a.grad == -4.0


# ---- comparisons, identity ---------------------------------------------------------------------


def test_comparisons_compare_data_and_equality_is_identity():
    a, b = Value(1.0), Value(1.0)
    assert (a < 2) and (a <= b) and (a >= b) and not (a > b) and (2 > a) and (0.5 < a)
    assert a != b and a == a
    assert len({a, b}) == 2 and {a: 1}[a] == 1
    assert a.item() == 1.0  # float(a) refuses: see tests/test_edges.py (protocols)
