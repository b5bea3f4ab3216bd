"""chainrule against micrograd (PyPI), in one process, interleaved: `make bench`.

Measures, with medians over repeated runs:
  1. micrograd's demo training step: MLP(2, [16, 16, 1]), 100 moons, hinge loss + 1e-4 L2, SGD,
     both engines starting from the same weights (their losses are printed and must agree);
  2. the same forward pass and loss in plain floats (the floor);
  3. a chain y = relu(y * 0.9999 + 0.001), 10,000 and 1,000,000 deep: build, then backward;
  4. bytes per node of a 1,000,000-node graph (tracemalloc, and the growth of the RSS);
  5. the time to free a graph (``del loss; gc.collect()``).
"Charged for its own garbage" means the timer includes ``gc.collect()``: micrograd's closures
point back at their own nodes, so its graphs are freed only by the cycle collector.

Prints a table and writes the same numbers as JSON (benchmarks/results.json by default).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import readme  # noqa: E402 - benchmarks/readme.py, beside this script

import autograd
import nn
from nn import data

try:
    from micrograd import engine as mg_engine
    from micrograd import nn as mg_nn
except ImportError:  # pragma: no cover - the `bench` extra installs it
    sys.exit("micrograd is not installed: pip install -e '.[bench]' (make bench does this)")

HERE = Path(__file__).resolve().parent
ALPHA = 1e-4  # L2 strength of micrograd's demo


# ---- the two engines' demo steps -------------------------------------------------------------


def chainrule_step(model: nn.MLP, optimizer: nn.SGD, X, y, lr: float) -> float:
    """One step of micrograd's demo, written with chainrule's nn."""
    params = optimizer.params
    scores = [model(x) for x in X]
    loss = nn.hinge_loss(scores, y) + ALPHA * autograd.dot(params, params)
    optimizer.zero_grad()
    loss.backward()
    optimizer.lr = lr
    optimizer.step()
    return loss.data


def micrograd_step(model, X, y, lr: float) -> float:
    """One step of micrograd's demo, as its own notebook writes it."""
    inputs = [list(map(mg_engine.Value, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    model.zero_grad()
    total.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return total.data


def plain_forward(layers, params, X, y) -> float:
    """The same network and loss on plain floats: no graph, no gradients (the floor)."""
    losses = 0.0
    for x, target in zip(X, y):
        h = x
        for weights, biases, relu in layers:
            z = [sum(w * hi for w, hi in zip(row, h)) + b for row, b in zip(weights, biases)]
            h = [v if v > 0 else 0.0 for v in z] if relu else z
        losses += max(0.0, 1 - target * h[0])
    return losses / len(X) + ALPHA * sum(p * p for p in params)


def copy_weights(ours: nn.MLP, theirs) -> None:
    """micrograd lists a neuron's weights then its bias, like chainrule: copy in that order."""
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        q.data = p.data


# ---- timing helpers ----------------------------------------------------------------------------


def timed(work: Callable[[], object], *, collect_inside: bool) -> float:
    """Seconds for `work`; with collect_inside the cycle collector's cleanup is charged to it,
    otherwise the collector is off while it runs and the garbage is freed afterwards, untimed."""
    gc.collect()
    if collect_inside:
        start = time.perf_counter()
        work()
        gc.collect()
        return time.perf_counter() - start
    gc.disable()
    try:
        start = time.perf_counter()
        work()
        return time.perf_counter() - start
    finally:
        gc.enable()
        gc.collect()


def with_big_stack(work: Callable[[], object]) -> object:
    """Run `work` in a thread with a 1 GiB stack: micrograd's recursive topological sort needs it."""
    result: list[object] = []
    old_limit = sys.getrecursionlimit()
    threading.stack_size(1 << 30)
    sys.setrecursionlimit(50_000_000)
    try:
        thread = threading.Thread(target=lambda: result.append(work()))
        thread.start()
        thread.join()
    finally:
        sys.setrecursionlimit(old_limit)
        threading.stack_size(0)
    return result[0] if result else None


def chain(Value, depth: int):
    y = Value(0.5)
    for _ in range(depth):
        y = (y * 0.9999 + 0.001).relu()
    return y


def time_chain(Value, depth: int, big_stack: bool) -> tuple[float, float, float]:
    """Seconds to build the chain, to back-propagate through it, and to free it."""
    holder: list = []
    build = timed(lambda: holder.append(chain(Value, depth)), collect_inside=False)
    backward = holder[0].backward
    # micrograd's recursive topological sort needs a deep stack (and a raised recursion limit)
    back = timed((lambda: with_big_stack(backward)) if big_stack else backward, collect_inside=False)
    backward = None
    start = time.perf_counter()
    holder.clear()
    gc.collect()
    return build, back, time.perf_counter() - start


def rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return None


def count_nodes(root, parents_of) -> int:
    seen, stack = {id(root)}, [root]
    while stack:
        for p in parents_of(stack.pop()):
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


ENGINES = {
    "chainrule": (autograd.Value, lambda v: v.parents),
    "micrograd": (mg_engine.Value, lambda v: v._prev),
}


def bytes_per_node(engine: str, depth: int) -> dict[str, float | None]:
    Value, parents_of = ENGINES[engine]
    gc.collect()
    tracemalloc.start()
    root = chain(Value, depth)
    traced = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    nodes = count_nodes(root, parents_of)
    del root
    gc.collect()
    before = rss_bytes()
    root = chain(Value, depth)
    after = rss_bytes()
    del root
    gc.collect()
    return {
        "nodes": nodes,
        "tracemalloc": traced / nodes,
        "rss": None if before is None else (after - before) / nodes,
    }


# ---- the run -----------------------------------------------------------------------------------


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1e3


def run(repeat: int, samples: int, depths: tuple[int, int], memory_nodes: int) -> dict:
    X, labels = data.make_moons(samples, noise=0.1, seed=1)
    y = data.signed_labels(labels)
    ours, ours_gc_off = nn.MLP(2, [16, 16, 1], seed=1), nn.MLP(2, [16, 16, 1], seed=1)
    theirs, theirs_gc_off = mg_nn.MLP(2, [16, 16, 1]), mg_nn.MLP(2, [16, 16, 1])
    copy_weights(ours, theirs)
    copy_weights(ours, theirs_gc_off)
    optimizer, optimizer_gc_off = nn.SGD(ours.parameters(), lr=1.0), nn.SGD(ours_gc_off.parameters(), lr=1.0)
    layers = [
        ([[w.data for w in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons], layer.activation == "relu")
        for layer in ours.layers
    ]
    params = [p.data for p in ours.parameters()]

    times: dict[str, list[float]] = {k: [] for k in ("ours", "ours_gc_off", "micrograd", "micrograd_gc_off", "plain")}
    losses: dict[str, list[float]] = {"chainrule": [], "micrograd": []}
    for k in range(repeat):  # interleaved: every round runs each measurement once, one training step each
        lr = 1.0 - 0.9 * k / 100
        times["plain"].append(timed(lambda: plain_forward(layers, params, X, y), collect_inside=False))
        times["ours"].append(
            timed(lambda: losses["chainrule"].append(chainrule_step(ours, optimizer, X, y, lr)), collect_inside=True)
        )
        times["micrograd"].append(
            timed(lambda: losses["micrograd"].append(micrograd_step(theirs, X, y, lr)), collect_inside=True)
        )
        times["ours_gc_off"].append(
            timed(lambda: chainrule_step(ours_gc_off, optimizer_gc_off, X, y, lr), collect_inside=False)
        )
        times["micrograd_gc_off"].append(timed(lambda: micrograd_step(theirs_gc_off, X, y, lr), collect_inside=False))

    results: dict = {"machine": readme.machine(), "repeat": repeat, "samples": samples}
    first = (losses["chainrule"][0], losses["micrograd"][0])
    results["demo_step"] = {
        "first_loss": {"chainrule": first[0], "micrograd": first[1]},
        "first_loss_difference": abs(first[0] - first[1]),
        "max_loss_difference": max(abs(a - b) for a, b in zip(losses["chainrule"], losses["micrograd"])),
        "ms": {name: median_ms(v) for name, v in times.items()},
    }

    chains = {}
    for depth in depths:
        row = {}
        for engine, (Value, _) in ENGINES.items():
            rounds = repeat if depth <= 100_000 else 1
            builds, backwards, frees = zip(*(time_chain(Value, depth, engine == "micrograd") for _ in range(rounds)))
            row[engine] = {
                "build_ms": median_ms(builds),
                "backward_ms": median_ms(backwards),
                "free_ms": median_ms(frees),
                "backward_ns_per_step": median_ms(backwards) * 1e6 / depth,
            }
        chains[str(depth)] = row
    results["chain"] = chains

    results["memory"] = {engine: bytes_per_node(engine, memory_nodes // 5) for engine in ENGINES}

    frees: dict[str, list[float]] = {"chainrule": [], "micrograd": []}
    for _ in range(repeat):
        for engine, make in (
            ("chainrule", lambda: nn.hinge_loss([ours(x) for x in X], y)),
            (
                "micrograd",
                lambda: sum(
                    (1 + -yi * si).relu() for yi, si in zip(y, map(theirs, [list(map(mg_engine.Value, r)) for r in X]))
                ),
            ),
        ):
            gc.collect()
            loss = make()
            start = time.perf_counter()
            del loss
            gc.collect()
            frees[engine].append(time.perf_counter() - start)
    results["free_ms"] = {engine: median_ms(v) for engine, v in frees.items()}
    return results


def report(r: dict) -> str:
    ms = r["demo_step"]["ms"]
    chain_rows = []
    for depth, row in r["chain"].items():
        a, b = row["chainrule"], row["micrograd"]
        chain_rows += [
            (f"chain {int(depth):,}: build (ms)", a["build_ms"], b["build_ms"]),
            (f"chain {int(depth):,}: backward (ms)", a["backward_ms"], b["backward_ms"]),
        ]
    mem = r["memory"]
    rows = [
        ("demo step, garbage charged (ms)", ms["ours"], ms["micrograd"]),
        ("demo step, collector off (ms)", ms["ours_gc_off"], ms["micrograd_gc_off"]),
        *chain_rows,
        ("bytes per node (tracemalloc)", mem["chainrule"]["tracemalloc"], mem["micrograd"]["tracemalloc"]),
    ]
    if mem["chainrule"]["rss"] is not None:
        rows.append(("bytes per node (RSS growth)", mem["chainrule"]["rss"], mem["micrograd"]["rss"]))
    rows.append(("free a demo graph (ms)", r["free_ms"]["chainrule"], r["free_ms"]["micrograd"]))
    lines = [
        f"- Machine: {r['machine']}.",
        f"- Medians of {r['repeat']} interleaved runs; the demo step trains on {r['samples']} moons samples.",
        f"- First demo loss: chainrule {r['demo_step']['first_loss']['chainrule']:.12f}, "
        f"micrograd {r['demo_step']['first_loss']['micrograd']:.12f} "
        f"(difference {r['demo_step']['first_loss_difference']:.1e}; largest over all "
        f"{r['repeat']} steps {r['demo_step']['max_loss_difference']:.1e}).",
        "",
        f"| {'measurement':<36} | {'chainrule':>11} | {'micrograd':>11} | {'micrograd / chainrule':>21} |",
        f"|{'-' * 38}|{'-' * 13}|{'-' * 13}|{'-' * 23}|",
    ]
    for name, a, b in rows:
        ratio = f"{b / a:>20,.1f}x" if a > 0 else f"{'n/a':>21}"
        lines.append(f"| {name:<36} | {a:>11,.2f} | {b:>11,.2f} | {ratio} |")
    lines += [
        "",
        "- chainrule charged for its garbage vs micrograd with its collector off (garbage freed untimed): "
        f"{ms['micrograd_gc_off'] / ms['ours']:.1f}x faster.",
        f"- The same forward pass and loss in plain floats (no graph): {ms['plain']:.2f} ms; a chainrule step "
        f"(forward + backward + update) costs {ms['ours'] / ms['plain']:.1f}x that "
        f"({ms['ours_gc_off'] / ms['plain']:.1f}x with the collector off).",
        "- chainrule's bytes per node are "
        f"{mem['chainrule']['tracemalloc'] / mem['micrograd']['tracemalloc']:.0%} of micrograd's (tracemalloc).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that the script runs")
    parser.add_argument("--repeat", type=int, default=None, help="rounds per measurement (default 15; quick 2)")
    parser.add_argument("--json", type=Path, default=HERE / "results.json", help="where to write the JSON")
    parser.add_argument("--update-readme", action="store_true", help="put the table into README.md")
    args = parser.parse_args(argv)
    if args.quick:
        results = run(args.repeat or 2, samples=10, depths=(100, 1_000), memory_nodes=5_000)
    else:
        results = run(args.repeat or 15, samples=100, depths=(10_000, 1_000_000), memory_nodes=1_000_000)
    print(report(results))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.json}")
    if args.update_readme:
        readme.update("benchmark table", report(results))
        print(f"updated {readme.README}")


if __name__ == "__main__":
    main()
