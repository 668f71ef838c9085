"""What the convolution and pooling tests share: the error bound against
TensorFlow's float64 reference, the input values they draw, and padding."""

from __future__ import annotations

import numpy as np

RTOL = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-5}


def assert_matches(actual, expected, scale, dtype):
    """``|actual - expected| <= RTOL * scale`` entry by entry, where ``scale``
    is the sum of the magnitudes of the terms behind each entry (for a max or
    a min there is one term, and the two must agree to rounding)."""
    expected, scale = np.asarray(expected), np.asarray(scale)
    assert actual.shape == expected.shape == scale.shape
    assert actual.dtype == dtype
    error = np.abs(actual.astype(np.float64) - expected)
    bound = RTOL[np.dtype(dtype)] * scale
    worst = np.unravel_index(np.argmax(error - bound), error.shape)
    assert np.all(error <= bound), (
        f"{error[worst]:.3g} > {bound[worst]:.3g} at {worst}: "
        f"got {actual[worst]!r}, expected {expected[worst]!r}"
    )


def values(rng, shape, kind, dtype):
    """Array values of one kind: "normal", small "integers" (ties and exact
    zeros are common) or "distinct" (no two closer than 1, so numerical
    gradients of a max are exact)."""
    if kind == "integers":
        return rng.integers(-3, 4, size=shape).astype(dtype)
    if kind == "distinct":
        return (rng.permutation(int(np.prod(shape))) - 0.5).reshape(shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def pads_of(padding):
    """((top, bottom), (left, right)) of an explicit padding, 0 for strings."""
    if isinstance(padding, str):
        return (0, 0), (0, 0)
    if isinstance(padding, int):
        return (padding, padding), (padding, padding)
    return tuple(p if isinstance(p, tuple) else (p, p) for p in padding)
