"""Optimisers: turn gradients into parameter updates, with PyTorch's update rules."""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Real

from autograd import Value


class Optimizer:
    """Holds the parameters to update; `step()` applies one update, `zero_grad()` clears gradients."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not all(isinstance(p, Value) for p in self.params):
            raise TypeError(f"{type(self).__name__} needs Values, e.g. model.parameters()")
        if isinstance(lr, bool) or not isinstance(lr, Real) or not lr >= 0:
            raise ValueError(f"learning rate must be a number >= 0, got {lr!r}")
        self.lr = float(lr)

    def zero_grad(self) -> None:
        """Set every parameter's `.grad` to 0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        raise NotImplementedError


def _check_unit(name: str, value: float) -> float:
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return float(value)


class SGD(Optimizer):
    """Stochastic gradient descent: p -= lr * g, with optional momentum and weight decay.

    As in PyTorch: g = grad + weight_decay * p; with momentum, b = momentum * b + g (b = g at
    the first step) and the update uses b.
    """

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = _check_unit("momentum", momentum)
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
        self.weight_decay = float(weight_decay)
        self.velocity: list[float] | None = None  # the momentum buffers, made at the first step

    def step(self) -> None:
        lr, momentum, weight_decay = self.lr, self.momentum, self.weight_decay
        if momentum == 0.0:
            for p in self.params:
                g = p.grad + weight_decay * p.data if weight_decay else p.grad
                p.data -= lr * g
            return
        first = self.velocity is None
        if first:
            self.velocity = [0.0] * len(self.params)
        for i, p in enumerate(self.params):
            g = p.grad + weight_decay * p.data if weight_decay else p.grad
            self.velocity[i] = g if first else momentum * self.velocity[i] + g
            p.data -= lr * self.velocity[i]


class Adam(Optimizer):
    """Adam: steps scaled by running averages of the gradient (m) and its square (v).

    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g**2;  p -= lr / (1 - b1**t) * m / (sqrt(v / (1 - b2**t)) + eps).
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.betas = (_check_unit("betas[0]", betas[0]), _check_unit("betas[1]", betas[1]))
        if not eps >= 0 or not weight_decay >= 0:
            raise ValueError(f"eps and weight_decay must be >= 0, got {eps!r} and {weight_decay!r}")
        self.eps, self.weight_decay = float(eps), float(weight_decay)
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        self.t += 1
        beta1, beta2 = self.betas
        step_size = self.lr / (1 - beta1**self.t)
        bias_correction2_sqrt = math.sqrt(1 - beta2**self.t)
        for i, p in enumerate(self.params):
            g = p.grad + self.weight_decay * p.data if self.weight_decay else p.grad
            self.m[i] += (g - self.m[i]) * (1 - beta1)  # PyTorch's lerp form of b1 m + (1 - b1) g
            self.v[i] = beta2 * self.v[i] + (1 - beta2) * g * g
            p.data -= step_size * self.m[i] / (math.sqrt(self.v[i]) / bias_correction2_sqrt + self.eps)
