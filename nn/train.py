"""`fit`: the training loop — forward, loss, backward, step — with a progress bar or a live view."""

from __future__ import annotations

import gc
import random
import sys
import threading
import warnings
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from numbers import Integral

import autograd
from autograd import Value
from nn import losses
from nn.module import Module
from nn.optim import Optimizer


@dataclass
class Snapshot:
    """The model after one epoch: every parameter's value and its gradient from the epoch's last step."""

    epoch: int  # counted from 1
    loss: float
    accuracy: float | None
    lr: float
    params: list[float]
    grads: list[float]


@dataclass
class History:
    """What `fit` saw: the loss and accuracy of every epoch (accuracy is None without a rule).

    With ``fit(..., live=True)`` training runs beside the notebook and the History fills as it goes:
    `wait()` blocks until training has finished. `snapshots` (one per epoch, when recorded) let
    `animate()` replay the run.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float | None] = field(default_factory=list)
    interrupted: bool = False  # True when Ctrl-C or the live view's stop button ended training early
    snapshots: list[Snapshot] = field(default_factory=list, repr=False)
    error: BaseException | None = field(default=None, repr=False)  # what stopped a background run
    _finished: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)
    view: object = field(default=None, repr=False, compare=False)  # the LiveView, with live=True in Jupyter
    _run: object = field(default=None, repr=False, compare=False)  # model, data and loss, for animate()

    @property
    def epochs(self) -> int:
        return len(self.loss)

    @property
    def finished(self) -> bool:
        """True once training has ended (all epochs, stopped, or failed)."""
        return self._finished.is_set()

    def wait(self, timeout: float | None = None) -> History:
        """Block until training has finished and return this History; re-raise a training error.

        Raises TimeoutError if `timeout` seconds pass first.
        """
        if not self._finished.wait(timeout):
            raise TimeoutError(f"training had not finished after {timeout} s ({self.epochs} epochs so far)")
        if self.view is not None:
            self.view.show_final_frame()  # so a notebook saved after this cell keeps the picture
        if self.error is not None:
            raise RuntimeError(f"training stopped with an error after {self.epochs} epochs: {self.error!r}") from (
                self.error
            )
        return self

    def animate(self, path, **options) -> str:
        """Write the run as an animation (".gif" or ".html"), one frame per recorded epoch: see
        `nn.live.animate` for the options. Returns the path written."""
        from nn.live import animate

        return animate(self, path, **options)


def _argmax(values: Sequence[Value]) -> int:
    return max(range(len(values)), key=lambda i: values[i].data)


# Which prediction counts as right, for the losses whose meaning makes it clear.
ACCURACY_RULES: dict[Callable, Callable[[object, object], bool]] = {
    losses.hinge_loss: lambda score, y: (score.data > 0) == (y > 0),
    losses.bce_with_logits: lambda z, y: (z.data > 0) == (y == 1),
    losses.binary_cross_entropy: lambda p, y: (p.data > 0.5) == (y == 1),
    losses.cross_entropy: lambda z, y: _argmax(z) == y,
}


@contextmanager
def collector_paused() -> Iterator[None]:
    """Switch Python's cycle collector off for one training step, and back on afterwards (even on errors).

    Safe only because chainrule's graphs contain no reference cycles: reference counting frees a graph
    the moment its last reference goes, so the collector has nothing to find in it. Left on, it would
    walk every node of the graph being built again and again (about 15% of a step, more for large graphs).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class Run:
    """One training run, an epoch at a time: what `fit` loops over, in the foreground or a thread."""

    model: Module
    X: Sequence[Sequence[float]]
    y: Sequence
    loss: Callable
    optimizer: Optimizer
    batch_size: int | None
    lr_schedule: Callable[[int], float] | None
    is_right: Callable[[object, object], bool] | None
    step: Callable[[list[int]], tuple[float, int]]  # one training step on a batch: (loss, number right)
    seed: int | None
    epochs: int
    history: History
    record: bool = False  # keep a Snapshot per epoch

    def __post_init__(self) -> None:
        self.params = self.model.parameters()
        self.rng = random.Random(self.seed)
        self.order = list(range(len(self.X)))

    def epoch(self) -> None:
        """Train one epoch (number len(history.loss) + 1) and append its loss and accuracy."""
        history, order = self.history, self.order
        if self.lr_schedule is not None:
            self.optimizer.lr = float(self.lr_schedule(history.epochs))
        if self.batch_size is not None:
            self.rng.shuffle(order)
        size = self.batch_size or len(order)
        total, right = 0.0, 0
        for start in range(0, len(order), size):
            batch = order[start : start + size]
            batch_loss, batch_right = self.step(batch)
            total += batch_loss * len(batch)
            right += batch_right
        history.loss.append(total / len(order))
        history.accuracy.append(right / len(order) if self.is_right else None)
        if self.record:
            params = self.params
            history.snapshots.append(
                Snapshot(
                    history.epochs,
                    history.loss[-1],
                    history.accuracy[-1],
                    self.optimizer.lr,
                    [p.data for p in params],
                    [p.grad for p in params],
                )
            )


