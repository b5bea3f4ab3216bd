"""Files at the edges: atomic saves (even under kill -9), permissions, links, devices, and loads
that refuse every malformed file with a ValueError, leaving the model unchanged."""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import sys
import time

import pytest

import nn
from autograd.files import NotARegularFile, atomic_write


def _temporaries(folder) -> list[str]:
    return [name for name in os.listdir(folder) if name.endswith(".tmp")]


# ---- saving ---------------------------------------------------------------------------------------


def test_save_over_an_existing_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "model.json"
    model = nn.MLP(2, [3, 1], seed=0)
    for mode in (0o600, 0o640, 0o604, 0o755):
        path.write_text("old")
        os.chmod(path, mode)
        model.save(path)
        assert stat.S_IMODE(os.stat(path).st_mode) == mode
        assert json.loads(path.read_text())["state"] == model.state_dict()


def test_a_new_file_gets_the_permissions_open_would_give(tmp_path):
    umask = os.umask(0o027)
    try:
        atomic_write(tmp_path / "new.txt", "x")
        (tmp_path / "plain.txt").write_text("x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "new.txt").st_mode) == stat.S_IMODE(os.stat(tmp_path / "plain.txt").st_mode)


def test_save_writes_through_a_symlink_to_its_target(tmp_path):
    target = tmp_path / "real" / "model.json"
    target.parent.mkdir()
    target.write_text("old")
    os.chmod(target, 0o600)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    model = nn.MLP(2, [2, 1], seed=1)
    model.save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text())["state"] == model.state_dict()
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert _temporaries(tmp_path) == [] and _temporaries(target.parent) == []
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "later.json")
    atomic_write(dangling, "made")
    assert (tmp_path / "later.json").read_text() == "made" and dangling.is_symlink()


@pytest.mark.parametrize("where", ["/dev/full", "/dev/null", "folder", "fifo"])
def test_save_refuses_what_is_not_a_regular_file_and_leaves_it_alone(where, tmp_path):
    if where == "folder":
        path = tmp_path / "folder"
        path.mkdir()
    elif where == "fifo":
        path = tmp_path / "fifo"
        os.mkfifo(path)
    else:
        path = where
    before = os.stat(path)
    with pytest.raises(NotARegularFile, match="not a regular file") as caught:
        nn.MLP(1, [1], seed=0).save(path)
    assert str(path) in str(caught.value) and isinstance(caught.value, ValueError)
    after = os.stat(path)
    assert (after.st_ino, after.st_mode, after.st_rdev) == (before.st_ino, before.st_mode, before.st_rdev)


def test_save_into_a_missing_folder_names_the_path_not_a_temporary(tmp_path):
    path = tmp_path / "missing" / "model.json"
    with pytest.raises(FileNotFoundError) as caught:
        nn.MLP(1, [1], seed=0).save(path)
    message = str(caught.value)
    assert str(path) in message and "does not exist" in message and ".tmp" not in message


def test_a_temporary_left_by_a_killed_save_is_removed_by_the_next_save(tmp_path):
    path = tmp_path / "model.json"
    leftover = tmp_path / ".model.json.abc123.tmp"  # what a save killed before its rename leaves
    leftover.write_text('{"half": ')
    other = tmp_path / ".other.json.abc123.tmp"  # another file's temporary: not ours to remove
    other.write_text("x")
    nn.MLP(1, [1], seed=0).save(path)
    assert sorted(_temporaries(tmp_path)) == [other.name]


