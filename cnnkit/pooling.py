"""Pooling: summarising each window of a feature map by one number.

Max, min and average pooling slide a window over each channel separately and
keep the largest, the smallest or the mean value; global pooling does the
same over the whole map. As for convolution, ``pool2d_naive`` and
``pool2d_backward_naive`` are loops to read and ``pool2d`` and
``pool2d_backward`` the fast versions, tested equal to each other and to
TensorFlow. Padding never wins a maximum or a minimum and is never counted in
an average, as in TensorFlow's ``padding="same"``.

The book explains pooling in Part I (the chapter on pooling) and its
gradient in Part II (the chapter on backpropagation).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnkit._validation import (
    choice,
    float_array,
    float_dtype,
    image_batch,
    positive_pair,
)
from cnnkit.shapes import padding_amounts

__all__ = [
    "pool2d",
    "pool2d_naive",
    "pool2d_backward",
    "pool2d_backward_naive",
    "global_pool",
]

MODES = ("max", "min", "avg")
Pair = int | tuple[int, int]
Padding = str | int | tuple


class _Pool(NamedTuple):
    """A pooling's arguments, checked and brought to four dimensions."""

    x: np.ndarray  # (N, H, W, C)
    window: tuple[int, int]
    stride: tuple[int, int]
    pads: tuple[tuple[int, int], tuple[int, int]]  # ((top, bottom), (left, right))
    mode: str
    out_shape: tuple[int, int, int, int]  # (N, H_out, W_out, C)
    user_out_shape: tuple[int, ...]  # the shape pool2d returns
    x_shape: tuple[int, ...]  # as given


def _prepare(x, pool_size, stride, padding, mode) -> _Pool:
    """Check every argument and return them as a ``_Pool``, or raise."""
    x4, ndim = image_batch(x, "x")
    mode = choice(mode, "mode", MODES)
    window = positive_pair(pool_size, "pool_size")
    stride = window if stride is None else positive_pair(stride, "stride")
    n, h, w, c = x4.shape
    pads = padding_amounts(padding, (h, w), window, stride)
    if any(p >= k for k, axis in zip(window, pads, strict=True) for p in axis):
        raise ValueError(
            f"padding={padding!r} puts a whole window in the padding; each side "
            f"must be smaller than pool_size {window}"
        )
    padded = [size + sum(p) for size, p in zip((h, w), pads, strict=True)]
    if window[0] > padded[0] or window[1] > padded[1]:
        raise ValueError(
            f"pool_size {window} does not fit input {(h, w)} with padding={padding!r}"
        )
    h_out = (padded[0] - window[0]) // stride[0] + 1
    w_out = (padded[1] - window[1]) // stride[1] + 1
    user_out = {2: (h_out, w_out), 3: (h_out, w_out, c), 4: (n, h_out, w_out, c)}
    return _Pool(
        x=x4.astype(float_dtype(x4), copy=False),
        window=window,
        stride=stride,
        pads=pads,
        mode=mode,
        out_shape=(n, h_out, w_out, c),
        user_out_shape=user_out[ndim],
        x_shape=np.shape(x),
    )


def _taps(p: _Pool):
    """For each offset (u, v) inside the window, the slices of the padded
    input it covers at every window position: ``xp[:, rows, cols]`` has shape
    ``(N, H_out, W_out, C)``."""
    (sh, sw), (_, h_out, w_out, _) = p.stride, p.out_shape
    for u in range(p.window[0]):
        for v in range(p.window[1]):
            yield (
                slice(u, u + sh * (h_out - 1) + 1, sh),
                slice(v, v + sw * (w_out - 1) + 1, sw),
            )


#: What padding holds for each mode: a value that never wins, or zero to add.
_FILL = {"max": -np.inf, "min": np.inf, "avg": 0}


def _padded(p: _Pool, x: np.ndarray) -> np.ndarray:
    """``x`` (all or part of the batch) with padding that can never win, or
    with zeros for averages."""
    if not any(p.pads[0] + p.pads[1]):
        return x
    return np.pad(x, ((0, 0), *p.pads, (0, 0)), constant_values=_FILL[p.mode])


def _counts(p: _Pool) -> np.ndarray:
    """How many real (not padding) pixels each window covers: (H_out, W_out, 1),
    or one number when every window is whole (it divides faster)."""
    per_axis = []
    for size, k, s, (before, _), n_out in zip(
        p.x.shape[1:3], p.window, p.stride, p.pads, p.out_shape[1:3], strict=True
    ):
        start = np.arange(n_out) * s - before  # window starts, in x's coordinates
        per_axis.append(np.minimum(start + k, size) - np.maximum(start, 0))
    counts = np.multiply.outer(*per_axis)[:, :, None].astype(p.x.dtype)
    return counts.flat[0] if np.all(counts == counts.flat[0]) else counts


