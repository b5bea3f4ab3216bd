"""nn: modules, losses, optimisers, data sets, training — against hand derivations and PyTorch."""

from __future__ import annotations

import json
import math
import random

import pytest

import autograd
import nn
from autograd import Value
from nn import data


def close(a, b, rel=1e-9):
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)


# ---- modules -----------------------------------------------------------------------------------


def test_parameter_count_and_names_follow_pytorch_conventions():
    model = nn.MLP(2, [16, 16, 1], seed=0)
    assert model.num_parameters() == (2 * 16 + 16) + (16 * 16 + 16) + (16 + 1) == 337
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert names[-1] == "layers.2.neurons.0.b" and len(set(names)) == 337
    assert all(p.kind == autograd.PARAMETER for p in model.parameters())
    labels = [p.label for p in model.parameters()]
    assert labels[:3] == ["w0.0.0", "w0.0.1", "b0.0"] and labels[-1] == "b2.0"  # w<layer>.<neuron>.<input>
    assert len(set(labels)) == 337
    for module in (model, model.layers[1], model.layers[1].neurons[3]):
        assert module.parameters() == [p for _, p in module.named_parameters()]


def test_parameter_count_equals_pytorchs(torch):
    for nin, nouts in [(2, [16, 16, 1]), (3, [2, 1]), (5, [7, 3, 4])]:
        ours = nn.MLP(nin, nouts, seed=0)
        theirs = ours.to_torch()
        assert ours.num_parameters() == sum(p.numel() for p in theirs.parameters())


def test_a_neuron_is_one_dot_node_plus_bias_then_activation():
    neuron = nn.Neuron(3, "tanh", seed=0)
    out = neuron([1.0, 2.0, 3.0])
    assert out.op == "tanh"
    plus = out.parents[0]
    assert plus.op == "+" and plus.parents[1] is neuron.b
    dot = plus.parents[0]
    assert dot.op == "dot" and dot.parents[:3] == tuple(neuron.w)
    assert [x.label for x in dot.parents[3:]] == ["x1", "x2", "x3"]


def test_layer_returns_a_list_and_mlp_returns_one_value_for_one_output():
    layer = nn.Layer(2, 1, seed=0)
    assert isinstance(layer([1.0, 2.0]), list) and len(layer([1.0, 2.0])) == 1
    model = nn.MLP(2, [16, 1, 1], seed=0)  # a 1-wide hidden layer works
    assert isinstance(model([0.5, -0.5]), Value)
    assert len(nn.MLP(2, [3, 4], seed=0)([1.0, 1.0])) == 4


def test_wrong_input_length_says_expected_and_got():
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        nn.MLP(2, [3, 1], seed=0)([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="sequence"):
        nn.Neuron(2)(1.0)
    with pytest.raises(ValueError, match="unknown activation 'softsign'"):
        nn.Layer(2, 2, "softsign")
    with pytest.raises(ValueError, match="nin must be a positive int"):
        nn.Neuron(0)


def test_initialisation_is_deterministic_for_a_seed_and_scaled_by_fan_in():
    a, b = nn.MLP(4, [8, 1], seed=7), nn.MLP(4, [8, 1], seed=7)
    assert a.state_dict() == b.state_dict()
    assert a.state_dict() != nn.MLP(4, [8, 1], seed=8).state_dict()
    wide = nn.Layer(400, 50, "relu", seed=0)  # He: std sqrt(2/400)
    ws = [w.data for n in wide.neurons for w in n.w]
    std = math.sqrt(sum(w * w for w in ws) / len(ws))
    assert abs(std - math.sqrt(2 / 400)) < 0.05 * math.sqrt(2 / 400)
    glorot = nn.Layer(300, 100, "tanh", seed=0)  # Glorot uniform limit sqrt(6/400)
    assert max(abs(w.data) for n in glorot.neurons for w in n.w) <= math.sqrt(6 / 400)
    assert all(n.b.data == 0.0 for n in wide.neurons)


def seed_network() -> nn.MLP:
    """The seed's three-layer network: 3 inputs, 2 ReLU hidden nodes, 1 sigmoid output."""
    hidden = nn.Layer.from_weights([[0.2, 0.4, -0.5], [-0.3, 0.1, 0.2]], [0.1, -0.2], activation="relu")
    output = nn.Layer.from_weights([[0.7, -1.2]], [0.05], activation="sigmoid")
    return nn.MLP.from_layers([hidden, output])


def test_explicit_weights_reproduce_a_hand_calculation():
    model = seed_network()
    x = [1.0, 2.0, 0.5]
    h1 = max(0.0, 0.2 * 1 + 0.4 * 2 - 0.5 * 0.5 + 0.1)  # 0.85
    h2 = max(0.0, -0.3 * 1 + 0.1 * 2 + 0.2 * 0.5 - 0.2)  # -0.2 -> 0
    o = 1 / (1 + math.exp(-(0.7 * h1 - 1.2 * h2 + 0.05)))
    assert close(model(x).data, o)
    with pytest.raises(ValueError, match="layer 1 expects 3 inputs but layer 0 gives 2"):
        nn.MLP.from_layers([nn.Layer(3, 2), nn.Layer(3, 1)])


def test_repr_shows_the_structure():
    assert repr(nn.MLP(2, [16, 1], seed=0)) == (
        "MLP(\n  (0): Layer(nin=2, nout=16, activation='relu')\n  (1): Layer(nin=16, nout=1, activation='linear')\n)"
    )


def test_zero_grad_clears_parameter_gradients():
    model = nn.MLP(2, [3, 1], seed=0)
    model([1.0, 2.0]).backward()
    assert any(p.grad for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


# ---- save and load ---------------------------------------------------------------------------


def test_save_load_round_trip_is_exact(tmp_path):
    model = nn.MLP(2, [5, 1], seed=3)
    path = tmp_path / "model.json"
    model.save(path)
    other = nn.MLP(2, [5, 1], seed=4)
    other.load(path)
    assert other.state_dict() == model.state_dict()
    assert json.loads(path.read_text())["format"] == "chainrule.state_dict"
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]  # no temporary file left


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"format": "chainrule.state_dict", "version": 1, "state": {"layers.0', "truncated or corrupted"),
        ("\x00\x01garbage", "truncated or corrupted"),
        ('{"format": "something else"}', "not a chainrule model file"),
        ('{"format": "chainrule.state_dict", "version": 99, "state": {}}', "version 99"),
    ],
)
def test_corrupted_files_are_rejected_and_the_model_is_unchanged(tmp_path, content, message):
    model = nn.MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        model.load(path)
    assert model.state_dict() == before


