"""Graduating to PyTorch: the same MLP as a `torch.nn.Sequential`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nn.layers import MLP


def _import_torch():
    try:
        import torch
    except ImportError:
        raise ImportError(
            "MLP.to_torch() needs PyTorch, which is not installed: pip install torch (CPU is enough)"
        ) from None
    return torch


def mlp_to_torch(model: MLP):
    """A float64 `torch.nn.Sequential` of Linear layers and activations with `model`'s weights."""
    torch = _import_torch()
    activations = {
        "relu": torch.nn.ReLU,
        "leaky_relu": lambda: torch.nn.LeakyReLU(0.01),
        "tanh": torch.nn.Tanh,
        "sigmoid": torch.nn.Sigmoid,
    }
    modules = []
    for layer in model.layers:
        linear = torch.nn.Linear(layer.nin, layer.nout, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        modules.append(linear)
        if layer.activation in activations:
            modules.append(activations[layer.activation]())
    return torch.nn.Sequential(*modules)
