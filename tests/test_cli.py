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


# ---- every failure path: one line on stderr, exit status 2, quickly ------------------------------


def run_bytes(*args: bytes | str, cwd=None) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run the CLI; return the result, its wall time and the child's CPU time (user + system)."""
    import os
    import resource
    import time

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    argv = [sys.executable, "-m", "autograd.cli", *(os.fsencode(a) if isinstance(a, str) else a for a in args)]
    done = subprocess.run(argv, capture_output=True, cwd=cwd, timeout=60)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done, wall, cpu


def _failure_paths(tmp: str) -> list[tuple[str, list, str]]:
    return [
        ("600-term expression", ["draw", "+".join(["x"] * 600), "x=1", "-o", f"{tmp}/g.svg"], "too large to draw"),
        ("320-digit integer", ["steps", "1" * 320 + "*x", "x=1"], "too large for a float"),
        ("320-digit integer alone", ["draw", "1" * 320, "-o", f"{tmp}/g.svg"], "too large for a float"),
        ("320-digit binding", ["steps", "x", "x=" + "1" * 320], "must be finite"),
        ("invalid UTF-8 expression", ["steps", b"x\xff", "x=1"], "not valid UTF-8"),
        ("invalid UTF-8 binding", ["steps", "x", b"x=\xfe1"], "not valid UTF-8"),
        ("invalid UTF-8 output", ["draw", "x", "x=1", "-o", b"/tmp/\xffg.svg"], "not valid UTF-8"),
        ("missing output folder", ["draw", "x", "x=1", "-o", f"{tmp}/missing/g.svg"], "does not exist"),
        ("output folder is a file", ["draw", "x", "x=1", "-o", f"{tmp}/file.txt/g.svg"], "file.txt/g.svg"),
        ("output is a device", ["draw", "x", "x=1", "-o", "/dev/full"], "not a regular file"),
        ("output is a folder", ["draw", "x", "x=1", "-o", tmp], "not a regular file"),
        ("unknown format", ["draw", "x", "x=1", "--format", "gif"], "invalid choice"),
        ("unknown suffix", ["draw", "x", "x=1", "-o", f"{tmp}/g.gif"], "unknown output format"),
        ("no command", [], "required"),
        ("unknown command", ["paint", "x"], "invalid choice"),
        ("no expression", ["draw"], "required"),
        ("unknown option", ["steps", "x", "x=1", "--fast"], "unrecognized arguments"),
        ("bad binding", ["steps", "x", "x"], "write name=number"),
        ("syntax error", ["steps", "-x*", "x=1"], "syntax error"),
        ("domain error", ["steps", "log(-x)", "x=1"], "log"),
        ("deep nesting", ["steps", "(" * 900 + "x" + ")" * 900, "x=1"], "nested"),
        ("too long", ["steps", "x" + "+x" * 2000, "x=1"], "limit is"),
        ("control characters", ["steps", "x\n+\x1b[31m", "x=1"], "syntax error"),
    ]


FAILURE_NAMES = [name for name, _, _ in _failure_paths("/tmp")]


@pytest.mark.parametrize("name", FAILURE_NAMES)
def test_every_cli_failure_is_one_line_exit_2_naming_the_input_and_quick(name, tmp_path):
    (tmp_path / "file.txt").write_text("a file, not a folder")
    _, args, message = next(path for path in _failure_paths(str(tmp_path)) if path[0] == name)
    done, wall, cpu = run_bytes(*args, cwd=tmp_path)
    stderr = done.stderr.decode("utf-8")  # the message itself is valid UTF-8 even for bad input
    assert done.returncode == 2, stderr
    assert stderr.startswith("chainrule: error: ") and stderr.count("\n") == 1 and stderr.endswith("\n"), stderr
    assert message in stderr, stderr
    assert "Traceback" not in stderr and ".tmp" not in stderr and "\x1b" not in stderr
    assert len(stderr) < 400, stderr
    assert cpu < 2.0 and wall < 20, (cpu, wall)  # CPU time: the machine may be busy; wall: no hang
    assert done.stdout == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]  # nothing written, nothing left


def test_an_expression_starting_with_a_minus_is_the_expression_not_an_option(tmp_path):
    done, _, _ = run_bytes("steps", "-x*w", "x=1", "w=2")
    assert done.returncode == 0, done.stderr
    assert b"dL/dw = -1" in done.stdout and b"dL/dx = -2" in done.stdout
    out = tmp_path / "g.svg"
    done, _, _ = run_bytes("draw", "-2*x", "x=1", "-o", str(out))
    assert done.returncode == 0, done.stderr and out.exists()
    out2 = tmp_path / "-odd.svg"
    done, _, _ = run_bytes("draw", "-x", "x=3", "-o", str(out2), "--rankdir", "TB")
    assert done.returncode == 0 and out2.exists(), done.stderr
    done, _, _ = run_bytes("steps", "--", "-x", "x=3")
    assert done.returncode == 0 and b"dL/dx = -1" in done.stdout, done.stderr


def test_help_still_works():
    done, _, _ = run_bytes("steps", "--help")
    assert done.returncode == 0 and b"expression" in done.stdout
