"""The compiled demo step against the interactive one: `python benchmarks/compiled.py`.

micrograd's demo step (MLP(2, [16, 16, 1]), 100 moons samples, hinge loss + 1e-4 L2, SGD) three ways,
each model starting from the same weights and trained side by side:
  1. interactive: build the graph, ``backward()``, ``optimizer.step()`` (what a learner writes);
  2. compiled: ``autograd.compile`` once, then each step ``program(X, y)`` (the parameters' gradients
     land in their ``.grad``) and the same ``optimizer.step()``;
  3. compiled, flat floats: ``program.function(inputs)`` on a list of floats and an update written on
     floats, with no Value touched in the loop (the loop `nn.fit` can run).
Reports medians over interleaved rounds, their ratios, the one-off cost of tracing and compiling,
and the largest difference between the three runs' losses (they do the same arithmetic: it is 0).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
import warnings
from pathlib import Path

import autograd
import nn
from nn import data

HERE = Path(__file__).resolve().parent
ALPHA = 1e-4  # L2 strength of micrograd's demo


def demo(samples: int, seed: int = 1):
    X, labels = data.make_moons(samples, noise=0.1, seed=seed)
    return X, [float(t) for t in data.signed_labels(labels)]


def loss_of(model: nn.MLP, params: list):
    """The demo loss as a function of the batch; the model's parameters are read from the model."""

    def loss(X, y):
        scores = [model(x) for x in X]
        return nn.hinge_loss(scores, y) + ALPHA * autograd.dot(params, params)

    return loss


def interactive_step(model: nn.MLP, optimizer: nn.SGD, X, y) -> float:
    loss = loss_of(model, optimizer.params)(X, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.data


def timed(work) -> float:
    """Seconds for `work`, started with no garbage about; collections it triggers are charged to it."""
    gc.collect()
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def run(repeat: int, samples: int) -> dict:
    X, y = demo(samples)
    lr = 0.05
    models = [nn.MLP(2, [16, 16, 1], seed=1) for _ in range(3)]
    opt_interactive, opt_compiled = nn.SGD(models[0].parameters(), lr=lr), nn.SGD(models[1].parameters(), lr=lr)

    # the one-off costs, phase by phase (compile does all of them; timed apart here)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the demo has no Python branch on data: no specialisation warning
        program = autograd.compile(loss_of(models[1], opt_compiled.params), X, y, argnums=())
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    listing = autograd.trace(loss_of(models[1], opt_compiled.params), X, y, argnums=())
    trace_s = time.perf_counter() - start

    flat_program = autograd.compile(loss_of(models[2], models[2].parameters()), X, y, argnums=())
    n_data = len(flat_program.inputs) - len(flat_program.captured)
    data_floats = flat_program.flat_inputs(X, y)[:n_data]
    weights = [p.data for p in flat_program.captured]  # the parameters as floats, in the program's order

    def flat_step() -> float:
        nonlocal weights
        value, grads = flat_program.function(data_floats + weights)
        weights = [w - lr * g for w, g in zip(weights, grads)]  # the same update as SGD: p -= lr * g
        return value

    def compiled_step() -> float:
        opt_compiled.zero_grad()
        value, _ = program(X, y)
        opt_compiled.step()
        return value

    times: dict[str, list[float]] = {"interactive": [], "compiled": [], "compiled_flat": []}
    losses: dict[str, list[float]] = {k: [] for k in times}
    for _ in range(repeat):  # interleaved: each round runs every variant once
        times["interactive"].append(
            timed(lambda: losses["interactive"].append(interactive_step(models[0], opt_interactive, X, y)))
        )
        times["compiled"].append(timed(lambda: losses["compiled"].append(compiled_step())))
        times["compiled_flat"].append(timed(lambda: losses["compiled_flat"].append(flat_step())))
    ms = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    difference = max(
        max(abs(a - b) for a, b in zip(losses["interactive"], losses[k])) for k in ("compiled", "compiled_flat")
    )
    return {
        "repeat": repeat,
        "samples": samples,
        "nodes": len(autograd.topological_order(loss_of(models[0], opt_interactive.params)(X, y))),
        "program_lines": len(listing.lines),
        "ms": ms,
        "compile_s": compile_s,
        "trace_s": trace_s,
        "losses": {k: v[:3] for k, v in losses.items()},
        "max_loss_difference": difference,
    }


def report(r: dict) -> str:
    ms = r["ms"]
    rows = [
        ("interactive step (ms)", ms["interactive"], 1.0),
        ("compiled step, program(X, y) + SGD (ms)", ms["compiled"], ms["interactive"] / ms["compiled"]),
        ("compiled step, flat floats (ms)", ms["compiled_flat"], ms["interactive"] / ms["compiled_flat"]),
    ]
    lines = [
        f"- Demo step: MLP(2, [16, 16, 1]) on {r['samples']} moons samples, hinge + 1e-4 L2, SGD; "
        f"{r['nodes']:,} nodes, a program of {r['program_lines']:,} lines. "
        f"Medians of {r['repeat']} interleaved rounds.",
        "",
        f"| {'measurement':<42} | {'ms':>9} | {'interactive / this':>18} |",
        f"|{'-' * 44}|{'-' * 11}|{'-' * 20}|",
    ]
    lines += [f"| {name:<42} | {t:>9,.2f} | {ratio:>17,.1f}x |" for name, t, ratio in rows]
    lines += [
        "",
        f"- One-off cost: `autograd.compile` {r['compile_s']:.2f} s (of which writing the listing, "
        f"`autograd.trace`, {r['trace_s']:.2f} s), i.e. "
        f"{r['compile_s'] * 1e3 / ms['interactive']:.0f} interactive steps.",
        f"- Largest difference between the interactive and compiled losses over all steps: "
        f"{r['max_loss_difference']:.1e}.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that the script runs")
    parser.add_argument("--repeat", type=int, default=None, help="rounds per measurement (default 15; quick 2)")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers as JSON here")
    args = parser.parse_args(argv)
    results = run(args.repeat or (2 if args.quick else 15), samples=10 if args.quick else 100)
    print(report(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
