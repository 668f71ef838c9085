"""Convolution: sliding a kernel over an image, forward and backward.

Each function comes twice. ``conv2d_naive`` and ``conv2d_backward_naive`` are
loops written to be read next to the book's formulas; ``conv2d`` and
``conv2d_backward`` compute the same numbers thousands of times faster with
*im2col*: every window of the padded input becomes one row of a matrix, and a
single matrix product applies every filter to every window (one such matrix
at a time, never more). The tests check the two against each other and
against TensorFlow.

The forward pass is explained in Part I (the chapters on convolution by hand
and on stride, padding and dilation), the backward pass in Part II (the
chapter on backpropagation through a convolution).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnkit._validation import (
    Padding,
    Pair,
    as_array,
    boolean,
    dout_of,
    float_array,
    float_dtype,
    image_batch,
    positive_pair,
)
from cnnkit.shapes import kernel_span, output_size, padding_amounts

__all__ = ["conv2d", "conv2d_naive", "conv2d_backward", "conv2d_backward_naive"]


class _Conv(NamedTuple):
    """A convolution's arguments, checked and brought to four dimensions."""

    x: np.ndarray  # (N, H, W, C_in)
    kernel: np.ndarray  # (kh, kw, C_in, C_out), flipped if flip=True
    bias: np.ndarray  # (C_out,)
    stride: tuple[int, int]
    dilation: tuple[int, int]
    flip: bool
    span: tuple[int, int]  # rows and columns of input the dilated kernel covers
    pads: tuple[tuple[int, int], tuple[int, int]]  # ((top, bottom), (left, right))
    out_shape: tuple[int, int, int, int]  # (N, H_out, W_out, C_out)
    user_out_shape: tuple[int, ...]  # the shape conv2d returns
    x_shape: tuple[int, ...]  # as given
    kernel_shape: tuple[int, ...]  # as given


def _prepare(x, kernel, bias, stride, padding, dilation, flip=False) -> _Conv:
    """Check every argument and return them as a ``_Conv``, or raise."""
    x4, x_ndim = image_batch(x, "x")
    k = as_array(kernel, "kernel")
    if k.ndim not in (2, 4):
        raise ValueError(
            "kernel must have shape (kh, kw) or (kh, kw, C_in, C_out), "
            f"got shape {k.shape}"
        )
    k4 = k[:, :, None, None] if k.ndim == 2 else k
    n, h, w, c = x4.shape
    kh, kw, c_in, c_out = k4.shape
    if c_in != c:
        raise ValueError(
            f"kernel of shape {k.shape} has {c_in} input channel(s) but x of shape "
            f"{np.shape(x)} has {c}; expected a kernel of shape (kh, kw, {c}, C_out)"
        )
    flip = boolean(flip, "flip")
    stride = positive_pair(stride, "stride")
    dilation = positive_pair(dilation, "dilation")
    pads = padding_amounts(padding, (h, w), (kh, kw), stride, dilation)
    span = (kernel_span(kh, dilation[0]), kernel_span(kw, dilation[1]))
    padded = (h + sum(pads[0]), w + sum(pads[1]))
    if span[0] > padded[0] or span[1] > padded[1]:
        spread = f" (dilation {dilation} spreads it over {span})"
        raise ValueError(
            f"kernel of shape {k.shape}{spread if max(dilation) > 1 else ''} does "
            f"not fit input {(h, w)} with padding={padding!r}"
        )
    h_out, w_out = (
        output_size(size, k_size, stride=s, dilation=d)
        for size, k_size, s, d in zip(padded, (kh, kw), stride, dilation, strict=True)
    )
    dtype = float_dtype(x4, k4)  # NumPy's promotion; integers alone become float64
    if bias is None:
        b = np.zeros(c_out, dtype)
    else:
        b = float_array(bias, "bias")
        if b.ndim != 0 and b.shape != (c_out,):
            raise ValueError(
                f"bias must be a scalar or have shape (C_out,) = ({c_out},), "
                f"got shape {b.shape}"
            )
        b = np.broadcast_to(b, (c_out,)).astype(dtype)
    if x_ndim == 2 and k.ndim == 2:
        user_out = (h_out, w_out)
    else:
        user_out = ((n,) if x_ndim == 4 else ()) + (h_out, w_out, c_out)
    return _Conv(
        x=x4.astype(dtype, copy=False),
        kernel=(k4[::-1, ::-1] if flip else k4).astype(dtype, copy=False),
        bias=b,
        stride=stride,
        dilation=dilation,
        flip=flip,
        span=span,
        pads=pads,
        out_shape=(n, h_out, w_out, c_out),
        user_out_shape=user_out,
        x_shape=np.shape(x),
        kernel_shape=k.shape,
    )


