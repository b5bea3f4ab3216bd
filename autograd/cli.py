"""The `chainrule` command: draw an expression's graph, or print its forward and backward steps.

chainrule draw "tanh(x*w + b)" x=0.5 w=-1.2 b=0.3 -o graph.svg
chainrule steps "tanh(x*w + b)" x=0.5 w=-1.2 b=0.3
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from autograd.expression import FUNCTIONS, ExpressionError, evaluate, parse_bindings
from autograd.view.drawing import GraphTooLarge
from autograd.view.render import FORMATS, GraphvizNotFound, RenderError


class _OneLineParser(argparse.ArgumentParser):
    """argparse, except that a usage error is one line on stderr (and exit status 2)."""

    def error(self, message: str) -> NoReturn:
        _fail(f"{message} (see chainrule {self.prog.partition(' ')[2] or ''} --help)".replace("  ", " "))


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="chainrule",
        description="Build an expression from numbers, back-propagate, and show how the gradients came about.",
        epilog=f"Expressions use numbers, your names, + - * / ** and the functions {', '.join(FUNCTIONS)}.",
        allow_abbrev=False,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    draw = commands.add_parser("draw", help="write the graph as a picture (svg, png, dot, pdf)", allow_abbrev=False)
    draw.add_argument("expression", help='e.g. "tanh(x*w + b)" (may start with a minus: "-x*w")')
    draw.add_argument("bindings", nargs="*", metavar="name=value", help="e.g. x=0.5 w=-1.2 b=0.3")
    draw.add_argument("-o", "--output", type=Path, default=None, help="file to write (default graph.<format>)")
    draw.add_argument("--format", choices=FORMATS, default=None, help="default: from the output name, else svg")
    draw.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR")
    steps = commands.add_parser("steps", help="print the forward and backward (chain-rule) steps", allow_abbrev=False)
    steps.add_argument("expression", help='e.g. "tanh(x*w + b)" (may start with a minus: "-x*w")')
    steps.add_argument("bindings", nargs="*", metavar="name=value")
    return parser


# Options that take a value, per command; everything else that starts with "-" after the command
# is an option only if argparse knows it (-h, --help); otherwise it is the expression or a binding
# ("-x*w", "-2*x"), which argparse alone would refuse as an unknown option.
_OPTIONS_WITH_VALUES = {"draw": {"-o", "--output", "--format", "--rankdir"}, "steps": set()}


def _options_first(argv: list[str]) -> list[str]:
    """Reorder ``command [args]`` as ``command options -- positionals`` so that an expression
    starting with a minus is read as the expression, not as an option."""
    if not argv or argv[0] not in _OPTIONS_WITH_VALUES:
        return argv
    with_values = _OPTIONS_WITH_VALUES[argv[0]]
    options, positionals = [], []
    rest = iter(argv[1:])
    for arg in rest:
        if arg == "--":
            positionals.extend(rest)
        elif arg in with_values:
            value = next(rest, None)
            long = "--output" if arg == "-o" else arg
            options.append(long if value is None else f"{long}={value}")  # a value may start with "-"
        elif arg in ("-h", "--help") or any(arg.startswith(f"{o}=") for o in with_values if o.startswith("--")):
            options.append(arg)
        elif arg.startswith("--"):
            options.append(arg)  # an unknown long option: argparse says so
        else:
            positionals.append(arg)
    return [argv[0], *options, "--", *positionals]


def main(argv: list[str] | None = None) -> int:
    """Run the command; every failure is one line on stderr and exit status 2."""
    argv = sys.argv[1:] if argv is None else list(argv)
    for position, arg in enumerate(argv, 1):
        if _not_utf8(arg):
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            _fail(f"argument {position} is not valid UTF-8: '{shown}'")
    args = _parser().parse_args(_options_first(argv))
    try:
        bindings = parse_bindings(args.bindings)
    except ExpressionError as error:
        _fail(str(error))
    try:
        root, _ = evaluate(args.expression, bindings)
        if args.command == "steps":
            from autograd.view.steps import steps_table

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
        _fail(f"in {_quoted(args.expression)}: {error}")
    except GraphTooLarge as error:
        size = str(error).partition(". ")[0]
        _fail(f"{_quoted(args.expression)} is too large to draw: {size}; try chainrule steps")
    except OSError as error:  # atomic_write's errors name the user's path
        _fail(error.strerror + (f": {error.filename!r}" if error.filename else "") if error.strerror else str(error))
    except (GraphvizNotFound, RenderError, ValueError) as error:
        _fail(str(error))
    except RecursionError:
        _fail("the expression is nested too deeply")
    except BrokenPipeError:
        _fail("the output was closed early")
    except Exception as error:  # a bug: still one line, never a traceback
        _fail(f"unexpected {type(error).__name__}: {error}")


def _fail(message: str) -> NoReturn:
    line = " ".join(_shown(message).split())  # one line, whatever the message holds
    sys.stderr.write(f"chainrule: error: {line}\n")
    sys.stderr.flush()
    raise SystemExit(2)


def _quoted(text: str, limit: int = 40) -> str:
    """The user's input as they typed it, shortened to `limit` characters."""
    return repr(text) if len(text) <= limit else repr(text[: limit - 3] + "...") + f" ({len(text):,} characters)"


def _not_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _shown(text: str) -> str:
    """Text safe to print anywhere: undecodable bytes and control characters escaped."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii") for c in text)


if __name__ == "__main__":
    sys.exit(main())
