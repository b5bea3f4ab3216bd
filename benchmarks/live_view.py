"""What the live training view costs: `fit` on moons with MLP(2, [16, 16, 1]), plain and with
``live=True`` at the default refresh, interleaved. The view draws in the training thread, throttled
by time (at most every `refresh` seconds, and after the first picture only while drawing has used at
most 1/5 of the time spent training); the first picture and the final frame are not budgeted.

Run outside Jupyter, the view is driven exactly as in a notebook (its widgets are built and updated;
nothing displays them). Prints a table; --json writes the numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import time
from pathlib import Path

import readme  # noqa: E402 - benchmarks/readme.py, beside this script

import nn
from nn import data, live


def train(epochs: int, show: bool) -> dict[str, float]:
    X, labels = data.make_moons(100, noise=0.1, seed=1)
    model = nn.MLP(2, [16, 16, 1], seed=1)
    optimizer = nn.SGD(model.parameters(), lr=0.5)
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # outside IPython, display() would print the widget
        history = nn.fit(
            model, X, data.signed_labels(labels), loss=nn.hinge_loss, optimizer=optimizer, epochs=epochs,
            progress=False, live=show,
        )  # fmt: skip
        history.wait()
    end = time.perf_counter()
    if not show:
        return {"training": end - start, "total": end - start}
    view = history.view
    return {
        "training": view.last_epoch_at - start,  # from the call to the last epoch, first picture included
        "total": end - start,  # with the final picture as well
        "draws": view.draws,
        "draw_seconds": view.draw_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 epochs, once")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    epochs, repeat = (2, 1) if args.quick else (args.epochs, args.repeat)
    live.in_notebook = lambda: True  # build and drive the widgets as a notebook would
    train(1, show=True)  # warm-up: importing matplotlib and its first picture cost seconds, once per process
    runs: dict[str, list[dict[str, float]]] = {"plain": [], "live": []}
    for _ in range(repeat):  # interleaved, so a busy machine slows both alike
        runs["plain"].append(train(epochs, show=False))
        runs["live"].append(train(epochs, show=True))
    plain = statistics.median(r["training"] for r in runs["plain"])
    trained = statistics.median(r["training"] for r in runs["live"])
    total = statistics.median(r["total"] for r in runs["live"])
    results = {
        "epochs": epochs,
        "repeat": repeat,
        "plain_s": plain,
        "live_training_s": trained,
        "live_total_s": total,
        "training_slowdown": trained / plain - 1,
        "total_slowdown": total / plain - 1,
        "draws": statistics.median(r["draws"] for r in runs["live"]),
        "draw_s": statistics.median(r["draw_seconds"] for r in runs["live"]),
    }
    print(f"Live view cost, moons (100 samples), MLP(2, [16, 16, 1]), {epochs} epochs, median of {repeat}, on "
          f"{readme.machine()}:")  # fmt: skip
    print(f"  fit without the view:                 {plain:8.2f} s")
    print(f"  fit(live=True), to the last epoch:    {trained:8.2f} s  ({results['training_slowdown']:+.0%})")
    print(f"  fit(live=True), with the final frame: {total:8.2f} s  ({results['total_slowdown']:+.0%})")
    print(f"  pictures drawn: {results['draws']:.0f}, taking {results['draw_s']:.2f} s in all")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
