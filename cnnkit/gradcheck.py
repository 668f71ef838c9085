"""Gradient checking: is a hand-written backward pass right?

Nudge one input by a tiny ``h`` either way, see how much the output moves,
and you have that entry of the gradient without any calculus. It is far too
slow to train with, but it is the referee every backward pass in the course
is checked against. Part II's chapter on backpropagation uses both
functions here.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import numpy as np

from cnnkit._validation import dout_of, float_array

__all__ = ["numerical_gradient", "rel_error"]


def numerical_gradient(
    f: Callable[[np.ndarray], np.ndarray | float],
    x: np.ndarray,
    dout: np.ndarray | None = None,
    *,
    h: float = 1e-5,
) -> np.ndarray:
    """Central-difference estimate of the gradient of ``f`` at ``x``.

    .. math::

        \\frac{\\partial L}{\\partial x_i} \\approx
        \\frac{L(x + h e_i) - L(x - h e_i)}{2h},
        \\qquad L(x) = \\sum f(x) \\cdot \\mathrm{dout}

    Without ``dout``, ``f`` must return a single number and ``L = f``. With
    it, ``f`` may return an array and the result is what a backward pass
    given ``dout`` should return. ``f`` is called twice per entry, each time
    on a fresh float64 copy of the nudged ``x``, so an ``f`` that changes its
    argument in place (``v[v < 0] = 0``) changes neither ``x`` nor the
    nudges. Part II (*Backpropagation through a convolution*) checks every
    backward pass with it.

    Parameters
    ----------
    f : callable taking an ndarray of the shape of ``x``
    x : ndarray of any shape
        Where to take the gradient.
    dout : ndarray of the shape ``f(x)`` returns, optional
        Gradient of a loss with respect to ``f``'s output.
    h : float
        Step size; ``1e-5`` balances truncation and rounding error in float64.

    Returns
    -------
    ndarray of float64, shape of ``x``

    Examples
    --------
    >>> g = numerical_gradient(lambda v: np.sum(v ** 2), np.array([1.0, -2.0]))
    >>> np.round(g, 6)
    array([ 2., -4.])
    >>> g = numerical_gradient(lambda v: 3 * v, np.zeros(2), dout=np.array([1, 10]))
    >>> np.round(g, 6)
    array([ 3., 30.])
    """
    if not callable(f):
        raise TypeError(f"f must be a function of x, got {type(f).__name__}")
    if isinstance(h, bool) or not isinstance(h, numbers.Real) or not h > 0:
        raise ValueError(f"h must be a positive number, got {h!r}")
    x = float_array(x, "x").astype(np.float64)  # a copy we may nudge
    if dout is not None:
        dout = float_array(dout, "dout")
    name = getattr(f, "__name__", type(f).__name__)

    def loss() -> float:
        out = f(x.copy())  # f may change its argument: never hand it x itself
        if out is None:
            raise TypeError(
                f"f ({name}) returned None; it must return a number, or an array "
                "when dout is given (is a `return` missing?)"
            )
        out = float_array(out, f"f(x) ({name})").astype(np.float64)
        if dout is None:
            if out.size != 1:
                raise ValueError(
                    f"f must return a single number when dout is not given, got "
                    f"an array of shape {out.shape}; pass dout to check an array"
                )
            return float(out.reshape(()))
        return float(np.sum(out * dout_of(dout, out.shape, "f(x)")))

    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = loss()
        x[i] = old - h
        down = loss()
        x[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Largest difference between two arrays, relative to their largest entry.

    .. math::

        \\frac{\\max_i |a_i - b_i|}{\\max\\big(\\max_i |a_i|,\\ \\max_i |b_i|\\big)}

    (0 when both are all zeros). Measuring against the largest entry, rather
    than entry by entry, keeps a gradient that is exactly 0 somewhere (a
    pixel no window touched) from looking wrong because its numerical
    estimate is ``1e-11``. A correct float64 gradient usually agrees with
    :func:`numerical_gradient` to ``1e-8`` or better; ``1e-3`` means a bug
    (Part II, *Backpropagation through a convolution*).

    Parameters
    ----------
    a, b : ndarray of the same shape

    Returns
    -------
    float

    Examples
    --------
    >>> rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    0.0
    >>> rel_error(np.array([4.0, 0.0]), np.array([3.0, 1.0]))
    0.25
    """
    a = float_array(a, "a")
    b = float_array(b, "b")
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must have the same shape, got {a.shape} and {b.shape}"
        )
    scale = np.maximum(np.abs(a).max(), np.abs(b).max())  # NaN if either has one
    return 0.0 if scale == 0 else float(np.abs(a - b).max() / scale)
