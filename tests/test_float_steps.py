"""Each rule's float step (its forward and local formulas on floats, written out in one function)
gives exactly what the rule gives when it is interpreted with m = FLOAT, at ordinary and edge values."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from autograd.rules import CUT, FLOAT, RULES, dot_step_for

EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 1e-300, -1e-300, 1e300, -1e300, 710.0, -710.0, math.inf, -math.inf, math.nan]


def same(a: object, b: object) -> bool:
    """Bit for bit: the same float (0.0 and -0.0 told apart, nan equal to nan), CUT where CUT."""
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(map(same, a, b))
    if (a is CUT) != (b is CUT):
        return False
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1.0, a) == math.copysign(1.0, b))


STEPPED = sorted(name for name, rule in RULES.items() if rule.float_step is not None)


def test_the_hot_rules_have_a_float_step():
    assert {"+", "-", "*", "tanh", "sigmoid", "relu", "dot"} <= set(STEPPED)


@pytest.mark.parametrize("name", STEPPED)
def test_the_float_step_is_the_rule_on_floats(name):
    rule = RULES[name]
    if name == "dot":
        cases = [([w, 2.0], [x, -0.5]) for w, x in itertools.product(EDGES, EDGES)]
    elif rule.local.__code__.co_argcount == 3:
        cases = [(x,) for x in EDGES]
    else:
        cases = list(itertools.product(EDGES, EDGES))
    for xs in cases:
        out = rule.forward(FLOAT, *xs)
        expected = (out, rule.local(FLOAT, out, *xs))
        assert same(rule.float_step(*xs), expected), (name, xs)


@pytest.mark.parametrize("width", [1, 2, 3, 16, 33])
def test_the_dot_step_written_out_for_a_width_is_the_dot_rule_bit_for_bit(width):
    step, rule = dot_step_for(width), RULES["dot"]
    rng = random.Random(width)
    numbers = [*EDGES, 1e308, -1e308, 5e-324, 3.0]
    for _ in range(3000):
        ws = tuple(rng.choice(numbers) if rng.random() < 0.3 else rng.uniform(-2, 2) for _ in range(width))
        xs = tuple(rng.choice(numbers) if rng.random() < 0.3 else rng.uniform(-2, 2) for _ in range(width))
        out = rule.forward(FLOAT, ws, xs)
        assert same(step(ws, xs), (out, rule.local(FLOAT, out, ws, xs))), (ws, xs)
    overflowing = (1e308,) * width  # their sum overflows in fsum: the fallback adds left to right
    assert same(step(overflowing, (1.0,) * width), rule.float_step(overflowing, (1.0,) * width))


def test_a_dot_step_is_made_once_per_width_and_only_for_a_sensible_width():
    assert dot_step_for(5) is dot_step_for(5)
    assert dot_step_for(1000) is RULES["dot"].float_step and dot_step_for(0) is RULES["dot"].float_step


# ---- the steps are printed from the rules: no hand-written copy of the calculus remains ---------


def test_every_float_step_is_printed_from_its_rule_and_none_is_written_by_hand():
    import inspect

    import autograd.rules as rules
    from autograd.symbols import step_source

    steps = [(RULES[name].float_step, step_source(RULES[name], FLOAT)[0]) for name in STEPPED if name != "dot"]
    steps.append((RULES["dot"].float_step, step_source(RULES["dot"], FLOAT, any_width=True)[0]))
    steps += [(dot_step_for(width), step_source(RULES["dot"], FLOAT, width)[0]) for width in (1, 2, 3, 16, 33, 64)]
    for step, source in steps:
        assert step.__code__.co_filename.startswith("<float step of "), step
        assert inspect.getsource(step) == source  # what a learner sees is what runs
    written_here = [
        name
        for name, f in vars(rules).items()
        if inspect.isfunction(f) and f.__module__ == rules.__name__ and "step" in name and name != "dot_step_for"
    ]
    assert written_here == []


def test_relu_and_dot_steps_print_as_readable_python():
    from autograd.symbols import step_source

    assert step_source(RULES["relu"], FLOAT)[0] == (
        "def float_step(x):\n"
        "    out = (0.0 if x < 0.0 else x)\n"  # m.where(x < 0, 0.0, x)
        "    return out, (cut_alone if out <= 0.0 else (1.0,))\n"  # (m.where(out <= 0, m.cut, 1.0),)
    )
    assert RULES["relu"].float_step.__globals__["cut_alone"] == (CUT,)
    assert step_source(RULES["dot"], FLOAT, 2)[0] == (
        "def float_step(ws, xs):\n"
        "    w0, w1 = ws\n"
        "    x0, x1 = xs\n"
        "    try:\n"  # FLOAT's sum is fsum wherever fsum does not raise (its fast path)
        "        return fsum((w0 * x0, w1 * x1)), xs + ws\n"  # local (*xs, *ws)
        "    except (OverflowError, ValueError):\n"
        "        return sum((w0 * x0, w1 * x1)), xs + ws\n"
    )
    assert step_source(RULES["+"], FLOAT)[0] == "def float_step(a, b):\n    return a + b, (1.0, 1.0)\n"
    assert step_source(RULES["dot"], FLOAT, any_width=True)[0] == (
        "def float_step(ws, xs):\n    return dot(ws, xs), tuple(xs) + tuple(ws)\n"
    )


WITH_PARAMS = {"**k", "leaky_relu", "clamp"}  # forward(m, x, *params): the params are constants, not inputs
ONE_OR_TWO_INPUTS = sorted(name for name in RULES if name not in WITH_PARAMS | {"sum", "dot"})


@pytest.mark.parametrize("name", ONE_OR_TWO_INPUTS)
def test_any_rule_printed_as_a_float_step_is_the_rule_on_floats(name):
    # The printer is not tied to the hot rules: every one-/two-input rule prints to a step that
    # agrees bit for bit, cuts included (where, div, pow, log, nested choices).
    from autograd.symbols import float_step

    rule = RULES[name]
    step = float_step(rule, FLOAT)
    cases = [(x,) for x in EDGES] if rule.local.__code__.co_argcount == 3 else list(itertools.product(EDGES, EDGES))
    for xs in cases:
        out = rule.forward(FLOAT, *xs)
        assert same(step(*xs), (out, rule.local(FLOAT, out, *xs))), (name, xs)


def test_the_printer_refuses_names_it_did_not_generate():
    from autograd.rules import Rule
    from autograd.symbols import _check_step, float_step

    with pytest.raises(ValueError, match="cannot be printed"):
        float_step(Rule("shout", lambda m, X: X, lambda m, out, X: (1.0,)), FLOAT)
    with pytest.raises(ValueError, match="not generated"):
        _check_step("def float_step(x):\n    return open(x), (1.0,)\n", {"float_step", "x"})
    with pytest.raises(ValueError, match="not code"):
        _check_step("def float_step(x):\n    return 'x', (1.0,)\n", {"float_step", "x"})
    with pytest.raises(ValueError, match="dot outside a number"):
        _check_step("def float_step(x):\n    return x.real, (1.0,)\n", {"float_step", "x", "real"})
