"""chainrule against its floor, today's engine, micrograd and PyTorch, in one process: `make bench`.

Every measurement runs in the same process, interleaved (each round runs every engine's step once),
and the table reports medians of the process's CPU time. The machine is shared and small, so read
the *ratios*, not the milliseconds: every engine is slowed alike by whatever else runs.

  1. The demo training step (micrograd's: MLP(2, [16, 16, 1]), 100 moons samples, hinge loss +
     1e-4 L2, plain SGD), every engine starting from the same weights, losses compared each step:
       - chainrule's interactive step (the graph a learner builds, draws and steps), and `nn.fit`'s;
       - today's chainrule: the engine frozen in benchmarks/baseline/ (commit 14e3a22);
       - `nn.fit()` (compile=None, the default): the compiled replay (`autograd.compile_sum`);
       - the floor: the same step as generated straight-line Python on plain floats (floor.py),
         and today's plain-float forward pass alone;
       - micrograd, PyTorch with 0-dim tensors, PyTorch batched float64 (one thread).
     "Garbage charged" means the timer includes ``gc.collect()``: micrograd's closures point back at
     their own nodes, so its graphs are freed only by the cycle collector. Objects made before the
     rounds start are frozen (`gc.freeze()`), so a collection costs what the step's garbage costs.
  2. A cProfile breakdown of one interactive step by phase (and of today's, for comparison).
  3. Per-node time of a chain y = relu(y * 0.9999 + 0.001) at 1e4, 1e5 and 1e6 nodes, collector on
     (and the build inside `autograd.collector_paused()`).
  4. A sum of 1,000,000 terms: building the one node, and back-propagating through it.
  5. Bytes per node of a chain graph (tracemalloc), against micrograd's.

Prints the report and writes the numbers as JSON (benchmarks/results.json by default).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import json
import pstats
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import floor  # noqa: E402 - benchmarks/floor.py, beside this script
import readme  # noqa: E402 - benchmarks/readme.py, beside this script
from baseline import demo as baseline_demo
from baseline import value as baseline_value

import autograd
import nn
from nn import data

try:
    from micrograd import engine as mg_engine
    from micrograd import nn as mg_nn
except ImportError:  # pragma: no cover - the `bench` extra installs it
    sys.exit("micrograd is not installed: pip install -e '.[bench]' (make bench does this)")

try:
    import torch
except ImportError:  # PyTorch is optional: its rows are left out
    torch = None

HERE = Path(__file__).resolve().parent
# CPU time of this process, not wall time: the machine is shared, and time spent waiting while
# another program runs would be charged to whichever engine happened to be running.
clock = time.process_time
ALPHA = 1e-4  # L2 strength of micrograd's demo
SIZES = [2, 16, 16, 1]

# (measurement, target) for the summary: each is the median of a ratio measured in every round of one run.
TARGETS = {
    "interactive step / today's chainrule": ("<=", 0.5),
    "interactive step / floor": ("<=", 18.0),
    "compiled fit step / floor": ("<=", 2.0),
    "micrograd (garbage charged) / interactive step": (">=", 60.0),
    "1e6-term sum: backward / build": ("<=", 2.0),
    "bytes per node / micrograd's": ("<=", 0.25),
}

# The engines whose ratios are targets, run first in every round, side by side (see demo_step).
RUN_FIRST = ("today", "interactive (nn.fit)", "floor", "compiled (nn.fit)")


# ---- the demo step, written for each engine ---------------------------------------------------


def interactive_step(model: nn.MLP, optimizer: nn.SGD, X, y, lr: float) -> float:
    """One step of micrograd's demo, written with chainrule's nn the way a learner writes it."""
    params = optimizer.params
    scores = [model(x) for x in X]
    loss = nn.hinge_loss(scores, y) + ALPHA * autograd.dot(params, params)
    optimizer.zero_grad()
    loss.backward()
    optimizer.lr = lr
    optimizer.step()
    return loss.data


def fit_step(model: nn.MLP, optimizer: nn.SGD, X, y, lr: float, compiled: bool | None) -> float:
    """One full-batch epoch of `nn.fit` (one step) with or without the compiled replay."""
    optimizer.lr = lr
    history = nn.fit(
        model, X, y, loss=nn.hinge_loss, optimizer=optimizer, epochs=1, l2=ALPHA, progress=False, compile=compiled
    )
    return history.loss[-1]


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
    """Today's plain-float floor: the forward pass and loss only, no gradients, no update."""
    losses = 0.0
    for x, target in zip(X, y):
        h = x
        for weights, biases, relu in layers:
            z = [sum(w * hi for w, hi in zip(row, h)) + b for row, b in zip(weights, biases)]
            h = [v if v > 0 else 0.0 for v in z] if relu else z
        losses += max(0.0, 1 - target * h[0])
    return losses / len(X) + ALPHA * sum(p * p for p in params)


