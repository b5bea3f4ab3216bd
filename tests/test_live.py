"""The live training view's controls and History (without a browser), and `history.animate`.

The view runs here without a Jupyter kernel (`in_notebook` patched to True): the widgets exist and
the background thread trains; tests/test_live_browser.py drives the same view in a real JupyterLab.
"""

from __future__ import annotations

import threading
import time

import pytest

import nn
from nn import data, live

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")


@pytest.fixture
def notebook(monkeypatch):
    monkeypatch.setattr(live, "in_notebook", lambda: True)


def moons_run(epochs=8, gate=None, **options):
    """Train MLP(2, [4, 1]) on 24 moons; with a `gate` (a threading.Event), the first epoch's loss
    waits until the test opens it, so the test acts before training can end, however fast it is."""
    X, labels = data.make_moons(24, noise=0.1, seed=3)
    model = nn.MLP(2, [4, 1], seed=2)
    optimizer = nn.SGD(model.parameters(), lr=0.5)

    loss = nn.hinge_loss
    if gate is not None:

        def loss(predictions, targets):
            assert gate.wait(timeout=60), "the test never opened the gate"
            return nn.hinge_loss(predictions, targets)

        options["compile"] = False  # the gate must run in every step, not only while a program is traced
    history = nn.fit(model, X, data.signed_labels(labels), loss=loss, optimizer=optimizer, epochs=epochs,
                     **options)  # fmt: skip
    return model, optimizer, history


def wait_for(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the live view did not get there in time")
        time.sleep(0.01)


def params_of(model):
    return [p.data for p in model.parameters()]


def test_pause_step_learning_rate_resume_keep_the_model_and_history_consistent(notebook):
    gate = threading.Event()
    model, optimizer, history = moons_run(epochs=10, gate=gate, live=True, progress=False)
    view = history.view
    assert isinstance(view, live.LiveView)
    view.pause()
    gate.set()  # the first epoch ends only now: training pauses after it
    wait_for(lambda: view.state == "paused")
    paused_at = history.epochs
    assert paused_at == 1 and not history.finished
    time.sleep(0.2)
    assert history.epochs == paused_at  # paused means no training
    # the model holds exactly the parameters recorded after the last finished epoch
    assert params_of(model) == history.snapshots[-1].params
    assert len(history.loss) == len(history.accuracy) == len(history.snapshots) == paused_at
    assert f"epoch {paused_at}/10" in view.status.value and "paused" in view.status.value
    assert not view.step_button.disabled and not view.lr_box.disabled and view.pause_button.disabled

    view.lr_box.value = 0.125  # what typing into the box does
    assert optimizer.lr == 0.125
    view.step()
    wait_for(lambda: view.state == "paused" and history.epochs == paused_at + 1)
    time.sleep(0.2)
    assert history.epochs == paused_at + 1  # exactly one epoch
    assert history.snapshots[-1].lr == 0.125

    view.resume()
    assert history.wait(timeout=120) is history
    assert history.epochs == 10 and not history.interrupted and view.state == "finished"
    assert [s.epoch for s in history.snapshots] == list(range(1, 11))
    assert view.stop_button.disabled and "epoch 10/10" in view.status.value


def test_stop_ends_after_the_current_epoch_and_keeps_what_was_trained(notebook):
    gate = threading.Event()
    model, _, history = moons_run(epochs=200, gate=gate, live=True, progress=False)
    history.view.stop()
    gate.set()
    history.wait(timeout=120)
    assert history.interrupted and history.epochs == 1
    assert history.view.state == "stopped"
    assert params_of(model) == history.snapshots[-1].params
    assert len(history.loss) == len(history.snapshots) == history.epochs


def test_an_error_while_training_is_not_lost(notebook):
    X = [[0.0, 1.0], [1.0, 0.0]]
    model = nn.MLP(2, [1], seed=0)

    def broken_loss(predictions, targets):
        raise ValueError("this loss is broken")

    history = nn.fit(
        model, X, [1, -1], loss=broken_loss, optimizer=nn.SGD(model.parameters(), lr=0.1), epochs=3, live=True
    )
    with pytest.raises(RuntimeError, match="this loss is broken"):
        history.wait(timeout=60)
    assert "failed: ValueError" in history.view.status.value


def test_outside_jupyter_live_trains_in_the_foreground_with_the_progress_bar(capsys):
    _, _, history = moons_run(epochs=3, live=True)
    assert history.finished and history.epochs == 3 and history.view is None
    assert history.wait() is history
    assert "training" in capsys.readouterr().err  # tqdm's bar
    assert len(history.snapshots) == 3  # live records snapshots, for animate


def test_animate_writes_a_gif_with_a_frame_per_epoch_and_a_self_contained_html(tmp_path):
    from PIL import Image

    model, _, history = moons_run(epochs=4, progress=False, record=True)
    trained = params_of(model)
    gif = history.animate(tmp_path / "training.gif", fps=4)
    with Image.open(gif) as picture:
        assert picture.format == "GIF" and picture.n_frames == 4
        assert picture.size[0] >= 600
    assert params_of(model) == trained  # the model is back to its trained parameters
    html = (tmp_path / "training.html").read_text() if history.animate(tmp_path / "training.html") else ""
    assert html.count("data:image/png;base64") == 4 and "<script" in html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["training.gif", "training.html"]  # no leftovers


def test_animate_says_what_it_needs():
    _, _, history = moons_run(epochs=2, progress=False)
    with pytest.raises(ValueError, match="record=True"):
        history.animate("x.gif")
    with pytest.raises(ValueError, match=".gif or .html"):
        history.animate("x.mp4")


def test_the_final_frame_is_a_png_for_untrusted_viewers():
    frame = live.FinalFrame(b"\x89PNG...", "epoch 3/3")
    bundle = frame._repr_mimebundle_()
    assert set(bundle) == {"image/png", "text/plain"} and bundle["text/plain"] == "epoch 3/3"


def test_the_network_panel_is_the_model_diagram_and_leaves_the_last_steps_gradients_in_place():
    model, _, history = moons_run(epochs=2, progress=False, record=True)
    grads = [p.grad for p in model.parameters()]
    assert any(grads)
    png = live.network_png(history._run)
    assert png.startswith(b"\x89PNG")
    assert [p.grad for p in model.parameters()] == grads  # the optimizer's gradients are untouched
    fig = live.new_figure(history._run)
    live.draw_frame(fig, history, history._run)
    assert len(fig.axes) == 4  # loss, its accuracy twin, decision boundary, network
    assert (
        fig.axes[0].get_title()
        == live.status_text(history, history._run)
        == (f"epoch 2/2 · loss {history.loss[-1]:.4f} · accuracy {history.accuracy[-1]:.0%}")
    )
