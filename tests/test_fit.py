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


# ---- the compiled replay ------------------------------------------------------------------------

needs_compile = pytest.mark.skipif(not hasattr(autograd, "compile"), reason="autograd.compile is not here yet")


def train(mode, loss=nn.hinge_loss, batch_size=None, epochs=4, optimizer=nn.SGD, l2=1e-4, **opt):
    X, y = moons_problem(24, seed=5)
    if loss is nn.binary_cross_entropy:
        y = [(t + 1) // 2 for t in y]
    activation = "sigmoid" if loss is nn.binary_cross_entropy else "linear"
    model = nn.MLP(2, [5, 4, 1], output_activation=activation, seed=3)
    history = nn.fit(
        model,
        X,
        y,
        loss=loss,
        optimizer=optimizer(model.parameters(), **(opt or {"lr": 0.3})),
        epochs=epochs,
        batch_size=batch_size,
        l2=l2,
        progress=False,
        compile=mode,
    )
    return history, [p.data for p in model.parameters()]


@needs_compile
@pytest.mark.parametrize(
    "loss, batch_size, optimizer",
    [
        (nn.hinge_loss, None, nn.SGD),
        (nn.mse_loss, 5, nn.SGD),
        (nn.binary_cross_entropy, None, nn.Adam),
        (nn.hinge_loss, 7, nn.Adam),
    ],
)
def test_the_compiled_replay_trains_like_the_interactive_engine_to_the_last_bits(loss, batch_size, optimizer):
    options = {"lr": 0.05} if optimizer is nn.Adam else {"lr": 0.3}
    interactive, weights = train(False, loss, batch_size, optimizer=optimizer, **options)
    compiled, compiled_weights = train(True, loss, batch_size, optimizer=optimizer, **options)
    assert compiled.loss == pytest.approx(interactive.loss, rel=1e-12, abs=1e-15)
    assert compiled.accuracy == interactive.accuracy
    assert compiled_weights == pytest.approx(weights, rel=1e-12, abs=1e-15)


@needs_compile
def test_compile_none_compiles_the_demo_and_says_nothing(capsys):
    history, _ = train(None)
    assert capsys.readouterr().err == ""
    assert history.loss == train(True)[0].loss  # the compiled path, not a silent fallback
    assert history.loss == pytest.approx(train(False)[0].loss, rel=1e-12)


@needs_compile
def test_compile_none_falls_back_with_a_one_line_note_for_a_loss_that_branches_on_data(capsys):
    X, y = moons_problem(6)
    model = nn.MLP(2, [3, 1], seed=0)
    targets = [(t + 1) // 2 for t in y]
    history = nn.fit(
        model,
        X,
        targets,
        loss=nn.bce_with_logits,
        optimizer=nn.SGD(model.parameters(), lr=0.1),
        epochs=2,
        progress=False,
        compile=None,
    )
    note = capsys.readouterr().err.strip()
    assert note.count("\n") == 0 and "bce_with_logits" in note and "training interactively" in note
    assert history.epochs == 2


@needs_compile
def test_compile_true_refuses_a_loss_whose_graph_depends_on_the_data():
    X, y = moons_problem(6)
    model = nn.MLP(2, [3, 1], seed=0)

    def loss_with_a_data_branch(predictions, targets):
        worst = max(p.data for p in predictions)  # a number read from .data: frozen by a trace
        return nn.hinge_loss(predictions, targets) * worst

    with pytest.raises(ValueError, match=r"fit\(compile=True\)"):
        nn.fit(
            model,
            X,
            y,
            loss=loss_with_a_data_branch,
            optimizer=nn.SGD(model.parameters(), lr=0.1),
            epochs=1,
            progress=False,
            compile=True,
        )


@needs_compile
def test_compile_true_refuses_targets_that_are_not_numbers_of_a_fixed_graph():
    X = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]
    model = nn.MLP(2, [3, 2], seed=0)
    with pytest.raises(ValueError, match=r"fit\(compile=True\)"):
        nn.fit(
            model,
            X,
            [0, 1, 1, 0],
            loss=nn.cross_entropy,
            optimizer=nn.SGD(model.parameters(), lr=0.1),
            epochs=1,
            batch_size=2,
            progress=False,
            compile=True,
        )


def test_compile_must_be_true_false_or_none():
    X, y = moons_problem(4)
    model = nn.MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match="compile must be True, False or None"):
        nn.fit(model, X, y, loss=nn.hinge_loss, optimizer=nn.SGD(model.parameters(), lr=0.1), compile="yes")


@needs_compile
def test_a_compiled_program_kept_for_later_calls_does_not_keep_its_model_alive():
    import weakref

    X, y = moons_problem(6)
    model = nn.MLP(2, [3, 1], seed=0)
    nn.fit(
        model,
        X,
        y,
        loss=nn.hinge_loss,
        optimizer=nn.SGD(model.parameters(), lr=0.1),
        epochs=1,
        progress=False,
        compile=True,
    )
    alive = weakref.ref(model)
    del model
    gc.collect()
    assert alive() is None