class TorchScalar:
    """The demo step in PyTorch with one 0-dim float64 tensor per weight (a scalar engine's way)."""

    def __init__(self, model: nn.MLP) -> None:
        def scalar(v: float):
            return torch.tensor(v, dtype=torch.float64, requires_grad=True)

        self.layers = [
            [([scalar(w.data) for w in n.w], scalar(n.b.data), n.activation == "relu") for n in layer.neurons]
            for layer in model.layers
        ]
        self.params = [p for layer in self.layers for w, b, _ in layer for p in (*w, b)]

    def step(self, X, y, lr: float) -> float:
        total = 0
        for x, target in zip(X, y):
            h = [torch.tensor(v, dtype=torch.float64) for v in x]
            for layer in self.layers:
                h = [self._neuron(w, b, relu, h) for w, b, relu in layer]
            total = total + torch.relu(1 - target * h[0])
        loss = total * (1.0 / len(X)) + ALPHA * sum(p * p for p in self.params)
        for p in self.params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in self.params:
                p -= lr * p.grad
        return loss.item()

    @staticmethod
    def _neuron(w, b, relu, h):
        z = b + sum(wi * hi for wi, hi in zip(w, h))
        return torch.relu(z) if relu else z


class TorchBatched:
    """The demo step in PyTorch on float64 matrices: the whole batch at once (one thread)."""

    def __init__(self, model: nn.MLP, X, y) -> None:
        self.weights = []
        for layer in model.layers:
            W = torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64, requires_grad=True)
            b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64, requires_grad=True)
            self.weights.append((W, b, layer.activation == "relu"))
        self.params = [p for W, b, _ in self.weights for p in (W, b)]
        self.X = torch.tensor(X, dtype=torch.float64)
        self.y = torch.tensor(y, dtype=torch.float64)

    def step(self, lr: float) -> float:
        h = self.X
        for W, b, relu in self.weights:
            h = h @ W.T + b
            if relu:
                h = torch.relu(h)
        loss = torch.relu(1 - self.y * h[:, 0]).mean() + ALPHA * sum((p * p).sum() for p in self.params)
        for p in self.params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in self.params:
                p -= lr * p.grad
        return loss.item()


def copy_weights(ours: nn.MLP, theirs) -> None:
    """micrograd lists a neuron's weights then its bias, like chainrule: copy in that order."""
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        q.data = p.data


def compile_available() -> bool:
    return hasattr(autograd, "compile")


# ---- timing helpers ----------------------------------------------------------------------------


def timed(work: Callable[[], object], *, collect_inside: bool) -> float:
    """Seconds for `work`; with collect_inside the collector runs as usual and a final
    ``gc.collect()`` is charged to it, otherwise the collector is off while it runs and the garbage
    is freed afterwards, untimed."""
    gc.collect()
    if collect_inside:
        start = clock()
        work()
        gc.collect()
        return clock() - start
    gc.disable()
    try:
        start = clock()
        work()
        return clock() - start
    finally:
        gc.enable()
        gc.collect()


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1e3


# ---- 1. the demo step ----------------------------------------------------------------------------