def fit(
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence,
    *,
    loss: Callable,
    optimizer: Optimizer,
    epochs: int = 100,
    batch_size: int | None = None,
    l2: float = 0.0,
    lr_schedule: Callable[[int], float] | None = None,
    accuracy: Callable[[object, object], bool] | None = None,
    progress: bool = True,
    seed: int | None = 0,
    compile: bool | None = False,  # noqa: A002 - the name PyTorch users know (torch.compile)
    live: bool = False,
    refresh: float = 1.0,
    record: bool | None = None,
) -> History:
    """Train `model` on (X, y) and return the `History` of loss and accuracy per epoch.

    Each step: predictions for a batch (all samples when `batch_size` is None), ``loss(predictions,
    targets)`` plus ``l2 * sum(p**2)`` over the parameters, backward, ``optimizer.step()``.
    `lr_schedule(epoch)` sets the learning rate each epoch. Accuracy uses `accuracy(prediction,
    target)` or the rule that goes with `loss`. Ctrl-C stops cleanly and returns the history so far.

    `compile` chooses how each step runs. ``False``: the interactive engine builds the graph every
    step. ``True``: the first step traces the model and loss once and `autograd.compile` turns the
    graph into straight-line Python that later steps replay (same arithmetic, same losses, many
    times faster); it raises ValueError if they do not trace to one fixed graph. ``None`` (the
    default) compiles nn's own MLP/Layer/Neuron with ``hinge_loss``, ``mse_loss`` or
    ``binary_cross_entropy`` and trains interactively otherwise, printing a one-line note.

    live=True, in Jupyter: show the run as it trains (loss, accuracy, the decision boundary for 2-D
    inputs, the network) with pause / resume / one epoch / stop and the learning rate, redrawn at most
    every `refresh` seconds (see `nn.live`). Training then runs in a background thread so the buttons
    stay live, and `fit` returns at once: ``history.wait()`` gives the finished History. Outside
    Jupyter, live=True trains in the foreground with the progress bar.
    record: keep a `Snapshot` of the parameters every epoch, for ``history.animate(...)`` (on by
    default with live=True).
    """
    if len(X) != len(y):
        raise ValueError(f"fit got {len(X)} samples in X but {len(y)} targets in y")
    if len(X) == 0:  # not `if not X`: X may be a numpy array
        raise ValueError("fit needs at least one sample")
    if isinstance(epochs, bool) or not isinstance(epochs, Integral) or epochs < 0:
        raise ValueError(f"epochs must be an int >= 0, got {epochs!r}")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, Integral)
                                   or batch_size < 1):  # fmt: skip
        raise ValueError(f"batch_size must be a positive int or None, got {batch_size!r}")
    if compile not in (None, True, False):
        raise ValueError(f"compile must be True, False or None, got {compile!r}")
    if isinstance(refresh, bool) or not isinstance(refresh, (int, float)) or not refresh > 0:
        raise ValueError(f"refresh must be a number of seconds > 0, got {refresh!r}")
    epochs, batch_size = int(epochs), None if batch_size is None else int(batch_size)
    is_right = accuracy or ACCURACY_RULES.get(loss)
    history = History()
    interactive = _InteractiveStep(model, X, y, loss, optimizer, l2, is_right)
    step: Callable[[list[int]], tuple[float, int]] = interactive
    if compile and not hasattr(autograd, "compile"):
        raise ValueError("fit(compile=True) needs autograd.compile, which this version of chainrule lacks")
    if compile is not False and epochs > 0 and hasattr(autograd, "compile"):
        reason = None if compile else _why_not_compiled(model, loss)
        if reason is None:
            step = _CompiledStep(interactive, full_batch=batch_size is None, insist=compile is True)
        else:
            print(f"fit: {reason}; training interactively (compile=False skips this check)", file=_progress_stream())

    run = Run(
        model, X, y, loss, optimizer, batch_size, lr_schedule, is_right, step, seed, epochs, history,
        record=live if record is None else bool(record),
    )  # fmt: skip
    history._run = run
    if live:
        from nn.live import in_notebook

        if in_notebook():
            from nn.live import LiveView

            LiveView(run, refresh=float(refresh)).start()
            return history

    # The plain text bar works in terminals and notebooks alike, and leaves no widget state behind.
    from tqdm import tqdm

    bar = tqdm(range(epochs), desc="training", disable=not progress, leave=True, file=_progress_stream())
    try:
        for _ in bar:
            run.epoch()
            shown = {"loss": f"{history.loss[-1]:.4f}"}
            if is_right:
                shown["acc"] = f"{history.accuracy[-1]:.0%}"
            bar.set_postfix(shown, refresh=False)
    except KeyboardInterrupt:
        history.interrupted = True
    finally:
        bar.close()
        history._finished.set()
    return history


