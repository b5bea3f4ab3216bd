"""Losses at the edges against PyTorch float64: huge logits, probabilities at 0 and 1, inf and nan;
and nn with numpy arrays and numpy scalars wherever it takes lists and floats."""

from __future__ import annotations

import math

import pytest

import autograd
import nn
from autograd import Value
from nn import losses

INF, NAN = math.inf, math.nan


def _engine_propagates_nan() -> bool:
    try:
        return math.isnan(Value(NAN).log().data) and math.isnan(Value(NAN).relu().data)
    except ValueError:
        return False


# Where a loss meets nan (or inf - inf), its answer comes from the engine's nan rules.
NEEDS_NAN = pytest.mark.skipif(not _engine_propagates_nan(), reason="needs the engine's nan propagation (issue 11)")


def _cases(values: list, needs_nan) -> list:
    return [pytest.param(v, marks=NEEDS_NAN, id=repr(v)) if needs_nan(v) else pytest.param(v, id=repr(v))
            for v in values]  # fmt: skip


def _close(ours: float, theirs: float) -> bool:
    if math.isnan(theirs):
        return math.isnan(ours)
    return ours == theirs or math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-15)


def test_cross_entropy_of_two_equal_huge_logits_is_log_2():
    z = [Value(1e17), Value(1e17)]
    loss = losses.cross_entropy(z, 0)
    loss.backward()
    assert loss.data == math.log(2)
    assert [v.grad for v in z] == [-0.5, 0.5]


LOGITS = [
    [1e17, 1e17],
    [1e308, 1e308],
    [1e308, -1e308],
    [-1e308, 0.0],
    [1000.0, -1000.0],
    [-745.0, 0.0],
    [1e-300, -1e-300, 5e-324],
    [3.0, 3.0 + 1e-15, -2.0],
    [INF, 0.0],
    [0.0, INF],
    [-INF, 0.0],
    [NAN, 0.0],
    [0.0, NAN],
    [0.0, -0.0],
]


@pytest.mark.parametrize("logits", _cases(LOGITS, lambda z: any(x != x or x == INF for x in z)))
@pytest.mark.parametrize("target", [0, 1])
def test_cross_entropy_matches_torch_at_extreme_logits(logits, target, torch):
    z = [Value(x) for x in logits]
    loss = losses.cross_entropy(z, target)
    loss.backward()
    t = torch.tensor(logits, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(t[None], torch.tensor([target]))
    expected.backward()
    assert _close(loss.data, expected.item()), (loss.data, expected.item())
    for ours, theirs in zip([v.grad for v in z], t.grad.tolist()):
        assert _close(ours, theirs), ([v.grad for v in z], t.grad.tolist())


def test_cross_entropy_mean_over_samples_matches_torch(torch):
    batch = [[1e17, 1e17, 0.0], [-3.0, 2.0, 1e5], [0.5, 0.25, -0.125]]
    targets = [1, 2, 0]
    zs = [[Value(x) for x in row] for row in batch]
    loss = losses.cross_entropy(zs, targets)
    loss.backward()
    t = torch.tensor(batch, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(t, torch.tensor(targets))
    expected.backward()
    assert _close(loss.data, expected.item())
    assert all(_close(v.grad, g) for row, grow in zip(zs, t.grad.tolist()) for v, g in zip(row, grow))


LOGIT_POINTS = [0.0, -0.0, 1e-300, 0.5, -3.0, 37.0, 40.0, -40.0, 100.0, 710.0, -710.0, 1e17, -1e17, 1e308, -1e308,
                INF, -INF, NAN]  # fmt: skip


@pytest.mark.parametrize("z", _cases(LOGIT_POINTS, lambda z: z != z))
@pytest.mark.parametrize("y", [0.0, 1.0, 0.3])
def test_bce_with_logits_matches_torch_at_extreme_logits(z, y, torch):
    v = Value(z)
    loss = losses.bce_with_logits(v, y)
    loss.backward()
    t = torch.tensor(z, requires_grad=True)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(t, torch.tensor(y))
    expected.backward()
    assert _close(loss.data, expected.item()), (loss.data, expected.item())
    assert _close(v.grad, t.grad.item()), (v.grad, t.grad.item())


PROBABILITIES = [0.0, 5e-324, 1e-300, 1e-50, 1e-13, 1e-12, 2e-12, 1e-8, 1e-4, 0.3, 0.5, 1 - 1e-8, 1 - 1e-12,
                 1 - 1e-13, 1 - 2**-53, 1.0]  # fmt: skip


@pytest.mark.parametrize("p", PROBABILITIES, ids=[repr(p) for p in PROBABILITIES])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.3])
def test_binary_cross_entropy_matches_torch_at_extreme_probabilities(p, y, torch):
    v = Value(p)
    loss = losses.binary_cross_entropy(v, y)
    loss.backward()
    t = torch.tensor(p, requires_grad=True)
    expected = torch.nn.functional.binary_cross_entropy(t, torch.tensor(y))
    expected.backward()
    assert _close(loss.data, expected.item()), (loss.data, expected.item())
    assert math.isclose(v.grad, t.grad.item(), rel_tol=1e-6, abs_tol=1e-15), (v.grad, t.grad.item())