def demo_step(repeat: int, samples: int) -> dict:
    X, labels = data.make_moons(samples, noise=0.1, seed=1)
    y = data.signed_labels(labels)
    start = nn.MLP(2, SIZES[1:], seed=1)

    def fresh() -> tuple[nn.MLP, nn.SGD]:
        model = nn.MLP(2, SIZES[1:], seed=1)
        return model, nn.SGD(model.parameters(), lr=1.0)

    engines: dict[str, Callable[[float], float]] = {}
    collect: dict[str, bool] = {}

    def add(name: str, step: Callable[[float], float], *, garbage_charged: bool) -> None:
        engines[name], collect[name] = step, garbage_charged

    for charged, suffix in ((True, ""), (False, " (collector off)")):
        model, optimizer = fresh()
        add(
            "interactive, written out" + suffix,
            lambda lr, m=model, o=optimizer: interactive_step(m, o, X, y, lr),
            garbage_charged=charged,
        )
        today = baseline_demo.MLP(start)
        today_params = today.parameters()
        add(
            "today" + suffix,
            lambda lr, m=today, p=today_params: baseline_demo.step(m, p, X, y, lr, ALPHA),
            garbage_charged=charged,
        )
        theirs = mg_nn.MLP(2, SIZES[1:])
        copy_weights(start, theirs)
        add("micrograd" + suffix, lambda lr, m=theirs: micrograd_step(m, X, y, lr), garbage_charged=charged)
    model, optimizer = fresh()
    add("interactive (nn.fit)", lambda lr, m=model, o=optimizer: fit_step(m, o, X, y, lr, False), garbage_charged=True)
    compile_seconds = None
    if compile_available():
        model, optimizer = fresh()
        started = clock()  # the first epoch traces and compiles: timed once, outside the rounds
        fit_step(model, optimizer, X, y, 0.0, None)  # lr 0: the weights stay where the other engines start
        compile_seconds = clock() - started
        add("compiled (nn.fit)", lambda lr, m=model, o=optimizer: fit_step(m, o, X, y, lr, None), garbage_charged=True)
    flat = [p.data for p in start.parameters()]
    straight_line = floor.make_step(SIZES)
    add("floor", lambda lr: straight_line(flat, X, y, lr, ALPHA), garbage_charged=True)
    layers = [
        ([[w.data for w in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons], layer.activation == "relu")
        for layer in start.layers
    ]
    start_params = [p.data for p in start.parameters()]
    add("plain forward only", lambda lr: plain_forward(layers, start_params, X, y), garbage_charged=True)
    if torch is not None:
        torch.set_num_threads(1)
        scalar, batched = TorchScalar(start), TorchBatched(start, X, y)
        add("PyTorch 0-dim tensors", lambda lr: scalar.step(X, y, lr), garbage_charged=True)
        add("PyTorch batched float64", batched.step, garbage_charged=True)

    gc.collect()
    gc.freeze()  # the models, data and imports are permanent: a collection costs what the step's garbage costs
    times: dict[str, list[float]] = {name: [] for name in engines}
    losses: dict[str, list[float]] = {name: [] for name in engines}
    # The engines of a target's ratio run side by side in every round (the machine's speed drifts over
    # seconds), in one order in even rounds and the reverse in odd ones, so that neither always runs
    # second; micrograd runs after them (an engine run right after micrograd's 1.4 s of allocations is
    # measurably slower), then the rest. The table keeps the order the engines were added in.
    first = [name for name in RUN_FIRST if name in engines]
    rest = [name for name in engines if name not in first and name != "micrograd"]
    try:
        for k in range(repeat):  # interleaved: every round runs each engine's step once
            lr = 1.0 - 0.9 * k / 100
            for name in [*(first if k % 2 == 0 else first[::-1]), "micrograd", *rest]:
                step = engines[name]
                result: list[float] = []
                times[name].append(timed(lambda: result.append(step(lr)), collect_inside=collect[name]))
                losses[name].append(result[0])
    finally:
        gc.unfreeze()

    reference = losses["interactive, written out"]
    differences = {}
    for name, seen in losses.items():
        if name == "plain forward only":  # a forward pass at the starting weights: its first loss only
            differences[name] = abs(seen[0] - reference[0])
        else:
            differences[name] = max(abs(a - b) for a, b in zip(seen, reference, strict=True))
    return {
        "ms": {name: median_ms(v) for name, v in times.items()},
        "rounds_ms": {name: [t * 1e3 for t in v] for name, v in times.items()},
        "first_loss": reference[0],
        "max_loss_difference": differences,
        "compile_first_epoch_s": compile_seconds,
        "nodes": count_nodes(nn.hinge_loss([start(x) for x in X], y) + ALPHA * autograd.dot(*[start.parameters()] * 2)),
    }


# ---- 2. where the interactive step spends its time ------------------------------------------------


def profile_breakdown(samples: int, engine: str) -> dict:
    """cProfile one step split into phases: forward, zero_grad, backward (order / loop), update, free.

    The interactive step is `nn.fit`'s (the MLP's graph made over the batch, on a tape); today's is
    that commit's training loop."""
    X, labels = data.make_moons(samples, noise=0.1, seed=1)
    y = data.signed_labels(labels)
    model = nn.MLP(2, SIZES[1:], seed=1)
    if engine == "today":
        today = baseline_demo.MLP(model)
        params = today.parameters()
        graph_file = baseline_value.graph.__file__

        def forward():
            scores = [today(x) for x in X]
            return baseline_demo.hinge_loss(scores, y) + ALPHA * baseline_value.dot(params, params)

        def update():
            for p in params:
                p.data -= 0.1 * p.grad
    else:
        optimizer = nn.SGD(model.parameters(), lr=0.1)
        params = optimizer.params
        graph_file = autograd.graph.__file__

        def forward():
            scores = model.forward_batch(X)  # as nn.fit makes them
            return nn.hinge_loss(scores, y) + ALPHA * autograd.dot(params, params)

        def update():
            optimizer.step()

    def zero_grad():
        for p in params:
            p.grad = 0.0

    def backward(loss):
        loss.backward()

    def free(holder, recording):
        holder.clear()  # the graph is acyclic: reference counting frees it here
        recording.__exit__(None, None, None)  # (the tape lets go of its nodes)

    def one_step():
        recording = autograd.value.tape() if engine == "now" else contextlib.nullcontext()
        recording.__enter__()  # nn.fit records each step on a tape: backward reads its order off it
        holder = [forward()]
        zero_grad()
        backward(holder[0])
        update()
        free(holder, recording)

    gc.collect()
    gc.disable()  # the collector's share is measured by the garbage-charged rows, not here
    profiler = cProfile.Profile(clock)
    try:
        for _ in range(3):
            profiler.runcall(one_step)
    finally:
        gc.enable()
    stats = pstats.Stats(profiler).stats
    cumulative = {}
    order_time = 0.0
    for (filename, _, name), (_, _, _, cumtime, callers) in stats.items():
        if name in ("forward", "zero_grad", "backward", "update", "free") and filename == __file__:
            cumulative[name] = cumtime
        if filename == graph_file and any(caller[2] in ("backward", "_backward_order") for caller in callers):
            order_time += cumtime  # graph functions that backward() calls: finding the order
    phases = {
        "forward": cumulative["forward"],
        "topological order": order_time,
        "backward loop": cumulative["backward"] - order_time,
        "free": cumulative["free"],
        "update": cumulative["update"],
        "zero_grad": cumulative["zero_grad"],
    }
    total = sum(phases.values())
    top = sorted(stats.items(), key=lambda item: -item[1][2])[:6]
    return {
        "share": {name: t / total for name, t in phases.items()},
        "top_functions": [(f"{Path(f).name}:{fn}", tot / total) for (f, _, fn), (_, _, tot, _, _) in top],
    }


# ---- 3. per-node cost as graphs grow; 4. a sum of a million terms; 5. memory ------------------------


def chain(Value, steps: int):
    y = Value(0.5)
    for _ in range(steps):
        y = (y * 0.9999 + 0.001).relu()
    return y


NODES_PER_CHAIN_STEP = 5  # two constants, *, +, relu


def per_node(Value, nodes: int, paused=contextlib.nullcontext) -> tuple[float, float]:
    """Nanoseconds per node to build a chain of `nodes` nodes (collector on, or inside `paused()`) and
    to back-propagate (which pauses it itself)."""
    gc.collect()
    start = clock()
    with paused():
        root = chain(Value, nodes // NODES_PER_CHAIN_STEP)
    built = clock()
    root.backward()
    done = clock()
    del root
    gc.collect()
    return (built - start) * 1e9 / nodes, (done - built) * 1e9 / nodes


def scaling(sizes: tuple[int, ...], repeat: int) -> dict:
    out = {}
    for nodes in sizes:
        rounds = {"now": [], "today": [], "now, collector paused": []}
        for _ in range(repeat if nodes < 1_000_000 else max(1, min(repeat, 3))):
            for name, Value in (("now", autograd.Value), ("today", baseline_value.Value)):
                rounds[name].append(per_node(Value, nodes))
            rounds["now, collector paused"].append(per_node(autograd.Value, nodes, autograd.collector_paused))
        out[str(nodes)] = {
            name: {
                "build_ns": statistics.median(b for b, _ in r),
                "backward_ns": statistics.median(k for _, k in r),
            }
            for name, r in rounds.items()
        }
    return out


def big_sum(terms: int, repeat: int) -> dict:
    """Build time of one `sum` node over `terms` leaves, and its backward time (collector on)."""
    out = {}
    for name, module in (("now", autograd), ("today", baseline_value)):
        leaves = [module.Value(float(i % 7)) for i in range(terms)]
        builds, backwards = [], []
        for _ in range(repeat):  # (build and backward one after the other: their ratio is taken per round)
            for leaf in leaves:  # each round is a first backward: no gradients from earlier rounds to set aside
                leaf.grad = 0.0
            gc.collect()
            start = clock()
            total = module.sum(leaves)
            built = clock()
            total.backward()
            done = clock()
            builds.append(built - start)
            backwards.append(done - built)
            del total
        del leaves
        gc.collect()
        out[name] = {
            "build_ms": median_ms(builds),
            "backward_ms": median_ms(backwards),
            "ratio": statistics.median(k / b for k, b in zip(backwards, builds)),
        }
    return out


def count_nodes(root, parents_of=lambda v: v.parents) -> int:
    seen, stack = {id(root)}, [root]
    while stack:
        for p in parents_of(stack.pop()):
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def bytes_per_node(Value, parents_of, nodes: int) -> float:
    gc.collect()
    tracemalloc.start()
    root = chain(Value, nodes // NODES_PER_CHAIN_STEP)
    traced = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    count = count_nodes(root, parents_of)
    del root
    gc.collect()
    return traced / count


def memory(nodes: int) -> dict:
    return {
        "now": bytes_per_node(autograd.Value, lambda v: v.parents, nodes),
        "today": bytes_per_node(baseline_value.Value, lambda v: v.parents, nodes),
        "micrograd": bytes_per_node(mg_engine.Value, lambda v: v._prev, nodes),
    }


# ---- the run and the report ------------------------------------------------------------------------


PARTS = ("demo", "profile", "per_node", "sum", "memory")


def run(
    repeat: int, samples: int, sizes: tuple[int, ...], sum_terms: int, memory_nodes: int, only: tuple[str, ...] = PARTS
) -> dict:
    """Every part of the benchmark (or the parts named in `only`, for iterating on one of them)."""
    results: dict = {"machine": readme.machine(), "repeat": repeat, "samples": samples}
    results["torch"] = None if torch is None else torch.__version__
    if "demo" in only:
        results["demo_step"] = demo_step(repeat, samples)
    if "profile" in only:
        results["profile"] = {engine: profile_breakdown(samples, engine) for engine in ("now", "today")}
    if "per_node" in only:
        results["per_node"] = scaling(sizes, repeat)
    if "sum" in only:
        results["sum"] = big_sum(sum_terms, max(1, min(repeat, 5)))
        results["sum"]["terms"] = sum_terms
    if "memory" in only:
        results["memory"] = memory(memory_nodes)
    if only == PARTS:
        results["targets"] = ratios(results)
    return results


def paired(rounds: dict[str, list[float]], a: str, b: str) -> float | None:
    """The median over rounds of a's time / b's time in that round (None if either did not run).

    Each round runs a and b one right after the other, so a ratio compares them at one speed of the
    machine; the median of the ratios is steadier than the ratio of the medians, which can pair a
    fast round of one engine with a slow round of the other."""
    if a not in rounds or b not in rounds:
        return None
    return statistics.median(x / y for x, y in zip(rounds[a], rounds[b], strict=True))


def demo_ratios(d: dict) -> dict[str, float | None]:
    """The demo step's targets: medians of per-round ratios."""
    rounds = d["rounds_ms"]
    return {
        "interactive step / today's chainrule": paired(rounds, "interactive (nn.fit)", "today"),
        "interactive step / floor": paired(rounds, "interactive (nn.fit)", "floor"),
        "compiled fit step / floor": paired(rounds, "compiled (nn.fit)", "floor"),
        "micrograd (garbage charged) / interactive step": paired(rounds, "micrograd", "interactive (nn.fit)"),
    }


def ratios(r: dict) -> dict[str, float | None]:
    return {
        **demo_ratios(r["demo_step"]),
        "1e6-term sum: backward / build": r["sum"]["now"]["ratio"],
        "bytes per node / micrograd's": r["memory"]["now"] / r["memory"]["micrograd"],
    }


def ratios_of_medians(r: dict) -> dict[str, float | None]:
    """The same targets as ratios of the medians (shown beside them, for comparison)."""
    ms = r["demo_step"]["ms"]
    compiled = ms.get("compiled (nn.fit)")
    interactive = ms["interactive (nn.fit)"]
    return {
        "interactive step / today's chainrule": interactive / ms["today"],
        "interactive step / floor": interactive / ms["floor"],
        "compiled fit step / floor": None if compiled is None else compiled / ms["floor"],
        "micrograd (garbage charged) / interactive step": ms["micrograd"] / interactive,
        "1e6-term sum: backward / build": r["sum"]["now"]["backward_ms"] / r["sum"]["now"]["build_ms"],
        "bytes per node / micrograd's": r["memory"]["now"] / r["memory"]["micrograd"],
    }


def report(r: dict) -> str:
    d = r["demo_step"]
    ms = d["ms"]
    lines = [
        f"- Machine: {r['machine']}; PyTorch {r['torch'] or 'not installed'}. A shared machine: read the ratios.",
        f"- {r['repeat']} interleaved rounds (CPU time), ratios are medians of per-round ratios; the demo step "
        f"trains MLP(2, [16, 16, 1]) on "
        f"{r['samples']} moons samples ({d['nodes']:,} nodes per step); first loss {d['first_loss']:.12f}, "
        f"largest difference from chainrule's loss over all steps: "
        f"{max(d['max_loss_difference'].values()):.1e}.",
        "",
        "| target (same run) | median of per-round ratios | ratio of medians | target | met |",
        "|---|---|---|---|---|",
    ]
    of_medians = ratios_of_medians(r)
    for name, value in r["targets"].items():
        sign, bound = TARGETS[name]
        if value is None:
            lines.append(f"| {name} | not measured | - | {sign} {bound:g} | - |")
            continue
        met = value <= bound if sign == "<=" else value >= bound
        lines.append(
            f"| {name} | {value:,.2f} | {of_medians[name]:,.2f} | {sign} {bound:g} | {'yes' if met else 'no'} |"
        )
    lines += [
        "",
        "- *interactive (nn.fit)*: one full-batch epoch of `nn.fit(compile=False)`, the graph a learner draws,",
        "  built and back-propagated every step (fit makes the MLP's nodes a layer at a time over the batch,",
        "  records them on a tape so backward needs no search, and pauses the cycle collector); *written out*:",
        "  the same step as a hand-written loop with the collector on; *today*: the same, on the engine of",
        "  commit 14e3a22 (benchmarks/baseline); *floor*: generated straight-line Python on plain floats.",
        "",
        "| demo step | ms (median) | ÷ floor | ÷ today | loss difference |",
        "|---|---|---|---|---|",
    ]
    rounds = d["rounds_ms"]
    for name, value in ms.items():
        lines.append(
            f"| {name} | {value:,.2f} | {paired(rounds, name, 'floor'):,.1f} | {paired(rounds, name, 'today'):,.2f} "
            f"| {d['max_loss_difference'][name]:.1e} |"
        )
    if d["compile_first_epoch_s"] is not None:
        lines.append("")
        lines.append(
            f"- The compiled fit's first epoch (trace + compile + one step): {d['compile_first_epoch_s']:.2f} s."
        )
        compiled = "compiled (nn.fit)"
        against = [f"÷ floor {paired(rounds, compiled, 'floor'):.2f}"]
        if "PyTorch batched float64" in ms:
            against.append(f"÷ PyTorch batched float64 {paired(rounds, compiled, 'PyTorch batched float64'):.2f}")
        against.append(f"micrograd (garbage charged) ÷ it {paired(rounds, 'micrograd', compiled):,.0f}")
        lines.append(f"- The compiled fit step (`nn.fit`'s default, compile=None): {'; '.join(against)}.")
    lines += ["", "| where one step goes (cProfile, collector off) | interactive | today's |", "|---|---|---|"]
    now, then = r["profile"]["now"]["share"], r["profile"]["today"]["share"]
    for phase in now:
        lines.append(f"| {phase} | {now[phase]:.0%} | {then[phase]:.0%} |")
    lines += [
        "",
        "| chain, collector on | build ns/node (now) | backward ns/node (now) | build (today) | backward (today) "
        "| build in `collector_paused()` |",
        "|---|---|---|---|---|---|",
    ]
    for nodes, row in r["per_node"].items():
        a, b, c = row["now"], row["today"], row["now, collector paused"]
        lines.append(
            f"| {int(nodes):,} nodes | {a['build_ns']:,.0f} | {a['backward_ns']:,.0f} | "
            f"{b['build_ns']:,.0f} | {b['backward_ns']:,.0f} | {c['build_ns']:,.0f} |"
        )
    s, mem = r["sum"], r["memory"]
    lines += [
        "",
        f"- A sum of {s['terms']:,} terms: build {s['now']['build_ms']:,.1f} ms, backward "
        f"{s['now']['backward_ms']:,.1f} ms (today: {s['today']['build_ms']:,.1f} ms and "
        f"{s['today']['backward_ms']:,.1f} ms).",
        f"- Bytes per node of a chain graph (tracemalloc): {mem['now']:.1f} (today {mem['today']:.1f}, "
        f"micrograd {mem['micrograd']:.1f}).",
    ]
    return "\n".join(lines)


def partial_report(r: dict) -> dict:
    """The parts measured by an --only run, with the ratios they allow (no JSON file, no README)."""
    out = {key: r[key] for key in ("demo_step", "profile", "per_node", "sum", "memory") if key in r}
    if "demo_step" in r:
        out["ratios"] = demo_ratios(r["demo_step"])
    if "sum" in r:
        out.setdefault("ratios", {})["1e6-term sum: backward / build"] = r["sum"]["now"]["ratio"]
    if "memory" in r:
        out.setdefault("ratios", {})["bytes per node / micrograd's"] = r["memory"]["now"] / r["memory"]["micrograd"]
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that the script runs")
    parser.add_argument("--repeat", type=int, default=None, help="rounds per measurement (default 15; quick 2)")
    parser.add_argument("--json", type=Path, default=HERE / "results.json", help="where to write the JSON")
    parser.add_argument("--update-readme", action="store_true", help="put the report into README.md")
    parser.add_argument(
        "--only", default=",".join(PARTS), help=f"comma-separated parts to run while iterating (of {', '.join(PARTS)})"
    )
    args = parser.parse_args(argv)
    only = tuple(part for part in PARTS if part in args.only.split(","))
    if set(args.only.split(",")) - set(PARTS):
        parser.error(f"--only takes parts among {', '.join(PARTS)}, got {args.only!r}")
    if args.update_readme and only != PARTS:
        parser.error("--update-readme needs every part (leave out --only)")
    if args.quick:
        results = run(args.repeat or 2, samples=8, sizes=(500, 1_000), sum_terms=1_000, memory_nodes=5_000, only=only)
    else:
        results = run(
            args.repeat or 15,
            samples=100,
            sizes=(10_000, 100_000, 1_000_000),
            sum_terms=1_000_000,
            memory_nodes=1_000_000,
            only=only,
        )
    if only != PARTS:
        print(json.dumps(partial_report(results), indent=2))
        return
    print(report(results))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.json}")
    if args.update_readme:
        readme.update("benchmark table", report(results))
        print(f"updated {readme.README}")


if __name__ == "__main__":
    main()