def _progress_stream():
    """Where the progress bar goes: stderr in a terminal (tqdm's habit), stdout in a notebook kernel,
    where stderr is drawn as a red block that looks like an error."""
    return sys.stdout if type(sys.stderr).__module__.startswith("ipykernel") else sys.stderr


def _batch_loss(model: Module, loss: Callable, l2: float, params: list[Value] | None, inputs, targets) -> tuple:
    """A batch's loss (plus ``l2 * sum(p**2)``) as a graph, and the predictions it was computed from."""
    predictions = [model(x) for x in inputs]
    batch_loss = loss(predictions, targets)
    if l2:
        batch_loss = batch_loss + l2 * autograd.dot(params, params)
    return batch_loss, predictions


class _InteractiveStep:
    """One training step on a batch with the interactive engine: the graph a learner can draw."""

    def __init__(
        self,
        model: Module,
        X: Sequence,
        y: Sequence,
        loss: Callable,
        optimizer: Optimizer,
        l2: float,
        is_right: Callable | None,
    ) -> None:
        self.model, self.X, self.y, self.loss, self.optimizer = model, X, y, loss, optimizer
        self.l2, self.is_right = l2, is_right
        self._params: list[Value] | None = None  # model.parameters(), fetched when the L2 term first needs it

    def loss_of(self, inputs: Sequence, targets: Sequence) -> tuple[Value, list]:
        """The batch loss (plus the L2 term) as a graph, and the predictions it was computed from."""
        if self.l2 and self._params is None:
            self._params = self.model.parameters()
        return _batch_loss(self.model, self.loss, self.l2, self._params, inputs, targets)

    def __call__(self, batch: list[int]) -> tuple[float, int]:
        """Forward, backward and update for the samples `batch`; returns (loss, number right)."""
        with collector_paused():  # graphs have no cycles: see collector_paused
            targets = [self.y[i] for i in batch]
            batch_loss, predictions = self.loss_of([self.X[i] for i in batch], targets)
            self.optimizer.zero_grad()
            batch_loss.backward()
            self.optimizer.step()
            right = int(sum(bool(self.is_right(p, t)) for p, t in zip(predictions, targets))) if self.is_right else 0
            value = batch_loss.data
            del predictions, batch_loss  # freed here, by reference counting, while the collector is off
        return value, right


# The model types and losses whose Python code never branches on data, so one trace serves every step.
_FIXED_STRUCTURE_LOSSES = (losses.hinge_loss, losses.mse_loss, losses.binary_cross_entropy)


def _fixed_structure_model(model: Module) -> bool:
    from nn.layers import MLP, Layer, Neuron

    return type(model) in (MLP, Layer, Neuron)


def _why_not_compiled(model: Module, loss: Callable) -> str | None:
    """None when compile=None may compile this model and loss, else the reason it does not."""
    if _fixed_structure_model(model) and loss in _FIXED_STRUCTURE_LOSSES:
        return None
    name = getattr(loss, "__name__", repr(loss))
    return (
        f"compile=None compiles only nn's MLP/Layer/Neuron with hinge_loss, mse_loss or binary_cross_entropy, "
        f"not {type(model).__name__} with {name} (compile=True compiles any that never branch on .data)"
    )


