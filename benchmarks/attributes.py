"""What ad-hoc attributes would cost on every node: a per-node __dict__ against the engine as it is.

A `Value` you make yourself (``Value(0.5)``) is a `ValueWithAttributes`, which accepts attributes it
does not define (``p.m = 0.0``, as PyTorch tensors do); the nodes operations make are plain `Value`s,
without that per-node dictionary. This script loads a second copy of `autograd.value` whose operations
make `ValueWithAttributes` nodes too (the engine before issue 14 gave every node a __dict__) and
measures both, interleaved, on the benchmark's chain ``y = relu(y * 0.9999 + 0.001)``: bytes per node
(tracemalloc; micrograd's figure for the ratio), the time to build and to back-propagate, and what
setting two attributes on a leaf adds. Run: ``python benchmarks/attributes.py [--quick]``.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from types import ModuleType

import autograd.value as without_dict

# In the copy, operations (and the constants they wrap) make nodes of the class with a __dict__.
NODE_MAKER = "_new = object.__new__"
EVERY_NODE_WITH_DICT = "_new = lambda cls: object.__new__(ValueWithAttributes if cls is Value else cls)"


def with_dict_on_every_node() -> ModuleType:
    """A copy of autograd/value.py whose operations make `ValueWithAttributes` nodes (everything else identical)."""
    source = Path(without_dict.__file__).read_text()
    if source.count(NODE_MAKER) != 1:
        sys.exit(f"attributes.py: expected exactly one {NODE_MAKER!r} in value.py; update this script")
    folder = Path(tempfile.mkdtemp())
    path = folder / "value_with_dict.py"
    path.write_text(source.replace(NODE_MAKER, EVERY_NODE_WITH_DICT))
    spec = importlib.util.spec_from_file_location("value_with_dict", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and typing look modules up by name
    spec.loader.exec_module(module)
    return module


def chain(Value, depth: int):
    y = Value(0.5)
    for _ in range(depth):
        y = (y * 0.9999 + 0.001).relu()
    return y


def count_nodes(root) -> int:
    seen, stack = {id(root)}, [root]
    while stack:
        for p in stack.pop().parents:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def bytes_per_node(Value, depth: int) -> float:
    gc.collect()
    tracemalloc.start()
    root = chain(Value, depth)
    traced = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    nodes = count_nodes(root)
    assert isinstance(root, Value), "the copy's operations must make the copy's Values"
    return traced / nodes


def micrograd_bytes_per_node(depth: int) -> float | None:
    try:
        from micrograd.engine import Value
    except ImportError:
        return None
    gc.collect()
    tracemalloc.start()
    root = chain(Value, depth)
    traced = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    seen, stack = {id(root)}, [root]
    while stack:
        for p in stack.pop()._prev:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return traced / len(seen)


def build_and_backward_ms(Value, depth: int) -> tuple[float, float]:
    """Milliseconds to build the chain and to back-propagate through it (collector off, freed after)."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        root = chain(Value, depth)
        built = time.perf_counter()
        root.backward()
        done = time.perf_counter()
    finally:
        del root
        gc.enable()
    return (built - start) * 1e3, (done - built) * 1e3


def attribute_bytes(Value, n: int = 10_000) -> float:
    """Bytes that ``p.m = 0.0; p.v = 0.0`` adds to a leaf (an optimiser keeping its moments on it)."""
    params = [Value(0.1) for _ in range(n)]
    moment = 0.0
    gc.collect()
    tracemalloc.start()
    for p in params:
        p.m = moment
        p.v = moment
    traced = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return traced / n


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny run, to check that the script works")
    args = parser.parse_args(argv)
    depth, rounds = (200, 3) if args.quick else (40_000, 9)
    every = with_dict_on_every_node()
    engines = {"with __dict__": every.Value, "without __dict__": without_dict.Value}

    memory = {name: bytes_per_node(Value, depth) for name, Value in engines.items()}
    micrograd = micrograd_bytes_per_node(depth)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in engines}
    for _ in range(rounds):  # interleaved, so both see the same machine load
        for name, Value in engines.items():
            times[name].append(build_and_backward_ms(Value, depth))
    build = {name: statistics.median(t[0] for t in runs) for name, runs in times.items()}
    backward = {name: statistics.median(t[1] for t in runs) for name, runs in times.items()}

    nodes = count_nodes(chain(without_dict.Value, depth))
    print(f"Chain y = relu(y * 0.9999 + 0.001), {nodes:,} nodes; medians of {rounds} interleaved rounds,", end=" ")
    print("collector off. 'with __dict__': every node has one; 'without': operations' nodes do not (as shipped).")
    print()
    print("| measurement                    | with __dict__ | without __dict__ | with / without |")
    print("|--------------------------------|---------------|------------------|----------------|")
    rows = [
        ("bytes per node (tracemalloc)", memory),
        ("build (ms)", build),
        ("backward (ms)", backward),
    ]
    for label, row in rows:
        a, b = row["with __dict__"], row["without __dict__"]
        print(f"| {label:<30} | {a:>13.1f} | {b:>16.1f} | {a / b:>13.2f}x |")
    if micrograd is not None:
        print()
        for name in engines:
            print(f"- bytes per node {name} / micrograd's ({micrograd:.1f}): {memory[name] / micrograd:.3f}")
    extra = attribute_bytes(without_dict.Value)
    print(f"- setting two attributes (p.m, p.v) on a Value you made adds {extra:.1f} bytes to it.")
    return {"bytes_per_node": memory, "micrograd_bytes_per_node": micrograd, "build_ms": build,
            "backward_ms": backward, "two_attributes_bytes": extra, "nodes": nodes}  # fmt: skip


if __name__ == "__main__":
    main()
