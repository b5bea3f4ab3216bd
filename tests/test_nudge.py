"""nudge: the finite-difference check of one node, against gradcheck and by hand; draw(check=True)."""

from __future__ import annotations

import math
import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value
from autograd.functional import central_difference
from autograd.graph import node_ids, topological_order

UNARY = ["tanh", "sigmoid", "sin", "cos", "neg", "square", "exp_small"]
BINARY = ["+", "-", "*", "dot", "sum"]


BINARY_OPS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "dot": lambda a, b: autograd.dot([a, b], [b, 0.5]),
    "sum": lambda a, b: autograd.sum([a, b, 1.0]),
}


def random_program(seed: int, n_inputs: int, n_ops: int) -> list[tuple]:
    """A random straight-line program of smooth operations over the inputs (and earlier results)."""
    rng = random.Random(seed)
    program = []
    for k in range(n_ops):
        available = n_inputs + k
        if rng.random() < 0.4:
            program.append((rng.choice(UNARY), rng.randrange(available)))
        else:
            program.append((rng.choice(BINARY), rng.randrange(available), rng.randrange(available)))
    return program


def run(program: list[tuple], *xs: Value) -> Value:
    values = list(xs)
    for op, *args in program:
        a = values[args[0]]
        if op == "neg":
            out = -a
        elif op == "square":
            out = a**2
        elif op == "exp_small":
            out = (a.tanh()).exp()
        elif op in ("tanh", "sigmoid", "sin", "cos"):
            out = getattr(a, op)()
        else:
            b = values[args[1]]
            out = BINARY_OPS[op](a, b)
        values.append(out)
    return autograd.sum([values[-1], *(x.sin() for x in xs)])  # every input is part of the graph


def snapshot(root: Value) -> list[tuple[float, float]]:
    return [(node.data, node.grad) for node in topological_order(root)]


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    xs=st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=1, max_size=4),
    n_ops=st.integers(1, 12),
)
def test_nudge_agrees_with_gradcheck_on_random_graphs(seed, xs, n_ops):
    program = random_program(seed, len(xs), n_ops)
    f = lambda *vs: run(program, *vs)  # noqa: E731
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    root = f(*leaves)
    root.backward()
    before = snapshot(root)
    results = [autograd.nudge(root, leaf) for leaf in leaves]
    assert snapshot(root) == before  # values and gradients exactly as they were
    for i, result in enumerate(results):
        # the same central difference gradcheck takes, to rounding of the recomputation
        assert result.numeric == pytest.approx(central_difference(f, xs, i), rel=1e-9, abs=1e-9)
        assert result.analytic == leaves[i].grad
        assert not result.kink
    passes = all(r.agrees for r in results)
    try:
        checked = autograd.gradcheck(f, xs)
    except autograd.GradcheckError:
        checked = False
    assert passes == checked


def test_nudge_an_interior_node_by_hand():
    x, w, b = Value(0.5, label="x"), Value(-1.2, label="w"), Value(0.3, label="b")
    u = x * w + b
    u.label = "u"
    y = u.tanh()
    y.backward()
    result = autograd.nudge(y, u)
    expected = 1.0 - math.tanh(u.data) ** 2  # d tanh(u) / du
    assert result.analytic == pytest.approx(expected, rel=1e-15)
    assert result.numeric == pytest.approx(expected, rel=1e-8)
    assert result.agrees and not result.kink
    assert result.root_plus == math.tanh(u.data + 1e-6) and result.root_minus == math.tanh(u.data - 1e-6)
    assert result.x == u.data and result.h == 1e-6
    assert "u = " in result.explain() and "agrees" in result.explain()
    # the root itself: d root / d root = 1
    assert autograd.nudge(y, y).numeric == pytest.approx(1.0) and autograd.nudge(y, y).agrees


def test_nudge_divides_out_the_scale_of_repeated_backward_calls():
    x = Value(0.7, label="x")
    y = x * x
    y.backward()
    y.backward()  # every gradient doubled, y.grad == 2 included
    result = autograd.nudge(y, x)
    assert result.analytic == pytest.approx(2 * 0.7) and result.agrees


def test_a_wrong_local_derivative_disagrees_like_gradcheck_does():
    def bad_sin(v):
        out = v.sin()
        out.local_grads = (2.0,)  # the truth is cos(x)
        return out

    x = Value(0.5, label="x")
    y = bad_sin(x)
    y.backward()
    result = autograd.nudge(y, x)
    assert result.analytic == 2.0 and result.numeric == pytest.approx(math.cos(0.5))
    assert not result.agrees and result.status == "disagrees" and "DISAGREES" in result.explain()
    with pytest.raises(autograd.GradcheckError):
        autograd.gradcheck(bad_sin, [0.5])


@pytest.mark.parametrize(
    "make",
    [
        lambda a: a.relu(),
        lambda a: abs(a),
        lambda a: a.clamp(min=0.0),  # a clamp node records its bounds (node.params) since the rules table
        lambda a: a.leaky_relu(0.1),
    ],
    ids=["relu", "abs", "clamp", "leaky_relu"],
)
def test_a_kink_is_found_from_the_one_sided_differences(make):
    a = Value(0.0, label="a")
    y = make(a) * 3.0
    y.backward()
    result = autograd.nudge(y, a)
    assert result.kink and result.status == "kink"
    # away from the switch point the same function is smooth and agrees
    b = Value(0.25, label="b")
    z = make(b) * 3.0
    z.backward()
    assert autograd.nudge(z, b).status == "agrees"


def test_nudge_errors_name_the_problem():
    x = Value(2.0, label="x")
    y = x * 3
    with pytest.raises(ValueError, match="call backward"):
        autograd.nudge(y, x)
    y.backward()
    with pytest.raises(ValueError, match="not part of the graph"):
        autograd.nudge(y, Value(1.0))
    with pytest.raises(ValueError, match="h > 0"):
        autograd.nudge(y, x, h=0.0)
    with pytest.raises(TypeError, match="two Values"):
        autograd.nudge(y, 2.0)
    t = Value(1e-7, label="t")
    z = t.log()
    z.backward()
    with pytest.raises(ValueError, match=r"nudging t .* log"):
        autograd.nudge(z, t)


def fill_of(source: str, node_id: str) -> str:
    match = re.search(rf"^\s*{node_id} \[[^\]]*?fillcolor=\"([^\"]+)\"", source, re.MULTILINE)
    assert match, f"no node {node_id} in the DOT source"
    return match.group(1)


def test_draw_check_colours_agreeing_nodes_green_a_wrong_one_red_and_a_kink_grey():
    from autograd.view.drawing import CHECK_COLOURS

    a, b, c = Value(0.0, label="a"), Value(0.8, label="b"), Value(0.5, label="c")
    r = a.relu()  # exactly at relu's switch point: a kink
    s = c.sin()
    s.local_grads = (2.0,)  # a wrong derivative: cos(0.5) is the truth
    loss = r * b + s
    loss.backward()
    ids = node_ids(topological_order(loss))
    source = loss.draw(check=True).source
    assert fill_of(source, ids[a]) == CHECK_COLOURS["kink"] == "#d0d0d0"
    assert fill_of(source, ids[c]) == CHECK_COLOURS["disagrees"]
    assert fill_of(source, ids[b]) == CHECK_COLOURS["agrees"]
    assert fill_of(source, ids[loss]) == CHECK_COLOURS["agrees"]
    # without check the kinds' colours stay
    assert fill_of(loss.draw().source, ids[b]) == "#d4e6f9"
