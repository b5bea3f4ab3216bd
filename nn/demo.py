"""`make demo`: one small network computed and back-propagated by hand in the terminal, then a trained one.

Builds the worked example (3 inputs, 2 ReLU hidden nodes, 1 sigmoid output), prints its forward
steps and its backward chain-rule steps, trains a moons classifier with a progress bar and prints
its decision boundary, and writes out/three_layer.svg and out/backprop.html (plus out/moons.png
when matplotlib is installed: `make notebooks` and `make test` install it; the demo does not need it).
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import time
from pathlib import Path

import autograd
import nn
from autograd.files import atomic_write
from autograd.view.steps import steps_table
from nn import data, examples, plot


def have_matplotlib() -> bool:
    """True when matplotlib is installed (the demo draws out/moons.png only then; it does not need it)."""
    return importlib.util.find_spec("matplotlib") is not None


def heading(text: str) -> None:
    print(f"\n{text}\n{'=' * len(text)}")


def worked_example(out: Path) -> None:
    heading("1. The three-layer network (3 inputs, 2 ReLU hidden nodes, 1 sigmoid output)")
    model = examples.three_layer_network()
    print(model)
    prediction = examples.named_forward(model, examples.labelled_inputs())
    loss = nn.mse_loss(prediction, examples.TARGET)
    loss.label = "L"
    print(
        f"inputs {examples.INPUTS}, target {examples.TARGET}: prediction o = {prediction.data:.4f}, "
        f"loss L = (o - y)**2 = {loss.data:.4f}"
    )

    heading("2. Forward pass, then backward pass: the chain rule one edge at a time")
    print(steps_table(loss))  # runs the backward pass step by step: every .grad is now set

    graph_path = out / "three_layer.svg"
    atomic_write(graph_path, loss.draw(cluster=True).pipe(format="svg"))
    autograd.Walkthrough(loss).save(out / "backprop.html")


def train_moons(out: Path) -> None:
    heading("3. Training MLP(2, [16, 16, 1]) on 100 moons (hinge loss + L2, SGD)")
    X, labels = data.make_moons(100, noise=0.1, seed=1)
    y = data.signed_labels(labels)
    model = nn.MLP(2, [16, 16, 1], seed=1)
    print(f"{model.num_parameters()} parameters")
    start = time.perf_counter()
    history = nn.fit(
        model,
        X,
        y,
        loss=nn.hinge_loss,
        optimizer=nn.SGD(model.parameters(), lr=1.0),
        epochs=100,
        l2=1e-4,
        lr_schedule=lambda k: 1.0 - 0.9 * k / 100,
    )
    print(
        f"trained in {time.perf_counter() - start:.1f} s: loss {history.loss[-1]:.4f}, "
        f"training accuracy {history.accuracy[-1]:.0%}"
    )
    print("\nThe decision boundary: · where the model says 'lower moon' (o), blank for 'upper moon' (x)")
    print(plot.text_decision_boundary(model, X, labels))
    if have_matplotlib():
        moons_picture(model, X, labels, history, out / "moons.png")


def moons_picture(model: nn.MLP, X: list[list[float]], labels: list[int], history: nn.History, path: Path) -> None:
    """The decision boundary and the loss curve as a PNG (matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")  # no screen needed
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    plot.decision_boundary(model, X, labels, ax=left)
    left.set_title(f"decision boundary ({history.accuracy[-1]:.0%} training accuracy)")
    right.plot(range(1, history.epochs + 1), history.loss)
    right.set(title="loss per epoch", xlabel="epoch", ylabel="loss")
    figure.tight_layout()
    picture = io.BytesIO()
    figure.savefig(picture, dpi=100, format="png")
    atomic_write(path, picture.getvalue())
    plt.close(figure)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the three files (default out/)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    worked_example(args.out)
    train_moons(args.out)
    heading("4. Open these")
    files = [
        ("three_layer.svg", "the graph, with values, gradients and local derivatives"),
        ("backprop.html", "the step-through player (any browser, offline)"),
    ]
    if have_matplotlib():
        files.append(("moons.png", "the trained classifier's decision boundary and loss curve"))
    for name, what in files:
        print(f"  {args.out / name}  {what}")
    if not have_matplotlib():
        print("  (with matplotlib installed, e.g. after `make notebooks`, the demo also draws out/moons.png)")
    print("\nNotebooks: `make notebooks` starts JupyterLab on notebooks/ (01 to 04, in order).")


if __name__ == "__main__":
    main()
