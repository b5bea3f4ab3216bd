"""Loss functions. Each returns one Value; given lists of samples it returns their mean.

All are built from the engine's operations, so their gradients come from the chain rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import autograd
from autograd import Value

Number = int | float
Scalar = Value | Number

# Probabilities are clamped to [e**-100, 1] before the log, so log never goes below -100 (PyTorch's rule).
_TINY = math.exp(-100)


def _mean(losses: list[Value]) -> Value:
    return losses[0] if len(losses) == 1 else autograd.sum(losses) * (1.0 / len(losses))


def _pairs(prediction, target, name: str) -> list[tuple]:
    """Match predictions to targets: one sample, or two lists of equal length."""
    if isinstance(prediction, (Value, int, float)):
        return [(prediction, target)]
    if not isinstance(prediction, Sequence) or isinstance(target, (str, bytes)) or not isinstance(target, Sequence):
        raise TypeError(f"{name} takes a prediction and a target, or two lists of them")
    if len(prediction) != len(target):
        raise ValueError(f"{name} got {len(prediction)} predictions but {len(target)} targets")
    if not prediction:
        raise ValueError(f"{name} got no samples")
    return list(zip(prediction, target))


def _per_sample(loss: Callable[[Scalar, Number], Value], name: str) -> Callable:
    def averaged(prediction, target) -> Value:
        return _mean([_as_value(loss(p, t)) for p, t in _pairs(prediction, target, name)])

    averaged.__name__ = name
    averaged.__doc__ = loss.__doc__
    return averaged


def _as_value(x: Scalar) -> Value:
    return x if isinstance(x, Value) else Value(x)


def _squared_error(prediction: Scalar, target: Number) -> Value:
    """Mean squared error: (prediction - target)**2, averaged over samples."""
    return (_as_value(prediction) - target) ** 2


def _bce(probability: Scalar, target: Number) -> Value:
    """Binary cross-entropy of a probability p for a 0/1 target y: -(y log p + (1 - y) log(1 - p)).

    Safe near 0 and 1: p and 1 - p are clamped to at least e**-100 before the log.
    """
    p = _as_value(probability)
    return -(target * p.clamp(min=_TINY).log() + (1 - target) * (1 - p).clamp(min=_TINY).log())


def _bce_logits(logit: Scalar, target: Number) -> Value:
    """Binary cross-entropy on a logit z (before the sigmoid), stable for any z.

    Equals -(y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))) = (1 - y) z + log(1 + e**-z); for
    z < 0 the same is written -y z + log(1 + e**z) so that exp never overflows.
    """
    z = _as_value(logit)
    if z.data >= 0:
        return (1 - target) * z + (1 + (-z).exp()).log()
    return -target * z + (1 + z.exp()).log()


def _hinge(score: Scalar, target: Number) -> Value:
    """Max-margin (hinge) loss for a +-1 target: max(0, 1 - y * score)."""
    return (1 - target * _as_value(score)).relu()


mse_loss = _per_sample(_squared_error, "mse_loss")
binary_cross_entropy = _per_sample(_bce, "binary_cross_entropy")
bce_with_logits = _per_sample(_bce_logits, "bce_with_logits")
hinge_loss = _per_sample(_hinge, "hinge_loss")


def softmax(logits: Sequence[Scalar]) -> list[Value]:
    """exp(z_i) / sum_j exp(z_j), computed with the largest logit subtracted so exp never overflows."""
    if not logits:
        raise ValueError("softmax needs at least one logit")
    shift = max(_as_value(z).data for z in logits)
    exps = [(_as_value(z) - shift).exp() for z in logits]
    total = autograd.sum(exps)
    return [e / total for e in exps]


def _log_sum_exp(logits: Sequence[Scalar]) -> Value:
    shift = max(_as_value(z).data for z in logits)  # a constant: log-sum-exp does not depend on it
    return autograd.sum([(_as_value(z) - shift).exp() for z in logits]).log() + shift


def cross_entropy(logits, target_index):
    """-log softmax(logits)[target] = logsumexp(logits) - logits[target], for one sample or a list.

    `logits` is a list of Values (one sample) with an int target, or a list of such lists with a
    list of int targets (the mean is returned).
    """
    if logits and isinstance(logits[0], (Value, int, float)):
        samples = [(logits, target_index)]
    else:
        samples = _pairs(logits, target_index, "cross_entropy")
    losses = []
    for z, k in samples:
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < len(z):
            raise ValueError(f"cross_entropy target must be a class index in 0..{len(z) - 1}, got {k!r}")
        losses.append(_log_sum_exp(z) - _as_value(z[k]))
    return _mean(losses)