def _check_dout(dout, p: _Pool) -> np.ndarray:
    d = float_array(dout, "dout")
    if d.shape != p.user_out_shape:
        raise ValueError(
            f"dout must have the shape of pool2d's output, {p.user_out_shape}, "
            f"got shape {d.shape}"
        )
    return d.astype(p.x.dtype, copy=False).reshape(p.out_shape)


def pool2d(
    x: np.ndarray,
    pool_size: Pair = 2,
    *,
    stride: Pair | None = None,
    padding: Padding = "valid",
    mode: str = "max",
) -> np.ndarray:
    """Max, min or average pooling of each channel (fast).

    .. math::

        y[n, i, j, c] = \\operatorname{reduce}_{u < k_h,\\, v < k_w}
            x_p[n,\\; i s_h + u,\\; j s_w + v,\\; c]

    with ``reduce`` the maximum, minimum or mean over the window's real
    (not padding) pixels. Explained in Part I (*Pooling*).

    Parameters
    ----------
    x : ndarray of shape (H, W), (H, W, C) or (N, H, W, C)
        Feature map or batch of them, channels last.
    pool_size : int or (int, int)
        Window height and width.
    stride : int or (int, int), optional
        Step between windows; defaults to ``pool_size`` (windows side by side).
    padding : "valid", "same", int, (int, int) or ((int, int), (int, int))
        As in :func:`cnnkit.conv2d`; each side must be smaller than the
        window, so that every window holds at least one real pixel.
    mode : {"max", "min", "avg"}
        What summarises a window.

    Returns
    -------
    ndarray of shape (H_out, W_out), (H_out, W_out, C) or (N, H_out, W_out, C)
        Same number of dimensions as ``x``; integers are pooled in float64.

    Examples
    --------
    The 4x4 examples of Part I, with 2x2 windows and stride 2:

    >>> x = np.array([[1, 3, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [9, 8, 6, 5]])
    >>> pool2d(x)
    array([[6., 8.],
           [9., 6.]])
    >>> pool2d(x, mode="avg")
    array([[3.75, 5.25],
           [5.5 , 3.  ]])
    >>> pool2d(np.arange(1, 17).reshape(4, 4), mode="min")
    array([[ 1.,  3.],
           [ 9., 11.]])

    With ``"same"`` padding the last window hangs over the edge; the average
    counts only the pixels that are really there:

    >>> pool2d(np.arange(1, 10).reshape(3, 3), padding="same", mode="avg")
    array([[3. , 4.5],
           [7.5, 9. ]])
    """
    p = _prepare(x, pool_size, stride, padding, mode)
    return _pool(p).reshape(p.user_out_shape)


CHUNK_BYTES = 1 << 20
"""Pool about this much of the batch at a time (1 MB): pooled down the rows and
then across the columns while it is still in the CPU's cache."""