def _pad(x: np.ndarray, pads) -> np.ndarray:
    """Add zeros around the height and width of ``x`` (no copy if none)."""
    if not any(pads[0] + pads[1]):
        return x
    return np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))


def _windows(conv: _Conv) -> np.ndarray:
    """Every window of the padded input, as a view ``(N, H_out, W_out, kh, kw, C)``.

    ``sliding_window_view`` lists the windows at every position without
    copying; slicing with the stride keeps the positions the kernel visits,
    and slicing the window with the dilation keeps the pixels its taps touch.
    """
    (sh, sw), (dh, dw) = conv.stride, conv.dilation
    view = sliding_window_view(_pad(conv.x, conv.pads), conv.span, axis=(1, 2))
    return view[:, ::sh, ::sw, :, ::dh, ::dw].transpose(0, 1, 2, 4, 5, 3)


FEW_CHANNELS = 4
"""Below this many input channels (grey or colour images) the im2col matrix is
stored column by column and filled one (tap, channel) plane at a time: long
rows of pixels copy much faster than runs of one to three numbers."""


def _im2col(conv: _Conv) -> np.ndarray:
    """The im2col matrix (a copy), shape ``(N * H_out * W_out, kh * kw * C_in + 1)``.

    One row per output position and one column per kernel weight, holding the
    pixel that weight multiplies there, plus a last column of ones: times a
    last row of biases in the weight matrix, it adds the bias (the "bias
    trick"), and in the backward pass it sums the bias gradient.
    """
    windows = _windows(conv)  # (N, H_out, W_out, kh, kw, C_in), a view
    n, h_out, w_out, kh, kw, c = windows.shape
    k = kh * kw * c
    if c < FEW_CHANNELS:
        cols = np.empty((k + 1, n, h_out, w_out), windows.dtype)
        cols[:k].reshape(kh, kw, c, n, h_out, w_out)[...] = windows.transpose(
            3, 4, 5, 0, 1, 2
        )
        cols[k] = 1
        return cols.reshape(k + 1, -1).T
    cols = np.empty((n, h_out, w_out, k + 1), windows.dtype)
    cols[..., :k].reshape(windows.shape)[...] = windows  # splitting one axis: a view
    cols[..., k] = 1
    return cols.reshape(-1, k + 1)


def _weights(conv: _Conv) -> np.ndarray:
    """The kernel as a matrix, one column per filter, with the biases as a last
    row: ``(kh * kw * C_in + 1, C_out)``."""
    return np.vstack([conv.kernel.reshape(-1, conv.kernel.shape[3]), conv.bias])


def _check_dout(value, conv: _Conv) -> np.ndarray:
    """``dout`` as an ``(N, H_out, W_out, C_out)`` array of the right dtype."""
    d = dout_of(value, conv.user_out_shape, "conv2d's output")
    return d.astype(conv.x.dtype, copy=False).reshape(conv.out_shape)


def _gradients(dx, dkernel, dbias, conv: _Conv):
    """The three gradients in the shapes of ``x``, ``kernel`` and the bias;
    the kernel's turned back if ``flip`` turned the kernel."""
    if conv.flip:
        dkernel = dkernel[::-1, ::-1]
    return (
        dx.reshape(conv.x_shape),
        dkernel.reshape(conv.kernel_shape),
        dbias.reshape(dkernel.shape[3] if len(conv.kernel_shape) == 4 else ()),
    )


