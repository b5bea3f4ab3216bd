"""Pictures for training: decision boundaries and curves with matplotlib (from the `notebooks` extra),
and a decision boundary as text for the terminal (no dependencies: `make demo` prints one)."""

from __future__ import annotations

from collections.abc import Sequence

from autograd import no_grad
from nn.module import Module
from nn.train import History


def decision_boundary(model: Module, X: Sequence[Sequence[float]], y: Sequence[int], ax=None, steps: int = 60):
    """Shade where `model` scores each point of the plane positive or negative; plot the data on top."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    xs = [p[0] for p in X]
    ys = [p[1] for p in X]
    gx, gy = boundary_grid(X, steps)
    x0, x1, y0, y1 = gx[0], gx[-1], gy[0], gy[-1]
    with no_grad():  # only values are needed: no graph is recorded
        scores = [[_score(model([a, b])) for a in gx] for b in gy]
    ax.contourf(
        gx, gy, [[s > 0 for s in row] for row in scores], levels=[-0.5, 0.5, 1.5], colors=["#f4b6b6", "#b6cdf4"]
    )
    ax.contour(gx, gy, scores, levels=[0.0], colors="#333333", linewidths=1)
    ax.scatter(
        xs, ys, c=["#c0392b" if label <= 0 else "#2f6db5" for label in y], s=18, edgecolors="white", linewidths=0.5
    )
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    return ax


def boundary_grid(X: Sequence[Sequence[float]], steps: int) -> tuple[list[float], list[float]]:
    """The points along x and along y where a decision boundary is sampled: `steps` each, evenly
    spaced over the data with a margin of 0.5."""
    xs = [p[0] for p in X]
    ys = [p[1] for p in X]
    x0, x1 = min(xs) - 0.5, max(xs) + 0.5
    y0, y1 = min(ys) - 0.5, max(ys) + 0.5
    gx = [x0 + (x1 - x0) * i / (steps - 1) for i in range(steps)]
    gy = [y0 + (y1 - y0) * j / (steps - 1) for j in range(steps)]
    return gx, gy


def text_decision_boundary(
    model: Module, X: Sequence[Sequence[float]], y: Sequence[int], width: int = 64, height: int = 20
) -> str:
    """The plane as `height` lines of `width` characters: ``·`` where `model` scores positive, blank
    where negative, and the data on top (``o`` for a positive label, ``x`` otherwise)."""
    xs = [p[0] for p in X]
    ys = [p[1] for p in X]
    x0, x1 = min(xs) - 0.25, max(xs) + 0.25
    y0, y1 = min(ys) - 0.25, max(ys) + 0.25
    with no_grad():  # only values are needed: no graph is recorded
        grid = [
            ["·" if _score(model([x0 + (x1 - x0) * (i + 0.5) / width, y1 - (y1 - y0) * (j + 0.5) / height])) > 0
             else " " for i in range(width)]
            for j in range(height)
        ]  # fmt: skip
    for (a, b), label in zip(X, y):  # each point in the cell that contains it
        i = min(int((a - x0) / (x1 - x0) * width), width - 1)
        j = min(int((y1 - b) / (y1 - y0) * height), height - 1)
        grid[j][i] = "o" if label > 0 else "x"
    border = "+" + "-" * width + "+"
    return "\n".join([border, *("|" + "".join(row) + "|" for row in grid), border])


def _score(out) -> float:
    return (out[0] if isinstance(out, list) else out).data


def training_curves(history: History, axes=None):
    """Loss (and accuracy, when known) per epoch."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3))
    axes[0].plot(range(1, history.epochs + 1), history.loss)
    axes[0].set(xlabel="epoch", ylabel="loss", title="loss")
    if history.accuracy and history.accuracy[0] is not None:
        axes[1].plot(range(1, history.epochs + 1), history.accuracy)
        axes[1].set(xlabel="epoch", ylabel="accuracy", title="training accuracy", ylim=(0, 1.05))
    return axes
