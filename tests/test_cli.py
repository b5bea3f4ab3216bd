"""The `chainrule` command line: good expressions make files, hostile ones are refused cleanly."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from autograd import cli
from autograd.expression import ExpressionError, evaluate


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograd.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_draw_writes_an_svg_of_the_expression(tmp_path):
    out = tmp_path / "graph.svg"
    done = run("draw", "tanh(x*w + b)", "x=0.5", "w=-1.2", "b=0.3", "-o", str(out))
    assert done.returncode == 0, done.stderr
    svg = out.read_text()
    ET.fromstring(svg)
    assert "tanh" in svg and ">x<" in svg and ">w<" in svg


@pytest.mark.parametrize("fmt, magic", [("png", b"\x89PNG"), ("dot", b"digraph")])
def test_draw_other_formats(tmp_path, fmt, magic):
    out = tmp_path / f"graph.{fmt}"
    assert cli.main(["draw", "x**2 + sin(x)", "x=1", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(magic)


def test_the_expression_is_evaluated_with_gradients():
    root, inputs = evaluate("tanh(x*w + b)", {"x": 0.5, "w": -1.2, "b": 0.3})
    root.backward()
    import math

    assert math.isclose(root.data, math.tanh(0.5 * -1.2 + 0.3))
    assert math.isclose(inputs["w"].grad, (1 - root.data**2) * 0.5)


HOSTILE = [
    ("x.__class__", "attribute access not allowed at column 1"),
    ("__import__('os').system('true')", "not allowed"),
    ("(lambda: 1)()", "not allowed"),
    ("x[0]", "subscripts not allowed"),
    ("y + 1", "unknown name 'y' at column 1"),
    ("open('/etc/passwd')", "calling 'open' is not allowed"),
    ("exp", "'exp' is a function"),
    ("exp(x, 2)", "exp() takes one argument"),
    ("exp(x=1)", "without keywords"),
    ("'a' + x", "only numbers"),
    ("x if x else 1", "if-expressions not allowed"),
    ("x < 1", "comparisons not allowed"),
    ("[x]", "lists not allowed"),
    ("x // 2", "operator FloorDiv is not allowed"),
    ("x @ x", "operator MatMult is not allowed"),
    ("~x", "operator Invert is not allowed"),
    ("f'{x}'", "f-strings not allowed"),
    ("(y := 1)", "assignment expressions not allowed"),
    ("x +", "syntax error"),
    ("x; import os", "syntax error"),
    ("log(x - 1)", "cannot compute the expression: log is undefined"),
    ("1 / (x - 1)", "division by zero"),
    ("(" * 500 + "x" + ")" * 500, "nested"),
    ("1*" + "-" * 1500 + "x", "nested too deeply"),
    ("x" + "+x" * 2000, "limit is"),
]


@pytest.mark.parametrize("expression, message", HOSTILE)
def test_hostile_and_malformed_expressions_are_refused_in_one_line_with_status_2(expression, message, tmp_path):
    done = run("draw", expression, "x=1", "-o", str(tmp_path / "g.svg"))
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1
    assert not (tmp_path / "g.svg").exists()


@pytest.mark.parametrize(
    "binding, message",
    [("x", "write name=number"), ("x=abc", "'abc' is not a number"), ("exp=1", "function name"), ("x=inf", "finite")],
)
def test_bad_bindings_are_refused(binding, message):
    with pytest.raises(ExpressionError, match=message):
        evaluate("x", __import__("autograd.expression").expression.parse_bindings([binding]))
