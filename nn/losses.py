"""Loss functions. Each returns one Value; given lists of samples it returns their mean.

All are built from the engine's operations, so their gradients come from the chain rule. Each is
written so that it stays accurate where a naive formula cancels or overflows (huge logits,
probabilities at 0 or 1) and agrees there with PyTorch in value and gradient; each docstring says how.
Predictions and targets may be lists or numpy arrays; numbers may be numpy scalars.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from numbers import Integral, Real

import autograd
from autograd import Value

Number = int | float
Scalar = Value | Number

# binary_cross_entropy follows PyTorch: each log is at least -100, and where p (1 - p) < 1e-12 the
# gradient is (p - y) / 1e-12 instead of growing without bound.
_LOG_FLOOR = -100.0
_EPSILON = 1e-12


def _mean(losses: list[Value]) -> Value:
    return losses[0] if len(losses) == 1 else autograd.sum(losses) * (1.0 / len(losses))


def _is_sequence(x: object) -> bool:
    """A list, tuple or 1-D array (numpy's included), but not a string or a single number."""
    return not isinstance(x, (str, bytes, Value, Real)) and hasattr(x, "__len__") and hasattr(x, "__getitem__")


def _pairs(prediction, target, name: str) -> list[tuple]:
    """Match predictions to targets: one sample, or two lists (or arrays) of equal length."""
    if isinstance(prediction, (Value, Real)):
        return [(prediction, _target(target, name))]
    if not _is_sequence(prediction) or not _is_sequence(target):
        raise TypeError(f"{name} takes a prediction and a target, or two lists of them")
    if len(prediction) != len(target):
        raise ValueError(f"{name} got {len(prediction)} predictions but {len(target)} targets")
    if len(prediction) == 0:
        raise ValueError(f"{name} got no samples")
    return [(p, _target(t, name)) for p, t in zip(prediction, target)]


def _target(t: object, name: str) -> float | Value:
    """A target as a plain float (numpy scalars included); a Value (as `autograd.compile` traces) as it is."""
    if type(t) is float or type(t) is int:  # the common cases, before the slower checks
        return float(t)
    if isinstance(t, Value):
        return t
    if isinstance(t, bool) or not isinstance(t, Real):
        raise TypeError(f"{name} needs number targets, got {type(t).__name__}: {t!r}")
    return float(t)


def _log1p(u: Value) -> Value:
    """log(1 + u) for u >= -0.5, accurate also where 1 + u would round away u (u tiny).

    For |u| < 1e-3 the series u - u**2/2 + u**3/3 - ... (six terms: exact to the last bit there);
    otherwise log(1 + u), whose rounding error is then at most about 1e-13 relative.
    """
    if abs(u.data) < 1e-3:
        return u * (1 - u * (1 / 2 - u * (1 / 3 - u * (1 / 4 - u * (1 / 5 - u * (1 / 6))))))
    return (1 + u).log()


def _per_sample(loss: Callable[[Scalar, float], Value], name: str) -> Callable:
    def averaged(prediction, target) -> Value:
        return _mean([_as_value(loss(p, t)) for p, t in _pairs(prediction, target, name)])

    averaged.__name__ = name
    averaged.__doc__ = loss.__doc__
    return averaged


def _as_value(x: Scalar) -> Value:
    return x if isinstance(x, Value) else Value(x)


def _squared_error(prediction: Scalar, target: float) -> Value:
    """Mean squared error: (prediction - target)**2, averaged over samples."""
    return (_as_value(prediction) - target) ** 2


def _bce(probability: Scalar, target: float) -> Value:
    """Binary cross-entropy of a probability p in [0, 1] for a target y: -(y log p + (1 - y) log(1 - p)).

    As in PyTorch: log(1 - p) is computed as log1p(-p) (accurate for tiny p), each log is at least
    -100 (so p = 0 or 1 gives a finite loss), and where p (1 - p) < 1e-12 the gradient is
    (p - y) / 1e-12 rather than -y/p + (1 - y)/(1 - p), which grows without bound: there the loss
    is its value plus (p - y)(p - p0)/1e-12 with p0 the number p holds (0, with that slope).
    A p outside [0, 1] (or nan) raises ValueError, as PyTorch raises.
    """
    p = _as_value(probability)
    if not 0.0 <= p.data <= 1.0:
        raise ValueError(f"binary_cross_entropy needs a probability in [0, 1], got {p.data!r}")
    y = target
    if p.data * (1.0 - p.data) >= _EPSILON:  # the ordinary case: the formula as written
        return -(y * p.log() + (1 - y) * _log1p(-p))
    log_p = max(math.log(p.data), _LOG_FLOOR) if p.data > 0 else _LOG_FLOOR
    log_q = max(math.log1p(-p.data), _LOG_FLOOR) if p.data < 1 else _LOG_FLOOR
    value = -(y * log_p + (1 - y) * log_q)
    # (p - y)(p - p0)/1e-12 with p0 = p's number is 0 here, and its derivative is (p - y)/1e-12.
    return (p - y) * (p - p.data) * (1 / _EPSILON) + value


def _bce_logits(logit: Scalar, target: float) -> Value:
    """Binary cross-entropy on a logit z (before the sigmoid), stable for any z, as in PyTorch.

    -(y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))) = (1 - y) z + log(1 + e**-z), written
    (1 - y) z - z + log(1 + e**z) for z < 0 so that exp never overflows, with log(1 + u) computed
    accurately for tiny u. The gradient is sigmoid(z) - y.
    """
    z = _as_value(logit)
    if z.data >= 0:
        return (1 - target) * z + _log1p((-z).exp())
    return (1 - target) * z - z + _log1p(z.exp())


def _hinge(score: Scalar, target: float) -> Value:
    """Max-margin (hinge) loss for a +-1 target: max(0, 1 - y * score)."""
    return (1 - target * _as_value(score)).relu()


mse_loss = _per_sample(_squared_error, "mse_loss")
binary_cross_entropy = _per_sample(_bce, "binary_cross_entropy")
bce_with_logits = _per_sample(_bce_logits, "bce_with_logits")
hinge_loss = _per_sample(_hinge, "hinge_loss")


def softmax(logits: Sequence[Scalar]) -> list[Value]:
    """exp(z_i) / sum_j exp(z_j), computed with the largest logit subtracted so exp never overflows."""
    if len(logits) == 0:
        raise ValueError("softmax needs at least one logit")
    zs = [_as_value(z) for z in logits]
    shift = _largest(zs)
    exps = [(z - shift).exp() for z in zs]
    total = autograd.sum(exps)
    return [e / total for e in exps]


def _largest(zs: list[Value]) -> float:
    """The largest logit, a constant shift (the result does not depend on it); nan if any is nan."""
    data = [z.data for z in zs]
    return math.nan if any(x != x for x in data) else max(data)


def cross_entropy(logits, target_index):
    """-log softmax(logits)[target], for one sample or a list (or 2-D array) of samples.

    Computed as log(sum_j e**(z_j - m)) - (z_target - m) with m the largest logit: never an
    overflow, and no cancellation between two huge numbers (``cross_entropy([1e17, 1e17], 0)`` is
    log 2, as in PyTorch). `logits` is a list of Values (one sample) with an int target, or a list
    of such lists with a list of int targets (the mean is returned).
    """
    if len(logits) and isinstance(logits[0], (Value, Real)):
        samples = [(logits, target_index)]
    else:
        samples = _pairs_of_samples(logits, target_index)
    losses = []
    for z, k in samples:
        if isinstance(k, bool) or not isinstance(k, Integral) or not 0 <= k < len(z):
            raise ValueError(f"cross_entropy target must be a class index in 0..{len(z) - 1}, got {k!r}")
        zs = [_as_value(zi) for zi in z]
        shift = _largest(zs)
        log_total = autograd.sum([(zi - shift).exp() for zi in zs]).log()
        losses.append(log_total - (zs[int(k)] - shift))
    return _mean(losses)


def _pairs_of_samples(logits, targets) -> list[tuple]:
    if not _is_sequence(logits) or not _is_sequence(targets):
        raise TypeError("cross_entropy takes logits and a class index, or two lists of them")
    if len(logits) != len(targets):
        raise ValueError(f"cross_entropy got {len(logits)} predictions but {len(targets)} targets")
    if len(logits) == 0:
        raise ValueError("cross_entropy got no samples")
    return list(zip(logits, targets))
