"""grad, value_and_grad and gradcheck."""

from __future__ import annotations

import math

import pytest

import autograd
from autograd import Value


def test_grad_returns_floats_for_one_or_several_arguments():
    f = lambda x, y: x * x * y  # noqa: E731 - df/dx = 2xy, df/dy = x**2
    assert autograd.grad(f)(3.0, 2.0) == 12.0
    assert autograd.grad(f, argnums=(0, 1))(3.0, 2.0) == (12.0, 9.0)
    assert autograd.grad(f, argnums=1)(Value(3.0), 2) == 9.0


def test_value_and_grad_returns_both():
    value, g = autograd.value_and_grad(lambda x: x.sin())(0.5)
    assert value == math.sin(0.5) and g == math.cos(0.5)


def test_grad_rejects_a_function_that_does_not_return_a_value():
    with pytest.raises(TypeError, match="must return a Value, got float"):
        autograd.grad(lambda x: 1.0)(2.0)
    with pytest.raises(ValueError, match="argnums 3 is out of range"):
        autograd.grad(lambda x: x, argnums=3)(2.0)
    with pytest.raises(TypeError, match="argnums"):
        autograd.grad(lambda x: x, argnums="0")


def test_gradcheck_passes_for_a_correct_gradient():
    assert autograd.gradcheck(lambda a, b: (a * b).tanh() + a.exp() / b, [0.3, 1.7])


def test_gradcheck_reports_a_table_when_gradients_disagree():
    def bad_sin(v):
        out = v.sin()
        out.local_grads = (2.0,)  # the truth is cos(x)
        return out

    with pytest.raises(autograd.GradcheckError) as caught:
        autograd.gradcheck(bad_sin, [Value(0.5, label="x")])
    text = str(caught.value)
    assert "analytic" in text and "numeric" in text and "MISMATCH" in text and "x" in text
    assert f"{math.cos(0.5):.8g}"[:6] in text
