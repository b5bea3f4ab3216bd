"""The compiled demo step against the interactive one: `python benchmarks/compiled.py`.

micrograd's demo step (MLP(2, [16, 16, 1]), 100 moons samples, hinge loss + 1e-4 L2, SGD) three ways,
each model starting from the same weights and trained side by side:
  1. interactive: build the graph, ``backward()``, ``optimizer.step()`` (what a learner writes);
  2. compiled: ``autograd.compile`` once, then each step ``program(X, y)`` (the parameters' gradients
     land in their ``.grad``) and the same ``optimizer.step()``: the engine's arithmetic exactly, so
     its losses equal the interactive ones bit for bit;
  3. compiled, flat floats: ``autograd.compile(..., exact=False)`` (sums added left to right instead
     of correctly rounded), ``program.function(inputs)`` on a list of floats and an SGD update on
     floats, no Value touched in the loop. Equal to within rounding;
  4. summed, flat floats: ``autograd.compile_sum`` of one sample's loss (exact=False), a loop over the
     samples whose program is as long as one sample's, on floats with the same SGD update;
  5. ``nn.fit`` (compile=None, the default): one full-batch epoch, i.e. one step, with everything fit
     does around it (the L2 term's program, the parameters' .grad, optimizer.step(), the accuracy);
and, when `benchmarks/floor.py` is there, the straight-line float step written out by hand (the floor).
Reports medians over interleaved rounds, their ratios, the one-off cost of tracing and compiling,
and the largest differences between the runs' losses.
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

try:
    import floor  # benchmarks/floor.py, beside this script: the hand-written straight-line step
except ImportError:  # pragma: no cover - older checkouts have no floor
    floor = None

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


def sample_loss_of(model: nn.MLP):
    """One sample's hinge loss: `compile_sum` of it, weighted by 1/n, is the batch's mean loss."""

    def loss(x, t):
        return nn.hinge_loss(model(x), t)

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
    models = [nn.MLP(2, [16, 16, 1], seed=1) for _ in range(5)]
    opt_interactive, opt_compiled = nn.SGD(models[0].parameters(), lr=lr), nn.SGD(models[1].parameters(), lr=lr)
    start_weights = [p.data for p in models[0].parameters()]

    # the one-off costs: compile = trace the graph + write the listing + check and load it (+ one re-trace)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the demo has no Python branch on data: no specialisation warning
        start = time.perf_counter()
        program = autograd.compile(loss_of(models[1], opt_compiled.params), X, y, argnums=())
        compile_s = time.perf_counter() - start
        start = time.perf_counter()
        fast = autograd.compile(loss_of(models[2], models[2].parameters()), X, y, argnums=(), exact=False)
        compile_fast_s = time.perf_counter() - start
        start = time.perf_counter()
        summed = autograd.compile_sum(sample_loss_of(models[3]), X[0], y[0], exact=False)
        compile_sum_s = time.perf_counter() - start
    start = time.perf_counter()
    listing = autograd.trace(loss_of(models[1], opt_compiled.params), X, y, argnums=(), skip_zeros=True)
    trace_s = time.perf_counter() - start
    fit_model, fit_optimizer = models[4], nn.SGD(models[4].parameters(), lr=lr)

    def fit_step() -> float:
        history = nn.fit(
            fit_model, X, y, loss=nn.hinge_loss, optimizer=fit_optimizer, epochs=1, l2=ALPHA, progress=False
        )
        return history.loss[-1]

    fit_optimizer.lr = 0.0  # the first epoch traces, compiles and checks the programs: timed once, weights kept
    start = time.perf_counter()
    fit_step()
    fit_first_epoch_s = time.perf_counter() - start
    fit_optimizer.lr = lr

    n_data = len(fast.inputs) - len(fast.captured)
    data_floats = fast.flat_inputs(X, y)[:n_data]
    weights = [p.data for p in fast.captured]  # the parameters as floats, in the program's order

    def flat_step() -> float:
        nonlocal weights
        value, grads = fast.function(data_floats + weights)
        weights = [w - lr * g for w, g in zip(weights, grads)]  # SGD's update: p -= lr * g
        return value

    flat_samples = [summed.flat_sample(x, t) for x, t in zip(X, y)]
    summed_weights = [p.data for p in summed.captured]  # the parameters as floats, in the program's order
    zeros = [0.0] * len(summed_weights)

    def summed_step() -> float:
        nonlocal summed_weights
        value, grads, _ = summed.function(summed_weights, flat_samples, 1.0 / len(flat_samples), zeros)
        value += ALPHA * sum(w * w for w in summed_weights)
        summed_weights = [w - lr * (g + 2 * ALPHA * w) for w, g in zip(summed_weights, grads)]
        return value

    def compiled_step() -> float:
        opt_compiled.zero_grad()
        value, _ = program(X, y)
        opt_compiled.step()
        return value

    variants = {
        "interactive": lambda: interactive_step(models[0], opt_interactive, X, y),
        "compiled": compiled_step,
        "compiled_flat": flat_step,
        "summed_flat": summed_step,
        "fit": fit_step,
    }
    if floor is not None:
        sizes = [2, 16, 16, 1]
        floor_step, floor_weights = floor.make_step(sizes), list(start_weights)
        variants["floor"] = lambda: floor_step(floor_weights, X, y, lr, ALPHA)
    times: dict[str, list[float]] = {k: [] for k in variants}
    losses: dict[str, list[float]] = {k: [] for k in variants}
    block = 3  # consecutive steps per variant and round, timed together, as a training loop runs them
    for _ in range(repeat):  # interleaved: each round runs every variant's block once
        for name, step in variants.items():
            elapsed = timed(lambda: [losses[name].append(step()) for _ in range(block)])
            times[name].append(elapsed / block)
    ms = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    best_ms = {k: min(v) * 1e3 for k, v in times.items()}

    def largest_difference(name: str) -> float:
        return max(abs(a - b) for a, b in zip(losses["interactive"], losses[name]))

    return {
        "repeat": repeat,
        "samples": samples,
        "nodes": len(autograd.topological_order(loss_of(models[0], opt_interactive.params)(X, y))),
        "program_lines": len(listing.lines),
        "summed_lines": len(summed.source.splitlines()),
        "compile_sum_s": compile_sum_s,
        "fit_first_epoch_s": fit_first_epoch_s,
        "ms": ms,
        "best_ms": best_ms,
        "compile_s": compile_s,
        "compile_fast_s": compile_fast_s,
        "trace_s": trace_s,
        "first_losses": {k: v[0] for k, v in losses.items()},
        "max_loss_difference": {k: largest_difference(k) for k in variants if k != "interactive"},
    }


def report(r: dict) -> str:
    ms, best = r["ms"], r["best_ms"]
    names = {
        "interactive": "interactive step",
        "compiled": "compiled step: program(X, y) + SGD",
        "compiled_flat": "compiled step, flat floats, exact=False",
        "summed_flat": "compile_sum step, flat floats, exact=False",
        "fit": "nn.fit, one epoch (compile=None)",
        "floor": "the floor: straight-line floats by hand",
    }
    lines = [
        f"- Demo step: MLP(2, [16, 16, 1]) on {r['samples']} moons samples, hinge + 1e-4 L2, SGD; "
        f"{r['nodes']:,} nodes, a program of {r['program_lines']:,} lines (compile_sum: {r['summed_lines']:,}). "
        f"Medians (and best) of {r['repeat']} interleaved rounds of 3 consecutive steps each.",
        "",
        f"| {'measurement':<42} | {'median ms':>9} | {'best ms':>8} | {'interactive / this':>18} |",
        f"|{'-' * 44}|{'-' * 11}|{'-' * 10}|{'-' * 20}|",
    ]
    for key, name in names.items():
        if key in ms:
            ratio = ms["interactive"] / ms[key]
            lines.append(f"| {name:<42} | {ms[key]:>9,.2f} | {best[key]:>8,.2f} | {ratio:>17,.1f}x |")
    lines += [
        "",
        f"- One-off cost: `autograd.compile` {r['compile_s']:.2f} s ({r['compile_fast_s']:.2f} s with exact=False); "
        f"writing the listing alone (`autograd.trace`) {r['trace_s']:.2f} s; "
        f"i.e. {r['compile_fast_s'] * 1e3 / ms['interactive']:.0f} interactive steps. "
        f"`autograd.compile_sum` of one sample: {r['compile_sum_s']:.3f} s; nn.fit's first epoch (trace, compile, "
        f"one interactive step that checks the programs): {r['fit_first_epoch_s']:.3f} s.",
    ]
    if "floor" in ms:
        lines.append(
            f"- Compiled flat step / floor: {ms['compiled_flat'] / ms['floor']:.2f}x (medians), "
            f"{best['compiled_flat'] / best['floor']:.2f}x (best); compile_sum flat step / floor: "
            f"{ms['summed_flat'] / ms['floor']:.2f}x; nn.fit step / floor: {ms['fit'] / ms['floor']:.2f}x "
            f"(best {best['fit'] / best['floor']:.2f}x); interactive / floor: {ms['interactive'] / ms['floor']:.1f}x."
        )
    differences = ", ".join(f"{k} {v:.1e}" for k, v in r["max_loss_difference"].items())
    lines.append(f"- Largest difference from the interactive losses over all steps: {differences}.")
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
