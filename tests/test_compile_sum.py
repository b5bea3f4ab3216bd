"""autograd.compile_sum, and nn.fit's compiled training built on it.

`compile_sum(f, *one_sample)` compiles one sample's program into a loop over many samples. Every test
compares it with the interactive engine run on the same numbers: ``weight * sum(f(sample_i))`` built as
one graph and ``backward()``, whose gradients add up sample by sample in the order the program adds them.
"""

from __future__ import annotations

import inspect
import math
import random
import warnings

import pytest

import autograd
import nn
from autograd import Value
from autograd import program as program_module
from nn import data
from tests.test_program import BINARY, UNARY, same


def engine_sum(f, params, samples, weight):
    """The engine's weight * sum_i f(sample_i) (added left to right) and backward()'s gradients of it.

    The batch graph lists the samples last to first, so that backward() meets them first to last:
    the order in which the program adds the samples' gradients."""
    for p in params:
        p.grad = 0.0
    outs = [f(*(Value(a) if isinstance(a, float) else a for a in sample)) for sample in reversed(samples)]
    (autograd.sum(outs) * weight).backward()
    total = 0.0
    for out in reversed(outs):
        total += out.data
    return total * weight, [p.grad for p in params]


def random_model(rng: random.Random, n_inputs: int, n_params: int, n_ops: int):
    """A random function of one sample's `n_inputs` numbers that reads `n_params` parameter Values."""
    params = [Value(rng.uniform(-1.5, 1.5), kind=autograd.PARAMETER) for _ in range(n_params)]
    plan = []
    for _ in range(n_ops):
        kind = rng.random()
        if kind < 0.4:
            plan.append(("unary", rng.randrange(len(UNARY)), rng.random()))
        elif kind < 0.85:
            plan.append(("binary", rng.randrange(len(BINARY)), rng.random(), rng.random()))
        else:
            plan.append(("nary", rng.choice(["sum", "dot"]), rng.randrange(1, 5), rng.random()))

    def f(*xs):
        nodes = [*params, *xs]
        for step in plan:
            pick = lambda u: nodes[int(u * len(nodes))]  # noqa: E731 - a node chosen by a stored number
            if step[0] == "unary":
                nodes.append(UNARY[step[1]](pick(step[2])))
            elif step[0] == "binary":
                nodes.append(BINARY[step[1]](pick(step[2]), pick(step[3])))
            else:
                chosen = [nodes[(int(step[3] * len(nodes)) + 7 * k) % len(nodes)] for k in range(step[2])]
                nodes.append(autograd.sum(chosen) if step[1] == "sum" else autograd.dot(chosen, chosen[::-1]))
        return autograd.sum(nodes[-3:]).relu() * nodes[-1]  # a relu of the whole: samples it skips entirely

    return f, params