def test_a_temporary_held_by_a_save_in_progress_is_left_alone(tmp_path):
    fcntl = pytest.importorskip("fcntl")
    path = tmp_path / "model.json"
    busy = tmp_path / ".model.json.busy.tmp"
    with open(busy, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # as a running save holds its own temporary
        atomic_write(path, "new")
        assert busy.exists()
    atomic_write(path, "newer")  # its writer is gone now
    assert not busy.exists() and path.read_text() == "newer"


def test_sigkill_during_save_never_leaves_a_torn_file(tmp_path):
    # A child process writes one of two model files over and over, with the same atomic_write that
    # Module.save uses; the parent kills it (SIGKILL) at a random moment, 100+ times. After every
    # kill the file must be exactly one of the two, and the next save must leave no temporary.
    if not hasattr(os, "fork"):
        pytest.skip("needs fork")
    path = tmp_path / "model.json"
    models = [nn.MLP(8, [96, 96, 1], seed=seed) for seed in (1, 2)]  # ~10,000 parameters, ~400 kB each
    texts = [json.dumps(m._document(), indent=1).encode() for m in models]
    atomic_write(path, texts[0])
    rng = random.Random(0)
    kills, left_temporaries = 0, 0
    for kill in range(120):
        pid = os.fork()
        if pid == 0:  # the child: save until killed
            try:
                for i in range(kill, kill + 1_000_000):
                    atomic_write(path, texts[i % 2])
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0.0, 0.01))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        kills += 1
        left_temporaries += bool(_temporaries(tmp_path))
        assert path.read_bytes() in texts  # never torn: always one whole file
    models[1].save(path)
    assert _temporaries(tmp_path) == []
    reader = nn.MLP(8, [96, 96, 1], seed=3)
    reader.load(path)
    assert reader.state_dict() == models[1].state_dict()
    print(f"\n{kills} kills, {left_temporaries} left a temporary, 0 torn files", file=sys.stderr)
    assert kills >= 100
    assert left_temporaries > 0  # the kills did land in the middle of saves


# ---- loading --------------------------------------------------------------------------------------


def _saved(tmp_path, activation="relu", nouts=(3, 1)):
    model = nn.MLP(2, list(nouts), activation=activation, seed=0)
    path = tmp_path / "model.json"
    model.save(path)
    return path, json.loads(path.read_text())


