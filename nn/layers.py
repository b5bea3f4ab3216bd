"""Neurons, layers and multi-layer perceptrons built from Values.

A neuron computes ``activation(w . x + b)``: one `dot` node for the weighted sum, one `+` for the
bias, one node for the activation. Weights are initialised from Python's global `random` generator
(``random.seed(k)`` reproduces a model, as in micrograd), or from a private one with ``seed=k``:
He (normal, std = sqrt(2 / nin)) for "relu" and "leaky_relu", Glorot/Xavier (uniform in
+-sqrt(6 / (nin + nout))) for "tanh", "sigmoid" and "linear"; biases start at 0.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from numbers import Integral

import autograd
from autograd import PARAMETER, Value
from autograd.value import leaf
from nn.module import Module

Number = int | float
Inputs = Sequence[Number | Value]

ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    "relu": Value.relu,
    "leaky_relu": Value.leaky_relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": None,
}


def _check_activation(activation: str) -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    return activation


def _rng(seed: int | random.Random | None) -> random.Random:
    """The generator to draw initial weights from: Python's global one (the `random` module, so
    ``random.seed(1337)`` reproduces a model, as in micrograd) when `seed` is None, the one given,
    or a private one seeded with `seed`."""
    if seed is None:
        return random._inst  # the generator behind random.random(), random.gauss(), random.seed()
    return seed if isinstance(seed, random.Random) else random.Random(seed)


def initial_weights(nin: int, nout: int, activation: str, rng: random.Random) -> list[float]:
    """`nin` starting weights for one neuron of a layer `nout` wide (He or Glorot, see module doc)."""
    if activation in ("relu", "leaky_relu"):
        std = math.sqrt(2.0 / nin)
        return [rng.gauss(0.0, std) for _ in range(nin)]
    limit = math.sqrt(6.0 / (nin + nout))
    return [rng.uniform(-limit, limit) for _ in range(nin)]


def _check_size(name: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
        raise ValueError(f"{name} must be a positive int, got {n!r}")
    return int(n)  # numpy's integers too


def _as_inputs(x: Inputs, nin: int, who: str) -> list[Value]:
    """Check the input length and make plain numbers into input leaves labelled x1, x2, ..."""
    if type(x) is not list and type(x) is not tuple:  # (the common cases need none of these checks)
        if isinstance(x, (str, bytes, Mapping)) or not (hasattr(x, "__len__") and hasattr(x, "__getitem__")):
            raise TypeError(f"{who} takes a sequence of {nin} numbers or Values, got {type(x).__name__}")
        if getattr(x, "ndim", 1) != 1:  # a numpy array must be one sample: a row
            raise ValueError(
                f"{who} takes one sample, a 1-D sequence of {nin} numbers, got an array of shape {x.shape}"
            )
    if len(x) != nin:
        raise ValueError(f"{who} expected {nin} inputs, got {len(x)}")
    return [xi if isinstance(xi, Value) else leaf(xi, label) for xi, label in zip(x, _input_labels(nin))]


@functools.cache
def _input_labels(nin: int) -> tuple[str, ...]:
    return tuple(f"x{i + 1}" for i in range(nin))


class Neuron(Module):
    """``activation(w . x + b)`` with `nin` weights `w` and a bias `b`."""

    def __init__(
        self, nin: int, activation: str = "relu", *, seed: int | random.Random | None = None, nout: int = 1
    ) -> None:
        _check_size("nin", nin)
        self.activation = _check_activation(activation)
        weights = initial_weights(nin, nout, activation, _rng(seed))
        self.w = [Value(wi, kind=PARAMETER) for wi in weights]
        self.b = Value(0.0, kind=PARAMETER)
        self._label_parameters()

    def __call__(self, x: Inputs) -> Value:
        return self.forward(_as_inputs(x, len(self.w), "Neuron"))

    def forward(self, x: Sequence[Value]) -> Value:
        """The neuron's output for inputs already checked by the caller."""
        if self.activation in autograd.value.NEURON_ACTIVATIONS:  # the same nodes, made in one call
            return autograd.neuron(self.w, x, self.b, self.activation)
        z = autograd.dot(self.w, x) + self.b
        activate = ACTIVATIONS[self.activation]
        return activate(z) if activate else z

    def named_parameters(self) -> Iterator[tuple[str, Value]]:
        for i, wi in enumerate(self.w):
            yield f"w.{i}", wi
        yield "b", self.b

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]  # named_parameters' order, without making the names

    def architecture(self) -> dict:
        return {"type": "Neuron", "nin": len(self.w), "activation": self.activation}

    def __repr__(self) -> str:
        return f"Neuron(nin={len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """`nout` neurons that each see the same `nin` inputs; calling it returns a list of Values."""

    def __init__(
        self, nin: int, nout: int, activation: str = "relu", *, seed: int | random.Random | None = None
    ) -> None:
        _check_size("nout", nout)
        rng = _rng(seed)
        self.neurons = [Neuron(nin, activation, seed=rng, nout=nout) for _ in range(nout)]
        self._label_parameters()

    @classmethod
    def from_weights(
        cls, weights: Sequence[Sequence[Number]], biases: Sequence[Number], activation: str = "relu"
    ) -> Layer:
        """A layer with exactly these numbers: `weights[j]` are neuron j's weights, `biases[j]` its bias."""
        if len(weights) == 0 or len(weights) != len(biases):
            raise ValueError(
                f"from_weights needs one bias per row of weights, got {len(weights)} rows and {len(biases)} biases"
            )
        nin = len(weights[0])
        if any(len(row) != nin for row in weights):
            raise ValueError(f"every row of weights must have the same length, got {[len(r) for r in weights]}")
        layer = cls(nin, len(weights), activation, seed=0)  # seeded: the global `random` stays untouched
        for neuron, row, bias in zip(layer.neurons, weights, biases):
            for wi, value in zip(neuron.w, row):
                wi.data = Value(value).data  # Value() checks that it is a number
            neuron.b.data = Value(bias).data
        return layer

    @property
    def nin(self) -> int:
        return len(self.neurons[0].w)

    @property
    def nout(self) -> int:
        return len(self.neurons)

    @property
    def activation(self) -> str:
        return self.neurons[0].activation

    def __call__(self, x: Inputs) -> list[Value]:
        return self.forward(_as_inputs(x, self.nin, "Layer"))

    def forward(self, x: Sequence[Value]) -> list[Value]:
        """The layer's outputs for inputs already checked by the caller."""
        return self.forward_batch([x])[0]

    def forward_batch(self, xs: Sequence[Sequence[Value]]) -> list[list[Value]]:
        """`forward` for each sample of `xs` (inputs already checked): the same nodes, made a neuron at a time."""
        neurons = self.neurons
        activations = {neuron.activation for neuron in neurons}
        if len(activations) == 1 and (activation := activations.pop()) in autograd.value.NEURON_ACTIVATIONS:
            # one call for the whole layer and batch: each weight's number is read once
            weights, biases = [neuron.w for neuron in neurons], [neuron.b for neuron in neurons]
            return autograd.value.neurons_over_batch(weights, xs, biases, activation)
        return [[neuron.forward(x) for neuron in neurons] for x in xs]

    def named_parameters(self) -> Iterator[tuple[str, Value]]:
        for i, neuron in enumerate(self.neurons):
            for name, p in neuron.named_parameters():
                yield f"neurons.{i}.{name}", p

    def parameters(self) -> list[Value]:
        return [p for neuron in self.neurons for p in neuron.parameters()]  # (no names made)

    def architecture(self) -> dict:
        return {"type": "Layer", "nin": self.nin, "nout": self.nout, "activation": self.activation}

    def __repr__(self) -> str:
        return f"Layer(nin={self.nin}, nout={self.nout}, activation={self.activation!r})"


