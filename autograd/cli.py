"""The `chainrule` command: draw an expression's graph, or print its forward and backward steps.

chainrule draw "tanh(x*w + b)" x=0.5 w=-1.2 b=0.3 -o graph.svg
chainrule steps "tanh(x*w + b)" x=0.5 w=-1.2 b=0.3
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograd.expression import FUNCTIONS, ExpressionError, evaluate, parse_bindings
from autograd.render import FORMATS, GraphvizNotFound, RenderError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="Build an expression from numbers, back-propagate, and show how the gradients came about.",
        epilog=f"Expressions use numbers, your names, + - * / ** and the functions {', '.join(FUNCTIONS)}.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    draw = commands.add_parser("draw", help="write the graph as a picture (svg, png, dot, pdf)")
    draw.add_argument("expression", help='e.g. "tanh(x*w + b)"')
    draw.add_argument("bindings", nargs="*", metavar="name=value", help="e.g. x=0.5 w=-1.2 b=0.3")
    draw.add_argument("-o", "--output", type=Path, default=None, help="file to write (default graph.<format>)")
    draw.add_argument("--format", choices=FORMATS, default=None, help="default: from the output name, else svg")
    draw.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR")
    steps = commands.add_parser("steps", help="print the forward and backward (chain-rule) steps")
    steps.add_argument("expression")
    steps.add_argument("bindings", nargs="*", metavar="name=value")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        root, _ = evaluate(args.expression, parse_bindings(args.bindings))
        if args.command == "steps":
            from autograd.steps import steps_table

            print(steps_table(root))
            return 0
        output = args.output
        format = args.format or (output.suffix.lstrip(".") if output and output.suffix else "svg")  # noqa: A001
        if format not in FORMATS:
            raise ExpressionError(f"unknown output format {format!r}; choose one of {', '.join(FORMATS)}")
        output = output or Path(f"graph.{format}")
        root.backward()
        print(f"wrote {root.draw(rankdir=args.rankdir).render(outfile=output, format=format)}")
        return 0
    except ExpressionError as error:
        parser.exit(2, f"chainrule: error: {error}\n")
    except (GraphvizNotFound, RenderError, OSError) as error:
        parser.exit(1, f"chainrule: error: {error}\n")


if __name__ == "__main__":
    sys.exit(main())
