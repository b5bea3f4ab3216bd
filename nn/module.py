"""`Module`: what every network piece shares — its parameters, their gradients, saving and loading."""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Iterator, Mapping, Sequence
from numbers import Real

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

    def forward_batch(self, X: Sequence) -> list:
        """``[model(x) for x in X]``; a model may make the same graph faster all at once (`nn.MLP` does)."""
        return [self(x) for x in X]

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
        values = self._checked_state(state)
        for name, p in self.named_parameters():  # everything checked: now change the model
            p.data = values[name]

    def _checked_state(self, state: Mapping[str, float]) -> dict[str, float]:
        """`state` as floats after checking it fits this model; the model is not touched."""
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
        return {name: _finite_number(name, value) for name, value in state.items()}

    def architecture(self) -> dict:
        """What the model is, apart from its numbers (kind, sizes, activations), ready for JSON.

        `save()` records it and `load()` refuses a file whose architecture differs. Subclasses
        with settings of their own extend it.
        """
        return {"type": type(self).__name__}

    def _document(self) -> dict:
        return {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "model": repr(self),
            "architecture": self.architecture(),
            "state": self.state_dict(),
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the architecture and parameters to `path` as JSON, with `atomic_write`.

        A reader or a crash (even ``kill -9``) sees the old file or the new one, never half of one;
        an existing file keeps its permissions, a symbolic link is followed, and anything but a
        regular file is refused (see `autograd.files`).
        """
        atomic_write(path, json.dumps(self._document(), indent=1))

    def load(self, path: str | os.PathLike[str]) -> None:
        """Load parameters saved by `save()` into this model, in place.

        Every problem with the file (not JSON, nested too deeply, far too large, numbers out of
        range, a different architecture, missing or extra parameters) raises ValueError saying
        what is wrong, and the model is unchanged. A missing file raises FileNotFoundError.
        """
        document = _read_document(path, limit=65_536 + 4 * len(json.dumps(self._document())))
        if not isinstance(document, dict) or document.get("format") != FILE_FORMAT or "state" not in document:
            raise ValueError(f"{path} is not a chainrule model file (expected format {FILE_FORMAT!r})")
        if document.get("version") != FILE_VERSION:
            raise ValueError(
                f"{path} has file version {document.get('version')!r}; this chainrule reads {FILE_VERSION}"
            )
        try:
            values = self._checked_state(document["state"])
        except (ValueError, TypeError) as error:
            raise ValueError(f"{path}: {error}") from None
        if "architecture" in document:  # files written before architectures were recorded have none
            difference = _first_difference(document["architecture"], self.architecture(), "")
            if difference:
                raise ValueError(f"{path} was saved from a different model: {difference}")
        self.load_state_dict(values)


def _read_document(path: str | os.PathLike[str], limit: int) -> object:
    """The JSON document in `path`, read at most `limit` bytes far; ValueError for anything malformed."""
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{path} is not a regular file")
    with open(path, "rb") as f:
        raw = f.read(limit + 1)
    if len(raw) > limit:
        raise ValueError(
            f"{path} is larger than {limit:,} bytes, far larger than this model's file could be; not a model file?"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path} is not a chainrule model file: not UTF-8 text ({error.reason} at byte "
                         f"{error.start})") from None  # fmt: skip
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(f"{path} is not a chainrule model file: its JSON is nested too deeply") from None
    except ValueError as error:  # JSONDecodeError, or an integer with thousands of digits
        raise ValueError(f"{path} is not a valid chainrule model file (truncated or corrupted?): {error}") from None


def _finite_number(name: str, value: object) -> float:
    """A parameter's value from a state dict, as a float; ValueError naming the parameter otherwise."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"parameter {name!r} must be a finite number, got {type(value).__name__}: {value!r:.60}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(f"parameter {name!r} must be a finite number, got {_short(value)}")
    return number


def _short(value: object) -> str:
    text = repr(value) if not isinstance(value, int) or value.bit_length() < 200 else str(value)[:12] + "..."
    return text if len(text) <= 60 else text[:57] + "..."


def _first_difference(saved: object, model: object, where: str) -> str:
    """Where two architecture descriptions first differ, in words; "" when they are the same."""
    if isinstance(saved, dict) and isinstance(model, dict):
        for key in sorted(set(saved) | set(model), key=str):
            if key not in saved or key not in model:
                return f"{where + str(key)!r} is only in the {'model' if key in model else 'file'}"
            difference = _first_difference(saved[key], model[key], f"{where}{key}.")
            if difference:
                return difference
        return ""
    if isinstance(saved, list) and isinstance(model, list):
        if len(saved) != len(model):
            return f"{where.rstrip('.') or 'the model'} has {len(saved)} entries in the file, {len(model)} here"
        for i, (a, b) in enumerate(zip(saved, model)):
            difference = _first_difference(a, b, f"{where}{i}.")
            if difference:
                return difference
        return ""
    if saved != model:
        return f"{where.rstrip('.')} is {_short(saved)} in the file but {_short(model)} in this model"
    return ""


def short_label(name: str) -> str:
    """A parameter's name as a short label: ``layers.0.neurons.1.w.2`` -> ``w0.1.2`` (layer 0,
    neuron 1, input 2) and ``layers.0.neurons.1.b`` -> ``b0.1``."""
    parts = name.split(".")
    kind = next(part for part in reversed(parts) if not part.isdigit())
    return kind + ".".join(part for part in parts if part.isdigit())


def _few(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
