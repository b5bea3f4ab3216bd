"""`Module`: what every network piece shares — its parameters, their gradients, saving and loading."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from autograd import Value
from autograd.files import atomic_write

FILE_FORMAT = "chainrule.state_dict"
FILE_VERSION = 1


class Module:
    """Base class: subclasses yield their parameters from `named_parameters()`; the rest follows."""

    def named_parameters(self) -> Iterator[tuple[str, Value]]:
        """Each parameter with its dotted name, e.g. ``layers.0.neurons.1.w.2``, in a fixed order."""
        return iter(())

    def parameters(self) -> list[Value]:
        """Every parameter (a list of Values), in the same order every time."""
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        """How many numbers the model learns."""
        return len(self.parameters())

    def zero_grad(self) -> None:
        """Set every parameter's `.grad` to 0 (do this before each backward pass)."""
        for p in self.parameters():
            p.grad = 0.0

    def diagram(self, x=None, loss: Value | None = None, **options):  # -> autograd.Graph
        """The network as a neuron diagram: circles for inputs and neurons, one edge per weight.

        With an input `x`, each neuron also shows its output; with `loss` (one sample's loss, after
        `loss.backward()`), also the gradients: ∂L/∂output, δ = ∂L/∂z and ∂L/∂w on each weight.
        Returns the same `Graph` type as `Value.draw()` (inline in Jupyter, `.render()`, `.source`).
        """
        from nn.diagram import diagram

        return diagram(self, x, loss, **options)

    def _label_parameters(self) -> None:
        """Label each parameter with a short form of its name, so graphs show which weight is which."""
        for name, p in self.named_parameters():
            p.label = short_label(name)

    # ---- state: plain floats keyed by name ---------------------------------------------------

    def state_dict(self) -> dict[str, float]:
        """Every parameter's value, keyed by its name (plain floats, ready for JSON)."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, float]) -> None:
        """Set every parameter from `state`; on any problem raise ValueError and change nothing."""
        if not isinstance(state, Mapping):
            raise TypeError(f"state must be a mapping of parameter names to numbers, got {type(state).__name__}")
        params = dict(self.named_parameters())
        missing = [name for name in params if name not in state]
        unexpected = [name for name in state if name not in params]
        if missing or unexpected:
            problems = []
            if missing:
                problems.append(f"missing key(s) {_few(missing)}")
            if unexpected:
                problems.append(f"unexpected key(s) {_few(unexpected)}")
            raise ValueError(
                f"state does not fit this {type(self).__name__} ({len(params)} parameters, the state has "
                f"{len(state)}; wrong shape?): " + "; ".join(problems)
            )
        for name, value in state.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"parameter {name!r} must be a finite number, got {value!r}")
        for name, p in params.items():  # everything checked: now change the model
            p.data = float(state[name])

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the parameters to `path` as JSON, atomically: a crash never leaves half a file."""
        path = Path(path)
        document = {"format": FILE_FORMAT, "version": FILE_VERSION, "model": repr(self), "state": self.state_dict()}
        atomic_write(path, json.dumps(document, indent=1))

    def load(self, path: str | os.PathLike[str]) -> None:
        """Load parameters saved by `save()` into this model, in place; the model is unchanged on error."""
        text = Path(path).read_text(encoding="utf-8")
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} is not a valid chainrule model file (truncated or corrupted?): {error}") from None
        if not isinstance(document, dict) or document.get("format") != FILE_FORMAT or "state" not in document:
            raise ValueError(f"{path} is not a chainrule model file (expected format {FILE_FORMAT!r})")
        if document.get("version") != FILE_VERSION:
            raise ValueError(
                f"{path} has file version {document.get('version')!r}; this chainrule reads {FILE_VERSION}"
            )
        self.load_state_dict(document["state"])


def short_label(name: str) -> str:
    """A parameter's name as a short label: ``layers.0.neurons.1.w.2`` -> ``w0.1.2`` (layer 0,
    neuron 1, input 2) and ``layers.0.neurons.1.b`` -> ``b0.1``."""
    parts = name.split(".")
    kind = next(part for part in reversed(parts) if not part.isdigit())
    return kind + ".".join(part for part in parts if part.isdigit())


def _few(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
