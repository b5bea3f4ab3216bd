"""Regenerate docs/training.gif: a training run exported by `history.animate` (the live view's frames).

Run: .venv/bin/python docs/make_training_gif.py   (needs the notebooks extra: matplotlib and Pillow)
"""

from __future__ import annotations

from pathlib import Path

import nn
from nn import data

DOCS = Path(__file__).resolve().parent


def main() -> None:
    X, labels = data.make_moons(60, noise=0.1, seed=1)
    model = nn.MLP(2, [4, 4, 1], seed=3)
    history = nn.fit(
        model, X, data.signed_labels(labels), loss=nn.hinge_loss, optimizer=nn.SGD(model.parameters(), lr=0.3),
        epochs=40, record=True, progress=False,
    )  # fmt: skip
    print(history.animate(DOCS / "training.gif", fps=4, max_frames=20))


if __name__ == "__main__":
    main()
