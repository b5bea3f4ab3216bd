"""Toy data sets in pure Python, seeded and deterministic. Each returns ``(X, y)``:
X a list of [x1, x2] points, y a list of int labels (0/1, or 0..k-1)."""

from __future__ import annotations

import math
import random


def _check(n: int, noise: float) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an int >= 2, got {n!r}")
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")


def _linspace(start: float, stop: float, n: int, endpoint: bool = True) -> list[float]:
    steps = (n - 1) if endpoint else n
    return [start + (stop - start) * i / steps for i in range(n)] if steps else [start]


def _finish(points: list[tuple[list[float], int]], noise: float, rng: random.Random):
    rng.shuffle(points)
    X = [[x + rng.gauss(0, noise), y + rng.gauss(0, noise)] if noise else [x, y] for (x, y), _ in points]
    return X, [label for _, label in points]


def make_moons(n: int = 100, noise: float = 0.0, seed: int | None = None):
    """Two interleaving half circles (scikit-learn's geometry): label 0 on top, 1 below."""
    _check(n, noise)
    rng = random.Random(seed)
    n_out = n // 2
    n_in = n - n_out
    top = [([math.cos(t), math.sin(t)], 0) for t in _linspace(0, math.pi, n_out)]
    bottom = [([1 - math.cos(t), 1 - math.sin(t) - 0.5], 1) for t in _linspace(0, math.pi, n_in)]
    return _finish(top + bottom, noise, rng)


def make_circles(n: int = 100, noise: float = 0.0, factor: float = 0.8, seed: int | None = None):
    """A small circle (label 1, radius `factor`) inside a large one (label 0, radius 1)."""
    _check(n, noise)
    if not 0 < factor < 1:
        raise ValueError(f"factor must be in (0, 1), got {factor!r}")
    rng = random.Random(seed)
    n_out = n // 2
    n_in = n - n_out
    outer = [([math.cos(t), math.sin(t)], 0) for t in _linspace(0, 2 * math.pi, n_out, endpoint=False)]
    inner = [([factor * math.cos(t), factor * math.sin(t)], 1) for t in _linspace(0, 2 * math.pi, n_in, endpoint=False)]
    return _finish(outer + inner, noise, rng)


def make_xor(n: int = 100, noise: float = 0.0, seed: int | None = None):
    """Points in the square [-1, 1]**2; label 1 where x1 and x2 have different signs."""
    _check(n, noise)
    rng = random.Random(seed)
    points = []
    for _ in range(n):
        x1, x2 = rng.uniform(-1, 1), rng.uniform(-1, 1)
        points.append(([x1, x2], int((x1 > 0) != (x2 > 0))))
    return _finish(points, noise, rng)


def make_spirals(n: int = 100, noise: float = 0.0, turns: float = 1.5, seed: int | None = None):
    """Two interleaved spirals (labels 0 and 1) winding `turns` times around the origin."""
    _check(n, noise)
    rng = random.Random(seed)
    points = []
    for i in range(n):
        label = i % 2
        r = (i // 2 + 1) / ((n + 1) // 2)  # radius from near 0 out to 1
        angle = 2 * math.pi * turns * r + math.pi * label
        points.append(([r * math.cos(angle), r * math.sin(angle)], label))
    return _finish(points, noise, rng)


def signed_labels(y: list[int]) -> list[int]:
    """Map 0/1 labels to -1/+1 (what `hinge_loss` expects)."""
    if any(label not in (0, 1) for label in y):
        raise ValueError("signed_labels needs labels that are 0 or 1")
    return [2 * label - 1 for label in y]
