"""chainrule's neural-network library: modules, losses, optimisers, data sets and training.

Built from `autograd.Value`s with PyTorch's conventions (`parameters()`, `zero_grad()`, `step()`).
"""

import autograd as _autograd

if getattr(_autograd, "__distribution__", None) != "chainrule":
    raise ImportError(
        f"`nn` is chainrule's, but the `autograd` it found ({getattr(_autograd, '__file__', '?')}) is "
        "another package (HIPS autograd uses the same name). Install chainrule into its own "
        "virtual environment: `make test` or `make demo` creates .venv for you."
    )

from nn import data, diagram  # noqa: E402  (diagram registers the Walkthrough's network view)
from nn import neuron_view as _neuron_view  # noqa: E402, F401  (registers Walkthrough(view="neurons"))
from nn.layers import MLP, Layer, Neuron  # noqa: E402
from nn.losses import (  # noqa: E402
    bce_with_logits,
    binary_cross_entropy,
    cross_entropy,
    hinge_loss,
    mse_loss,
    softmax,
)
from nn.module import Module  # noqa: E402
from nn.optim import SGD, Adam, Optimizer  # noqa: E402
from nn.train import History, fit  # noqa: E402

__all__ = [
    "MLP",
    "SGD",
    "Adam",
    "History",
    "Layer",
    "Module",
    "Neuron",
    "Optimizer",
    "bce_with_logits",
    "binary_cross_entropy",
    "cross_entropy",
    "data",
    "diagram",
    "fit",
    "hinge_loss",
    "mse_loss",
    "softmax",
]
