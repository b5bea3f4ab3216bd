"""`fit`: the training loop — forward, loss, backward, step — with a progress bar or a live view."""

from __future__ import annotations

import functools
import itertools
import math
import random
import sys
import threading
import warnings
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from numbers import Integral

import autograd
from autograd import Value, collector_paused
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
        self.order = list(range(len(self.X)))

    @functools.cached_property
    def rng(self) -> random.Random:
        """The generator that shuffles the samples for minibatches (made when first needed)."""
        return random.Random(self.seed)

    @functools.cached_property
    def params(self) -> list[Value]:
        """The model's parameters, fetched once when first needed (a snapshot, the live view)."""
        return self.model.parameters()

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
    compile: bool | None = None,  # noqa: A002 - the name PyTorch users know (torch.compile)
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
    step. ``True``: one sample's loss through the model is traced once and `autograd.compile_sum`
    turns it into straight-line Python looped over the batch, which later steps replay (the same
    losses to within rounding in the last bits, at the speed of hand-written float code); the first
    step runs interactively and checks the program against it (a loss that is not a mean over the
    samples is then compiled as one program for the whole batch). It raises ValueError if the model
    and loss do not trace to one fixed graph. ``None`` (the default) compiles nn's own
    MLP/Layer/Neuron with ``hinge_loss`` or ``mse_loss``, whose code never branches on ``.data``, and
    trains interactively otherwise, printing a one-line note.

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


def _batch_loss(
    model: Module, loss: Callable, l2: float, params: list[Value] | None, inputs, targets, batched: bool = False
) -> tuple:
    """A batch's loss (plus ``l2 * sum(p**2)``) as a graph, and the predictions it was computed from.
    `batched`: the predictions from ``model.forward_batch(inputs)`` (the same graph, made faster)."""
    batch_forward = getattr(model, "forward_batch", None) if batched else None
    predictions = batch_forward(inputs) if batch_forward else [model(x) for x in inputs]
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
        return _batch_loss(self.model, self.loss, self.l2, self._params, inputs, targets, batched=True)

    def __call__(self, batch: list[int]) -> tuple[float, int]:
        """Forward, backward and update for the samples `batch`; returns (loss, number right)."""
        # graphs have no cycles (see collector_paused); the tape gives backward() its order without a search
        with collector_paused(), autograd.value.tape():
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
# (binary_cross_entropy and bce_with_logits branch on the prediction's number: their accurate formulas
# near 0 and 1 differ from the ordinary one, so a trace would freeze one branch for every sample.)
_FIXED_STRUCTURE_LOSSES = (losses.hinge_loss, losses.mse_loss)


def _fixed_structure_model(model: Module) -> bool:
    from nn.layers import MLP, Layer, Neuron

    return type(model) in (MLP, Layer, Neuron)


def _why_not_compiled(model: Module, loss: Callable) -> str | None:
    """None when compile=None may compile this model and loss, else the reason it does not."""
    if _fixed_structure_model(model) and loss in _FIXED_STRUCTURE_LOSSES:
        return None
    name = getattr(loss, "__name__", repr(loss))
    return (
        f"compile=None compiles only nn's MLP/Layer/Neuron with hinge_loss or mse_loss (graphs that never branch "
        f"on .data), not {type(model).__name__} with {name} (compile=True compiles any that trace to one graph)"
    )


