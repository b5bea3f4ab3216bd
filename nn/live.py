"""Watch a network learn: the live training view behind ``fit(..., live=True)``, and `animate`.

The view shows, while training runs: the loss (and accuracy) per epoch, the decision boundary with
the data for 2-D inputs, and the network (`model.diagram`) with its weights, one sample's
activations and the last step's gradients. Buttons pause, resume, train one epoch, stop; the
learning rate can be changed while paused.

How it stays responsive: ipykernel handles a widget's clicks only while no cell is running, so
training runs in a background thread and `fit` returns at once (``history.wait()`` blocks until it
is done). The thread pauses and stops only between epochs, after ``optimizer.step()``, so the model
and the History always agree. The widgets are ipywidgets (already the player's widget library, and
shipped with JupyterLab's default install; anywidget would add a dependency and a JavaScript build
for nothing these few buttons need).

How it stays cheap: drawing happens in the training thread between epochs (never while the model
changes) and is throttled by time. A picture is drawn only when `refresh` seconds have passed since
the last one AND the time spent drawing, counting this picture at the cost of the last one, stays
within `DRAW_BUDGET` (1/5) of the time spent training: after the first picture, however slow a
picture is for a large model, drawing takes at most about a fifth of the training time. The first
picture (whose cost is not known before it is drawn) and the final frame come on top of that. The
epoch text is updated every epoch (a few bytes).

When training ends the widget is replaced, in the same output, by a PNG of the final frame: a saved
notebook then shows a picture on its first (untrusted) open, not controls without a kernel.
"""

from __future__ import annotations

import base64
import contextvars
import io
import math
import os
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from autograd import no_grad
from autograd.files import atomic_write
from nn.train import History, Run, Snapshot

DRAW_BUDGET = 0.2  # at most this fraction of the training time is spent drawing
BOUNDARY_STEPS = 20  # the decision boundary's grid: 20 x 20 forward passes per picture
FIGURE_WIDTH = 11.0  # inches, at DPI: a frame is 880 px wide
DPI = 80


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where widgets can be shown), False in a terminal or script."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


# ---- the picture: one matplotlib figure for the live view, the final frame and the animation ----


def draw_frame(fig, history: History, run: Run, upto: int | None = None) -> None:
    """Draw the state after epoch `upto` (all recorded epochs when None) into matplotlib `fig`.

    Panels: loss and accuracy per epoch; the decision boundary for 2-D inputs; the network.
    The model must hold the parameters of that epoch (the caller sets them).
    """
    from nn import plot

    fig.clear()
    epochs = history.epochs if upto is None else upto
    picture = network_png(run)
    two_d = _is_2d(run.X)
    rows = [1.0, 1.15] if picture is not None else [1.0]
    grid = fig.add_gridspec(len(rows), 2 if two_d else 1, height_ratios=rows)
    ax = fig.add_subplot(grid[0, 0])
    xs = range(1, epochs + 1)
    ax.plot(xs, history.loss[:epochs], color="#2f6db5", label="loss")
    ax.set(xlabel="epoch", ylabel="loss", xlim=(0.5, max(run.epochs, epochs, 1) + 0.5))
    if epochs and history.accuracy[0] is not None:
        twin = ax.twinx()
        twin.plot(xs, history.accuracy[:epochs], color="#e08a1e", label="accuracy")
        twin.set(ylim=(0, 1.05), ylabel="accuracy")
        twin.yaxis.label.set_color("#e08a1e")
    ax.yaxis.label.set_color("#2f6db5")
    ax.set_title(status_text(history, run, upto), fontsize=11)
    if two_d:
        boundary = fig.add_subplot(grid[0, 1])
        plot.decision_boundary(run.model, run.X, run.y, ax=boundary, steps=BOUNDARY_STEPS)
        boundary.set_title("decision boundary and the data", fontsize=11)
        boundary.set_xticks([])
        boundary.set_yticks([])
    if picture is not None:
        import matplotlib.image

        net = fig.add_subplot(grid[1, :])
        net.axis("off")
        net.imshow(matplotlib.image.imread(io.BytesIO(picture), format="png"))
        net.set_title(
            "the network on the sample with the largest loss: weights blue +, magenta −, width |w|; "
            "neurons: output, ∂L/∂output, δ",
            fontsize=9,
        )
    fig.subplots_adjust(left=0.06, right=0.94, bottom=0.04 if picture is not None else 0.14, top=0.93, wspace=0.3,
                        hspace=0.25)  # fmt: skip


