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
    Padding,
    Pair,
    choice,
    dout_of,
    float_dtype,
    image_batch,
    positive_pair,
)
from cnnkit.shapes import output_size, padding_amounts

__all__ = [
    "pool2d",
    "pool2d_naive",
    "pool2d_backward",
    "pool2d_backward_naive",
    "global_pool",
]

MODES = ("max", "min", "avg")


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
    if any(side >= k for k, axis in zip(window, pads, strict=True) for side in axis):
        raise ValueError(
            f"padding={padding!r} puts a whole window in the padding; each side "
            f"must be smaller than pool_size {window}"
        )
    padded = (h + sum(pads[0]), w + sum(pads[1]))
    if window[0] > padded[0] or window[1] > padded[1]:
        raise ValueError(
            f"pool_size {window} does not fit input {(h, w)} with padding={padding!r}"
        )
    h_out, w_out = (
        output_size(size, k, stride=s)
        for size, k, s in zip(padded, window, stride, strict=True)
    )
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


def _runs(pool: _Pool, axis: int):
    """Where each offset of the window falls on real pixels, along ``axis``
    (1: rows, 2: columns), as if the input were padded.

    Offset ``u`` of window position ``i`` reads input ``i * s + u - before``;
    the positions where that is a real pixel form one run ``i0 .. i1 - 1``.
    Yields, for each offset with such a run, the offset, the window positions
    ``slice(i0, i1)`` and the input pixels they read, a slice with step ``s``.
    """
    k, s, n_out = pool.window[axis - 1], pool.stride[axis - 1], pool.out_shape[axis]
    before, size = pool.pads[axis - 1][0], pool.x.shape[axis]
    for u in range(k):
        i0 = max(0, -((u - before) // s))  # ceil((before - u) / s)
        i1 = min(n_out, (size - 1 - u + before) // s + 1)
        if i1 > i0:
            r0 = i0 * s + u - before
            yield u, slice(i0, i1), slice(r0, r0 + s * (i1 - i0 - 1) + 1, s)


def _along(axis: int, index) -> tuple:
    """An index that applies ``index`` to ``axis`` of an (N, H, W, C) array."""
    return (slice(None),) * axis + (index,)


#: What a window starts from where it begins in the padding: a value that
#: never wins a maximum (minimum), or zero to add to.
_FILL = {"max": -np.inf, "min": np.inf, "avg": 0}


def _sum_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype averages are summed in: float16 in float32, as ``np.mean`` does."""
    return np.promote_types(dtype, np.float32)


def _counts(pool: _Pool) -> np.ndarray:
    """How many real (not padding) pixels each window covers: (H_out, W_out, 1),
    or one number when every window is whole (it divides faster)."""
    per_axis = []
    for size, k, s, (before, _), n_out in zip(
        pool.x.shape[1:3],
        pool.window,
        pool.stride,
        pool.pads,
        pool.out_shape[1:3],
        strict=True,
    ):
        start = np.arange(n_out) * s - before  # window starts, in x's coordinates
        per_axis.append(np.minimum(start + k, size) - np.maximum(start, 0))
    counts = np.multiply.outer(*per_axis)[:, :, None].astype(_sum_dtype(pool.x.dtype))
    return counts.flat[0] if np.all(counts == counts.flat[0]) else counts


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
    pool = _prepare(x, pool_size, stride, padding, mode)
    return _pool(pool).reshape(pool.user_out_shape)


CHUNK_BYTES = 1 << 20
"""Pool about this much of the batch at a time (1 MB): pooled down the rows and
then across the columns while it is still in the CPU's cache."""


def _chunks(pool: _Pool):
    """Slices of the batch, a few images each, about ``CHUNK_BYTES`` of ``x``."""
    step = max(1, CHUNK_BYTES // pool.x[0].nbytes)
    for start in range(0, len(pool.x), step):
        yield slice(start, start + step)


def _pool(pool: _Pool) -> np.ndarray:
    """Pool every window of the input at once: (N, H_out, W_out, C).

    A window's maximum (minimum, sum) is that of its rows' maxima, so this
    pools down the rows first and then across the columns: ``kh + kw`` array
    operations instead of ``kh * kw``, a few images at a time. Padding is
    never built: each offset in the window combines only the window
    positions where it falls on a real pixel.
    """
    combine = {"max": np.maximum, "min": np.minimum, "avg": np.add}[pool.mode]
    pooled = np.empty(pool.out_shape, pool.x.dtype)
    counts = _counts(pool) if pool.mode == "avg" else None
    for images in _chunks(pool):
        out = pool.x[images]
        if pool.mode == "avg":
            out = out.astype(_sum_dtype(out.dtype), copy=False)
        for axis in (1, 2):
            out = _pool_axis(pool, out, axis, combine)
        if pool.mode == "avg":
            np.divide(out, counts, out=pooled[images])
        else:
            pooled[images] = out
    return pooled


def _pool_axis(pool: _Pool, a: np.ndarray, axis: int, combine) -> np.ndarray:
    """Pool ``a`` along ``axis`` (1: rows, 2: columns) as if it were padded."""
    shape = list(a.shape)
    shape[axis] = pool.out_shape[axis]
    out = None
    for _, outputs, inputs in _runs(pool, axis):
        tap = a[_along(axis, inputs)]
        if out is None and outputs == slice(0, shape[axis]):
            out = tap.copy()
            continue
        if out is None:
            out = np.full(shape, _FILL[pool.mode], a.dtype)
        part = out[_along(axis, outputs)]
        combine(part, tap, out=part)
    return out


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
    pool = _prepare(x, pool_size, stride, padding, mode)
    reduce = {"max": np.max, "min": np.min, "avg": np.mean}[pool.mode]
    n_images, h_out, w_out, channels = pool.out_shape
    out = np.zeros(pool.out_shape, pool.x.dtype)
    for n in range(n_images):
        for i in range(h_out):
            for j in range(w_out):
                rows, cols = _window_in_x(pool, i, j)
                for c in range(channels):
                    out[n, i, j, c] = reduce(pool.x[n, rows, cols, c])
    return out.reshape(pool.user_out_shape)


def _window_in_x(pool: _Pool, i: int, j: int) -> tuple[slice, slice]:
    """The rows and columns of ``x`` (padding cut off) under window (i, j)."""
    top = i * pool.stride[0] - pool.pads[0][0]
    left = j * pool.stride[1] - pool.pads[1][0]
    return (
        slice(max(top, 0), top + pool.window[0]),
        slice(max(left, 0), left + pool.window[1]),
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
    it, and to no other, even when the gradient is infinite; when several
    tie, the first in row-major order takes it all, as in TensorFlow, and a
    NaN in ``x`` wins its window (the first NaN, as ``np.argmax`` has it).
    Average pooling shares it equally among the window's real pixels.
    Overlapping windows add up. Derived in Part II (*Backpropagation through
    a convolution*, which ends with pooling).

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
    pool = _prepare(x, pool_size, stride, padding, mode)
    dout = _check_dout(dout, pool)
    if pool.mode == "avg":
        return _spread(pool, dout / _counts(pool)).reshape(pool.x_shape)
    dx = np.empty(pool.x.shape, pool.x.dtype)
    for images in _chunks(pool):
        dx[images] = _to_winners(pool, pool.x[images], dout[images])
    return dx.reshape(pool.x_shape)


def _check_dout(value, pool: _Pool) -> np.ndarray:
    """``dout`` as an ``(N, H_out, W_out, C)`` array of the input's dtype."""
    d = dout_of(value, pool.user_out_shape, "pool2d's output")
    return d.astype(pool.x.dtype, copy=False).reshape(pool.out_shape)


def _spread(pool: _Pool, share: np.ndarray) -> np.ndarray:
    """Add each window's ``share`` to every real pixel under it: (N, H, W, C).

    The transpose of summing the windows: across the columns, then down the
    rows, each offset adding to the pixels it read.
    """
    for axis in (2, 1):
        shape = list(share.shape)
        shape[axis] = pool.x.shape[axis]
        spread = np.zeros(shape, share.dtype)
        for _, outputs, inputs in _runs(pool, axis):
            spread[_along(axis, inputs)] += share[_along(axis, outputs)]
        share = spread
    return share.astype(pool.x.dtype, copy=False)


def _to_winners(pool: _Pool, x: np.ndarray, dout: np.ndarray) -> np.ndarray:
    """Each window's gradient, added to the pixel of ``x`` that won it.

    The winner of a window is the winner among its rows' winners, so, as in
    the forward pass, the window is searched along its columns and then down
    its rows; that gives each window's winning tap ``(u, v)``, and so the
    pixel. Ties go to the first in row-major order, as in TensorFlow.
    ``np.add.at`` adds up what overlapping windows send to one pixel, and an
    infinite or NaN gradient reaches its winner and nothing else.
    """
    (n, h, w, c), (kh, kw) = x.shape, pool.window
    best, v = _winners_along(pool, x, 2)  # (n, H, W_out, C): each row's winner
    _, tap = _winners_along(pool, best, 1, v)  # (n, H_out, W_out, C): u * kw + v
    # the pixel at the top left of each window (in the padded frame), plus
    # how far tap (u, v) lies from it in x
    (sh, sw), ((top, _), (left, _)) = pool.stride, pool.pads
    _, h_out, w_out, _ = pool.out_shape
    rows = (np.arange(n)[:, None] * h + np.arange(h_out) * sh - top)[:, :, None, None]
    cols = (np.arange(w_out) * sw - left)[:, None]
    corner = (rows * w + cols) * c + np.arange(c)
    step = ((np.arange(kh)[:, None] * w + np.arange(kw)) * c).ravel()
    pixel = corner + step[tap]
    dx = np.zeros(x.shape, x.dtype)
    np.add.at(dx.reshape(-1), pixel.reshape(-1), dout.reshape(-1))
    return dx


def _winners_along(pool: _Pool, a: np.ndarray, axis: int, inner=None):
    """Pool ``a`` along ``axis`` like ``_pool_axis``, and say which tap of each
    window won: its offset ``u``, or ``u * k_inner + inner[tap]`` when
    ``inner`` holds the winning offsets inside each tap (its place in
    row-major order).

    A later tap takes over only if it is strictly better, so the first of
    tied pixels wins; a NaN beats every number, and the first NaN stays, as
    ``np.argmax`` and ``np.argmin`` have it.
    """
    not_better = np.less_equal if pool.mode == "max" else np.greater_equal
    keep = np.maximum if pool.mode == "max" else np.minimum  # both keep a NaN
    k_inner = 1 if inner is None else pool.window[1]
    place_type = np.min_scalar_type(pool.window[0] * pool.window[1] - 1)
    n_out, s = pool.out_shape[axis], pool.stride[axis - 1]
    column = (-1,) + (1,) * (a.ndim - axis - 1)  # a vector along axis
    shape = list(a.shape)
    shape[axis] = n_out
    best = winner = None
    for u, outputs, inputs in _runs(pool, axis):
        tap = a[_along(axis, inputs)]
        place = np.asarray(u * k_inner, place_type)
        if inner is not None:
            place = place + inner[_along(axis, inputs)]
        if best is None and outputs == slice(0, n_out):
            best, winner = tap.copy(), np.broadcast_to(place, shape).copy()
            continue
        if best is None:  # padding first: start from each window's first pixel
            start = np.arange(n_out) * s - pool.pads[axis - 1][0]
            first = -np.minimum(start, 0)  # the offset of the first real pixel
            best = np.full(shape, _FILL[pool.mode], a.dtype)
            winner = np.zeros(shape, place_type)
            winner += (first * k_inner).astype(place_type).reshape(column)
            if inner is not None:
                winner += np.take(inner, start + first, axis=axis)
        part, part_winner = best[_along(axis, outputs)], winner[_along(axis, outputs)]
        better = ~not_better(tap, part)  # strictly better, or a NaN
        better &= part == part  # but not over a NaN found before
        keep(part, tap, out=part)
        # later taps have larger places, so the larger of the two is the new one
        np.maximum(part_winner, better * place, out=part_winner)
    return best, winner


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
    pool = _prepare(x, pool_size, stride, padding, mode)
    dout = _check_dout(dout, pool)
    dx = np.zeros(pool.x.shape, dout.dtype)
    n_images, h_out, w_out, channels = pool.out_shape
    pick = np.argmax if pool.mode == "max" else np.argmin  # both find the first
    for n in range(n_images):
        for i in range(h_out):
            for j in range(w_out):
                rows, cols = _window_in_x(pool, i, j)
                for c in range(channels):
                    window = pool.x[n, rows, cols, c]  # real pixels only
                    if pool.mode == "avg":
                        dx[n, rows, cols, c] += dout[n, i, j, c] / window.size
                    else:
                        r, q = divmod(int(pick(window)), window.shape[1])
                        dx[n, rows.start + r, cols.start + q, c] += dout[n, i, j, c]
    return dx.reshape(pool.x_shape)


def global_pool(x: np.ndarray, mode: str = "avg") -> np.ndarray | np.floating:
    """Summarise each whole channel by one number (global average/max/min pooling).

    Often replaces flattening before a network's classifier (Part I, *Pooling*).

    Parameters
    ----------
    x : ndarray of shape (H, W), (H, W, C) or (N, H, W, C)
    mode : {"avg", "max", "min"}

    Returns
    -------
    numpy.floating, ndarray of shape (C,) or ndarray of shape (N, C)
        One value per channel (and per image), as Keras's
        ``GlobalAveragePooling2D`` and ``GlobalMaxPooling2D`` give: a NumPy
        scalar for an ``(H, W)`` map. Floats keep their dtype (float16 is
        averaged in float32, as ``np.mean`` does); integers give float64.

    Examples
    --------
    >>> x = np.arange(1, 17).reshape(4, 4)
    >>> print(global_pool(x), global_pool(x, mode="max"))
    8.5 16.0
    >>> global_pool(x.astype(np.float32)).dtype
    dtype('float32')
    >>> global_pool(np.ones((8, 5, 5, 3))).shape
    (8, 3)
    """
    x4, ndim = image_batch(x, "x")
    mode = choice(mode, "mode", ("avg", "max", "min"))
    reduce = {"max": np.max, "min": np.min, "avg": np.mean}[mode]
    out = reduce(x4.astype(float_dtype(x4), copy=False), axis=(1, 2))  # (N, C)
    return {2: out[0, 0], 3: out[0], 4: out}[ndim]