@pytest.mark.parametrize("p", [-0.1, 1.5, NAN, INF])
def test_binary_cross_entropy_refuses_what_is_not_a_probability_like_torch(p, torch):
    with pytest.raises(ValueError, match=r"probability in \[0, 1\]"):
        losses.binary_cross_entropy(Value(p), 1.0)
    with pytest.raises(RuntimeError):
        torch.nn.functional.binary_cross_entropy(torch.tensor(p), torch.tensor(1.0))


@pytest.mark.parametrize("x", _cases([1e308, -1e308, 1e200, 1e-300, INF, NAN, 0.0], lambda x: x != x))
@pytest.mark.parametrize("target", [0.0, 1e308, -INF])
def test_mse_and_hinge_match_torch_at_extreme_values(x, target, torch):
    v = Value(x)
    loss = losses.mse_loss(v, target)
    loss.backward()
    t = torch.tensor(x, requires_grad=True)
    expected = torch.nn.functional.mse_loss(t, torch.tensor(target))
    expected.backward()
    assert _close(loss.data, expected.item()) and _close(v.grad, t.grad.item()), (loss.data, v.grad, expected, t.grad)
    if target == 0.0:  # the hinge loss takes a +-1 label: its extreme values are the scores
        for y in (1.0, -1.0):
            v = Value(x)
            loss = losses.hinge_loss(v, y)
            loss.backward()
            t = torch.tensor(x, requires_grad=True)
            expected = torch.clamp(1 - y * t, min=0)
            expected.backward()
            assert _close(loss.data, expected.item()), (x, y, loss.data)
            if x == x:  # at nan the gradient is the engine's relu rule at nan (PyTorch's is 0): not this test's
                assert _close(v.grad, t.grad.item()), (x, y, v.grad, t.grad.item())


def test_softmax_of_huge_logits_sums_to_one_and_matches_torch(torch):
    logits = [1e17, 1e17, -1e308, 3.0]
    probs = losses.softmax([Value(x) for x in logits])
    expected = torch.softmax(torch.tensor(logits), 0).tolist()
    assert all(_close(p.data, e) for p, e in zip(probs, expected))


# ---- numpy wherever lists and floats are taken --------------------------------------------------------


@pytest.fixture
def np():
    return pytest.importorskip("numpy")


def test_fit_trains_on_numpy_arrays_like_make_moons_gives(np):
    X_list, y_list = nn.data.make_moons(60, noise=0.1, seed=0)
    X, y = np.array(X_list), np.array(y_list)  # float64 (n, 2) and int64 (n,), as scikit-learn returns
    results = []
    for data in ((X, y), (X_list, y_list)):
        model = nn.MLP(2, [8, 1], seed=0)
        history = nn.fit(model, *data, loss=losses.bce_with_logits, optimizer=nn.Adam(model.parameters(), lr=0.05),
                         epochs=5, progress=False)  # fmt: skip
        results.append((history.loss, history.accuracy, model.state_dict()))
    assert results[0] == results[1]  # the same training, numbers for numbers
    assert all(type(a) is float for a in results[0][1])


def test_fit_with_cross_entropy_and_numpy_integer_targets(np):
    X, y = nn.data.make_moons(40, seed=1)
    model = nn.MLP(np.int64(2), np.array([4, 2]), seed=0)
    history = nn.fit(model, np.array(X, dtype=np.float32), np.array(y, dtype=np.int32), loss=losses.cross_entropy,
                     optimizer=nn.SGD(model.parameters(), lr=np.float32(0.1)), epochs=np.int64(2),
                     batch_size=np.int64(8), progress=False)  # fmt: skip
    assert history.epochs == 2 and all(math.isfinite(v) for v in history.loss)


def test_layers_and_losses_take_numpy_scalars_and_rows(np):
    neuron = nn.Neuron(3, seed=0)
    row = np.array([0.5, -1.0, 2.0])
    assert neuron(row).data == neuron([0.5, -1.0, 2.0]).data
    layer = nn.Layer.from_weights(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, -0.5]), activation="linear")
    assert [v.data for v in layer(np.array([1.0, 1.0]))] == [3.5, 6.5]
    with pytest.raises(ValueError, match="1-D"):
        neuron(np.ones((1, 3)))
    assert losses.mse_loss(Value(1.0), np.float32(0.5)).data == 0.25
    assert losses.mse_loss([Value(1.0), Value(2.0)], np.array([1.0, 1.0])).data == 0.5
    assert losses.cross_entropy([Value(0.0), Value(0.0)], np.int64(1)).data == math.log(2)
    assert losses.hinge_loss(np.array([Value(2.0)], dtype=object), np.array([-1])).data == 3.0
    assert (np.float64(2.0) * Value(3.0)).data == 6.0 and isinstance(np.int64(2) * Value(3.0), Value)
    assert Value(np.float32(0.5)).data == 0.5 and type(Value(np.int64(3)).data) is float


def test_load_state_dict_takes_numpy_numbers(np):
    model = nn.MLP(2, [2, 1], seed=0)
    state = {name: np.float32(0.25) for name in model.state_dict()}
    model.load_state_dict(state)
    assert set(model.state_dict().values()) == {0.25}
    assert all(type(v) is float for v in model.state_dict().values())


def test_autograd_sum_and_dot_take_numpy_arrays(np):
    xs = np.array([1.0, 2.0, 3.0])
    assert autograd.sum(xs).data == 6.0 and autograd.dot(xs, np.array([1, 1, 1])).data == 6.0