def test_a_file_of_another_shape_names_the_missing_key_and_changes_nothing(tmp_path):
    small, big = nn.MLP(2, [3, 1], seed=0), nn.MLP(2, [4, 1], seed=1)
    path = tmp_path / "small.json"
    small.save(path)
    before = big.state_dict()
    with pytest.raises(ValueError, match=r"wrong shape.*missing key\(s\) 'layers.0.neurons.3.w.0'"):
        big.load(path)
    assert big.state_dict() == before
    state = small.state_dict()
    state["layers.0.neurons.0.b"] = "oops"
    with pytest.raises(ValueError, match="must be a finite number"):
        small.load_state_dict(state)


def test_an_interrupted_save_leaves_the_old_file_whole(tmp_path, monkeypatch):
    model = nn.MLP(2, [3, 1], seed=0)
    path = tmp_path / "model.json"
    model.save(path)
    old = path.read_text()

    def crash(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr("autograd.files.os.replace", crash)
    with pytest.raises(KeyboardInterrupt):
        nn.MLP(2, [3, 1], seed=1).save(path)
    assert path.read_text() == old and [p.name for p in tmp_path.iterdir()] == ["model.json"]


# ---- losses ------------------------------------------------------------------------------------


def test_losses_match_hand_derivations():
    p = Value(0.8)
    assert close(nn.mse_loss(p, 1.0).data, 0.04)
    assert close(nn.mse_loss([Value(1.0), Value(3.0)], [0.0, 1.0]).data, (1 + 4) / 2)
    assert close(nn.binary_cross_entropy(p, 1).data, -math.log(0.8))
    assert close(nn.hinge_loss(Value(0.3), -1).data, 1.3)
    assert nn.hinge_loss(Value(2.0), 1).data == 0.0
    assert close(nn.bce_with_logits(Value(0.0), 1).data, math.log(2))
    probs = nn.softmax([Value(1.0), Value(2.0), Value(3.0)])
    assert close(sum(q.data for q in probs), 1.0) and close(
        probs[2].data, math.exp(3) / sum(math.exp(k) for k in (1, 2, 3))
    )
    assert close(nn.cross_entropy([Value(1.0), Value(2.0), Value(3.0)], 0).data, -math.log(probs[0].data))


def test_losses_are_safe_at_the_extremes():
    assert close(nn.binary_cross_entropy(Value(0.0), 1).data, 100.0)
    assert nn.binary_cross_entropy(Value(1.0), 1).data == 0.0
    z = Value(1000.0)
    loss = nn.bce_with_logits(z, 0)
    loss.backward()
    assert close(loss.data, 1000.0) and close(z.grad, 1.0)
    big = [Value(1000.0), Value(-1000.0)]
    loss = nn.cross_entropy(big, 1)
    loss.backward()
    assert close(loss.data, 2000.0) and close(big[0].grad, 1.0)


def test_losses_match_pytorch(torch):
    F = torch.nn.functional
    rng = random.Random(0)
    zs = [rng.uniform(-3, 3) for _ in range(6)]
    ys = [rng.randint(0, 1) for _ in range(6)]
    cases = [
        (nn.mse_loss, lambda t, y: F.mse_loss(t, y), lambda z: z, ys),
        (nn.binary_cross_entropy, lambda t, y: F.binary_cross_entropy(t, y), lambda z: z.sigmoid(), ys),
        (nn.bce_with_logits, lambda t, y: F.binary_cross_entropy_with_logits(t, y), lambda z: z, ys),
        (nn.hinge_loss, lambda t, y: (1 - y * t).clamp(min=0).mean(), lambda z: z, [2 * y - 1 for y in ys]),
    ]
    for ours, theirs, pre, targets in cases:
        vs = [Value(z) for z in zs]
        out = ours([pre(v) for v in vs], targets)
        out.backward()
        t = torch.tensor(zs, requires_grad=True)
        tout = theirs(pre(t), torch.tensor(targets, dtype=torch.float64))
        tout.backward()
        assert close(out.data, tout.item()), ours.__name__
        assert all(close(v.grad, g) for v, g in zip(vs, t.grad.tolist())), ours.__name__
    logits = [[rng.uniform(-3, 3) for _ in range(4)] for _ in range(3)]
    targets = [0, 3, 2]
    vs = [[Value(z) for z in row] for row in logits]
    out = nn.cross_entropy(vs, targets)
    out.backward()
    t = torch.tensor(logits, requires_grad=True)
    tout = F.cross_entropy(t, torch.tensor(targets))
    tout.backward()
    assert close(out.data, tout.item())
    assert all(close(v.grad, g) for row, grow in zip(vs, t.grad.tolist()) for v, g in zip(row, grow))


def test_loss_inputs_are_checked():
    with pytest.raises(ValueError, match="2 predictions but 1 targets"):
        nn.mse_loss([Value(1.0), Value(2.0)], [1.0])
    with pytest.raises(ValueError, match="class index in 0..1"):
        nn.cross_entropy([Value(1.0), Value(2.0)], 2)


# ---- optimisers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (lambda p: nn.SGD(p, lr=0.1), lambda t, p: t.optim.SGD(p, lr=0.1)),
        (
            lambda p: nn.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01),
            lambda t, p: t.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01),
        ),
        (lambda p: nn.Adam(p, lr=0.01), lambda t, p: t.optim.Adam(p, lr=0.01, foreach=False)),
        (
            lambda p: nn.Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-6),
            lambda t, p: t.optim.Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-6, foreach=False),
        ),
    ],
)
def test_optimisers_follow_torch_optim_step_by_step(torch, ours, theirs):
    rng = random.Random(1)
    start = [rng.uniform(-1, 1) for _ in range(5)]
    params = [Value(x) for x in start]
    tparams = [torch.tensor(x, requires_grad=True) for x in start]
    opt, topt = ours(params), theirs(torch, tparams)
    for _ in range(10):
        grads = [rng.uniform(-2, 2) for _ in range(5)]
        opt.zero_grad()
        topt.zero_grad()
        for p, tp, g in zip(params, tparams, grads):
            p.grad = g
            tp.grad = torch.tensor(g)
        opt.step()
        topt.step()
        assert all(close(p.data, tp.item(), rel=1e-12) for p, tp in zip(params, tparams))