def conv2d(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: float | np.ndarray | None = None,
    *,
    stride: Pair = 1,
    padding: Padding = "valid",
    dilation: Pair = 1,
    flip: bool = False,
) -> np.ndarray:
    """Slide ``kernel`` over ``x`` and return the feature map (fast, im2col).

    Computes the cross-correlation every deep-learning framework calls
    convolution; ``flip=True`` turns the kernel by 180 degrees first, which
    gives the convolution of signal processing.

    .. math::

        y[n, i, j, f] = b_f + \\sum_{u, v, c} w[u, v, c, f]\\,
        x_p[n,\\; i s_h + u d_h,\\; j s_w + v d_w,\\; c]

    where :math:`x_p` is ``x`` with its padding. The book works it by hand in
    Part I (*Convolution by hand*; *Stride, padding and dilation*).

    Parameters
    ----------
    x : ndarray of shape (H, W), (H, W, C_in) or (N, H, W, C_in)
        The image or batch of images, channels last.
    kernel : ndarray of shape (kh, kw) or (kh, kw, C_in, C_out)
        One single-channel kernel, or ``C_out`` filters as in a Keras
        ``Conv2D`` layer's weights.
    bias : float or ndarray of shape (C_out,), optional
        Added to every position of each output channel.
    stride : int or (int, int)
        Step between neighbouring windows (rows, columns).
    padding : "valid", "same", int, (int, int) or ((int, int), (int, int))
        ``"valid"`` adds nothing; ``"same"`` pads as TensorFlow does (the
        extra zero goes to the bottom and right when the total is odd); an int
        ``p`` adds ``p`` zeros on every side, ``(ph, pw)`` per axis, and
        ``((top, bottom), (left, right))`` each side explicitly.
    dilation : int or (int, int)
        Spacing between kernel taps; 1 means none.
    flip : bool
        Flip the kernel (true convolution) instead of cross-correlating.

    Returns
    -------
    ndarray of shape (H_out, W_out), (H_out, W_out, C_out) or (N, H_out, W_out, C_out)
        The feature map. It has a batch axis if ``x`` has one, and a channel
        axis unless both ``x`` and ``kernel`` are two-dimensional. Its dtype
        is NumPy's promotion of the dtypes of ``x`` and ``kernel``
        (``np.result_type``: float32 stays float32, integers with float16
        give float64), or float64 when both hold integers.

    Examples
    --------
    The worked example of Part I: each output is ``x[i, j] - x[i + 1, j + 1]``.

    >>> x = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    >>> k = np.array([[1, 0], [0, -1]])
    >>> conv2d(x, k)
    array([[-4., -4.],
           [-4., -4.]])

    ``"same"`` pads one zero row at the bottom and one zero column at the
    right (a 2x2 kernel needs one extra row and column in total):

    >>> conv2d(x, k, padding="same")
    array([[-4., -4.,  3.],
           [-4., -4.,  6.],
           [ 7.,  8.,  9.]])
    >>> conv2d(x, k, flip=True)
    array([[4., 4.],
           [4., 4.]])
    >>> conv2d(np.ones((2, 28, 28, 1)), np.ones((3, 3, 1, 32)), stride=2).shape
    (2, 13, 13, 32)
    >>> conv2d(x.astype(np.uint8), k.astype(np.float32)).dtype
    dtype('float32')
    """
    conv = _prepare(x, kernel, bias, stride, padding, dilation, flip)
    out = _im2col(conv) @ _weights(conv)  # every window times every filter, plus bias
    return out.reshape(conv.user_out_shape)


def conv2d_naive(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: float | np.ndarray | None = None,
    *,
    stride: Pair = 1,
    padding: Padding = "valid",
    dilation: Pair = 1,
    flip: bool = False,
) -> np.ndarray:
    """Slide ``kernel`` over ``x`` with explicit loops, to be read, not used.

    Same parameters, result and errors as :func:`conv2d`, which is the one to
    call: this version visits every output value in turn, as Part I's
    *Convolution by hand* does on paper, and adds up one 2-D window product
    per input channel.

    Parameters
    ----------
    x : ndarray of shape (H, W), (H, W, C_in) or (N, H, W, C_in)
    kernel : ndarray of shape (kh, kw) or (kh, kw, C_in, C_out)
    bias : float or ndarray of shape (C_out,), optional
    stride, dilation : int or (int, int)
    padding : "valid", "same", int, (int, int) or ((int, int), (int, int))
    flip : bool

    Returns
    -------
    ndarray of shape (H_out, W_out), (H_out, W_out, C_out) or (N, H_out, W_out, C_out)

    Examples
    --------
    >>> x = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    >>> conv2d_naive(x, np.array([[1, 0], [0, -1]]), padding="same")
    array([[-4., -4.,  3.],
           [-4., -4.,  6.],
           [ 7.,  8.,  9.]])
    """
    conv = _prepare(x, kernel, bias, stride, padding, dilation, flip)
    xp = _pad(conv.x, conv.pads)
    _, _, c_in, c_out = conv.kernel.shape
    n_images, h_out, w_out, _ = conv.out_shape
    out = np.zeros(conv.out_shape, conv.x.dtype)
    for n in range(n_images):
        for i in range(h_out):
            for j in range(w_out):
                rows, cols = _taps_of_window(conv, i, j)
                for f in range(c_out):
                    total = conv.bias[f]
                    for c in range(c_in):  # each channel has its own kernel slice
                        total += np.sum(xp[n, rows, cols, c] * conv.kernel[:, :, c, f])
                    out[n, i, j, f] = total
    return out.reshape(conv.user_out_shape)


