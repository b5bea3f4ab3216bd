"""The live training view's controls and History (without a browser), and `history.animate`.

The view runs here without a Jupyter kernel (`in_notebook` patched to True): the widgets exist and
the background thread trains; tests/test_live_browser.py drives the same view in a real JupyterLab.
"""

from __future__ import annotations

import io
import threading
import time

import pytest

import autograd
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


def test_the_painted_network_panel_shows_the_diagrams_weights_outputs_and_deltas():
    """The live view paints `model.diagram` from a Graphviz layout made once: an edge per weight in
    `weight_style`'s colour, each neuron filled by its output's sign (white when it is 0) and ringed
    by its δ, the diagram's own texts in the circles when they are large enough to read."""
    from matplotlib.colors import to_rgba

    from nn.diagram import largest_weight, network_of, node_texts, weight_style

    model, _, history = moons_run(epochs=3, progress=False, record=True)
    run = history._run
    grads = [p.grad for p in model.parameters()]
    fig = live.new_figure(run)
    live.draw_frame(fig, history, run)
    panel = fig.chainrule_picture.network
    assert [p.grad for p in model.parameters()] == grads  # the optimizer's gradients are untouched

    worst = live.worst_sample(run)
    losses = [nn.hinge_loss(model(list(x)), t).data for x, t in zip(run.X, run.y)]
    assert losses[worst] == max(losses)
    with live.sample_gradients(run, worst) as loss:
        net = network_of(model, loss=loss)
        largest = largest_weight(net)
        expected_colours = [to_rgba(weight_style(w.data, largest)["color"]) for n in net.neurons() for w in n.w]
        neurons = [(n.node, n.out.data, n.z.grad) for n in net.neurons()]
        texts = node_texts(net)
    assert [tuple(c) for c in panel.edges.get_colors()] == expected_colours  # 2*4 + 4*1 weights, in order
    assert len(expected_colours) == 12
    fills = panel.circles.get_facecolors()
    rings = panel.circles.get_edgecolors()
    for node, out, delta in neurons:
        i = panel.node_names.index(node)
        white = tuple(fills[i][:3]) == (1.0, 1.0, 1.0)
        assert white == (out == 0.0), (node, out)  # a ReLU that is off for this sample shows white
        if delta != 0.0:
            sign = live._sign_colour(delta)
            assert tuple(rings[i]) == to_rgba(sign)
    assert panel.texts and {name: t.get_text() for name, t in panel.texts.items()} == texts


def test_the_numbers_are_left_out_where_the_circles_are_too_small_to_read_them():
    X, labels = data.make_moons(30, noise=0.1, seed=3)
    model = nn.MLP(2, [16, 16, 1], seed=1)
    history = nn.fit(model, X, data.signed_labels(labels), loss=nn.hinge_loss,
                     optimizer=nn.SGD(model.parameters(), lr=0.5), epochs=1, progress=False, record=True)  # fmt: skip
    fig = live.new_figure(history._run)
    live.draw_frame(fig, history, history._run)
    panel = fig.chainrule_picture.network
    assert panel.texts == {}  # 16 neurons across 880 px: their numbers would be ~4 px tall
    assert len(panel.node_names) == 2 + 16 + 16 + 1 and len(panel.edges.get_paths()) == 2 * 16 + 16 * 16 + 16


def test_a_frame_updates_the_panels_it_made_and_matches_a_fresh_figure():
    """Later frames change the data of the panels made by the first; they show what a new figure would."""
    model, _, history = moons_run(epochs=6, progress=False, record=True)
    run = history._run
    fig = live.new_figure(run)
    params = model.parameters()
    first = history.snapshots[1]
    for p, value, grad in zip(params, first.params, first.grads):
        p.data, p.grad = value, grad
    live.draw_frame(fig, history, run, upto=2)
    axes = list(fig.axes)
    for p, value, grad in zip(params, history.snapshots[-1].params, history.snapshots[-1].grads):
        p.data, p.grad = value, grad
    live.draw_frame(fig, history, run)
    assert fig.axes == axes  # the same panels, updated
    fresh = live.new_figure(run)
    live.draw_frame(fresh, history, run)
    updated, new = fig.chainrule_picture, fresh.chainrule_picture
    # the curves and the boundary, pixel for pixel (the network's layout may route edges differently)
    assert _top_half(live.figure_png(fig)) == _top_half(live.figure_png(fresh))
    assert (updated.network.edges.get_colors() == new.network.edges.get_colors()).all()
    panels = (updated.network, new.network)
    pen_widths = [[w / panel.line_scale for w in panel.edges.get_linewidths()] for panel in panels]
    assert pen_widths[0] == pytest.approx(pen_widths[1])  # in the diagram's units (the panels' scales may differ)
    assert (updated.network.circles.get_facecolors() == new.network.circles.get_facecolors()).all()
    assert (updated.network.circles.get_edgecolors() == new.network.circles.get_edgecolors()).all()
    assert [t.get_text() for t in updated.network.texts.values()] == [t.get_text() for t in new.network.texts.values()]


