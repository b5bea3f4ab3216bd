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
the last one AND the time spent drawing, counting this picture and the final frame still to come at
the cost of the last picture, stays within `DRAW_BUDGET` (15%) of the time spent training. So the
first picture is budgeted too (estimated from the last run's first picture in this process, else
FIRST_PICTURE_GUESS), and so is the final frame: short runs may show only the final frame, and the
pictures of a long run come about every `refresh` seconds or, for a slow picture, less often (none
in the last `refresh` seconds of training, when the final frame is due anyway). The
epoch text is updated at most every `STATUS_EVERY` (0.1) seconds. A picture is cheap because
nothing in it is made twice (see `TrainingPicture`): its panels are made once and only their data
changes, Graphviz lays the network out once, in the background, and the decision boundary comes
from the model's forward pass compiled once. ``benchmarks/live_view.py`` measures what it costs.

When training ends the widget is replaced, in the same output, by a PNG of the final frame: a saved
notebook then shows a picture on its first (untrusted) open, not controls without a kernel.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import io
import math
import os
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

from autograd import no_grad
from autograd.files import atomic_write
from nn.train import History, Run, Snapshot

DRAW_BUDGET = 0.15  # drawing, the final frame included, takes at most this fraction of the training time
FIRST_PICTURE_GUESS = 0.5  # seconds: what a first picture is assumed to cost before any has been drawn
STATUS_EVERY = 0.1  # seconds: the epoch text is rewritten at most this often between pictures
BOUNDARY_STEPS = 20  # the decision boundary's grid: 20 x 20 forward passes per picture
FIGURE_WIDTH = 11.0  # inches, at DPI: a frame is 880 px wide
DPI = 80
MIN_NUMBER_FONT = 4.5  # points: the network panel writes numbers in its circles only from this size up


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
    The model must hold the parameters of that epoch (the caller sets them). The panels are made
    at the first call; later calls on the same figure only update their data (see `TrainingPicture`).
    """
    picture = getattr(fig, "chainrule_picture", None)
    if picture is None or picture.run is not run:
        picture = fig.chainrule_picture = TrainingPicture(run, fig)
    picture.draw(history, upto)


class TrainingPicture:
    """The panels of a training run's picture, made once in one matplotlib figure; `draw` updates
    them for an epoch.

    What makes a frame cheap: nothing is laid out again. The loss and accuracy are two lines whose
    data changes; the decision boundary is an image of the model's scores on a fixed grid; the
    network is laid out once by Graphviz (`model.diagram`, the one picture of a network) and
    painted with matplotlib from that layout: each frame only recolours and re-widens the edges
    (weights by sign and size) and rewrites the numbers in the circles. For nn's MLP, Layer and
    Neuron the scores come from the model's forward pass compiled once (`autograd.compile`):
    straight-line Python, a few times faster than building a graph for every grid point.
    """

    def __init__(self, run: Run, fig=None, layout: BackgroundLayout | None = None) -> None:
        self.run = run
        self.fig = fig if fig is not None else new_figure(run)
        self._layout = layout
        self.two_d = _is_2d(run.X)
        self.has_network = hasattr(run.model, "diagram")
        self._forward = _forward_function(run.model, list(run.X[0]))
        self._made = False

    def _make(self, history: History) -> None:
        from matplotlib.colors import BoundaryNorm, ListedColormap

        fig, run = self.fig, self.run
        fig.clear()
        rows = [1.0, 1.15] if self.has_network else [1.0]
        grid = fig.add_gridspec(len(rows), 2 if self.two_d else 1, height_ratios=rows)
        ax = self.loss_axes = fig.add_subplot(grid[0, 0])
        (self.loss_line,) = ax.plot([], [], color="#2f6db5", label="loss")
        ax.set(xlabel="epoch", ylabel="loss", xlim=(0.5, max(run.epochs, 1) + 0.5))
        ax.locator_params(nbins=5)  # fewer tick labels: text is most of what a frame costs to render
        ax.yaxis.label.set_color("#2f6db5")
        self.accuracy_line = None
        if run.is_right is not None:
            twin = ax.twinx()
            (self.accuracy_line,) = twin.plot([], [], color="#e08a1e", label="accuracy")
            twin.set(ylim=(0, 1.05), ylabel="accuracy", yticks=[0, 0.25, 0.5, 0.75, 1])
            twin.yaxis.label.set_color("#e08a1e")
            twin.set_title("", y=1.0)
        # y given: titles stay put (matplotlib otherwise measures every tick label to place them, each frame)
        self.title = ax.set_title("", fontsize=11, y=1.0)
        if self.two_d:
            from nn.plot import boundary_grid

            boundary = fig.add_subplot(grid[0, 1])
            self.grid_x, self.grid_y = boundary_grid(run.X, BOUNDARY_STEPS)
            extent = (self.grid_x[0], self.grid_x[-1], self.grid_y[0], self.grid_y[-1])
            # the scores, interpolated between grid points, then coloured by their sign: a smooth boundary
            self.boundary_image = boundary.imshow(
                [[0.0] * BOUNDARY_STEPS] * BOUNDARY_STEPS, origin="lower", extent=extent, aspect="auto",
                cmap=ListedColormap(["#f4b6b6", "#b6cdf4"]), norm=BoundaryNorm([-2.0, 0.0, 2.0], 2),
                interpolation="bilinear", interpolation_stage="data",
            )  # fmt: skip
            boundary.scatter([p[0] for p in run.X], [p[1] for p in run.X], s=18, edgecolors="white", linewidths=0.5,
                             c=["#c0392b" if label <= 0 else "#2f6db5" for label in run.y])  # fmt: skip
            boundary.set(xlim=extent[:2], ylim=extent[2:], xticks=[], yticks=[])
            boundary.set_title("decision boundary and the data", fontsize=11, y=1.0)
        fig.subplots_adjust(left=0.06, right=0.94, bottom=0.04 if self.has_network else 0.14, top=0.93, wspace=0.3,
                            hspace=0.25)  # fmt: skip
        self.network = None
        if self.has_network:
            net_ax = fig.add_subplot(grid[1, :])
            net_ax.set_title(
                "the network on the sample with the largest loss: weights blue +, magenta −, width |w|; "
                "neuron fill: its output (same colours); ring: δ = ∂L/∂z, width |δ|",
                fontsize=9,
                y=1.0,
            )
            self.network = NetworkPanel(net_ax, self.run, self._layout)
        self._made = True

    def draw(self, history: History, upto: int | None = None) -> None:
        """Update every panel to epoch `upto` (default: the last recorded one)."""
        if not self._made:
            self._make(history)
        run = self.run
        epochs = history.epochs if upto is None else upto
        xs = range(1, epochs + 1)
        self.loss_line.set_data(xs, history.loss[:epochs])
        self.loss_axes.relim()
        self.loss_axes.autoscale_view(scalex=False)
        if self.accuracy_line is not None:
            self.accuracy_line.set_data(xs, [a or 0.0 for a in history.accuracy[:epochs]])
        self.title.set_text(status_text(history, run, upto))
        outputs = None
        if self.two_d:
            outputs = self._forward([[a, b] for b in self.grid_y for a in self.grid_x])
            steps = BOUNDARY_STEPS
            scores = [[_clip(_first(outputs[j * steps + i])) for i in range(steps)] for j in range(steps)]
            self.boundary_image.set_data(scores)
        if self.network is not None:
            self.network.draw(self._worst_sample())

    def _worst_sample(self) -> int:
        return worst_sample(self.run, self._forward)

    def png(self) -> bytes:
        return figure_png(self.fig)


class NetworkPanel:
    """The network (`model.diagram`) painted into a matplotlib axes from a layout made once by Graphviz.

    Graphviz places the circles and routes the edges for the first frame; every frame after that
    keeps those shapes and only restyles them, so it costs no layout and no Graphviz at all. The
    styles and texts are the diagram's own (`weight_style`, `node_texts`), so the panel shows what
    ``model.diagram(loss=...)`` shows.
    """

    def __init__(self, ax, run: Run, layout: BackgroundLayout | None = None) -> None:
        self.ax, self.run = ax, run
        ax.axis("off")
        self._layout = layout  # started earlier, in the background; else laid out at the first frame
        self._laid_out = False

    def _lay_out(self, net) -> None:
        from matplotlib.collections import LineCollection, PatchCollection
        from matplotlib.patches import Ellipse

        from autograd.view.render import layout

        ax = self.ax
        laid = self._layout.result() if self._layout is not None else layout(_network_source(net))
        _, _, width, height = (float(v) for v in laid["bb"].split(","))
        ax.set(xlim=(0, width), ylim=(0, height), aspect="equal")
        ax.apply_aspect()
        box = ax.get_window_extent()  # pixels at the figure's dpi
        scale = min(box.width / width, box.height / height) * 72 / self.ax.figure.dpi  # points per layout point
        nodes = {o["name"]: o for o in laid.get("objects", []) if "pos" in o}
        centres, circles = {}, []
        self.node_names = []
        for name, o in nodes.items():
            x, y = (float(v) for v in o["pos"].split(","))
            w, h = float(o["width"]) * 72, float(o["height"]) * 72
            circles.append(Ellipse((x, y), w, h, facecolor=o.get("fillcolor", "white"), edgecolor=o.get("color"),
                                   linewidth=0.8, zorder=2))
            centres[name] = (x, y)
            self.node_names.append(name)
        by_id = {e["id"][2:]: e for e in laid.get("edges", []) if e.get("id", "").startswith("n_w")}
        segments = []
        self.weights = []
        for n in net.neurons():
            for i in range(len(n.w)):
                edge = by_id[n.weight_node(i)]
                segments.append(_spline(edge["pos"]))
                self.weights.append((n.layer, n.index, i))
        self.edges = LineCollection(segments, zorder=1, capstyle="round")
        ax.add_collection(self.edges, autolim=False)
        self.circles = PatchCollection(circles, match_original=True, zorder=2)  # one artist, no per-patch limits
        ax.add_collection(self.circles, autolim=False)
        self.fills = [c.get_facecolor() for c in circles]
        self.rings = [c.get_edgecolor() for c in circles]
        self.ring_widths = [c.get_linewidth() for c in circles]
        self.line_scale = scale
        self.neuron_circles = [self.node_names.index(n.node) for n in net.neurons()]
        font = 10 * scale  # the diagram's 10 pt Courier, at the panel's scale
        self.texts = {}
        if font >= MIN_NUMBER_FONT:  # numbers too small to read are not drawn (and cost nothing)
            self.texts = {
                name: ax.text(*centres[name], "", ha="center", va="center", fontsize=font, family="monospace",
                              zorder=3, linespacing=1.1)
                for name in self.node_names
            }  # fmt: skip
        self._laid_out = True

    def draw(self, sample: int) -> None:
        """Show the network on sample `sample`: its activations and the gradients of its loss."""
        from nn.diagram import largest_weight, network_of, node_texts, weight_style

        with sample_gradients(self.run, sample) as sample_loss:
            net = network_of(self.run.model, loss=sample_loss)
            if not self._laid_out:
                self._lay_out(net)
            largest = largest_weight(net)
            layers = net.layers
            colours, widths = [], []
            for k, j, i in self.weights:
                style = weight_style(layers[k][j].w[i].data, largest)
                colours.append(style["color"])
                widths.append(float(style["penwidth"]) * self.line_scale)
            self.edges.set_color(colours)
            self.edges.set_linewidth(widths)
            # each neuron's output as its fill and its δ as its ring: readable however small the circles
            neurons = net.neurons()
            most_out = max((abs(n.out.data) for n in neurons if math.isfinite(n.out.data)), default=0.0) or 1.0
            most_delta = max((abs(n.z.grad) for n in neurons if math.isfinite(n.z.grad)), default=0.0) or 1.0
            for n, i in zip(neurons, self.neuron_circles):
                self.fills[i] = _tint(n.out.data, most_out)
                self.rings[i] = _sign_colour(n.z.grad) if n.z.grad else "#999999"
                delta = abs(n.z.grad)
                self.ring_widths[i] = 0.6 + 2.4 * min(delta / most_delta, 1.0) if math.isfinite(delta) else 3.0
            self.circles.set_facecolor(self.fills)
            self.circles.set_edgecolor(self.rings)
            self.circles.set_linewidth(self.ring_widths)
            if self.texts:
                for name, text in node_texts(net).items():
                    self.texts[name].set_text(text)


@contextlib.contextmanager
def sample_gradients(run: Run, sample: int) -> Iterator:
    """The loss of sample `sample` after its own backward pass (each neuron's gradients on it); the
    parameters' gradients (the last training step's, which the optimizer used) are put back after."""
    params = run.params
    saved = [p.grad for p in params]
    try:
        for p in params:
            p.grad = 0.0
        sample_loss = run.loss([run.model(list(run.X[sample]))], [run.y[sample]])
        sample_loss.backward()
        yield sample_loss
    finally:
        for p, grad in zip(params, saved):
            p.grad = grad


def _network_source(net) -> str:
    """The DOT source the network panel is laid out from: the diagram, top to bottom, no legend."""
    from nn.diagram import draw_network

    return draw_network(net, rankdir="TB", legend=False, labels=False).source


class BackgroundLayout:
    """Graphviz laying out the network panel while training runs.

    Graphviz is a subprocess: it works on another core, and the thread that waits for it holds no
    lock Python's other threads need. The layout depends only on the architecture (every number in
    the diagram has a fixed width), so the model before training serves.
    """

    def __init__(self, run: Run) -> None:
        from nn.diagram import network_of

        with sample_gradients(run, 0) as sample_loss:
            source = _network_source(network_of(run.model, loss=sample_loss))
        self._done = threading.Event()
        self._layout: dict | None = None
        self._error: BaseException | None = None
        threading.Thread(target=self._run, args=(source,), name="chainrule-layout", daemon=True).start()

    def _run(self, source: str) -> None:
        from autograd.view.render import layout

        try:
            self._layout = layout(source)
        except BaseException as error:  # raised where the layout is needed
            self._error = error
        finally:
            self._done.set()

    def result(self) -> dict:
        """The layout (waits for Graphviz if it is still working)."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._layout


