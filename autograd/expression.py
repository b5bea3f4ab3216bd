"""A safe expression language for the command line: ``tanh(x*w + b)`` with ``x=0.5 w=-1.2 b=0.3``.

Expressions are parsed with `ast` and checked against a whitelist: numbers, bound names,
``+ - * / **``, unary minus and plus, and calls of the engine's functions. Nothing is ever
passed to `eval`; anything else is an `ExpressionError` naming what is not allowed and where.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping

from autograd.value import Value

MAX_LENGTH = 2_000  # characters; longer expressions are rejected before parsing

FUNCTIONS: dict[str, tuple[Callable[..., Value], int]] = {
    "exp": (Value.exp, 1),
    "log": (Value.log, 1),
    "sqrt": (Value.sqrt, 1),
    "tanh": (Value.tanh, 1),
    "sigmoid": (Value.sigmoid, 1),
    "relu": (Value.relu, 1),
    "leaky_relu": (Value.leaky_relu, 2),  # leaky_relu(x) or leaky_relu(x, slope)
    "sin": (Value.sin, 1),
    "cos": (Value.cos, 1),
    "abs": (Value.__abs__, 1),
}

BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}

# What a rejected node is, in words a user will recognise.
DESCRIPTIONS = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambdas",
    ast.Compare: "comparisons",
    ast.BoolOp: "and/or",
    ast.IfExp: "if-expressions",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.ListComp: "comprehensions",
    ast.GeneratorExp: "generators",
    ast.JoinedStr: "f-strings",
    ast.NamedExpr: "assignment expressions",
    ast.Starred: "star arguments",
    ast.Await: "await",
}


class ExpressionError(ValueError):
    """An expression or binding that is not allowed; the message says what and where."""


def _short(text: str, limit: int = 40) -> str:
    """`text` quoted, shortened to `limit` characters, so an error message stays one readable line."""
    return repr(text) if len(text) <= limit else repr(text[: limit - 3] + "...") + f" ({len(text):,} characters)"


def parse_bindings(items: list[str]) -> dict[str, float]:
    """``["x=0.5", "w=-1.2"]`` to ``{"x": 0.5, "w": -1.2}``, with clear errors."""
    bindings: dict[str, float] = {}
    for item in items:
        shown = _short(item)
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ExpressionError(f"bad binding {shown}: write name=number, e.g. x=0.5")
        if name in FUNCTIONS:
            raise ExpressionError(f"bad binding {shown}: {name!r} is a function name")
        try:
            value = float(text)
        except ValueError:
            raise ExpressionError(f"bad binding {shown}: {_short(text.strip())} is not a number") from None
        if not math.isfinite(value):
            raise ExpressionError(f"bad binding {shown}: the number must be finite (at most about 1.8e308)")
        bindings[name] = value
    return bindings


def evaluate(expression: str, bindings: Mapping[str, float]) -> tuple[Value, dict[str, Value]]:
    """Build the expression's graph; return its root and the input Values by name."""
    if len(expression) > MAX_LENGTH:
        raise ExpressionError(f"expression is {len(expression)} characters long; the limit is {MAX_LENGTH}")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"syntax error at column {error.offset}: {error.msg}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("expression is nested too deeply") from None
    inputs = {name: Value(value, label=name) for name, value in bindings.items()}
    try:
        root = _build(tree.body, inputs)
    except RecursionError:
        raise ExpressionError("expression is nested too deeply") from None
    except (ValueError, ZeroDivisionError, TypeError) as error:
        if isinstance(error, ExpressionError):
            raise
        raise ExpressionError(f"cannot compute the expression: {error}") from None
    if not isinstance(root, Value):
        root = Value(root)
    return root, inputs


def _where(node: ast.AST) -> str:
    return f"at column {node.col_offset + 1}"


def _build(node: ast.AST, inputs: dict[str, Value]) -> Value | int | float:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExpressionError(f"only numbers are allowed as literals, got {node.value!r} {_where(node)}")
        try:
            float(node.value)
        except OverflowError:  # an integer with hundreds of digits
            digits = _short(str(node.value), 20)
            raise ExpressionError(f"the number {digits} is too large for a float {_where(node)}") from None
        return node.value
    if isinstance(node, ast.Name):
        if node.id in inputs:
            return inputs[node.id]
        if node.id in FUNCTIONS:
            raise ExpressionError(f"{node.id!r} is a function: call it like {node.id}(x) {_where(node)}")
        raise ExpressionError(
            f"unknown name {node.id!r} {_where(node)}: bind it on the command line, e.g. {node.id}=1.0"
        )
    if isinstance(node, ast.BinOp):
        operation = BINARY.get(type(node.op))
        if operation is None:
            raise ExpressionError(f"operator {type(node.op).__name__} is not allowed {_where(node)} (use + - * / **)")
        left, right = _build(node.left, inputs), _build(node.right, inputs)
        if not isinstance(left, Value) and not isinstance(right, Value):
            left = Value(left)  # keep every step in the graph, even between two numbers
        return operation(left, right)
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.USub):
            operand = _build(node.operand, inputs)
            return -operand
        if isinstance(node.op, ast.UAdd):
            return _build(node.operand, inputs)
        raise ExpressionError(f"operator {type(node.op).__name__} is not allowed {_where(node)}")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            what = ast.unparse(node.func)
            raise ExpressionError(f"calling {what!r} is not allowed {_where(node)}; functions: {', '.join(FUNCTIONS)}")
        function, most = FUNCTIONS[node.func.id]
        if node.keywords or not 1 <= len(node.args) <= most:
            wanted = "one argument" if most == 1 else f"1 to {most} arguments"
            raise ExpressionError(f"{node.func.id}() takes {wanted}, without keywords, {_where(node)}")
        args = [_build(arg, inputs) for arg in node.args]
        first = args[0] if isinstance(args[0], Value) else Value(args[0])
        rest = [arg.data if isinstance(arg, Value) else arg for arg in args[1:]]
        return function(first, *rest)
    description = DESCRIPTIONS.get(type(node), type(node).__name__)
    raise ExpressionError(f"{description} not allowed {_where(node)}")
