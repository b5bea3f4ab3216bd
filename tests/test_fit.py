"""`nn.fit`'s speed features: the cycle collector paused per step, and the compiled replay."""

from __future__ import annotations

import gc

import pytest

import autograd
import nn
from nn import data


def moons_problem(samples: int = 20, seed: int = 1):
    X, labels = data.make_moons(samples, noise=0.1, seed=seed)
    return X, data.signed_labels(labels)


def test_the_collector_is_off_inside_a_training_step_and_on_again_after(monkeypatch):
    X, y = moons_problem(4)
    model = nn.MLP(2, [3, 1], seed=0)
    seen = []

    def loss(predictions, targets):
        seen.append(gc.isenabled())
        return nn.hinge_loss(predictions, targets)

    assert gc.isenabled()
    nn.fit(model, X, y, loss=loss, optimizer=nn.SGD(model.parameters(), lr=0.1), epochs=2, progress=False)
    assert seen == [False, False] and gc.isenabled()


def test_the_collector_is_switched_on_again_when_a_step_raises():
    X, y = moons_problem(4)
    model = nn.MLP(2, [3, 1], seed=0)

    def broken_loss(predictions, targets):
        raise ValueError("a loss that fails")

    with pytest.raises(ValueError, match="a loss that fails"):
        nn.fit(model, X, y, loss=broken_loss, optimizer=nn.SGD(model.parameters(), lr=0.1), progress=False)
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_caller_stays_off():
    X, y = moons_problem(4)
    model = nn.MLP(2, [3, 1], seed=0)
    gc.disable()
    try:
        nn.fit(model, X, y, loss=nn.hinge_loss, optimizer=nn.SGD(model.parameters(), lr=0.1), epochs=1, progress=False)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_training_leaves_no_graph_for_the_collector_to_find():
    """The reason pausing is safe: a training step's graph is freed by reference counting alone."""
    X, y = moons_problem(10)
    model = nn.MLP(2, [4, 1], seed=0)
    gc.collect()
    nn.fit(model, X, y, loss=nn.hinge_loss, optimizer=nn.SGD(model.parameters(), lr=0.1), epochs=3, progress=False)
    # no node made by an operation is left: not alive, and not waiting as cyclic garbage either
    assert not [o for o in gc.get_objects() if isinstance(o, autograd.Value) and o.op]