def test_optimisers_check_their_arguments():
    with pytest.raises(ValueError, match="empty parameter list"):
        nn.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="learning rate"):
        nn.SGD([Value(1.0)], lr=-1)
    with pytest.raises(ValueError, match="momentum must be in"):
        nn.SGD([Value(1.0)], lr=0.1, momentum=1.5)


# ---- gradients of a whole network --------------------------------------------------------------


def test_mlp_and_loss_gradients_equal_pytorchs(torch):
    model = nn.MLP(3, [8, 6, 1], activation="tanh", output_activation="sigmoid", seed=5)
    X, y = [[0.5, -1.0, 2.0], [1.5, 0.3, -0.7], [-0.2, 0.1, 0.9]], [1, 0, 1]
    loss = nn.binary_cross_entropy([model(x) for x in X], y)
    loss.backward()
    tmodel = model.to_torch()
    tloss = torch.nn.functional.binary_cross_entropy(
        tmodel(torch.tensor(X)).squeeze(1), torch.tensor(y, dtype=torch.float64)
    )
    tloss.backward()
    assert close(loss.data, tloss.item())
    tgrads = []
    for layer in tmodel:
        if isinstance(layer, torch.nn.Linear):
            for row, b in zip(layer.weight.grad.tolist(), layer.bias.grad.tolist()):
                tgrads += [*row, b]
    assert len(tgrads) == model.num_parameters()
    assert all(close(p.grad, g) for p, g in zip(model.parameters(), tgrads))