def _pool(p: _Pool) -> np.ndarray:
    """Pool every window of the input at once: (N, H_out, W_out, C).

    A window's maximum (minimum, sum) is that of its rows' maxima, so this
    pools down the rows first and then across the columns: ``kh + kw`` array
    operations instead of ``kh * kw``, a few images at a time. Padding is
    never built: each offset in the window combines only the window
    positions where it falls on a real pixel.
    """
    combine = {"max": np.maximum, "min": np.minimum, "avg": np.add}[p.mode]
    pooled = np.empty(p.out_shape, p.x.dtype)
    counts = _counts(p) if p.mode == "avg" else None
    step = max(1, CHUNK_BYTES // p.x[0].nbytes)
    for start in range(0, len(p.x), step):
        images = slice(start, start + step)
        out = p.x[images]
        for axis in (1, 2):
            out = _pool_axis(p, out, axis, combine)
        if p.mode == "avg":
            np.divide(out, counts, out=pooled[images])
        else:
            pooled[images] = out
    return pooled


def _pool_axis(p: _Pool, a: np.ndarray, axis: int, combine) -> np.ndarray:
    """Pool ``a`` along ``axis`` (1: rows, 2: columns) as if it were padded.

    Offset ``u`` of output position ``i`` reads input ``i * s + u - before``;
    the positions where that is a real pixel form one run ``i0 .. i1 - 1``.
    """
    k, s, n_out = p.window[axis - 1], p.stride[axis - 1], p.out_shape[axis]
    before, size = p.pads[axis - 1][0], a.shape[axis]
    lead = (slice(None),) * axis
    shape = list(a.shape)
    shape[axis] = n_out
    out = None
    for u in range(k):
        i0 = max(0, -((u - before) // s))  # ceil((before - u) / s)
        i1 = min(n_out, (size - 1 - u + before) // s + 1)
        if i1 <= i0:
            continue
        r0 = i0 * s + u - before
        tap = a[lead + (slice(r0, r0 + s * (i1 - i0 - 1) + 1, s),)]
        if out is None and (i0, i1) == (0, n_out):
            out = tap.copy()
            continue
        if out is None:
            out = np.full(shape, _FILL[p.mode], a.dtype)
        part = out[lead + (slice(i0, i1),)]
        combine(part, tap, out=part)
    return out


def _offsets(p: _Pool, axis: int):
    """For each offset inside the window along ``axis`` (1: rows, 2: columns),
    the index of the pixels it covers, one per window position."""
    k, s, n_out = p.window[axis - 1], p.stride[axis - 1], p.out_shape[axis]
    for u in range(k):
        yield (slice(None),) * axis + (slice(u, u + s * (n_out - 1) + 1, s),)


def pool2d_naive(
    x: np.ndarray,
    pool_size: Pair = 2,
    *,
    stride: Pair | None = None,
    padding: Padding = "valid",
    mode: str = "max",
) -> np.ndarray:
    """Pooling with explicit loops over the windows, to be read, not used.

    Same parameters, result and errors as :func:`pool2d`. Padding never wins
    and is never counted, so this version simply leaves it out: each window
    is cut down to the pixels of ``x`` it covers (Part I, *Pooling*).

    Parameters
    ----------
    x : ndarray of shape (H, W), (H, W, C) or (N, H, W, C)
    pool_size : int or (int, int)
    stride : int or (int, int), optional
    padding : "valid", "same", int, (int, int) or ((int, int), (int, int))
    mode : {"max", "min", "avg"}

    Returns
    -------
    ndarray of shape (H_out, W_out), (H_out, W_out, C) or (N, H_out, W_out, C)

    Examples
    --------
    >>> x = np.array([[1, 3, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [9, 8, 6, 5]])
    >>> pool2d_naive(x, mode="avg")
    array([[3.75, 5.25],
           [5.5 , 3.  ]])
    """
    p = _prepare(x, pool_size, stride, padding, mode)
    reduce = {"max": np.max, "min": np.min, "avg": np.mean}[p.mode]
    n_images, h_out, w_out, channels = p.out_shape
    out = np.zeros(p.out_shape, p.x.dtype)
    for n in range(n_images):
        for i in range(h_out):
            for j in range(w_out):
                rows, cols = _window_in_x(p, i, j)
                for c in range(channels):
                    out[n, i, j, c] = reduce(p.x[n, rows, cols, c])
    return out.reshape(p.user_out_shape)


def _window_in_x(p: _Pool, i: int, j: int) -> tuple[slice, slice]:
    """The rows and columns of ``x`` (padding cut off) under window (i, j)."""
    top = i * p.stride[0] - p.pads[0][0]
    left = j * p.stride[1] - p.pads[1][0]
    return (
        slice(max(top, 0), top + p.window[0]),
        slice(max(left, 0), left + p.window[1]),
    )


def pool2d_backward(
    dout: np.ndarray,
    x: np.ndarray,
    pool_size: Pair = 2,
    *,
    stride: Pair | None = None,
    padding: Padding = "valid",
    mode: str = "max",
) -> np.ndarray:
    """Gradient of a loss with respect to the input of :func:`pool2d`.

    Max (min) pooling passes each window's gradient to the pixel that won
    it; when several tie, the first in row-major order takes it all, as in
    TensorFlow. Average pooling shares it equally among the window's real
    pixels. Overlapping windows add up. Derived in Part II
    (*Backpropagation through a convolution*, which ends with pooling).

    Parameters
    ----------
    dout : ndarray of the shape ``pool2d(x, ...)`` returns
        Gradient of the loss with respect to the pooled map.
    x : ndarray of shape (H, W), (H, W, C) or (N, H, W, C)
    pool_size : int or (int, int)
    stride : int or (int, int), optional
    padding : "valid", "same", int, (int, int) or ((int, int), (int, int))
    mode : {"max", "min", "avg"}
        As in :func:`pool2d`.

    Returns
    -------
    ndarray of the shape of ``x``

    Examples
    --------
    >>> x = np.array([[1, 3, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [9, 8, 6, 5]])
    >>> pool2d_backward(np.array([[1, 2], [3, 4]]), x)
    array([[0., 0., 0., 0.],
           [0., 1., 0., 2.],
           [0., 0., 0., 0.],
           [3., 0., 4., 0.]])
    >>> pool2d_backward(np.ones((2, 2)), x, mode="avg")
    array([[0.25, 0.25, 0.25, 0.25],
           [0.25, 0.25, 0.25, 0.25],
           [0.25, 0.25, 0.25, 0.25],
           [0.25, 0.25, 0.25, 0.25]])
    """
    p = _prepare(x, pool_size, stride, padding, mode)
    d = _check_dout(dout, p)
    xp = _padded(p, p.x)
    if p.mode == "avg":
        # share each window's gradient out across its columns, then its rows
        dxp = d / _counts(p)
        for axis in (2, 1):
            share, shape = dxp, list(dxp.shape)
            shape[axis] = xp.shape[axis]
            dxp = np.zeros(shape, d.dtype)
            for index in _offsets(p, axis):
                dxp[index] += share
    else:
        # the first tap (in row-major order) that holds the winner takes it all
        winner = _pool(p)
        owed = d.copy()  # the gradient not yet handed out
        dxp = np.zeros(xp.shape, d.dtype)
        for rows, cols in _taps(p):
            given = owed * (xp[:, rows, cols] == winner)
            dxp[:, rows, cols] += given
            owed -= given
    (top, _), (left, _) = p.pads
    _, h, w, _ = p.x.shape
    return dxp[:, top : top + h, left : left + w].reshape(p.x_shape)


def pool2d_backward_naive(
    dout: np.ndarray,
    x: np.ndarray,
    pool_size: Pair = 2,
    *,
    stride: Pair | None = None,
    padding: Padding = "valid",
    mode: str = "max",
) -> np.ndarray:
    """The gradient of :func:`pool2d_backward` with explicit loops, to be read.

    One output value at a time, as Part II derives it: its gradient goes to
    the window's first winner, or is shared by the window's real pixels.

    Parameters
    ----------
    dout : ndarray of the shape ``pool2d(x, ...)`` returns
    x : ndarray of shape (H, W), (H, W, C) or (N, H, W, C)
    pool_size : int or (int, int)
    stride : int or (int, int), optional
    padding : "valid", "same", int, (int, int) or ((int, int), (int, int))
    mode : {"max", "min", "avg"}

    Returns
    -------
    ndarray of the shape of ``x``

    Examples
    --------
    >>> x = np.array([[1, 3, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [9, 8, 6, 5]])
    >>> pool2d_backward_naive(np.array([[1, 2], [3, 4]]), x, mode="min")
    array([[1., 0., 2., 0.],
           [0., 0., 0., 0.],
           [0., 3., 0., 4.],
           [0., 0., 0., 0.]])
    """
    p = _prepare(x, pool_size, stride, padding, mode)
    d = _check_dout(dout, p)
    dx = np.zeros(p.x.shape, d.dtype)
    n_images, h_out, w_out, channels = p.out_shape
    pick = np.argmax if p.mode == "max" else np.argmin  # both find the first
    for n in range(n_images):
        for i in range(h_out):
            for j in range(w_out):
                rows, cols = _window_in_x(p, i, j)
                for c in range(channels):
                    window = p.x[n, rows, cols, c]  # real pixels only
                    if p.mode == "avg":
                        dx[n, rows, cols, c] += d[n, i, j, c] / window.size
                    else:
                        r, q = divmod(int(pick(window)), window.shape[1])
                        dx[n, rows.start + r, cols.start + q, c] += d[n, i, j, c]
    return dx.reshape(p.x_shape)


def global_pool(x: np.ndarray, mode: str = "avg") -> np.ndarray | float:
    """Summarise each whole channel by one number (global average/max/min pooling).

    Often replaces flattening before a network's classifier (Part I, *Pooling*).

    Parameters
    ----------
    x : ndarray of shape (H, W), (H, W, C) or (N, H, W, C)
    mode : {"avg", "max", "min"}

    Returns
    -------
    float, ndarray of shape (C,) or ndarray of shape (N, C)
        One value per channel (and per image), as Keras's
        ``GlobalAveragePooling2D`` and ``GlobalMaxPooling2D`` give.

    Examples
    --------
    >>> x = np.arange(1, 17).reshape(4, 4)
    >>> print(global_pool(x), global_pool(x, mode="max"))
    8.5 16.0
    >>> global_pool(np.ones((8, 5, 5, 3))).shape
    (8, 3)
    """
    x4, ndim = image_batch(x, "x")
    mode = choice(mode, "mode", ("avg", "max", "min"))
    reduce = {"max": np.max, "min": np.min, "avg": np.mean}[mode]
    out = reduce(x4.astype(float_dtype(x4), copy=False), axis=(1, 2))  # (N, C)
    return {2: out[0, 0], 3: out[0], 4: out}[ndim]