def status_text(history: History, run: Run, upto: int | None = None) -> str:
    """ "epoch 12/30 · loss 0.1234 · accuracy 97%": where training is."""
    epochs = history.epochs if upto is None else upto
    text = f"epoch {epochs}/{run.epochs}"
    if epochs:
        text += f" · loss {history.loss[epochs - 1]:.4f}"
        if history.accuracy[epochs - 1] is not None:
            text += f" · accuracy {history.accuracy[epochs - 1]:.0%}"
    return text


def network_png(run: Run) -> bytes | None:
    """The model's network diagram (`model.diagram`) on the sample with the largest loss, as a PNG:
    weights by sign and size, each neuron's output, and the gradients of that sample's loss (None
    when the model has no diagram).

    The parameters' gradients (the last step's, which the optimizer used) are put back afterwards.
    """
    diagram = getattr(run.model, "diagram", None)
    if diagram is None:
        return None
    params = run.params
    saved = [p.grad for p in params]
    try:
        with no_grad():  # the sample the model gets least right: its gradients are the most telling
            losses = [run.loss([run.model(list(x))], [t]).data for x, t in zip(run.X, run.y)]
        worst = max(range(len(losses)), key=losses.__getitem__)
        for p in params:
            p.grad = 0.0
        sample_loss = run.loss([run.model(list(run.X[worst]))], [run.y[worst]])
        sample_loss.backward()
        graph = diagram(loss=sample_loss, rankdir="TB", legend=False, labels=False)
        return graph.picture("png", dpi=DPI)
    finally:
        for p, grad in zip(params, saved):
            p.grad = grad