def test_compile_sum_equals_the_engine_sample_after_sample_bit_for_bit_on_300_random_models():
    rng = random.Random(14)
    checked = 0
    for trial in range(300):
        n_inputs = rng.randrange(1, 4)
        f, params = random_model(rng, n_inputs, rng.randrange(1, 5), rng.randrange(1, 12))
        samples = [tuple(rng.uniform(-2, 2) for _ in range(n_inputs)) for _ in range(rng.randrange(1, 6))]
        if trial % 10 == 0:  # an inf or a nan in a sample: skipped products must not hide it
            samples.append(tuple(rng.choice([math.inf, -math.inf, math.nan, 0.5]) for _ in range(n_inputs)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", autograd.SpecialisationWarning)
            compiled = autograd.compile_sum(f, *samples[0])
        weight = rng.choice([1.0, 1.0 / len(samples), 0.3])
        try:
            expected_value, expected_grads = engine_sum(f, params, samples, weight)
        except (ArithmeticError, ValueError) as error:  # outside the domain: both must refuse
            with pytest.raises(type(error)):
                compiled(samples, weight)
            continue
        for p in params:
            p.grad = 0.0
        value = compiled(samples, weight)
        grads = [p.grad for p in params]
        assert same(value, expected_value), (compiled.source, samples)
        assert all(map(same, grads, expected_grads)), (compiled.source, samples, grads, expected_grads)
        checked += 1
    assert checked > 250


def moons(n: int, seed: int = 1):
    X, labels = data.make_moons(n, noise=0.1, seed=seed)
    return X, [float(t) for t in data.signed_labels(labels)]


@pytest.mark.parametrize("exact", [True, False])
def test_the_demo_network_summed_over_its_samples_equals_the_engine(exact):
    X, y = moons(30)
    model = nn.MLP(2, [16, 16, 1], seed=1)
    params = model.parameters()

    def sample_loss(x, t):
        return nn.hinge_loss(model(x), t)

    compiled = autograd.compile_sum(sample_loss, X[0], y[0], exact=exact)
    samples = list(zip(X, y))
    expected_value, expected_grads = engine_sum(sample_loss, params, samples, 1 / len(X))
    for p in params:
        p.grad = 0.0
    value = compiled(samples, 1 / len(X))
    if exact:  # the engine's arithmetic: the same numbers
        assert value == expected_value and [p.grad for p in params] == expected_grads
    else:  # sums added left to right instead of correctly rounded
        assert value == pytest.approx(expected_value, rel=1e-12)
        assert [p.grad for p in params] == pytest.approx(expected_grads, rel=1e-12, abs=1e-15)
    # and the mean of the samples' losses is the batch loss backward() differentiates, to within rounding
    for p in params:
        p.grad = 0.0
    batch = nn.hinge_loss([model(x) for x in X], y)
    batch.backward()
    assert value == pytest.approx(batch.data, rel=1e-12)
    assert [p.grad for p in params] == pytest.approx(expected_grads, rel=1e-12, abs=1e-15)


def test_the_program_does_not_grow_with_the_number_of_samples():
    model = nn.MLP(2, [4, 1], seed=0)
    compiled = autograd.compile_sum(lambda x, t: nn.mse_loss(model(x), t), [0.5, -0.5], 1.0)
    for n in (2, 10, 1000):
        X, y = moons(n)
        compiled(list(zip(X, y)))  # one program for every batch size
    loop = [line for line in compiled.source.splitlines() if line.strip().startswith("for ")]
    assert len(loop) == 1 and len(compiled.source.splitlines()) < 120


def test_aux_outputs_come_back_per_sample_in_their_shape():
    model = nn.MLP(2, [3, 2], seed=0)

    def sample_loss(x, t):
        scores = model(x)
        return (scores[0] - t) ** 2 + scores[1] ** 2, scores

    compiled = autograd.compile_sum(sample_loss, [0.1, 0.2], 1.0, has_aux=True)
    X, y = moons(4)
    value, outputs = compiled(list(zip(X, y)), 0.25)
    assert outputs == [[s.data for s in model(x)] for x in X]
    assert value == pytest.approx(sum(sample_loss(x, t)[0].data for x, t in zip(X, y)) / 4, rel=1e-15)


def test_a_python_if_on_data_is_caught_when_compiling_a_sum():
    w = Value(0.5, kind=autograd.PARAMETER)

    def branchy(x):
        return w * x if x.data > 0 else w * x * x

    with pytest.warns(autograd.SpecialisationWarning, match="compile_sum"):
        compiled = autograd.compile_sum(branchy, 1.0)
    with pytest.raises(autograd.TraceMismatch):
        compiled.check(-1.0)


def test_hostile_labels_stay_in_comments_of_the_summed_program():
    w = Value(-0.25, label="__import__('os').system('echo ran')\n\u2028x = 1", kind=autograd.PARAMETER)

    def f(x):
        out = (w * x).tanh()
        out.label = "'); import os #\r\n"
        return out

    compiled = autograd.compile_sum(f, 0.5)
    assert compiled.function.__globals__["__builtins__"] == {}
    for line in compiled.source.splitlines():
        code = line.split("#", 1)[0]
        assert "import" not in code and "'" not in code
    assert compiled([(0.5,), (-2.0,)]) == pytest.approx(math.tanh(-0.125) + math.tanh(0.5))


def test_the_summed_template_is_the_only_other_first_line_the_checker_accepts():
    listing = autograd.trace(lambda a, b: a * b, 2.0, 3.0)
    listing.lines[0] = program_module.Line("def forward_backward(inputs, samples):", indent=0)
    listing.source = "\n".join(line.text() for line in listing.lines) + "\n"
    with pytest.raises(AssertionError):
        program_module._check_source(listing)


# ---- nn.fit: compiled by default -----------------------------------------------------------------


def fit(mode, loss=nn.hinge_loss, batch_size=None, epochs=5, l2=1e-4, optimizer=nn.SGD, **options):
    X, y = moons(40, seed=3)
    model = nn.MLP(2, [8, 8, 1], seed=2)
    opt = optimizer(model.parameters(), **(options or {"lr": 0.2}))
    history = nn.fit(
        model, X, y, loss=loss, optimizer=opt, epochs=epochs, batch_size=batch_size, l2=l2, progress=False,
        **({} if mode == "default" else {"compile": mode}),
    )  # fmt: skip
    return history, [p.data for p in model.parameters()]


def test_fit_compiles_by_default():
    assert inspect.signature(nn.fit).parameters["compile"].default is None
    default, weights = fit("default")
    compiled, compiled_weights = fit(True)
    interactive, interactive_weights = fit(False)
    assert default.loss == compiled.loss and weights == compiled_weights  # the compiled path, not a fallback
    assert default.loss == pytest.approx(interactive.loss, rel=1e-12)
    assert weights == pytest.approx(interactive_weights, rel=1e-12, abs=1e-15)
    assert default.accuracy == interactive.accuracy


@pytest.mark.parametrize("batch_size, optimizer", [(None, nn.Adam), (7, nn.SGD), (1, nn.SGD)])
def test_minibatches_and_adam_train_like_the_interactive_engine(batch_size, optimizer):
    options = {"lr": 0.01} if optimizer is nn.Adam else {"lr": 0.2}
    compiled, weights = fit(None, nn.mse_loss, batch_size, optimizer=optimizer, **options)
    interactive, interactive_weights = fit(False, nn.mse_loss, batch_size, optimizer=optimizer, **options)
    assert compiled.loss == pytest.approx(interactive.loss, rel=1e-12)
    assert weights == pytest.approx(interactive_weights, rel=1e-12, abs=1e-15)


def test_a_loss_that_is_not_a_mean_over_samples_is_compiled_as_one_program_and_still_right():
    def summed_hinge(predictions, targets):  # a sum over the samples, not a mean: no per-sample program
        return nn.hinge_loss(predictions, targets) * len(targets)

    compiled, weights = fit(True, summed_hinge, epochs=3, lr=0.01)
    interactive, interactive_weights = fit(False, summed_hinge, epochs=3, lr=0.01)
    assert compiled.loss == pytest.approx(interactive.loss, rel=1e-12)
    assert weights == pytest.approx(interactive_weights, rel=1e-12, abs=1e-15)


def test_a_users_own_mean_loss_is_compiled_per_sample_with_compile_true():
    def squared_hinge(predictions, targets):
        return autograd.sum([(1 - t * p).relu() ** 2 for p, t in zip(predictions, targets)]) * (1 / len(targets))

    compiled, weights = fit(True, squared_hinge, batch_size=8)
    interactive, interactive_weights = fit(False, squared_hinge, batch_size=8)
    assert compiled.loss == pytest.approx(interactive.loss, rel=1e-12)
    assert weights == pytest.approx(interactive_weights, rel=1e-12, abs=1e-15)


def test_record_and_live_keep_working_with_the_default(capsys):
    X, y = moons(20)
    runs = []
    for mode in (None, False):
        model = nn.MLP(2, [4, 1], seed=0)
        history = nn.fit(
            model, X, y, loss=nn.hinge_loss, optimizer=nn.SGD(model.parameters(), lr=0.1), epochs=3,
            record=True, live=True, progress=False, compile=mode,
        )  # fmt: skip  (outside Jupyter, live=True trains in the foreground)
        runs.append(history)
    default, interactive = runs
    assert capsys.readouterr().err == ""
    assert len(default.snapshots) == 3
    for a, b in zip(default.snapshots, interactive.snapshots):
        assert a.params == pytest.approx(b.params, rel=1e-12, abs=1e-15)
        assert a.grads == pytest.approx(b.grads, rel=1e-9, abs=1e-15)