def _top_half(png: bytes) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        return image.crop((0, 0, image.width, image.height // 2)).tobytes()


def test_the_compiled_forward_pass_gives_the_engines_outputs():
    X, _ = data.make_moons(10, noise=0.1, seed=3)
    points = [list(x) for x in X] + [[0.0, 0.0], [-3.0, 7.5]]
    for model in (nn.MLP(2, [5, 3, 1], seed=4), nn.MLP(2, [4, 3], seed=5), nn.Neuron(2, activation="tanh", seed=6)):
        forward = live._forward_function(model, points[0])
        with autograd.no_grad():
            expected = [model(x) for x in points]
        expected = [[o.data for o in out] if isinstance(out, list) else out.data for out in expected]
        got = forward(points)
        assert len(got) == len(expected)
        for out, want in zip(got, expected):  # equal to within rounding: sums are added left to right
            assert out == pytest.approx(want, rel=1e-12, abs=1e-12)


def test_the_throttle_budgets_the_first_picture_and_the_final_frame(notebook, monkeypatch):
    """The decision alone, on set numbers (no clock is read): a picture needs `refresh` seconds since
    the last, and drawing so far + this picture + the final frame (each at the last picture's cost)
    within DRAW_BUDGET of the training time; none when training ends within `refresh` seconds."""
    _, _, history = moons_run(epochs=100, progress=False, record=True)
    view = live.LiveView(history._run, refresh=1.0)
    budget = live.DRAW_BUDGET
    del history.loss[10:]  # 10 of 100 epochs done
    monkeypatch.setattr(live.LiveView, "first_picture_seconds", None)
    monkeypatch.setattr(live.LiveView, "picture_seconds", None)
    view._last_draw, view.draws, view.draw_seconds = 0.0, 0, 0.0
    guess = live.FIRST_PICTURE_GUESS  # nothing drawn in this process yet: the first picture at the guess,
    first_and_final = guess + guess / 2  # the final frame after it at half that
    view.train_seconds = first_and_final / budget * 0.99
    assert not view._picture_allowed(now=10.0)
    view.train_seconds = first_and_final / budget * 1.01
    assert view._picture_allowed(now=10.0)
    assert not view._picture_allowed(now=0.5)  # within `refresh` of the last picture
    monkeypatch.setattr(live.LiveView, "first_picture_seconds", 4 * guess)  # the last run's first picture
    assert not view._picture_allowed(now=10.0)
    monkeypatch.setattr(live.LiveView, "first_picture_seconds", 0.6 * guess)  # ... and a later one's
    monkeypatch.setattr(live.LiveView, "picture_seconds", 0.6 * guess)
    assert view._picture_allowed(now=10.0)
    monkeypatch.setattr(live.LiveView, "picture_seconds", 1.2 * guess)
    assert not view._picture_allowed(now=10.0)
    view.draws, view._last_cost, view.draw_seconds = 3, 0.2, 1.0  # later pictures: at the last one's cost
    view.train_seconds = (1.0 + 2 * 0.2) / budget * 1.01
    assert view._picture_allowed(now=10.0)
    view.draw_seconds = 1.1
    assert not view._picture_allowed(now=10.0)
    view.draw_seconds = 1.0
    del history.loss[:]  # training nearly over: 99 of 100 epochs, the last one due in < 1 s
    history.loss.extend([1.0] * 99)
    assert not view._picture_allowed(now=10.0)


def test_a_run_draws_its_final_frame_once_and_counts_it(notebook):
    _, _, history = moons_run(epochs=3, live=True, progress=False)
    history.wait(timeout=120)
    view = history.view
    assert view.draws >= 1 and view.draw_seconds > 0
    from PIL import Image

    with Image.open(io.BytesIO(view.final_frame.png)) as frame:
        assert frame.mode == "P" and frame.size == (880, 576)  # 256 colours, the figure's size