def _sign_colour(x: float) -> str:
    """The weights' colours: blue for positive, magenta for negative (amber for inf or nan)."""
    from nn.diagram import NEGATIVE, POSITIVE

    return "#ffb300" if not math.isfinite(x) else POSITIVE if x >= 0 else NEGATIVE


def _tint(x: float, largest: float) -> tuple[float, float, float]:
    """A fill for value `x`: white at 0, towards the sign's colour as |x| nears `largest` (at most
    60% of the way, so numbers written on it stay readable)."""
    from matplotlib.colors import to_rgb

    if not math.isfinite(x):
        return to_rgb("#ffb300")
    strength = 0.6 * min(abs(x) / largest, 1.0)
    colour = to_rgb(_sign_colour(x))
    return tuple(1 - strength + strength * c for c in colour)


def _spline(pos: str) -> list[tuple[float, float]]:
    """Graphviz's edge spline ``"e,x,y x1,y1 x2,y2 ..."`` (cubic Bézier pieces, then the arrow's tip)
    as a polyline from the tail to the tip, 8 points per piece."""
    import numpy as np

    end = None
    points = []
    for part in pos.split():
        if part.startswith("e,"):
            end = tuple(float(v) for v in part[2:].split(","))
        elif not part.startswith("s,"):
            points.append([float(v) for v in part.split(",")])
    p = np.array(points)
    t = np.linspace(0.0, 1.0, 8)[:, None]
    line = [p[:1]]
    for i in range(0, len(p) - 3, 3):  # each piece: B(t) = (1-t)³ p0 + 3(1-t)² t p1 + 3(1-t) t² p2 + t³ p3
        p0, p1, p2, p3 = p[i], p[i + 1], p[i + 2], p[i + 3]
        u = 1.0 - t
        line.append((u**3 * p0 + 3 * u**2 * t * p1 + 3 * u * t**2 * p2 + t**3 * p3)[1:])
    polyline = [tuple(q) for q in np.concatenate(line)]
    return polyline + [end] if end is not None else polyline


