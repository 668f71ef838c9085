"""Activations and losses, each with its gradient.

Every function ``f`` here has a partner ``f_backward`` that returns the
gradient of the loss with respect to ``f``'s input, given the gradient with
respect to its output (``dout``); the losses' partners need no ``dout``, as a
loss is where the chain rule starts. The values match Keras: probabilities
are clipped to ``[EPSILON, 1 - EPSILON]`` before a logarithm, and losses are
averaged over the samples.

The book meets ReLU, sigmoid, softmax, the losses and their gradients in
Part II (the chapter *Losses and activations*).
"""

from __future__ import annotations

import numbers

import numpy as np

from cnnkit._validation import boolean, dout_of, float_array

__all__ = [
    "EPSILON",
    "relu",
    "relu_backward",
    "sigmoid",
    "sigmoid_backward",
    "softmax",
    "softmax_backward",
    "binary_cross_entropy",
    "binary_cross_entropy_backward",
    "categorical_cross_entropy",
    "categorical_cross_entropy_backward",
]

EPSILON = 1e-7
"""Keras's ``backend.epsilon()``: how close to 0 or 1 a probability may get."""

ROW_SUM_TOLERANCE = 1e-3
"""How far from 1 a row of probabilities may sum: far more than rounding in
float32 or a numerical gradient's nudge moves it, far less than a mistake."""


def _same_shape(dout, x) -> tuple[np.ndarray, np.ndarray]:
    x = float_array(x, "x")
    return dout_of(dout, x.shape, "x"), x


def _axis(axis, x: np.ndarray) -> int:
    """``axis`` of ``x`` to take the softmax along, checked."""
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis must be an integer, got {axis!r}")
    ndim = x.ndim
    if ndim == 0:
        raise ValueError(
            f"x must have an axis to take the softmax along, got a scalar ({x})"
        )
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"axis must be in [-{ndim}, {ndim - 1}] for x with {ndim} dimension(s), "
            f"got {axis}"
        )
    return int(axis)


def relu(x: np.ndarray) -> np.ndarray:
    """Rectified linear unit, ``max(x, 0)`` element by element.

    The activation inside the network (Part II, *Losses and activations*).

    Parameters
    ----------
    x : ndarray of any shape

    Returns
    -------
    ndarray of the shape of ``x``

    Examples
    --------
    >>> relu(np.array([-2, -0.5, 0, 3]))
    array([0., 0., 0., 3.])
    """
    return np.maximum(float_array(x, "x"), 0)