# Compiled programs kept between calls of fit, per model: {model: {key: program}}.
_programs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _CompiledStep:
    """The same step as `_InteractiveStep`, replayed by programs `autograd` compiles.

    nn's losses are means over the samples, so the step is ``(1/n) * sum_i loss(model(x_i), y_i)``
    plus the L2 term: `autograd.compile_sum` compiles one sample's loss (the model's forward and
    backward passes for one sample) into a loop over the samples, once per model and loss, whatever
    the batch, and `autograd.compile` the L2 term. The parameters' gradients are added to their
    ``.grad`` as ``backward()`` does, and the optimizer steps as usual. Sums are added left to right
    (``exact=False``) and the samples' gradients one sample after another: the losses equal the
    interactive engine's to within rounding in the last bits.

    The first step of each fit is the interactive one, and the programs' loss and gradients are
    checked against it there; a loss that is not such a mean (a user's own) fails that check and
    is compiled instead as one program for the whole batch (`autograd.compile`, slower to compile).
    """

    def __init__(self, interactive: _InteractiveStep, *, full_batch: bool, insist: bool) -> None:
        self.interactive = interactive
        self.full_batch, self.insist = full_batch, insist
        self.cache = _programs.setdefault(interactive.model, {})
        self.samples: list[tuple] | None = None  # every sample as the program's loop reads it
        self.float_rule = _FLOAT_ACCURACY_RULES.get(interactive.is_right)

    def __call__(self, batch: list[int]) -> tuple[float, int]:
        it = self.interactive
        found = self._programs(batch)
        if found is None:  # it did not compile (compile=None): the interactive step instead
            return it(batch)
        if isinstance(found, _WholeBatch):
            return found.step(it, batch, self.full_batch)
        with collector_paused():  # graphs have no cycles: see collector_paused
            if not found.checked:
                checked = self._check(found, batch)
                if checked is None:  # the programs disagreed: the whole-batch program takes over
                    return self(batch)
                return checked
            value, gradients, outputs = self._run(found, batch)
            it.optimizer.zero_grad()
            for leaf, g in zip(found.summed.captured, gradients):  # the parameters' gradients, as backward() gives
                leaf.grad += g
            for leaf, g in found.extra_only:
                leaf.grad += g
            it.optimizer.step()
            right = self._right(found.summed, outputs, batch[::-1]) if it.is_right else 0
        return value, right

    def _run(self, found: _Summed, batch: list[int]) -> tuple[float, list[float], list[float]]:
        """The batch's loss, the parameters' gradients (in the program's order), the predictions' numbers
        (last sample first).

        The samples run last to first and the gradients start from the L2 term's: the order in which
        backward() meets them in the batch's graph, so the gradients add up to backward()'s numbers."""
        summed, extra = found.summed, found.extra
        if self.samples is None:
            self.samples = _flat_samples(summed, self.interactive.X, self.interactive.y)
            self.samples_backwards = self.samples[::-1]
        samples = self.samples_backwards if self.full_batch else [self.samples[i] for i in reversed(batch)]
        extra_value, start = 0.0, found.zeros
        if extra is not None:
            extra_value, extra_gradients = extra.function([v.data for v in extra.captured])
            extra_gradients = [*extra_gradients, 0.0]
            start = [extra_gradients[j] for j in found.extra_order]
            found.extra_only = [(extra.captured[j], extra_gradients[j]) for j in found.extra_unused]
        value, gradients, outputs = summed.function([v.data for v in summed.captured], samples, 1.0 / len(batch), start)
        return value + extra_value, gradients, outputs

    def _right(self, summed: autograd.CompiledSum, outputs: list[float], batch: list[int]) -> int:
        """How many predictions the accuracy rule counts as right (`outputs` in the order of `batch`)."""
        y, rule = self.interactive.y, self.float_rule
        one_number = isinstance(summed._aux_tree, int)  # the model returns one Value per sample
        if rule is not None and one_number:  # the rule on plain numbers: no Values needed
            return sum(map(rule, outputs, [y[i] for i in batch]))
        k = len(outputs) // len(batch)
        is_right = self.interactive.is_right
        right = 0
        for n, i in enumerate(batch):
            numbers = outputs[n * k : (n + 1) * k]
            prediction = Value(numbers[0]) if one_number else [Value(v) for v in numbers]
            right += bool(is_right(prediction, y[i]))
        return right

    def _check(self, found: _Summed, batch: list[int]) -> tuple[float, int] | None:
        """Run the programs' first step interactively, comparing the programs' loss and gradients with it.

        Returns the interactive step's result; or None when the programs disagree (the loss is not a
        mean over the samples), after putting the whole-batch program in their place."""
        it = self.interactive
        value, gradients, _ = self._run(found, batch)
        mine = {id(leaf): g for leaf, g in zip(found.summed.captured, gradients)}
        for leaf, g in found.extra_only:
            mine[id(leaf)] = mine.get(id(leaf), 0.0) + g
        targets = [it.y[i] for i in batch]
        batch_loss, predictions = it.loss_of([it.X[i] for i in batch], targets)
        it.optimizer.zero_grad()
        batch_loss.backward()
        params = it.model.parameters()
        # an inf or a nan leaves nothing to compare: this step stays interactive, and the next one checks
        if math.isfinite(batch_loss.data) and all(math.isfinite(p.grad) for p in params):
            scale = max(abs(p.grad) for p in params)
            agree = math.isclose(value, batch_loss.data, rel_tol=1e-9, abs_tol=1e-12) and all(
                math.isclose(mine.get(id(p), 0.0), p.grad, rel_tol=1e-9, abs_tol=1e-9 * scale) for p in params
            )
            if not agree:
                self.cache[found.key] = _WholeBatch()
                return None
            found.checked = True
        it.optimizer.step()
        right = int(sum(bool(it.is_right(p, t)) for p, t in zip(predictions, targets))) if it.is_right else 0
        return batch_loss.data, right

    def _programs(self, batch: list[int]) -> _Summed | _WholeBatch | None:
        """The programs for this model and loss (None if they do not compile), made at their first use."""
        it = self.interactive
        key = (it.loss, it.l2, len(it.X[batch[0]]))
        if key in self.cache:
            return self.cache[key]
        found, reason = _compile_sum(it.model, it.loss, it.l2, it.X[batch[0]], it.y[batch[0]])
        if reason is not None:
            if self.insist:
                raise ValueError(f"fit(compile=True): {reason}")
            print(f"fit: {reason}; training interactively (compile=False skips this check)", file=_progress_stream())
        else:
            found.key = key
        self.cache[key] = found
        return found