def _taps_of_window(conv: _Conv, i: int, j: int) -> tuple[slice, slice]:
    """The rows and columns of the padded input under the kernel's taps when
    it sits at output position (i, j)."""
    (sh, sw), (dh, dw) = conv.stride, conv.dilation
    top, left = i * sh, j * sw
    return (
        slice(top, top + conv.span[0], dh),
        slice(left, left + conv.span[1], dw),
    )


def conv2d_backward(
    dout: np.ndarray,
    x: np.ndarray,
    kernel: np.ndarray,
    *,
    stride: Pair = 1,
    padding: Padding = "valid",
    dilation: Pair = 1,
    flip: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of a loss with respect to the input, kernel and bias of ``conv2d``.

    Given ``dout``, the gradient of the loss with respect to ``conv2d``'s
    output, the chain rule gives

    .. math::

        \\frac{\\partial L}{\\partial w[u, v, c, f]} = \\sum_{n, i, j}
            \\mathrm{dout}[n, i, j, f]\\, x_p[n, i s_h + u d_h, j s_w + v d_w, c],
        \\qquad
        \\frac{\\partial L}{\\partial b_f} = \\sum_{n, i, j} \\mathrm{dout}[n, i, j, f],

    and every input pixel collects ``dout`` times the kernel taps that
    touched it. The kernel gradient is one matrix product of the same im2col
    matrix as the forward pass; the input gradient sends each entry of
    ``dout @ kernel.T`` back to the pixel it came from, then drops the
    padding. Derived in Part II (*Backpropagation through a convolution*).

    Parameters
    ----------
    dout : ndarray of the shape ``conv2d(x, kernel, ...)`` returns
        Gradient of the loss with respect to the feature map.
    x : ndarray of shape (H, W), (H, W, C_in) or (N, H, W, C_in)
    kernel : ndarray of shape (kh, kw) or (kh, kw, C_in, C_out)
    stride, dilation : int or (int, int)
    padding : "valid", "same", int, (int, int) or ((int, int), (int, int))
    flip : bool
        As in :func:`conv2d`: the gradients of the true convolution, with
        ``dkernel`` for ``kernel`` as given (not turned).

    Returns
    -------
    dx : ndarray of the shape of ``x``
    dkernel : ndarray of the shape of ``kernel``
    dbias : ndarray of shape (C_out,), or a 0-d array for a 2-D kernel

    Examples
    --------
    >>> x = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    >>> k = np.array([[1, 0], [0, -1]])
    >>> dx, dk, db = conv2d_backward(np.ones((2, 2)), x, k)
    >>> dx
    array([[ 1.,  1.,  0.],
           [ 1.,  0., -1.],
           [ 0., -1., -1.]])
    >>> dk
    array([[12., 16.],
           [24., 28.]])
    >>> float(db)
    4.0
    >>> conv2d_backward(np.ones((2, 2)), x, k, flip=True)[1]  # dk turned
    array([[28., 24.],
           [16., 12.]])
    """
    conv = _prepare(x, kernel, None, stride, padding, dilation, flip)
    dout = _check_dout(dout, conv)
    n, h_out, w_out, c_out = dout.shape
    kh, kw, c_in, _ = conv.kernel.shape
    (sh, sw), (dh, dw) = conv.stride, conv.dilation
    dout_rows = dout.reshape(-1, c_out)  # one row per output position
    # the weights' gradient; its last row, from the column of ones, is the
    # bias's (and the im2col matrix is freed before the next one is made)
    grads = _im2col(conv).T @ dout_rows
    dkernel, dbias = grads[:-1].reshape(conv.kernel.shape), grads[-1]
    # each im2col entry's gradient, dout_rows @ kernel_matrix.T, goes back to
    # the pixel the entry was copied from: dwindows is (N, H_out, W_out, kh,
    # kw, C_in), stored as in _im2col, and dx_padded the padded input's
    # gradient, also stored that way
    kernel_matrix = conv.kernel.reshape(-1, c_out)
    (top, bottom), (left, right) = conv.pads
    _, h, w, _ = conv.x.shape
    padded = (n, h + top + bottom, w + left + right, c_in)
    if c_in < FEW_CHANNELS:
        dwindows = (kernel_matrix @ dout_rows.T).reshape(kh, kw, c_in, n, h_out, w_out)
        dwindows = dwindows.transpose(3, 4, 5, 0, 1, 2)
        dx_padded = np.zeros((c_in, *padded[:3]), conv.x.dtype).transpose(1, 2, 3, 0)
    else:
        dwindows = (dout_rows @ kernel_matrix.T).reshape(n, h_out, w_out, kh, kw, c_in)
        dx_padded = np.zeros(padded, conv.x.dtype)
    for u in range(kh):
        for v in range(kw):
            # tap (u, v) touched these pixels, one per output position
            rows = slice(u * dh, u * dh + sh * (h_out - 1) + 1, sh)
            cols = slice(v * dw, v * dw + sw * (w_out - 1) + 1, sw)
            dx_padded[:, rows, cols] += dwindows[:, :, :, u, v]
    dx = np.ascontiguousarray(dx_padded[:, top : top + h, left : left + w])
    return _gradients(dx, dkernel, dbias, conv)


def conv2d_backward_naive(
    dout: np.ndarray,
    x: np.ndarray,
    kernel: np.ndarray,
    *,
    stride: Pair = 1,
    padding: Padding = "valid",
    dilation: Pair = 1,
    flip: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gradients of :func:`conv2d_backward` with explicit loops, to be read.

    Each output value ``y[n, i, j, f]`` was a window times filter ``f``, so
    its gradient ``dout[n, i, j, f]`` flows back to the filter (times the
    window) and to the window (times the filter): Part II's *Backpropagation
    through a convolution*, line by line.

    Parameters
    ----------
    dout : ndarray of the shape ``conv2d(x, kernel, ...)`` returns
    x : ndarray of shape (H, W), (H, W, C_in) or (N, H, W, C_in)
    kernel : ndarray of shape (kh, kw) or (kh, kw, C_in, C_out)
    stride, dilation : int or (int, int)
    padding : "valid", "same", int, (int, int) or ((int, int), (int, int))
    flip : bool

    Returns
    -------
    dx : ndarray of the shape of ``x``
    dkernel : ndarray of the shape of ``kernel``
    dbias : ndarray of shape (C_out,), or a 0-d array for a 2-D kernel

    Examples
    --------
    >>> x = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    >>> dx, dk, db = conv2d_backward_naive(np.ones((2, 2)), x, np.eye(2))
    >>> dk
    array([[12., 16.],
           [24., 28.]])
    """
    conv = _prepare(x, kernel, None, stride, padding, dilation, flip)
    dout = _check_dout(dout, conv)
    xp = _pad(conv.x, conv.pads)
    _, _, c_in, c_out = conv.kernel.shape
    n_images, h_out, w_out, _ = conv.out_shape
    dx_padded = np.zeros_like(xp)
    dkernel = np.zeros_like(conv.kernel)
    for n in range(n_images):
        for i in range(h_out):
            for j in range(w_out):
                rows, cols = _taps_of_window(conv, i, j)
                for f in range(c_out):
                    g = dout[n, i, j, f]
                    for c in range(c_in):
                        dkernel[:, :, c, f] += g * xp[n, rows, cols, c]
                        dx_padded[n, rows, cols, c] += g * conv.kernel[:, :, c, f]
    (top, _), (left, _) = conv.pads
    _, h, w, _ = conv.x.shape
    dx = dx_padded[:, top : top + h, left : left + w]
    return _gradients(dx, dkernel, dout.sum(axis=(0, 1, 2)), conv)
