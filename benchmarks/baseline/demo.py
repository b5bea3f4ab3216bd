"""The demo training step as chainrule's `nn` computed it at commit 14e3a22, on the frozen engine.

Same operations in the same order as that commit's `nn.layers`, `nn.losses.hinge_loss` and
`nn.optim.SGD`, so its losses equal the current engine's and its time is today's step time.
"""

from __future__ import annotations

from collections.abc import Sequence

from .value import PARAMETER, Value, dot
from .value import sum as value_sum


def _as_inputs(x, nin: int, who: str) -> list[Value]:
    if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
        raise TypeError(f"{who} takes a sequence of {nin} numbers or Values, got {type(x).__name__}")
    if len(x) != nin:
        raise ValueError(f"{who} expected {nin} inputs, got {len(x)}")
    return [xi if isinstance(xi, Value) else Value(xi, f"x{i + 1}") for i, xi in enumerate(x)]


class Neuron:
    def __init__(self, weights: Sequence[float], bias: float, relu: bool) -> None:
        self.w = [Value(wi, kind=PARAMETER) for wi in weights]
        self.b = Value(bias, kind=PARAMETER)
        self.relu = relu

    def forward(self, x: Sequence[Value]) -> Value:
        z = dot(self.w, x) + self.b
        return z.relu() if self.relu else z


class Layer:
    def __init__(self, neurons: list[Neuron]) -> None:
        self.neurons = neurons

    def __call__(self, x) -> list[Value]:
        x = _as_inputs(x, len(self.neurons[0].w), "Layer")
        return [neuron.forward(x) for neuron in self.neurons]


class MLP:
    """An MLP with exactly the weights of an `nn.MLP` (hidden ReLU layers, linear output)."""

    def __init__(self, model) -> None:
        self.layers = [
            Layer([Neuron([w.data for w in n.w], n.b.data, n.activation == "relu") for n in layer.neurons])
            for layer in model.layers
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for n in layer.neurons for p in (*n.w, n.b)]


def hinge_loss(prediction, target) -> Value:
    pairs = list(zip(prediction, target))
    losses = [(1 - t * p).relu() for p, t in pairs]
    return losses[0] if len(losses) == 1 else value_sum(losses) * (1.0 / len(losses))


def step(model: MLP, params: list[Value], X, y, lr: float, alpha: float) -> float:
    """Forward, hinge loss + alpha * L2, zero_grad, backward, SGD: one step; returns the loss."""
    scores = [model(x) for x in X]
    loss = hinge_loss(scores, y) + alpha * dot(params, params)
    for p in params:
        p.grad = 0.0
    loss.backward()
    for p in params:
        p.data -= lr * p.grad
    return loss.data