@dataclass
class _Summed:
    """One sample's loss compiled as a loop over the samples, and the L2 term's program (or None)."""

    summed: autograd.CompiledSum
    extra: autograd.CompiledFunction | None
    checked: bool = False  # True once a step has shown they compute what the interactive engine computes
    key: tuple = ()
    extra_only: list = field(default_factory=list)  # (leaf, gradient) of the L2 term's leaves the model never reads

    def __post_init__(self) -> None:
        self.zeros = [0.0] * len(self.summed.wrt)
        self.extra_order: list[int] = []  # where each program leaf's gradient is in the L2 program's list
        self.extra_unused: list[int] = []
        if self.extra is not None:
            position = {id(leaf): j for j, leaf in enumerate(self.extra.captured)}
            self.extra_order = [position.get(id(leaf), -1) for leaf in self.summed.wrt]  # -1: the 0.0 put last
            used = {id(leaf) for leaf in self.summed.wrt}
            self.extra_unused = [j for j, leaf in enumerate(self.extra.captured) if id(leaf) not in used]


def _flat_samples(summed: autograd.CompiledSum, X: Sequence, y: Sequence) -> list[tuple]:
    """Every sample as the tuple of numbers the program's loop reads: the inputs, then the target."""
    nin = len(summed._trees[0]) if isinstance(summed._trees[0], list) else -1
    if {*map(type, X)} <= {list, tuple} and {*map(type, y)} <= {float, int}:  # the common case, quickly
        samples = [(*x, float(t)) for x, t in zip(X, y)]
        if {*map(len, samples)} == {nin + 1} and {*map(type, itertools.chain.from_iterable(samples))} == {float}:
            return samples
    return [summed.flat_sample(x, t) for x, t in zip(X, y)]  # numpy rows and scalars, Values, or a clear error


# The accuracy rules on the prediction's number (the compiled step has numbers, not Values).
_FLOAT_ACCURACY_RULES: dict[Callable, Callable[[float, object], bool]] = {
    ACCURACY_RULES[losses.hinge_loss]: lambda score, y: (score > 0) == (y > 0),
    ACCURACY_RULES[losses.bce_with_logits]: lambda z, y: (z > 0) == (y == 1),
    ACCURACY_RULES[losses.binary_cross_entropy]: lambda p, y: (p > 0.5) == (y == 1),
}


def _compile_sum(model: Module, loss: Callable, l2: float, x, target) -> tuple:
    """(_Summed, None), or (None, the reason it cannot be compiled)."""
    model_ref = weakref.ref(model)  # the programs are kept per model: they must not keep the model alive

    def sample_loss(x, target):
        prediction = model_ref()(x)
        return loss([prediction], [target]), prediction

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", autograd.SpecialisationWarning)  # fit says it in its own words
        try:
            summed = autograd.compile_sum(sample_loss, x, target, exact=False, has_aux=True)
        except (TypeError, ValueError) as error:
            return None, f"the model and loss could not be traced ({error})"
    if summed.specialised:
        return None, f"the model and loss do not trace to one fixed graph ({summed.specialised})"
    extra = None
    if l2:
        params = model.parameters()
        extra = autograd.compile(lambda: l2 * autograd.dot(params, params), argnums=(), exact=False)
    return _Summed(summed, extra), None


class _WholeBatch:
    """The step as one program for the whole batch (`autograd.compile`), for losses that are not a
    mean over the samples: one program per batch length (and per batch of targets, with full batches)."""

    def __init__(self) -> None:
        self.programs: dict = {}

    def step(self, it: _InteractiveStep, batch: list[int], full_batch: bool) -> tuple[float, int]:
        inputs = [it.X[i] for i in batch]
        targets = [it.y[i] for i in batch]
        key = (len(batch), full_batch)
        known = self.programs.get(key)
        if known is None or (full_batch and known[1] != targets):
            found, reason = _compile_step(it.model, it.loss, it.l2, inputs, targets, full_batch)
            if reason is not None:
                raise ValueError(f"fit(compile=True): {reason}")
            known = self.programs[key] = (found, list(targets))
        program, shape = known[0]
        with collector_paused():
            flat = program.flat_inputs(inputs, targets) if not full_batch else program.flat_inputs(inputs)
            value, gradients, outputs = program.function(flat)
            it.optimizer.zero_grad()
            for leaf, g in zip(program.captured, gradients):
                leaf.grad += g
            it.optimizer.step()
            right = 0
            if it.is_right:
                right = int(sum(bool(it.is_right(p, t)) for p, t in zip(_predictions(outputs, shape), targets)))
        return value, right


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