def test_to_torch_outputs_equal_ours(torch):
    model = nn.MLP(2, [16, 16, 1], seed=0)
    tmodel = model.to_torch()
    for x in ([0.5, -0.25], [1.0, 2.0], [-3.0, 0.1]):
        assert abs(model(x).data - tmodel(torch.tensor(x)).item()) <= 1e-12


def test_to_torch_without_torch_is_a_clear_import_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch":
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    with pytest.raises(ImportError, match="needs PyTorch"):
        nn.MLP(2, [1], seed=0).to_torch()


# ---- data sets -----------------------------------------------------------------------------------


def test_data_sets_are_deterministic_and_labelled():
    for make in (data.make_moons, data.make_circles, data.make_xor, data.make_spirals):
        X, y = make(50, noise=0.1, seed=3)
        assert (X, y) == make(50, noise=0.1, seed=3)
        assert len(X) == len(y) == 50 and set(y) == {0, 1} and all(len(x) == 2 for x in X)
    assert data.signed_labels([0, 1, 1]) == [-1, 1, 1]


def test_moons_have_scikit_learns_geometry():
    X, y = data.make_moons(100, noise=0.0, seed=0)
    top = [x for x, label in zip(X, y) if label == 0]
    bottom = [x for x, label in zip(X, y) if label == 1]
    assert len(top) == len(bottom) == 50
    assert all(close(math.hypot(a, b), 1.0) and b >= -1e-12 for a, b in top)  # upper unit half circle
    assert all(close(math.hypot(a - 1, b - 0.5), 1.0) and b <= 0.5 + 1e-12 for a, b in bottom)
    xor_X, xor_y = data.make_xor(40, seed=1)
    assert all(label == int((a > 0) != (b > 0)) for (a, b), label in zip(xor_X, xor_y))


# ---- training ------------------------------------------------------------------------------------


def test_micrograds_demo_reaches_full_training_accuracy():
    X, y = data.make_moons(100, noise=0.1, seed=1)
    model = nn.MLP(2, [16, 16, 1], seed=1)
    history = nn.fit(
        model,
        X,
        data.signed_labels(y),
        loss=nn.hinge_loss,
        optimizer=nn.SGD(model.parameters(), lr=1.0),
        epochs=100,
        l2=1e-4,
        lr_schedule=lambda k: 1.0 - 0.9 * k / 100,
        progress=False,
    )
    assert history.epochs == 100 and history.accuracy[-1] == 1.0
    assert history.loss[-1] < history.loss[0]


def test_xor_is_learned_with_binary_cross_entropy():
    X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    y = [0, 1, 1, 0]
    model = nn.MLP(2, [4, 1], output_activation="sigmoid", seed=0)
    history = nn.fit(
        model,
        X,
        y,
        loss=nn.binary_cross_entropy,
        optimizer=nn.Adam(model.parameters(), lr=0.05),
        epochs=500,
        progress=False,
    )
    assert history.accuracy[-1] == 1.0
    assert [round(model(x).data) for x in X] == y


def test_ctrl_c_stops_training_and_returns_the_history_so_far():
    model = nn.MLP(2, [3, 1], seed=0)
    calls = {"n": 0}

    def schedule(epoch):
        calls["n"] += 1
        if epoch == 3:
            raise KeyboardInterrupt
        return 0.1

    history = nn.fit(
        model,
        [[0.0, 1.0]],
        [1.0],
        loss=nn.mse_loss,
        optimizer=nn.SGD(model.parameters(), lr=0.1),
        epochs=10,
        lr_schedule=schedule,
        progress=False,
    )
    assert history.interrupted and history.epochs == 3 and history.accuracy == [None] * 3


def test_fit_shows_a_progress_bar_with_the_loss(capsys):
    model = nn.MLP(2, [3, 1], seed=0)
    nn.fit(
        model,
        [[0.0, 1.0], [1.0, 0.0]],
        [1, -1],
        loss=nn.hinge_loss,
        optimizer=nn.SGD(model.parameters(), lr=0.1),
        epochs=3,
        batch_size=1,
    )
    err = capsys.readouterr().err
    assert "training" in err and "loss=" in err and "3/3" in err
