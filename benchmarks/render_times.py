"""How long drawing takes: build the DOT source and lay it out as SVG, for graphs of ~100, 500 and
2,000 nodes (value and operation nodes). Prints a table; the numbers go in the README."""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import readme  # noqa: E402 - benchmarks/readme.py, beside this script

import autograd
import nn
from autograd.view.render import find_graphviz, render_dot


def graph_with_about(nodes: int):
    """One sample's loss through an MLP sized to give roughly `nodes` drawn nodes."""
    width = 1
    while True:
        model = nn.MLP(2, [width, width, 1], seed=0)
        loss = nn.mse_loss(model([0.5, -1.0]), 1.0)
        order = autograd.topological_order(loss)
        drawn = len(order) + sum(1 for n in order if n.parents)
        if drawn >= nodes:
            loss.backward()
            return loss, drawn
        width += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update-readme", action="store_true", help="put the table into README.md")
    args = parser.parse_args()
    lines = [
        f"Measured with `{Path(find_graphviz()[0]).name}` on {readme.machine()}:",
        "",
        f"| {'nodes drawn':>11} | {'draw() (ms)':>11} | {'layout to SVG (s)':>17} |",
        f"|{'-' * 13}|{'-' * 13}|{'-' * 19}|",
    ]
    for target in (100, 500, 2000):
        loss, drawn = graph_with_about(target)
        draws, layouts = [], []
        for _ in range(3):
            start = time.perf_counter()
            graph = loss.draw(max_nodes=10_000)
            draws.append(time.perf_counter() - start)
            start = time.perf_counter()
            render_dot(graph.source, "svg", timeout=None)
            layouts.append(time.perf_counter() - start)
        lines.append(
            f"| {drawn:>11,} | {statistics.median(draws) * 1e3:>11.1f} | {statistics.median(layouts):>17.2f} |"
        )
    print("\n".join(lines))
    if args.update_readme:
        readme.update("render times", "\n".join(lines))


if __name__ == "__main__":
    main()