def relu_backward(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Gradient through ReLU: ``dout`` where ``x > 0``, else 0 (Part II).

    At ``x = 0`` the derivative is taken to be 0, as TensorFlow does.

    Parameters
    ----------
    dout : ndarray of the shape of ``x``
        Gradient of the loss with respect to ``relu(x)``.
    x : ndarray of any shape
        The input ``relu`` was given.

    Returns
    -------
    ndarray of the shape of ``x``

    Examples
    --------
    >>> relu_backward(np.ones(4), np.array([-2, -0.5, 0, 3]))
    array([0., 0., 0., 1.])
    """
    dout, x = _same_shape(dout, x)
    return np.where(x > 0, dout, 0).astype(np.result_type(dout, x))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic sigmoid, ``1 / (1 + exp(-x))``, without overflow.

    Turns a score into the probability of the positive class (Part II,
    *Losses and activations*).

    Parameters
    ----------
    x : ndarray of any shape

    Returns
    -------
    ndarray of the shape of ``x``, values in [0, 1]

    Examples
    --------
    >>> sigmoid(np.array([-1000, 0, 1000]))
    array([0. , 0.5, 1. ])
    """
    x = float_array(x, "x")
    e = np.exp(-np.abs(x))  # never overflows
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_backward(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Gradient through the sigmoid: ``dout * s * (1 - s)`` with ``s = sigmoid(x)``.

    Part II, *Losses and activations*.

    Parameters
    ----------
    dout : ndarray of the shape of ``x``
    x : ndarray of any shape
        The input ``sigmoid`` was given.

    Returns
    -------
    ndarray of the shape of ``x``

    Examples
    --------
    >>> sigmoid_backward(np.ones(1), np.zeros(1))
    array([0.25])
    """
    dout, x = _same_shape(dout, x)
    e = np.exp(-np.abs(x))  # s (1 - s) = e / (1 + e)^2, exact even where s rounds to 1
    return dout * (e / (1 + e) ** 2)


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``: ``exp(x) / sum(exp(x))``, without overflow.

    Turns scores into class probabilities (Part II, *Losses and activations*).

    Parameters
    ----------
    x : ndarray of any shape, e.g. (N, K)
        Scores (logits).
    axis : int
        The axis that holds the classes.

    Returns
    -------
    ndarray of the shape of ``x``
        Non-negative, summing to 1 along ``axis``.

    Examples
    --------
    >>> softmax(np.array([[1, 1], [0, 1000]]))
    array([[0.5, 0.5],
           [0. , 1. ]])
    """
    x = float_array(x, "x")
    axis = _axis(axis, x)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_backward(dout: np.ndarray, x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Gradient through softmax: ``s * (dout - sum(dout * s))``, ``s = softmax(x)``.

    Part II, *Losses and activations*.

    Parameters
    ----------
    dout : ndarray of the shape of ``x``
    x : ndarray of any shape
        The scores ``softmax`` was given.
    axis : int

    Returns
    -------
    ndarray of the shape of ``x``

    Examples
    --------
    >>> softmax_backward(np.array([1.0, 0.0]), np.zeros(2))
    array([ 0.25, -0.25])
    """
    dout, x = _same_shape(dout, x)
    s = softmax(x, axis)
    return s * (dout - np.sum(dout * s, axis=axis, keepdims=True))


def _targets(y_true, y_pred, from_logits, needs_classes=False):
    """Check a loss's arguments; return them as float arrays."""
    y_true = float_array(y_true, "y_true")
    y_pred = float_array(y_pred, "y_pred")
    from_logits = boolean(from_logits, "from_logits")
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape, got {y_true.shape} "
            f"and {y_pred.shape}"
        )
    if needs_classes and y_pred.ndim == 0:
        raise ValueError("y_pred must have a class axis (K,) or (N, K), got a scalar")
    if y_true.min() < 0 or y_true.max() > 1:
        raise ValueError(
            "y_true must hold labels or probabilities in [0, 1], got values from "
            f"{y_true.min()} to {y_true.max()}"
        )
    if not from_logits and (y_pred.min() < 0 or y_pred.max() > 1):
        raise ValueError(
            "y_pred must hold probabilities in [0, 1] (pass from_logits=True for "
            f"raw scores), got values from {y_pred.min()} to {y_pred.max()}"
        )
    return y_true, y_pred


def _distributions(y_pred: np.ndarray) -> None:
    """Raise unless each row of probabilities sums to 1 (within the tolerance).

    Keras would divide each row by its sum instead; the gradient of that is
    not the ``-y / p`` of the book, so cnnkit asks for a distribution.
    """
    sums = y_pred.reshape(-1, y_pred.shape[-1]).sum(axis=-1)
    off = np.flatnonzero(np.abs(sums - 1) > ROW_SUM_TOLERANCE)
    if off.size:
        row = off[0]
        raise ValueError(
            "each row of y_pred must sum to 1 (a probability for each class, "
            f"such as a softmax output), but row {row} sums to {sums[row]:.6g}"
            f"{f' (and {off.size - 1} more rows are off)' if off.size > 1 else ''}; "
            "pass from_logits=True for raw scores"
        )


def binary_cross_entropy(
    y_true: np.ndarray, y_pred: np.ndarray, *, from_logits: bool = False
) -> float:
    """Mean binary cross-entropy, as Keras's ``BinaryCrossentropy``.

    The loss for two classes (Part II, *Losses and activations*).

    .. math::

        L = -\\frac{1}{n} \\sum_i \\big[ y_i \\log p_i
            + (1 - y_i) \\log (1 - p_i) \\big]

    Parameters
    ----------
    y_true : ndarray of any shape
        Labels (0 or 1) or target probabilities.
    y_pred : ndarray of the shape of ``y_true``
        Predicted probabilities of class 1, or scores if ``from_logits``.
    from_logits : bool
        Apply the sigmoid first (in a way that cannot overflow).

    Returns
    -------
    float
        The mean over all ``n`` entries.

    Examples
    --------
    >>> round(binary_cross_entropy([1, 0], [0.9, 0.2]), 6)   # -(ln 0.9 + ln 0.8) / 2
    0.164252
    >>> round(binary_cross_entropy([1, 0], [0.0, 0.0], from_logits=True), 6)
    0.693147
    """
    y, p = _targets(y_true, y_pred, from_logits)
    if from_logits:
        z = p
        return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))
    p = np.clip(p, EPSILON, 1 - EPSILON)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def binary_cross_entropy_backward(
    y_true: np.ndarray, y_pred: np.ndarray, *, from_logits: bool = False
) -> np.ndarray:
    """Gradient of :func:`binary_cross_entropy` with respect to ``y_pred``.

    ``(p - y) / (p (1 - p) n)`` for probabilities (0 where ``p`` was clipped),
    and the simpler ``(sigmoid(z) - y) / n`` for logits ``z`` (Part II,
    *Losses and activations*).

    Parameters
    ----------
    y_true : ndarray of any shape
    y_pred : ndarray of the shape of ``y_true``
    from_logits : bool

    Returns
    -------
    ndarray of the shape of ``y_pred``

    Examples
    --------
    >>> binary_cross_entropy_backward([1, 0], [0.0, 0.0], from_logits=True)
    array([-0.25,  0.25])
    """
    y, p = _targets(y_true, y_pred, from_logits)
    if from_logits:
        return (sigmoid(p) - y) / y.size
    inside = (p >= EPSILON) & (p <= 1 - EPSILON)  # clipping has no gradient
    q = np.clip(p, EPSILON, 1 - EPSILON)
    return np.where(inside, (q - y) / (q * (1 - q)), 0) / y.size


