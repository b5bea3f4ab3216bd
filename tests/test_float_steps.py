"""Each rule's float step (its forward and local formulas on floats, written out in one function)
gives exactly what the rule gives when it is interpreted with m = FLOAT, at ordinary and edge values."""

from __future__ import annotations

import itertools
import math

import pytest

from autograd.rules import CUT, FLOAT, RULES

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
