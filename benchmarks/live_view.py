"""What the live training view costs: `fit` on moons with MLP(2, [16, 16, 1]), plain and with
``live=True`` at the default refresh, interleaved, for short and longer runs, with fit's default
(compiled) steps and with the interactive engine (``compile=False``, about 20x slower epochs).

The view draws in the training thread, throttled by time (at most every `refresh` seconds, and only
while drawing, the first picture and the final frame included, has used at most DRAW_BUDGET of the
time spent training; see nn/live.py). "To the last epoch" is the time from calling fit to the end
of the last epoch; "with the final frame" adds the final picture, i.e. until ``history.wait()``
returns. Each run starts after a garbage collection, so no run pays for the last one's garbage.
The last column compares CPU time (this process's threads and the Graphviz it ran), which a busy
machine disturbs less than wall time.

Run outside Jupyter, the view is driven exactly as in a notebook (its widgets are built and updated;
nothing displays them). Prints a table; --json writes the numbers; --readme also puts the table in
README.md (between its "live view cost" markers).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import statistics
import time
from pathlib import Path

import readme  # noqa: E402 - benchmarks/readme.py, beside this script

import nn
from autograd.files import atomic_write
from nn import data, live

RESULTS = Path(__file__).resolve().parent / "live_view.json"


ENGINES = {"compiled": None, "interactive": False}  # fit's compile= (None: fit's default, compiled here)
RUNS = [("compiled", 60), ("compiled", 300), ("compiled", 3000), ("interactive", 60), ("interactive", 300)]


def train(epochs: int, show: bool, engine: str = "compiled") -> dict[str, float]:
    X, labels = data.make_moons(100, noise=0.1, seed=1)
    model = nn.MLP(2, [16, 16, 1], seed=1)
    optimizer = nn.SGD(model.parameters(), lr=0.5)
    gc.collect()  # the last run's garbage (a figure holds cycles) is not collected on this run's time
    start, cpu = time.perf_counter(), live._cpu_seconds()
    with contextlib.redirect_stdout(io.StringIO()):  # outside IPython, display() would print the widget
        history = nn.fit(
            model, X, data.signed_labels(labels), loss=nn.hinge_loss, optimizer=optimizer, epochs=epochs,
            progress=False, live=show, compile=ENGINES[engine],
        )  # fmt: skip
        history.wait()
    end, cpu_end = time.perf_counter(), live._cpu_seconds()
    if not show:
        wall, used = end - start, cpu_end - cpu
        return {"training": wall, "total": wall, "cpu_training": used, "cpu_total": used}
    view = history.view
    return {
        "training": view.last_epoch_at - start,  # from the call to the last epoch, pictures during training included
        "total": end - start,  # with the final frame as well
        "cpu_training": view.last_epoch_cpu - cpu,  # the same in CPU time (Graphviz included)
        "cpu_total": cpu_end - cpu,
        "draws": view.draws,
        "draw_seconds": view.draw_seconds,
    }


def measure(engine: str, epochs: int, repeat: int) -> dict[str, float]:
    runs: dict[str, list[dict[str, float]]] = {"plain": [], "live": []}
    for _ in range(repeat):  # interleaved, so a busy machine slows both alike
        runs["plain"].append(train(epochs, show=False, engine=engine))
        runs["live"].append(train(epochs, show=True, engine=engine))
    plain = statistics.median(r["training"] for r in runs["plain"])
    trained = statistics.median(r["training"] for r in runs["live"])
    total = statistics.median(r["total"] for r in runs["live"])
    cpu_plain = statistics.median(r["cpu_training"] for r in runs["plain"])
    cpu_training = statistics.median(r["cpu_training"] for r in runs["live"]) / cpu_plain - 1
    cpu_total = statistics.median(r["cpu_total"] for r in runs["live"]) / cpu_plain - 1
    return {
        "engine": engine,
        "cpu_training_slowdown": cpu_training,
        "cpu_total_slowdown": cpu_total,
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


def report(results: dict) -> str:
    """The table, as printed and as README.md shows it."""
    lines = [
        f"Live view cost, moons (100 samples), MLP(2, [16, 16, 1]), refresh 1 s, median of {results['repeat']} "
        f"interleaved runs, on {results['machine']} (load average {results['load']:.1f}):",
        "",
        "| steps | epochs | fit | fit(live=True), to the last epoch | with the final frame "
        "| pictures (final included) | CPU time: to the last epoch, with the final frame |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results["runs"]:
        lines.append(
            f"| {r['engine']} | {r['epochs']} | {r['plain_s']:.2f} s "
            f"| {r['live_training_s']:.2f} s ({r['training_slowdown']:+.0%}) "
            f"| {r['live_total_s']:.2f} s ({r['total_slowdown']:+.0%}) | {r['draws']:.0f}, {r['draw_s']:.2f} s "
            f"| {r['cpu_training_slowdown']:+.0%}, {r['cpu_total_slowdown']:+.0%} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, nargs="+", help="these epoch counts (default: the table's runs)")
    parser.add_argument("--engine", choices=sorted(ENGINES), default="compiled", help="with --epochs")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 epochs, once")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--readme", action="store_true", help=f"write {RESULTS.name} and the README table")
    args = parser.parse_args()
    if args.quick:
        todo, repeat = [("compiled", 2)], 1
    else:
        todo, repeat = ([(args.engine, n) for n in args.epochs] if args.epochs else RUNS), args.repeat
    live.in_notebook = lambda: True  # build and drive the widgets as a notebook would
    train(1, show=True)  # warm-up: importing matplotlib and its first picture cost seconds, once per process
    load = os.getloadavg()[0]
    runs = [measure(engine, n, repeat) for engine, n in todo]
    results = {"machine": readme.machine(), "load": (load + os.getloadavg()[0]) / 2, "repeat": repeat, "runs": runs}
    print(report(results))
    if args.json:
        atomic_write(args.json, json.dumps(results, indent=1) + "\n")
    if args.readme:
        atomic_write(RESULTS, json.dumps(results, indent=1) + "\n")
        readme.update("live view cost", report(results))


if __name__ == "__main__":
    main()