def _log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def categorical_cross_entropy(
    y_true: np.ndarray, y_pred: np.ndarray, *, from_logits: bool = False
) -> float:
    """Mean categorical cross-entropy, as Keras's ``CategoricalCrossentropy``.

    The loss for more than two classes (Part II, *Losses and activations*).

    .. math::

        L = -\\frac{1}{N} \\sum_{n} \\sum_{k} y_{n,k} \\log p_{n,k}

    Keras first divides each row of ``y_pred`` by its sum; cnnkit instead
    asks for rows that sum to 1 (within :data:`ROW_SUM_TOLERANCE`) and raises
    a ``ValueError`` naming the first row that does not, so on every input it
    accepts the two agree.

    Parameters
    ----------
    y_true : ndarray of shape (K,) or (N, K)
        One-hot labels (or target distributions), classes on the last axis.
    y_pred : ndarray of the shape of ``y_true``
        Predicted probabilities, each row summing to 1 (a softmax output), or
        scores if ``from_logits``.
    from_logits : bool
        Apply the softmax first (in a way that cannot overflow).

    Returns
    -------
    float
        The mean over the ``N`` samples.

    Examples
    --------
    >>> y = np.array([[0, 1, 0], [1, 0, 0]])
    >>> round(categorical_cross_entropy(y, [[0.1, 0.8, 0.1], [0.5, 0.25, 0.25]]), 6)
    0.458145
    >>> round(categorical_cross_entropy([0, 1], [0.0, 0.0], from_logits=True), 6)
    0.693147
    """
    y, p = _targets(y_true, y_pred, from_logits, needs_classes=True)
    if not from_logits:
        _distributions(p)
    log_p = _log_softmax(p) if from_logits else np.log(np.clip(p, EPSILON, 1 - EPSILON))
    return float(-np.sum(y * log_p) / (y.size // y.shape[-1]))


def categorical_cross_entropy_backward(
    y_true: np.ndarray, y_pred: np.ndarray, *, from_logits: bool = False
) -> np.ndarray:
    """Gradient of :func:`categorical_cross_entropy` with respect to ``y_pred``.

    ``-y / (p N)`` for probabilities (0 where ``p`` was clipped), and the
    famous ``(softmax(z) - y) / N`` for logits ``z`` with one-hot ``y``
    (Part II, *Losses and activations*). Rows of probabilities must sum to 1,
    as in :func:`categorical_cross_entropy`.

    Parameters
    ----------
    y_true : ndarray of shape (K,) or (N, K)
    y_pred : ndarray of the shape of ``y_true``
    from_logits : bool

    Returns
    -------
    ndarray of the shape of ``y_pred``

    Examples
    --------
    >>> categorical_cross_entropy_backward([[0, 1]], [[0.0, 0.0]], from_logits=True)
    array([[ 0.5, -0.5]])
    """
    y, p = _targets(y_true, y_pred, from_logits, needs_classes=True)
    if not from_logits:
        _distributions(p)
    n = y.size // y.shape[-1]
    if from_logits:
        return (softmax(p) * y.sum(axis=-1, keepdims=True) - y) / n
    inside = (p >= EPSILON) & (p <= 1 - EPSILON)
    q = np.clip(p, EPSILON, 1 - EPSILON)
    return np.where(inside, -y / q, 0) / n