def _forward_function(model, example: list[float]):
    """A function from inputs (a list of lists of floats) to the model's outputs as floats (each a
    float, or a list for several outputs). nn's MLP, Layer and Neuron are compiled once
    (`autograd.compile`, the arithmetic of training's compiled steps); other models run the engine
    without recording a graph."""
    import autograd
    from nn.train import _fixed_structure_model

    def engine(inputs: list[list[float]]) -> list:
        with no_grad():
            outs = [model(x) for x in inputs]
        return [[o.data for o in out] if isinstance(out, list) else out.data for out in outs]

    if not (hasattr(autograd, "compile") and _fixed_structure_model(model)):
        return engine

    def outputs(x):
        out = model(x)
        outs = out if isinstance(out, list) else [out]
        return outs[0] * 0.0, outs  # a root whose gradient is 0: the program skips the backward products

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program = autograd.compile(outputs, example, argnums=(), exact=False, has_aux=True)
    except (TypeError, ValueError):
        return engine
    if program.specialised:
        return engine
    function, captured, single = program.function, program.captured, not isinstance(model(example), list)

    def compiled(inputs: list[list[float]]) -> list:
        params = [p.data for p in captured]  # read once: the model does not change while it is drawn
        outs = [function([*x, *params])[2] for x in inputs]
        return [numbers[0] for numbers in outs] if single else [list(numbers) for numbers in outs]

    return compiled