def _malformed(tmp_path, kind: str):
    path, document = _saved(tmp_path)
    text = path.read_text()
    first = next(iter(document["state"]))
    if kind == "deep nesting":
        text = '{"format": "chainrule.state_dict", "x": ' + "[" * 50_000 + "]" * 50_000 + "}"
    elif kind == "deep nesting in the state":
        document["state"][first] = json.loads("[" * 500 + "]" * 500)
        text = json.dumps(document)
        text = text.replace("[]", "[" * 20_000 + "]" * 20_000)
    elif kind == "400-digit number":
        document["state"][first] = 10**399
        text = json.dumps(document)
    elif kind == "5000-digit number":
        text = text.replace(repr(document["state"][first]), "9" * 5000, 1)
    elif kind == "1e400":
        text = text.replace(repr(document["state"][first]), "1e400", 1)
    elif kind == "NaN":
        text = text.replace(repr(document["state"][first]), "NaN", 1)
    elif kind == "far too large":
        text = text + " " * 50_000_000
    elif kind == "not UTF-8":
        path.write_bytes(text.encode()[:40] + b"\xff\xfe" + text.encode()[40:])
        return path
    elif kind == "truncated":
        text = text[: len(text) // 2]
    elif kind == "a string value":
        document["state"][first] = "0.5"
        text = json.dumps(document)
    elif kind == "a bool value":
        document["state"][first] = True
        text = json.dumps(document)
    elif kind == "not an object":
        text = "[1, 2, 3]"
    elif kind == "empty":
        text = ""
    elif kind == "a missing parameter":
        del document["state"][first]
        text = json.dumps(document)
    elif kind == "an extra parameter":
        document["state"]["layers.9.neurons.0.b"] = 1.0
        text = json.dumps(document)
    elif kind == "a state that is a list":
        document["state"] = [1.0, 2.0]
        text = json.dumps(document)
    path.write_text(text)
    return path


MALFORMED = [
    ("deep nesting", "nested too deeply|larger than"),
    ("deep nesting in the state", "nested too deeply"),
    ("400-digit number", "must be a finite number"),
    ("5000-digit number", "not a valid chainrule model file|digits"),
    ("1e400", "must be a finite number"),
    ("NaN", "must be a finite number"),
    ("far too large", "larger than"),
    ("not UTF-8", "not UTF-8"),
    ("truncated", "not a valid chainrule model file"),
    ("a string value", "must be a finite number"),
    ("a bool value", "must be a finite number"),
    ("not an object", "not a chainrule model file"),
    ("empty", "not a valid chainrule model file"),
    ("a missing parameter", "missing key"),
    ("an extra parameter", "saved from a different model|unexpected key"),
    ("a state that is a list", "mapping"),
]


@pytest.mark.parametrize(("kind", "reason"), MALFORMED, ids=[kind for kind, _ in MALFORMED])
def test_load_raises_value_error_naming_the_problem_and_leaves_the_model_unchanged(kind, reason, tmp_path):
    path = _malformed(tmp_path, kind)
    model = nn.MLP(2, [3, 1], seed=5)
    before = model.state_dict()
    with pytest.raises(ValueError, match=reason) as caught:
        model.load(path)
    assert str(path) in str(caught.value)
    assert len(str(caught.value)) < 400  # a sentence, not a dump of the file
    assert model.state_dict() == before


def test_load_reads_only_a_bounded_prefix_of_a_huge_file(tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "wb") as f:
        f.truncate(8 * 1024**3)  # 8 GiB (sparse): reading it all would take minutes and the memory
    with pytest.raises(ValueError, match="larger than"):
        nn.MLP(2, [3, 1], seed=0).load(path)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_load_refuses_a_device(device):
    with pytest.raises(ValueError, match="not a regular file"):
        nn.MLP(2, [3, 1], seed=0).load(device)


@pytest.mark.parametrize(
    ("saved", "loading"),
    [
        (dict(activation="relu"), dict(activation="tanh")),
        (dict(activation="tanh"), dict(activation="relu")),
        (dict(activation="relu", output_activation="sigmoid"), dict(activation="relu")),
        (dict(activation="relu"), dict(activation="leaky_relu")),
    ],
)
def test_a_file_from_a_different_activation_does_not_load(saved, loading, tmp_path):
    path = tmp_path / "model.json"
    nn.MLP(2, [3, 1], seed=0, **saved).save(path)
    model = nn.MLP(2, [3, 1], seed=1, **loading)
    before = model.state_dict()
    with pytest.raises(ValueError, match="different model.*activation"):
        model.load(path)
    assert model.state_dict() == before


@pytest.mark.parametrize(("saved", "loading"), [((3, 1), (4, 1)), ((3, 1), (3, 2)), ((3, 1), (3, 3, 1))])
def test_a_file_from_different_sizes_does_not_load(saved, loading, tmp_path):
    path = tmp_path / "model.json"
    nn.MLP(2, list(saved), seed=0).save(path)
    model = nn.MLP(2, list(loading), seed=1)
    before = model.state_dict()
    with pytest.raises(ValueError, match="wrong shape|different model"):
        model.load(path)
    assert model.state_dict() == before


def test_a_file_with_the_same_parameter_names_but_other_sizes_does_not_load(tmp_path):
    # nin differs but the names line up after editing the file's state: the architecture catches it
    path = tmp_path / "model.json"
    nn.Neuron(2, seed=0).save(path)
    document = json.loads(path.read_text())
    document["architecture"]["nin"] = 3
    path.write_text(json.dumps(document))
    model = nn.Neuron(2, seed=1)
    before = model.state_dict()
    with pytest.raises(ValueError, match="different model: nin is 3 in the file but 2 in this model"):
        model.load(path)
    assert model.state_dict() == before


def test_save_records_the_architecture_and_load_round_trips(tmp_path):
    path = tmp_path / "model.json"
    model = nn.MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=0)
    model.save(path)
    document = json.loads(path.read_text())
    assert document["architecture"] == {
        "type": "MLP",
        "layers": [
            {"type": "Layer", "nin": 2, "nout": 3, "activation": "tanh"},
            {"type": "Layer", "nin": 3, "nout": 1, "activation": "sigmoid"},
        ],
    }
    other = nn.MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=9)
    other.load(path)
    assert other.state_dict() == model.state_dict()