class MLP(Module):
    """A multi-layer perceptron: layers of sizes `nouts` after `nin` inputs.

    Hidden layers use `activation`, the last layer `output_activation`. If the last layer has one
    neuron, calling the MLP returns that one Value, otherwise a list. With ``seed=None`` the initial
    weights come from Python's global `random` (``random.seed(1337)`` first makes them repeatable);
    with ``seed=k`` from a private generator, so the same `k` gives the same model anywhere.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        seed: int | random.Random | None = None,
    ) -> None:
        _check_size("nin", nin)
        if isinstance(nouts, (Integral, str)) or not hasattr(nouts, "__len__") or len(nouts) == 0:
            raise ValueError(f"nouts must be a non-empty list of layer sizes, got {nouts!r}")
        _check_activation(activation)
        _check_activation(output_activation)
        rng = _rng(seed)
        sizes = [nin, *(_check_size("each layer size", n) for n in nouts)]
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], output_activation if i == last else activation, seed=rng)
            for i in range(len(nouts))
        ]
        self._label_parameters()

    @classmethod
    def from_layers(cls, layers: Sequence[Layer]) -> MLP:
        """An MLP made of these layers (e.g. from `Layer.from_weights`), checking that sizes chain."""
        if not layers or not all(isinstance(layer, Layer) for layer in layers):
            raise TypeError("from_layers needs a non-empty list of nn.Layer")
        for i in range(1, len(layers)):
            if layers[i].nin != layers[i - 1].nout:
                raise ValueError(
                    f"layer {i} expects {layers[i].nin} inputs but layer {i - 1} gives {layers[i - 1].nout} outputs"
                )
        model = cls.__new__(cls)
        model.layers = list(layers)
        model._label_parameters()
        return model

    def __call__(self, x: Inputs) -> Value | list[Value]:
        x = self.layers[0](x)
        for layer in self.layers[1:]:
            x = layer.forward(x)  # a layer's outputs are Values of the right number: no need to check them
        return x[0] if len(x) == 1 else x

    def forward_batch(self, X: Sequence[Inputs]) -> list[Value | list[Value]]:
        """``[model(x) for x in X]``: the same nodes, made a layer at a time for the whole batch (so each
        weight's number is read once per layer, not once per sample). `nn.fit` calls this."""
        nin = self.layers[0].nin
        xs = [_as_inputs(x, nin, "Layer") for x in X]
        for layer in self.layers:
            xs = layer.forward_batch(xs)
        return [x[0] if len(x) == 1 else x for x in xs]

    def named_parameters(self) -> Iterator[tuple[str, Value]]:
        for i, layer in enumerate(self.layers):
            for name, p in layer.named_parameters():
                yield f"layers.{i}.{name}", p

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]  # (no names made)

    def to_torch(self):  # -> torch.nn.Sequential
        """The same network as a float64 `torch.nn.Sequential` with identical weights."""
        from nn.torch_bridge import mlp_to_torch

        return mlp_to_torch(self)

    def architecture(self) -> dict:
        return {"type": "MLP", "layers": [layer.architecture() for layer in self.layers]}

    def __repr__(self) -> str:
        lines = [f"  ({i}): {layer!r}" for i, layer in enumerate(self.layers)]
        return "MLP(\n" + "\n".join(lines) + "\n)"
