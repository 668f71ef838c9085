"""Argument checks shared by every public function.

Each check raises a ``ValueError`` or ``TypeError`` that names the argument,
the value it received and what was expected, so a reader's mistake is
explained where it is made.
"""

from __future__ import annotations

import numbers

import numpy as np

Pair = int | tuple[int, int]
"""A size given once for both axes, or as ``(rows, cols)``."""

Padding = str | int | tuple
"""``"valid"``, ``"same"``, an int, ``(ph, pw)`` or ``((top, bottom), (left, right))``.
"""


def as_array(value, name: str) -> np.ndarray:
    """Return ``value`` as a non-empty float or integer array, or raise."""
    if isinstance(value, np.ndarray):
        arr = value
    else:
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError) as err:  # ragged nested lists
            raise TypeError(
                f"{name} must be an array of numbers, got {type(value).__name__} "
                f"that NumPy cannot turn into one ({err})"
            ) from None
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must hold numbers, got an array of dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    return arr


def positive_int(value, name: str) -> int:
    """Return ``value`` as an ``int`` if it is a whole number of at least 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def non_negative_int(value, name: str) -> int:
    """Return ``value`` as an ``int`` if it is a whole number of at least 0."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a non-negative integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value!r}")
    return int(value)


def boolean(value, name: str) -> bool:
    """Return ``value`` as a ``bool`` if it is ``True`` or ``False``.

    The one rule for every flag: Python's and NumPy's booleans pass, anything
    else (``0`` and ``1`` included) is a ``TypeError``, because a flag given a
    number is usually an argument in the wrong place.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(
            f"{name} must be True or False, got {value!r} "
            f"of type {type(value).__name__}"
        )
    return bool(value)


def positive_pair(value, name: str) -> tuple[int, int]:
    """Return ``(a, b)`` from an int or a pair of positive ints."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(
                f"{name} must be an int or a pair (rows, cols), got {value!r}"
            )
        return positive_int(value[0], name), positive_int(value[1], name)
    n = positive_int(value, name)
    return n, n


def choice(value, name: str, allowed: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of the ``allowed`` strings."""
    if not isinstance(value, str) or value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value


def float_array(value, name: str) -> np.ndarray:
    """Like ``as_array``, with integers turned into float64 (floats keep theirs)."""
    arr = as_array(value, name)
    return arr if np.issubdtype(arr.dtype, np.floating) else arr.astype(np.float64)


def float_dtype(*arrays: np.ndarray) -> np.dtype:
    """The dtype to compute in: NumPy's promotion of the arrays' dtypes
    (``np.result_type``), or float64 when that is an integer type."""
    dtype = np.result_type(*arrays)
    return dtype if np.issubdtype(dtype, np.floating) else np.dtype(np.float64)


def dout_of(value, shape: tuple[int, ...], of: str) -> np.ndarray:
    """Return a gradient ``dout`` as a float array, if it has ``shape``.

    ``of`` names what ``dout`` is the gradient of, for the message: ``"x"``,
    ``"conv2d's output"``.
    """
    d = float_array(value, "dout")
    if d.shape != tuple(shape):
        raise ValueError(
            f"dout must have the shape of {of}, {tuple(shape)}, got shape {d.shape}"
        )
    return d


def image_batch(value, name: str) -> tuple[np.ndarray, int]:
    """Return an image as an ``(N, H, W, C)`` array and its original ndim.

    ``(H, W)`` gains a batch and a channel axis, ``(H, W, C)`` a batch axis.
    """
    arr = as_array(value, name)
    if arr.ndim == 2:
        return arr[None, :, :, None], 2
    if arr.ndim == 3:
        return arr[None], 3
    if arr.ndim == 4:
        return arr, 4
    raise ValueError(
        f"{name} must have shape (H, W), (H, W, C) or (N, H, W, C), "
        f"got shape {arr.shape}"
    )