def worst_sample(run: Run, forward=None) -> int:
    """The index of the sample the model gets least right (the largest loss; nan counts as largest):
    its gradients say the most. `forward`: the model as a function of floats (default: the engine)."""
    forward = forward or _forward_function(run.model, list(run.X[0]))
    with no_grad():
        losses = [run.loss([_prediction(out)], [t]).data for out, t in zip(forward([list(x) for x in run.X]), run.y)]
    return max(range(len(losses)), key=lambda i: math.inf if math.isnan(losses[i]) else losses[i])


def _prediction(output):
    """Floats back as Values, shaped as the model gave them, for a loss function."""
    from autograd import Value

    return [Value(v) for v in output] if isinstance(output, list) else Value(output)


def _first(output) -> float:
    return output[0] if isinstance(output, list) else output


def _clip(score: float) -> float:
    """A score for the boundary image: its sign is what shows; nan shows as 0 (on the boundary)."""
    return 0.0 if math.isnan(score) else max(-1.0, min(1.0, score))


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
    """The model's network diagram (`model.diagram`) on the sample with the largest loss, as a PNG
    rendered by Graphviz: weights by sign and size, each neuron's output, and the gradients of that
    sample's loss (None when the model has no diagram). The live view's network panel paints the same
    diagram from a layout made once (`NetworkPanel`); this is the slower, sharper picture of it.

    The parameters' gradients (the last step's, which the optimizer used) are put back afterwards.
    """
    diagram = getattr(run.model, "diagram", None)
    if diagram is None:
        return None
    with sample_gradients(run, worst_sample(run)) as sample_loss:
        graph = diagram(loss=sample_loss, rankdir="TB", legend=False, labels=False)
        return graph.picture("png", dpi=DPI)