def figure_png(fig) -> bytes:
    """A matplotlib figure as PNG bytes (no pyplot: safe in a background thread)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def small_png(png: bytes) -> bytes:
    """The same picture in 256 colours (Pillow's quantizer): a third of the size, for saved notebooks."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        buffer = io.BytesIO()
        image.convert("RGB").quantize(colors=256).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def new_figure(run: Run):
    from matplotlib.figure import Figure

    return Figure(figsize=(FIGURE_WIDTH, 7.2 if hasattr(run.model, "diagram") else 3.6), dpi=DPI)


def _is_2d(X: Sequence[Sequence[float]]) -> bool:
    return len(X[0]) == 2


class FinalFrame:
    """A static picture of a finished run: a PNG in the display bundle, readable without a kernel."""

    def __init__(self, png: bytes, text: str) -> None:
        self.png, self.text = png, text

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        return {"image/png": base64.b64encode(self.png).decode(), "text/plain": self.text}


# ---- the live view -----------------------------------------------------------------------------


class LiveView:
    """The widget that `fit(..., live=True)` shows, and the thread that trains behind it.

    `pause()`, `resume()`, `step()` (one epoch, then pause), `stop()` and `set_lr()` are what the
    buttons call; they can be called from code as well.
    """

    def __init__(self, run: Run, refresh: float = 1.0) -> None:
        import ipywidgets as widgets

        self.run = run
        self.history = run.history
        self.refresh = refresh
        self._go = threading.Event()  # set while training may proceed
        self._go.set()
        self._lock = threading.RLock()  # guards the state and the widgets that show it
        self._one_epoch = False
        self._stopping = False
        self.state = "running"
        self.draw_seconds = 0.0  # time spent drawing, for the budget
        self.train_seconds = 0.0
        self.draws = 0
        self._last_draw = self._last_cost = 0.0
        self._figure = None
        self.history.view = self

        button = dict(layout=widgets.Layout(width="auto"))
        self.pause_button = widgets.Button(description="pause", icon="pause", **button)
        self.resume_button = widgets.Button(description="resume", icon="play", disabled=True, **button)
        self.step_button = widgets.Button(description="one epoch", icon="step-forward", disabled=True, **button)
        self.stop_button = widgets.Button(description="stop", icon="stop", **button)
        scheduled = run.lr_schedule is not None
        self.lr_box = widgets.BoundedFloatText(
            value=run.optimizer.lr,
            min=0.0,
            max=1e6,
            step=0.01,
            description="learning rate",
            disabled=True,
            tooltip="set by lr_schedule" if scheduled else "change while paused",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="200px"),
        )
        self.status = widgets.HTML(value=self._status_html())
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.pause_button.on_click(lambda _: self.pause())
        self.resume_button.on_click(lambda _: self.resume())
        self.step_button.on_click(lambda _: self.step())
        self.stop_button.on_click(lambda _: self.stop())
        self.lr_box.observe(lambda change: self.set_lr(change["new"]), names="value")
        controls = widgets.HBox(
            [self.pause_button, self.resume_button, self.step_button, self.stop_button, self.lr_box, self.status],
            layout=widgets.Layout(align_items="center", flex_flow="row wrap"),
        )
        self.widget = widgets.VBox([controls, self.image])
        self.widget.add_class("chainrule-live")
        self._handle = None
        self.final_frame: FinalFrame | None = None

    # ---- controls (called by the buttons, from the kernel's thread) ---------------------------

    def pause(self) -> None:
        """Pause after the current epoch (the model and History stay consistent)."""
        with self._lock:
            if self.state == "running":
                self._go.clear()
                self.state = "pausing"
            self._sync_controls()

    def resume(self) -> None:
        """Continue training."""
        with self._lock:
            if self.state in ("paused", "pausing"):
                self._one_epoch = False
                self.state = "running"
                self._go.set()
            self._sync_controls()

    def step(self) -> None:
        """Train exactly one epoch, then pause again."""
        with self._lock:
            if self.state == "paused":
                self._one_epoch = True
                self.state = "stepping"
                self._go.set()
            self._sync_controls()

    def stop(self) -> None:
        """End training after the current epoch; the History keeps every finished epoch."""
        with self._lock:
            if self.state in ("finished", "stopped"):
                return
            self._stopping = True
            self._go.set()
            self._sync_controls()

    def set_lr(self, lr: float) -> None:
        """Set the optimizer's learning rate (only while paused, and only without an lr_schedule)."""
        with self._lock:
            if self.state != "paused" or self.run.lr_schedule is not None:
                return
            if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr >= 0):
                raise ValueError(f"the learning rate must be a number >= 0, got {lr!r}")
            self.run.optimizer.lr = float(lr)
            self.status.value = self._status_html()

    # ---- running --------------------------------------------------------------------------------

    def start(self) -> LiveView:
        """Show the widget and start training in a background thread."""
        from IPython.display import display

        self.started_at = self._last_draw = time.perf_counter()  # the first picture comes after `refresh` s
        self._handle = display(self.widget, display_id=True)
        # A copy of the cell's context: output from the thread belongs to this cell.
        context = contextvars.copy_context()
        thread = threading.Thread(target=context.run, args=(self._train,), name="chainrule-fit", daemon=True)
        self.thread = thread
        thread.start()
        return self

    def _train(self) -> None:
        run, history = self.run, self.history
        try:
            while history.epochs < run.epochs:
                self._go.wait()
                with self._lock:
                    if self._stopping:
                        break
                started = time.perf_counter()
                run.epoch()
                self.train_seconds += time.perf_counter() - started
                with self._lock:
                    pause_now = self._one_epoch or self.state == "pausing"
                self._draw(force=pause_now)  # a paused view always shows where it stopped
                with self._lock:
                    if self._one_epoch or self.state == "pausing":
                        self._one_epoch = False
                        self._go.clear()
                        self._sync_controls("paused")  # the widgets first, so whoever sees "paused" sees them
                        self.state = "paused"
                    self._sync_controls()
            self.last_epoch_at = time.perf_counter()
            if history.epochs < run.epochs:
                history.interrupted = True
        except BaseException as error:  # shown in the view and re-raised by history.wait()
            history.error = error
        finally:
            with self._lock:
                self.state = "stopped" if history.interrupted or history.error else "finished"
            self._finish()

    def _draw(self, force: bool = False) -> None:
        """Redraw the picture if the time throttle allows it (always when `force`)."""
        now = time.perf_counter()
        if not force:
            too_soon = now - self._last_draw < self.refresh
            # would this picture (costing about what the last one did) overspend the budget?
            too_costly = self.draw_seconds + self._last_cost > DRAW_BUDGET * self.train_seconds
            if too_soon or too_costly:
                with self._lock:
                    self.status.value = self._status_html()
                return
        if self._figure is None:
            self._figure = new_figure(self.run)
        draw_frame(self._figure, self.history, self.run)
        png = figure_png(self._figure)
        with self._lock:
            self.image.value = png
            self.status.value = self._status_html()
        self._last_draw = time.perf_counter()
        self._last_cost = self._last_draw - now
        self.draw_seconds += self._last_cost
        self.draws += 1

    def _finish(self) -> None:
        """Final picture; the widget gives way to a static PNG in the same output."""
        try:
            if self.history.error is None:
                self._draw(force=True)
            with self._lock:
                self._sync_controls()
            if self.history.error is None:
                self.final_frame = FinalFrame(small_png(self.image.value), status_text(self.history, self.run))
                self.show_final_frame()
        finally:
            self.history._finished.set()

    def show_final_frame(self) -> None:
        """Replace the widget by the final picture, in the output where the view was shown.

        Called when training ends (from the training thread, as part of the cell that started it:
        JupyterLab updates that cell) and again by ``history.wait()`` (as part of the cell that waits:
        nbconvert and nbclient, which only listen to the running cell, update the output then).
        """
        if self._handle is not None and self.final_frame is not None:
            self._handle.update(self.final_frame)

    def _sync_controls(self, state: str | None = None) -> None:
        """Show `state` (default: the current one) on the buttons and the status line.

        Always called with the lock held: the state read and the widgets written form one step, so
        a click and the training thread cannot leave a stale state on screen (e.g. "pausing" shown
        after the thread has paused).
        """
        state = state or self.state
        over = state in ("finished", "stopped")
        self.pause_button.disabled = state != "running" or over
        self.resume_button.disabled = state not in ("paused",)
        self.step_button.disabled = state != "paused"
        self.stop_button.disabled = over
        self.lr_box.disabled = state != "paused" or self.run.lr_schedule is not None
        if not self.lr_box.disabled:
            self.lr_box.value = self.run.optimizer.lr
        self.status.value = self._status_html(state)

    def _status_html(self, state: str | None = None) -> str:
        text = status_text(self.history, self.run)
        state = state or self.state
        if self.history.error is not None:
            state = f"failed: {type(self.history.error).__name__}: {self.history.error}"
        lr = f"lr {self.run.optimizer.lr:g}"
        return f"<span class='chainrule-live-status'><b>{text}</b> · {lr} · {state}</span>"

    def __repr__(self) -> str:
        return f"LiveView({status_text(self.history, self.run)}, {self.state})"


