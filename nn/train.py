"""`fit`: the training loop — forward, loss, backward, step — with a progress bar."""

from __future__ import annotations

import gc
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import autograd
from autograd import Value
from nn import losses
from nn.module import Module
from nn.optim import Optimizer


@dataclass
class History:
    """What `fit` saw: the loss and accuracy of every epoch (accuracy is None without a rule)."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float | None] = field(default_factory=list)
    interrupted: bool = False  # True when Ctrl-C stopped training early

    @property
    def epochs(self) -> int:
        return len(self.loss)


def _argmax(values: Sequence[Value]) -> int:
    return max(range(len(values)), key=lambda i: values[i].data)


# Which prediction counts as right, for the losses whose meaning makes it clear.
ACCURACY_RULES: dict[Callable, Callable[[object, object], bool]] = {
    losses.hinge_loss: lambda score, y: (score.data > 0) == (y > 0),
    losses.bce_with_logits: lambda z, y: (z.data > 0) == (y == 1),
    losses.binary_cross_entropy: lambda p, y: (p.data > 0.5) == (y == 1),
    losses.cross_entropy: lambda z, y: _argmax(z) == y,
}


@contextmanager
def collector_paused() -> Iterator[None]:
    """Switch Python's cycle collector off for one training step, and back on afterwards (even on errors).

    Safe only because chainrule's graphs contain no reference cycles: reference counting frees a graph
    the moment its last reference goes, so the collector has nothing to find in it. Left on, it would
    walk every node of the graph being built again and again (about 15% of a step, more for large graphs).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def fit(
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence,
    *,
    loss: Callable,
    optimizer: Optimizer,
    epochs: int = 100,
    batch_size: int | None = None,
    l2: float = 0.0,
    lr_schedule: Callable[[int], float] | None = None,
    accuracy: Callable[[object, object], bool] | None = None,
    progress: bool = True,
    seed: int | None = 0,
) -> History:
    """Train `model` on (X, y) and return the `History` of loss and accuracy per epoch.

    Each step: predictions for a batch (all samples when `batch_size` is None), ``loss(predictions,
    targets)`` plus ``l2 * sum(p**2)`` over the parameters, backward, ``optimizer.step()``.
    `lr_schedule(epoch)` sets the learning rate each epoch. Accuracy uses `accuracy(prediction,
    target)` or the rule that goes with `loss`. Ctrl-C stops cleanly and returns the history so far.
    """
    if len(X) != len(y):
        raise ValueError(f"fit got {len(X)} samples in X but {len(y)} targets in y")
    if not X:
        raise ValueError("fit needs at least one sample")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be an int >= 0, got {epochs!r}")
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f"batch_size must be a positive int or None, got {batch_size!r}")
    is_right = accuracy or ACCURACY_RULES.get(loss)
    params = model.parameters()
    rng = random.Random(seed)
    order = list(range(len(X)))
    size = batch_size or len(X)
    history = History()

    # The plain text bar works in terminals and notebooks alike, and leaves no widget state behind.
    from tqdm import tqdm

    bar = tqdm(range(epochs), desc="training", disable=not progress, leave=True, file=_progress_stream())
    try:
        for epoch in bar:
            if lr_schedule is not None:
                optimizer.lr = float(lr_schedule(epoch))
            if batch_size is not None:
                rng.shuffle(order)
            total, right = 0.0, 0
            for start in range(0, len(order), size):
                batch = order[start : start + size]
                with collector_paused():  # graphs have no cycles: see collector_paused
                    predictions = [model(X[i]) for i in batch]
                    targets = [y[i] for i in batch]
                    batch_loss = loss(predictions, targets)
                    if l2:
                        batch_loss = batch_loss + l2 * autograd.dot(params, params)
                    optimizer.zero_grad()
                    batch_loss.backward()
                    optimizer.step()
                    total += batch_loss.data * len(batch)
                    if is_right:
                        right += sum(is_right(p, t) for p, t in zip(predictions, targets))
                    del predictions, batch_loss  # freed here, by reference counting, while the collector is off
            history.loss.append(total / len(X))
            history.accuracy.append(right / len(X) if is_right else None)
            shown = {"loss": f"{history.loss[-1]:.4f}"}
            if is_right:
                shown["acc"] = f"{history.accuracy[-1]:.0%}"
            bar.set_postfix(shown, refresh=False)
    except KeyboardInterrupt:
        history.interrupted = True
    finally:
        bar.close()
    return history


def _progress_stream():
    """Where the progress bar goes: stderr in a terminal (tqdm's habit), stdout in a notebook kernel,
    where stderr is drawn as a red block that looks like an error."""
    import sys

    return sys.stdout if type(sys.stderr).__module__.startswith("ipykernel") else sys.stderr