def figure_png(fig) -> bytes:
    """A matplotlib figure as PNG bytes (no pyplot: safe in a background thread).

    Rendered by Agg and written by Pillow at zlib level 1: encoding takes a few milliseconds instead of
    tens, for a file about 10% larger (the live view sends one per picture; `small_png` is for keeping).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def small_png(png: bytes) -> bytes:
    """The same picture in 256 colours (Pillow's fast octree quantizer): a third of the size, for saved
    notebooks."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        buffer = io.BytesIO()
        image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(buffer, format="PNG")
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

    first_picture_seconds: float | None = None  # what the last run's first picture cost, in this process
    picture_seconds: float | None = None  # what the last later picture cost, in this process

    def __init__(self, run: Run, refresh: float = 1.0) -> None:
        import ipywidgets as widgets
        import matplotlib.backends.backend_agg  # noqa: F401 - imported here, once (~0.7 s when matplotlib is
        import matplotlib.figure  # noqa: F401 - not imported yet): not a picture's cost

        self.run = run
        self.history = run.history
        self.refresh = refresh
        self._go = threading.Event()  # set while training may proceed
        self._go.set()
        self._lock = threading.RLock()  # guards the state and the widgets that show it
        self._one_epoch = False
        self._stopping = False
        self.state = "running"
        self.draw_seconds = 0.0  # time spent drawing (the final frame included), for the budget
        self.train_seconds = 0.0
        self.draws = 0
        self._last_draw = self._last_cost = self._last_status = 0.0
        self._drawn_epoch = -1  # the epoch the picture on screen shows
        self._picture: TrainingPicture | None = None
        self._layout: BackgroundLayout | None = None
        self._epoch_seconds = 0.0  # how long the last epoch took
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
                # Only the training thread stops itself (clears _go), after the epoch it is in: were this
                # click to clear it, a thread between its check and its wait would sleep in "pausing".
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
                self._epoch_seconds = time.perf_counter() - started
                self.train_seconds += self._epoch_seconds
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
                    # (otherwise the widgets change only when a button does, or in _draw: no message per epoch)
            self.last_epoch_at, self.last_epoch_cpu = time.perf_counter(), _cpu_seconds()
            if history.epochs < run.epochs:
                history.interrupted = True
        except BaseException as error:  # shown in the view and re-raised by history.wait()
            history.error = error
        finally:
            with self._lock:
                self.state = "stopped" if history.interrupted or history.error else "finished"
            self._finish()

    def _draw(self, force: bool = False) -> None:
        """Redraw the picture if the budget allows it (always when `force`); else, at most every
        `STATUS_EVERY` seconds, only the epoch text."""
        now = time.perf_counter()
        if self._layout is None and self._picture is None and self._layout_worth_starting():
            # Graphviz lays the network out on another core while the next epochs train
            self._layout = BackgroundLayout(self.run)
            self.draw_seconds += time.perf_counter() - now  # (the time to start it counts as drawing)
            now = time.perf_counter()
        if not force and not self._picture_allowed(now):
            if now - self._last_status >= STATUS_EVERY:
                with self._lock:
                    self.status.value = self._status_html()
                self._last_status = now
            return
        if self._picture is None:
            self._picture = TrainingPicture(self.run, layout=self._layout)
        self._picture.draw(self.history)
        png = self._picture.png()
        with self._lock:
            self.image.value = png
            self.status.value = self._status_html()
        self._drawn_epoch = self.history.epochs
        self._last_draw = self._last_status = time.perf_counter()
        self._last_cost = self._last_draw - now
        if self.draws == 0:
            LiveView.first_picture_seconds = self._last_cost
        else:
            LiveView.picture_seconds = self._last_cost
        self.draw_seconds += self._last_cost
        self.draws += 1

    def _layout_worth_starting(self) -> bool:
        """Lay the network out in the background only when a picture during training looks affordable:
        from the second epoch on (the first may include compiling the step), if the whole run, at the
        last epoch's pace, leaves room in the budget for a first picture and the final frame. A run
        too short for that shows only the final frame, which lays the network out itself."""
        epochs = self.history.epochs
        if not hasattr(self.run.model, "diagram") or epochs < 2:
            return False
        expected = self.train_seconds + self._epoch_seconds * (self.run.epochs - epochs)
        first = LiveView.first_picture_seconds or FIRST_PICTURE_GUESS
        return DRAW_BUDGET * expected >= first + (LiveView.picture_seconds or first / 2)

    def _picture_allowed(self, now: float) -> bool:
        """May a picture be drawn now? Only `refresh` seconds after the last one, and only if drawing,
        this picture and the final frame included, stays within DRAW_BUDGET of the training time so far.

        A picture is assumed to cost what the last one did. This run's first picture (which compiles
        the model's forward pass and makes the panels) is assumed to cost what the previous run's
        first did in this process, else FIRST_PICTURE_GUESS; the final frame after it what a later
        picture last cost, else half the first (the one-time work is about half a first picture). No
        picture is drawn when training should end within `refresh` seconds (at the pace so far): the
        final frame is due then anyway.
        """
        if now - self._last_draw < self.refresh:
            return False
        epochs = self.history.epochs
        if (self.run.epochs - epochs) * self.train_seconds / epochs < self.refresh:
            return False  # training ends within `refresh` seconds, and the final frame comes then
        if self.draws:
            cost = final_frame = self._last_cost
        else:
            cost = LiveView.first_picture_seconds or FIRST_PICTURE_GUESS
            final_frame = LiveView.picture_seconds or cost / 2  # still to come: the last epoch's picture
        return self.draw_seconds + cost + final_frame <= DRAW_BUDGET * self.train_seconds

    def _finish(self) -> None:
        """Final picture; the widget gives way to a static PNG in the same output."""
        try:
            if self.history.error is None:
                started, drawn_before = time.perf_counter(), self.draw_seconds
                if self._drawn_epoch != self.history.epochs:  # (a pause may have drawn it already)
                    self._draw(force=True)
                png = small_png(self.image.value)
                self.draw_seconds = drawn_before + time.perf_counter() - started  # the final frame counts
                self.final_frame = FinalFrame(png, status_text(self.history, self.run))
            with self._lock:
                self._sync_controls()
            if self.final_frame is not None:
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


def _cpu_seconds() -> float:
    """CPU time used so far by this process (all its threads) and the subprocesses it waited for
    (Graphviz): what the view costs on a busy machine, where wall time also counts others' work."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


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