# ---- export ------------------------------------------------------------------------------------


def animate(history: History, path: str | os.PathLike[str], *, fps: int = 5, max_frames: int = 60) -> str:
    """Write a recorded run as an animation: ".gif" (Pillow) or ".html" (self-contained, with
    matplotlib's player controls), one frame per recorded epoch (at most `max_frames`, evenly spread).

    Needs ``fit(..., record=True)`` (on with live=True). The model ends with its trained parameters.
    """
    from matplotlib import animation

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".gif", ".html"):
        raise ValueError(f"animate writes .gif or .html, got {str(path)!r}")
    if not history.finished:
        raise ValueError("animate needs a finished run: call history.wait() first")
    if not history.snapshots:
        raise ValueError("animate needs recorded snapshots: train with fit(..., record=True) or live=True")
    run: Run = history._run
    snapshots = _spread(history.snapshots, max_frames)
    params = run.model.parameters()
    saved = [(p.data, p.grad) for p in params]
    fig = new_figure(run)

    def show(snapshot: Snapshot) -> None:
        for p, data, grad in zip(params, snapshot.params, snapshot.grads):
            p.data, p.grad = data, grad
        draw_frame(fig, history, run, upto=snapshot.epoch)

    if suffix == ".gif":
        writer = animation.PillowWriter(fps=fps)
    else:
        writer = animation.HTMLWriter(fps=fps, embed_frames=True, default_mode="once")
    movie = animation.FuncAnimation(fig, show, frames=snapshots, init_func=lambda: None, repeat=False)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            movie_file = Path(scratch) / f"movie{suffix}"
            movie.save(movie_file, writer=writer, dpi=DPI)
            atomic_write(path, movie_file.read_bytes())  # the file is whole or not there
    finally:
        for p, (data, grad) in zip(params, saved):
            p.data, p.grad = data, grad
    return str(path)


def _spread(items: list, n: int) -> list:
    """At most `n` items, evenly spread, always including the last."""
    if len(items) <= n:
        return list(items)
    return [items[round(i * (len(items) - 1) / (n - 1))] for i in range(n)]
