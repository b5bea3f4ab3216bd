"""Small graphs worth drawing: shared by the docs, the tests and anyone trying the engine."""

from __future__ import annotations

from autograd.value import Value


def classic_neuron() -> Value:
    """micrograd's classic example, o = tanh(x1*w1 + x2*w2 + b), with every node labelled.

    The bias is chosen so that n = 0.8814 and o = tanh(n) = 0.7071, where do/dn = 1 - o**2 = 0.5.
    """
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o