# Compiled programs kept between calls of fit, per model: {model: {key: _Program}}.
_programs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _CompiledStep:
    """The same step as `_InteractiveStep`, replayed by the program `autograd.compile` writes.

    The program takes the batch's inputs (and, for minibatches, its targets) as arguments and reads
    the parameters from their Values; their gradients are added to each ``.grad`` as ``backward()``
    does, and the optimizer steps as usual. It also returns the predictions (``has_aux``) for the
    accuracy. One program per batch length, traced at its first use and kept for later calls of
    fit. Sums are added left to right (``exact=False``): the losses equal the interactive engine's
    to within rounding in the last bits, and the step runs at the speed of plain floats.
    """

    def __init__(self, interactive: _InteractiveStep, *, full_batch: bool, insist: bool) -> None:
        self.interactive = interactive
        self.full_batch, self.insist = full_batch, insist
        self.cache = _programs.setdefault(interactive.model, {})
        self.flat_batch: list[float] | None = None  # the full batch's inputs as the program reads them

    def __call__(self, batch: list[int]) -> tuple[float, int]:
        it = self.interactive
        inputs = [it.X[i] for i in batch]
        targets = [it.y[i] for i in batch]
        found = self._program(inputs, targets)
        if found is None:  # it did not compile (compile=None): the interactive step instead
            return it(batch)
        program, shape = found
        if not self.full_batch:
            flat = program.flat_inputs(inputs, targets)
        else:  # the same batch every step: its numbers are flattened once
            if self.flat_batch is None:
                self.flat_batch = program.flat_inputs(inputs)[: len(program.inputs) - len(program.captured)]
            flat = self.flat_batch + [leaf.data for leaf in program.captured]
        value, gradients, outputs = program.function(flat)
        it.optimizer.zero_grad()
        for leaf, g in zip(program.captured, gradients):  # the parameters' gradients, as backward() leaves them
            leaf.grad += g
        it.optimizer.step()
        right = 0
        if it.is_right:
            right = int(sum(bool(it.is_right(p, t)) for p, t in zip(_predictions(outputs, shape), targets)))
        return value, right

    def _program(self, inputs: list, targets: list) -> tuple | None:
        """(program, shape of the predictions) for this batch length, compiled at its first use."""
        it = self.interactive
        key = (it.loss, it.l2, len(inputs), self.full_batch)
        known = self.cache.get(key)
        if known is not None and (not self.full_batch or known[1] == targets):
            return known[0]
        found, reason = _compile_step(it.model, it.loss, it.l2, inputs, targets, self.full_batch)
        if reason is not None:
            if self.insist:
                raise ValueError(f"fit(compile=True): {reason}")
            print(f"fit: {reason}; training interactively (compile=False skips this check)", file=_progress_stream())
        self.cache[key] = (found, list(targets))
        return found


def _compile_step(model: Module, loss: Callable, l2: float, inputs: list, targets: list, full_batch: bool) -> tuple:
    """((program, shape of the predictions), None), or (None, the reason it cannot be compiled)."""
    shape: list[int | None] = []  # per sample: None for one Value, else the length of its list
    model_ref = weakref.ref(model)  # the program is kept per model: it must not keep the model alive

    def step_loss(inputs, *batch_targets):
        model = model_ref()
        params = model.parameters() if l2 else None
        batch_loss, predictions = _batch_loss(
            model, loss, l2, params, inputs, batch_targets[0] if batch_targets else targets
        )
        shape[:] = [len(p) if isinstance(p, list) else None for p in predictions]
        return batch_loss, predictions

    args = (inputs,) if full_batch else (inputs, targets)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", autograd.SpecialisationWarning)  # fit says it in its own words
        try:
            program = autograd.compile(step_loss, *args, argnums=(), exact=False, has_aux=True)
        except (TypeError, ValueError) as error:
            return None, f"the model and loss could not be traced ({error})"
    if program.specialised:
        return None, f"the model and loss do not trace to one fixed graph ({program.specialised})"
    return (program, shape), None


def _predictions(numbers: list[float], shape: list[int | None]) -> list:
    """The predictions a compiled program returned, as Values shaped as the model gave them
    (the accuracy rules read their .data)."""
    out, i = [], 0
    for n in shape:
        if n is None:
            out.append(Value(numbers[i]))
            i += 1
        else:
            out.append([Value(v) for v in numbers[i : i + n]])
            i += n
    return out
