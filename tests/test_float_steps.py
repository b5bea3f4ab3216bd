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
