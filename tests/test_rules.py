"""The one table of derivative rules: every operation comes from it, in both interpretations."""

from __future__ import annotations

import math

import autograd
from autograd import Value
from autograd.rules import CUT, FLOAT, RULES
from autograd.value import VALUE, _local_values

EDGE = [0.0, -0.0, 0.7, -1.3, 2.0, 5e-324, 1e300, -1e300, math.inf, -math.inf, math.nan]

# Every public operation, as a function of Values, and the rule it must come from.
OPERATIONS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
    "**k": lambda a: a**3,
    "neg": lambda a: -a,
    "abs": abs,
    "exp": Value.exp,
    "log": Value.log,
    "sqrt": Value.sqrt,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "sin": Value.sin,
    "cos": Value.cos,
    "relu": Value.relu,
    "leaky_relu": lambda a: a.leaky_relu(0.2),
    "clamp": lambda a: a.clamp(-1.0, 1.5),
    "sum": lambda a, b: autograd.sum([a, b, a]),
    "dot": lambda a, b: autograd.dot([a, b], [b, 2.0]),
}


def same(x: float, y: float) -> bool:
    """Equal as IEEE numbers, nan equal to nan."""
    return x == y or (math.isnan(x) and math.isnan(y))


def test_every_operation_has_exactly_one_rule_and_every_rule_is_used():
    assert set(OPERATIONS) == set(RULES)
    for name, op in OPERATIONS.items():
        arity = op.__code__.co_argcount if hasattr(op, "__code__") else 1
        out = op(*[Value(0.5)] * arity)
        assert out.rule is RULES[name] or out.rule.name == name


def test_value_interpretation_computes_the_same_local_derivatives_as_float():
    # For every rule at ordinary and edge inputs, the VALUE interpretation's local derivatives (a
    # graph of Values) hold exactly the numbers recorded by the FLOAT interpretation: one formula.
    checked = 0
    for name, op in OPERATIONS.items():
        arity = op.__code__.co_argcount if hasattr(op, "__code__") else 1
        for a in EDGE:
            for b in EDGE if arity == 2 else [None]:
                inputs = [Value(a)] + ([Value(b)] if b is not None else [])
                try:
                    out = op(*inputs)
                except (ValueError, ZeroDivisionError):
                    continue  # outside the domain: a teaching error, tested elsewhere
                values = _local_values(out)
                assert len(values) == len(out.local_grads)
                for v, recorded in zip(values, out.local_grads):
                    number = v.data if isinstance(v, Value) else v
                    assert same(number, recorded), (name, a, b, number, recorded)
                    assert (v is CUT) == (recorded is CUT), (name, a, b)
                checked += 1
    assert checked > 300


def test_the_float_namespace_never_raises():
    for f in ("exp", "log", "sqrt", "tanh", "sigmoid", "sin", "cos", "abs"):
        for x in EDGE:
            getattr(FLOAT, f)(x)
    for a in EDGE:
        for b in EDGE:
            FLOAT.div(a, b), FLOAT.pow(a, b), FLOAT.max(a, b), FLOAT.min(a, b)
    assert FLOAT.div(1.0, 0.0) == math.inf and FLOAT.div(-1.0, 0.0) == -math.inf
    assert FLOAT.div(1.0, -0.0) == -math.inf and math.isnan(FLOAT.div(0.0, 0.0))
    assert FLOAT.pow(0.0, -1.0) == math.inf and FLOAT.pow(-0.0, -1.0) == -math.inf
    assert math.isnan(FLOAT.pow(-8.0, 1 / 3)) and FLOAT.pow(10.0, 400.0) == math.inf
    assert FLOAT.pow(-10.0, 401.0) == -math.inf and FLOAT.pow(-10.0, 400.0) == math.inf
    assert math.isnan(FLOAT.max(math.nan, 1.0)) and math.isnan(FLOAT.max(1.0, math.nan))
    assert math.isnan(FLOAT.min(math.nan, 1.0)) and math.isnan(FLOAT.min(1.0, math.nan))


def test_the_value_namespace_offers_what_the_rules_use():
    for name in vars(FLOAT):
        if name in ("max", "min") or name.startswith("_"):
            continue  # clamp's forward only: the VALUE interpretation runs local derivatives
        assert hasattr(VALUE, name), name


def test_value_namespace_is_total_outside_the_domain():
    # a `where` evaluates both branches, so VALUE's functions must not raise where FLOAT does not
    assert VALUE.log(Value(-1.0)).data != VALUE.log(Value(-1.0)).data  # nan
    assert VALUE.div(1.0, Value(0.0)).data == math.inf
    assert VALUE.pow(Value(0.0), -0.5).data == math.inf


def test_pickle_and_deepcopy_keep_rules_and_the_cut():
    import copy
    import pickle

    x = Value(-1.0)
    y = (x.relu() + x.clamp(0.5, 2.0) + x**2).tanh()
    for clone in (pickle.loads(pickle.dumps(y)), copy.deepcopy(y)):
        order = autograd.topological_order(clone)
        assert [n.rule.name if n.rule else "" for n in order] == [
            n.rule.name if n.rule else "" for n in autograd.topological_order(y)
        ]
        assert any(g is CUT for n in order for g in n.local_grads)  # the cut stays the one CUT
        leaf = order[0]
        clone.backward(create_graph=True)  # the VALUE interpretation still finds every rule
        assert isinstance(leaf.grad, Value)
