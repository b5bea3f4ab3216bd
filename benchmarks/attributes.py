"""What ad-hoc attributes cost: `Value` with "__dict__" in its __slots__ against the same class without.

`Value` accepts attributes it does not define (``p.m = 0.0``, as PyTorch tensors do) because its
__slots__ include "__dict__". This script loads a second copy of `autograd.value` with that one entry
removed and measures both, interleaved, on the benchmark's chain ``y = relu(y * 0.9999 + 0.001)``:
bytes per node (tracemalloc; micrograd's figure for the ratio), the time to build and to back-propagate,
and what setting two attributes on a node adds. Run: ``python benchmarks/attributes.py [--quick]``.
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

import autograd.value as with_dict

SLOTS_ENTRY = ', "__dict__")'


def without_dict() -> ModuleType:
    """A copy of autograd/value.py whose Value has no "__dict__" slot (everything else identical)."""
    source = Path(with_dict.__file__).read_text()
    if source.count(SLOTS_ENTRY) != 1:
        sys.exit(f"attributes.py: expected exactly one {SLOTS_ENTRY!r} in value.py's __slots__; update this script")
    folder = Path(tempfile.mkdtemp())
    path = folder / "value_without_dict.py"
    path.write_text(source.replace(SLOTS_ENTRY, ")"))
    spec = importlib.util.spec_from_file_location("value_without_dict", path)
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
    assert type(root) is Value, "the copy's operations must make the copy's Values"
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
    plain = without_dict()
    engines = {"with __dict__": with_dict.Value, "without __dict__": plain.Value}

    memory = {name: bytes_per_node(Value, depth) for name, Value in engines.items()}
    micrograd = micrograd_bytes_per_node(depth)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in engines}
    for _ in range(rounds):  # interleaved, so both see the same machine load
        for name, Value in engines.items():
            times[name].append(build_and_backward_ms(Value, depth))
    build = {name: statistics.median(t[0] for t in runs) for name, runs in times.items()}
    backward = {name: statistics.median(t[1] for t in runs) for name, runs in times.items()}

    nodes = count_nodes(chain(with_dict.Value, depth))
    print(f"Chain y = relu(y * 0.9999 + 0.001), {nodes:,} nodes; medians of {rounds} interleaved rounds,", end=" ")
    print("collector off.")
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
    extra = attribute_bytes(with_dict.Value)
    print(f"- setting two attributes (p.m, p.v) on a Value adds {extra:.1f} bytes to it.")
    return {"bytes_per_node": memory, "micrograd_bytes_per_node": micrograd, "build_ms": build,
            "backward_ms": backward, "two_attributes_bytes": extra, "nodes": nodes}  # fmt: skip


if __name__ == "__main__":
    main()
